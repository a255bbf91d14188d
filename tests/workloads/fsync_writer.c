// build: -O2 -g
// SPDX-License-Identifier: GPL-2.0
/*
 * Appends 4 KiB blocks to FILE and fsyncs after each, N times: at least N
 * write requests reach the file's block device. Prints its pid first, then
 * the count of fsyncs that succeeded at the end. Usage: fsync_writer FILE N
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[4096];
	int fd, i, n = argc > 2 ? atoi(argv[2]) : 100, ok = 0;

	if (argc < 2)
		return 2;
	fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	printf("%d\n", getpid());
	fflush(stdout);
	usleep(800000);		/* let the tracer attach */
	memset(buf, 'k', sizeof(buf));
	for (i = 0; i < n; i++) {
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			break;
		if (fsync(fd) == 0)
			ok++;
	}
	usleep(300000);
	printf("%d\n", ok);
	close(fd);
	return 0;
}
