// build: -O1 -g -fno-omit-frame-pointer
// SPDX-License-Identifier: GPL-2.0
/*
 * A fixed duty cycle: spin WORK_US microseconds, sleep 10 ms, repeat for
 * SECS seconds. Doubling WORK_US is a deliberate 2x slowdown of the work.
 *   duty SECS WORK_US
 */
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) static void do_work(double us)
{
	volatile unsigned long x = 0;
	double until = now() + us / 1e6;

	while (now() < until)
		x++;
}

int main(int argc, char **argv)
{
	double end = now() + (argc > 1 ? atof(argv[1]) : 5);
	double us = argc > 2 ? atof(argv[2]) : 2000;
	struct timespec ts = { 0, 10000000 };

	while (now() < end) {
		do_work(us);
		nanosleep(&ts, NULL);
	}
	return 0;
}
