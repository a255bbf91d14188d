// build: -O1 -g -fPIE -pie
// SPDX-License-Identifier: GPL-2.0
/*
 * A process for the symbolizer's integration test (tests/bpf/syms.sh): it
 * sleeps for argv[1] seconds (default 30) inside syms_wl_marker, a static
 * function that only the binary's own .symtab names, so a test that finds
 * the name has read this very file (through /proc/PID/root or map_files).
 */
#include <stdlib.h>
#include <unistd.h>

static volatile int sink;

static __attribute__((noinline)) void syms_wl_marker(int secs)
{
	sink = secs;
	sleep(secs);
	sink++;
}

int main(int argc, char **argv)
{
	syms_wl_marker(argc > 1 ? atoi(argv[1]) : 30);
	return 0;
}
