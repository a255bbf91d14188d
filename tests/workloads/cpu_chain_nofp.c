// build: -O2 -g -fomit-frame-pointer -fno-inline -fno-optimize-sibling-calls
// SPDX-License-Identifier: GPL-2.0
/*
 * CPU-bound in a known call chain, built WITHOUT frame pointers (-O2 -fomit-frame-pointer):
 * main -> nofp_outer -> nofp_middle -> nofp_leaf: the four-deep chain (all the time in the leaf).
 * Usage: cpu_chain_nofp SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

volatile unsigned long sink;

__attribute__((noinline)) void nofp_leaf(unsigned long n)
{
	unsigned long i, x = sink;

	for (i = 0; i < n; i++)
		x = x * 2862933555777941757ULL + 3037000493ULL;
	sink = x;
}

__attribute__((noinline)) void nofp_middle(unsigned long n)
{
	nofp_leaf(n);
	sink++;
}

__attribute__((noinline)) void nofp_outer(unsigned long n)
{
	nofp_middle(n);
	sink++;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		nofp_outer(1000000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return 0;
}
