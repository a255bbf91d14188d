// build: -O2 -g -fno-omit-frame-pointer -pthread
// link: -lpthread
// SPDX-License-Identifier: GPL-2.0
/*
 * funclat_wl MODE N [FIFO]: a workload with known calls for kscope funclat.
 * With FIFO, waits for one byte on it first (the test writes it once the
 * probes are attached), so every counted call is one we made on purpose.
 *   sleep5   N calls of wl_sleep5(), each sleeping 5 ms
 *   malloc   N calls of libc's malloc (through a volatile pointer: not elided)
 *   fast     N calls of wl_fast() (a few ns each); prints "loop_ns=T" (bench)
 *   recurse  N calls of wl_recurse(3): 4 nested frames, 1 ms sleep in the leaf
 *   threads  4 threads, each making N calls of wl_recurse(1) (2 nested
 *            frames, 1 ms sleep in the leaf): 8N timed calls, interleaved
 *   cpp      N calls of a function whose symbol is the C++ mangled name of
 *            Server::handle(int) (an asm label: C++ names without a C++ build)
 *   longjmp  N calls of wl_jump_outer(), each calling wl_jump_inner(), which
 *            longjmps back into wl_jump_outer: inner never returns
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone, used))

static void sleep_ns(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	while (nanosleep(&ts, &ts))
		;
}

NOINLINE void wl_sleep5(void)
{
	sleep_ns(5000000);
	__asm__ volatile("" ::: "memory");
}

NOINLINE int wl_fast(int x)
{
	__asm__ volatile("" : "+r"(x) :: "memory");
	return x + 1;
}

NOINLINE int wl_recurse(int d)
{
	int r;

	if (d == 0) {
		sleep_ns(1000000);
		return 0;
	}
	r = wl_recurse(d - 1) + 1;
	__asm__ volatile("" : "+r"(r) :: "memory");
	return r;
}

static long thread_calls;

static void *thread_main(void *arg)
{
	long i;

	for (i = 0; i < thread_calls; i++)
		wl_recurse(1);
	return arg;
}

NOINLINE int wl_cpp_handle(int x) __asm__("_ZN6Server6handleEi");
NOINLINE int wl_cpp_handle(int x)
{
	__asm__ volatile("" : "+r"(x) :: "memory");
	return x + 2;
}

static jmp_buf jump_env;

NOINLINE void wl_jump_inner(int x)
{
	if (x >= 0)
		longjmp(jump_env, 1);
	__asm__ volatile("" ::: "memory");
}

NOINLINE int wl_jump_outer(int x)
{
	if (setjmp(jump_env))
		return 1;
	wl_jump_inner(x);
	return 0;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	void *(*volatile m)(size_t) = malloc;
	void (*volatile fr)(void *) = free;
	unsigned long long t0;
	long n, i;
	char c, buf[64];
	int len;

	if (argc < 3) {
		fprintf(stderr, "usage: funclat_wl "
			"sleep5|malloc|fast|recurse|threads|cpp|longjmp N [FIFO]\n");
		return 2;
	}
	n = atol(argv[2]);
	if (argc > 3) {
		int fd = open(argv[3], O_RDONLY);

		if (fd < 0 || read(fd, &c, 1) != 1) {
			perror("fifo");
			return 1;
		}
		close(fd);
	}
	t0 = now_ns();
	if (!strcmp(argv[1], "sleep5")) {
		for (i = 0; i < n; i++)
			wl_sleep5();
	} else if (!strcmp(argv[1], "malloc")) {
		/* No stdio before the last call: its buffers are malloc'd too. */
		for (i = 0; i < n; i++)
			fr(m(64 + (i & 255)));
	} else if (!strcmp(argv[1], "fast")) {
		int x = 0;

		for (i = 0; i < n; i++)
			x = wl_fast(x);
		if (x != n)
			return 1;
	} else if (!strcmp(argv[1], "recurse")) {
		for (i = 0; i < n; i++)
			wl_recurse(3);
	} else if (!strcmp(argv[1], "threads")) {
		pthread_t th[4];

		thread_calls = n;
		for (i = 0; i < 4; i++)
			if (pthread_create(&th[i], NULL, thread_main, NULL))
				return 1;
		for (i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
	} else if (!strcmp(argv[1], "cpp")) {
		for (i = 0; i < n; i++)
			wl_cpp_handle(i);
	} else if (!strcmp(argv[1], "longjmp")) {
		for (i = 0; i < n; i++)
			if (wl_jump_outer(i) != 1)
				return 1;
	} else {
		fprintf(stderr, "funclat_wl: unknown mode %s\n", argv[1]);
		return 2;
	}
	/* snprintf + write: printf would malloc stdout's buffer (one more call). */
	len = snprintf(buf, sizeof(buf), "loop_ns=%llu\n", now_ns() - t0);
	return write(1, buf, len) == len ? 0 : 1;
}
