// build: -O2 -g
// SPDX-License-Identifier: GPL-2.0
/*
 * Calls getppid() exactly N times (raw syscall, no libc caching), after a
 * pause that lets a tracer attach. Prints its pid first.
 * Usage: getppid_loop N [DELAY_MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000, i;
	int delay = argc > 2 ? atoi(argv[2]) : 1000;

	printf("%d\n", getpid());
	fflush(stdout);
	usleep(delay * 1000);
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	usleep(500000);
	return 0;
}
