// build: -O2 -g -fomit-frame-pointer -fno-inline -fno-optimize-sibling-calls
// SPDX-License-Identifier: GPL-2.0
/*
 * The hot path runs inside Debian's libc (qsort, no frame pointers) and
 * calls back into us: main -> sort_loop -> qsort (libc) -> cmp_ints.
 * Usage: qsort_cb SECONDS
 */
#include <stdlib.h>
#include <time.h>

#define N 20000

__attribute__((noinline)) int cmp_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	volatile int spin;

	for (spin = 0; spin < 20; spin++)
		;
	return (x > y) - (x < y);
}

__attribute__((noinline)) void sort_loop(int *v, unsigned int *seed)
{
	int i;

	for (i = 0; i < N; i++)
		v[i] = rand_r(seed);
	qsort(v, N, sizeof(*v), cmp_ints);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	static int v[N];
	unsigned int seed = 1;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		sort_loop(v, &seed);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return 0;
}
