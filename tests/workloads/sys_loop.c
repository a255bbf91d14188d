// build: -O2 -g -fno-omit-frame-pointer
// SPDX-License-Identifier: GPL-2.0
/*
 * Syscall-heavy: writes to /dev/null in a loop, so most CPU time is in the
 * kernel's syscall path. Usage: sys_loop SECONDS
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	static char buf[4096];
	struct timespec t0, t;
	int fd = open("/dev/null", O_WRONLY), i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (i = 0; i < 10000; i++)
			if (write(fd, buf, sizeof(buf)) < 0)
				return 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return 0;
}
