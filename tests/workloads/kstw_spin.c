// build: -O1 -g
// SPDX-License-Identifier: GPL-2.0
/*
 * The top view's known workload: a CPU-bound loop for SECS seconds under
 * the command name NAME (default "kstw_spin"), so that tests can tell
 * several instances apart in kscope top (e.g. one free spinner and four
 * spinners pinned to one CPU with taskset for run-queue contention).
 *   kstw_spin SECS [NAME]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 10, end = now() + secs;
	volatile unsigned long n = 0;

	if (argc > 2)
		prctl(PR_SET_NAME, argv[2], 0, 0, 0);
	while (now() < end)
		for (int i = 0; i < 100000; i++)
			n++;
	return 0;
}
