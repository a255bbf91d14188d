// build: -O1 -g -fno-omit-frame-pointer
// SPDX-License-Identifier: GPL-2.0
/*
 * Run-queue contention with a known shape: N (default 4) CPU-bound
 * processes pinned to one CPU for SECS seconds, so each waits for the CPU
 * about (N-1)/N of the time, in waits of a scheduler slice or more
 * (milliseconds). Prints the children's pids, comma-separated, then waits;
 * the children die with it.
 *   spin_pinned SECS [N [CPU]]
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) static void spin_until(double end)
{
	volatile unsigned long x = 0;

	while (now() < end)
		for (int i = 0; i < 10000; i++)
			x += i;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5, end = now() + secs;
	int n = argc > 2 ? atoi(argv[2]) : 4, cpu = argc > 3 ? atoi(argv[3]) : 0, i;
	pid_t pids[64];
	cpu_set_t set;

	if (n < 1 || n > 64)
		return 2;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			/* die with the parent: tests kill only what they spawned */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (sched_setaffinity(0, sizeof(set), &set))
				_exit(1);
			spin_until(end);
			_exit(0);
		}
	}
	for (i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", pids[i]);
	printf("\n");
	fflush(stdout);
	for (i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	return 0;
}
