// build: -O1 -g -fno-omit-frame-pointer
// SPDX-License-Identifier: GPL-2.0
/*
 * fsync-bound writer: writes 64 KiB and fsync()s it, in a loop, for SECS
 * seconds, so it spends most of its time in uninterruptible I/O waits.
 *   report_fsync SECS [DIR]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) static void write_and_sync(int fd, const char *buf)
{
	if (write(fd, buf, 65536) != 65536 || fsync(fd))
		perror("write/fsync");
}

int main(int argc, char **argv)
{
	double end = now() + (argc > 1 ? atof(argv[1]) : 5);
	char path[256], buf[65536];
	int fd;

	snprintf(path, sizeof(path), "%s/report_fsync.%d", argc > 2 ? argv[2] : "/var/tmp",
		 getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	unlink(path);
	memset(buf, 'x', sizeof(buf));
	while (now() < end)
		write_and_sync(fd, buf);
	close(fd);
	return 0;
}
