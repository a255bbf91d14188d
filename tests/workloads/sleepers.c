// build: -O1 -g -fomit-frame-pointer -fno-inline -fno-optimize-sibling-calls
// link: -lpthread
// SPDX-License-Identifier: GPL-2.0
/*
 * Many short sleeps: THREADS threads each sleep US microseconds at a time
 * (timer slack 1 us) at the bottom of DEPTH nested calls with 256 bytes of
 * locals each, for SECS seconds; prints the sleeps per second of all the
 * threads together. The worst case for the off-CPU collector's user stack
 * copies: with US >= --stack-min-us (100) every sleep gets one.
 *   sleepers SECS [THREADS [US [DEPTH]]]     (defaults 2 8 100 8)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/prctl.h>

static double secs = 2;
static int us = 100, depth = 8;
static volatile int stop;

__attribute__((noinline)) static unsigned long nest(int level)
{
	volatile char locals[256];
	struct timespec ts = { 0, us * 1000L };

	locals[0] = (char)level;
	if (level > 0)
		return nest(level - 1) + locals[0];
	nanosleep(&ts, NULL);
	return 1;
}

static void *sleeper(void *arg)
{
	unsigned long *n = arg;

	prctl(PR_SET_TIMERSLACK, 1UL);
	while (!stop)
		*n += nest(depth) ? 1 : 0;
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long counts[256] = {}, total = 0;
	pthread_t t[256];
	struct timespec run;
	int n = 8, i;

	if (argc > 1)
		secs = atof(argv[1]);
	if (argc > 2)
		n = atoi(argv[2]);
	if (argc > 3)
		us = atoi(argv[3]);
	if (argc > 4)
		depth = atoi(argv[4]);
	if (n < 1 || n > 256)
		return 2;
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, sleeper, &counts[i]))
			return 1;
	run.tv_sec = (time_t)secs;
	run.tv_nsec = (long)((secs - run.tv_sec) * 1e9);
	nanosleep(&run, NULL);
	stop = 1;
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += counts[i];
	}
	printf("%.0f\n", total / secs);
	return 0;
}
