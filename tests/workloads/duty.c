// build: -O1 -g -fno-omit-frame-pointer
// SPDX-License-Identifier: GPL-2.0
/*
 * A fixed duty cycle: WORK million loop iterations (a fixed amount of CPU
 * work, ~1 ms per million here), then sleep 10 ms, repeat for SECS seconds.
 * Doubling WORK is a deliberate 2x slowdown of each work item.
 *   duty SECS WORK
 */
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) static void do_work(double millions)
{
	volatile unsigned long x = 0;
	unsigned long n = millions * 1e6, i;

	for (i = 0; i < n; i++)
		x++;
}

int main(int argc, char **argv)
{
	double end = now() + (argc > 1 ? atof(argv[1]) : 5);
	double us = argc > 2 ? atof(argv[2]) : 2;
	struct timespec ts = { 0, 10000000 };

	while (now() < end) {
		do_work(us);
		nanosleep(&ts, NULL);
	}
	return 0;
}
