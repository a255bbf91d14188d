// build: -O1 -g -fno-omit-frame-pointer -fno-inline -fno-optimize-sibling-calls
// SPDX-License-Identifier: GPL-2.0
/*
 * CPU-bound in a known call chain, built with frame pointers:
 * main -> chain_outer -> chain_middle -> chain_leaf (all the time in the leaf).
 * Usage: cpu_chain SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

volatile unsigned long sink;

__attribute__((noinline)) void chain_leaf(unsigned long n)
{
	unsigned long i, x = sink;

	for (i = 0; i < n; i++)
		x = x * 2862933555777941757ULL + 3037000493ULL;
	sink = x;
}

__attribute__((noinline)) void chain_middle(unsigned long n)
{
	chain_leaf(n);
	sink++;
}

__attribute__((noinline)) void chain_outer(unsigned long n)
{
	chain_middle(n);
	sink++;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		chain_outer(1000000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return 0;
}
