// build: -O1 -g -fomit-frame-pointer -fno-inline -fno-optimize-sibling-calls
// SPDX-License-Identifier: GPL-2.0
/*
 * Off-CPU in a known place: the process ("sleeper") sleeps 10 ms at a time
 * in main -> sleeper_loop -> sleep_in_known_function -> nanosleep for SECS
 * seconds, then prints the total time it spent in those sleeps (ns,
 * CLOCK_MONOTONIC) on stdout. Built without frame pointers, like libc's
 * nanosleep and clock_nanosleep it calls: only a CFI unwind of the user
 * stack sees the whole chain down to main.
 *   offcpu_sleep SECS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>

static double secs = 5;
static unsigned long long slept_ns;

static unsigned long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

__attribute__((noinline)) void sleep_in_known_function(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) void sleeper_loop(void)
{
	unsigned long long t0 = now_ns(), end = t0 + (unsigned long long)(secs * 1e9), a;

	while ((a = now_ns()) < end) {
		sleep_in_known_function();
		slept_ns += now_ns() - a;
	}
}

int main(int argc, char **argv)
{
	if (argc > 1)
		secs = atof(argv[1]);
	prctl(PR_SET_NAME, "sleeper");
	sleeper_loop();
	printf("%llu\n", slept_ns);
	return 0;
}
