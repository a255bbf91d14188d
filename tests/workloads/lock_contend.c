// build: -O1 -g -fno-omit-frame-pointer -pthread
// link: -lpthread
// SPDX-License-Identifier: GPL-2.0
/*
 * Lock contention: N (default 4) threads take one mutex and hold it while
 * sleeping 1 ms, so each waits on the lock about (N-1)/N of the time.
 *   lock_contend SECS [N]
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double end;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) static void critical_section(void)
{
	struct timespec ts = { 0, 1000000 };
	volatile unsigned long x = 0;
	double until = now() + 0.0002;

	while (now() < until)
		x++;
	nanosleep(&ts, NULL);
}

static void *worker(void *arg)
{
	while (now() < end) {
		pthread_mutex_lock(&lock);
		critical_section();
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 4, i;
	pthread_t t[64];

	end = now() + (argc > 1 ? atof(argv[1]) : 5);
	if (n < 1 || n > 64)
		n = 4;
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
