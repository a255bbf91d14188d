// build: -O2 -g -fno-omit-frame-pointer -pthread
// link: -lpthread
// SPDX-License-Identifier: GPL-2.0
/*
 * THREADS threads take one pthread mutex in lock_the_shared_mutex() and hold
 * it ~200 us each time, for SECONDS: most of their time is spent waiting for
 * the mutex in futex(FUTEX_WAIT). Prints its pid first.
 * Usage: mutex_contend SECONDS [THREADS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t the_mutex = PTHREAD_MUTEX_INITIALIZER;
static double end_at;
static volatile unsigned long sink;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) static void hold_it(void)
{
	double until = now() + 200e-6;

	while (now() < until)
		sink++;
}

__attribute__((noinline)) void lock_the_shared_mutex(void)
{
	pthread_mutex_lock(&the_mutex);
	hold_it();
	pthread_mutex_unlock(&the_mutex);
	asm volatile("" ::: "memory");	/* keep the call frame */
}

static void *worker(void *arg)
{
	while (now() < end_at)
		lock_the_shared_mutex();
	return arg;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3;
	int n = argc > 2 ? atoi(argv[2]) : 4, i;
	pthread_t *t = calloc(n, sizeof(*t));

	printf("%d\n", getpid());
	fflush(stdout);
	end_at = now() + secs;
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
