// build: -O2 -g
// SPDX-License-Identifier: GPL-2.0
/*
 * usdt_wl N [FIFO]: USDT probes (sys/sdt.h) fired a known number of times.
 * Waits for one byte on FIFO first when given. Then:
 *   kscope_wl:tick        N times
 *   kscope_wl:guarded     N times, but only while its semaphore is set (a
 *                         tracer asked for it); prints how many fired
 *   kscope_wl:work_begin / work_end   N/10 pairs, 2 ms apart
 */
#define _SDT_HAS_SEMAPHORES 1
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/sdt.h>

/* With _SDT_HAS_SEMAPHORES every probe names one; only "guarded" tests it. */
#define SEM(n) __extension__ unsigned short kscope_wl_##n##_semaphore \
	__attribute__((unused, section(".probes")))
SEM(tick);
SEM(guarded);
SEM(work_begin);
SEM(work_end);

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 2000000 };
	long n, i, fired = 0;
	char c;

	if (argc < 2) {
		fprintf(stderr, "usage: usdt_wl N [FIFO]\n");
		return 2;
	}
	n = atol(argv[1]);
	if (argc > 2) {
		int fd = open(argv[2], O_RDONLY);

		if (fd < 0 || read(fd, &c, 1) != 1) {
			perror("fifo");
			return 1;
		}
		close(fd);
	}
	for (i = 0; i < n; i++) {
		DTRACE_PROBE1(kscope_wl, tick, i);
		if (kscope_wl_guarded_semaphore) {
			DTRACE_PROBE1(kscope_wl, guarded, i);
			fired++;
		}
	}
	for (i = 0; i < n / 10; i++) {
		DTRACE_PROBE(kscope_wl, work_begin);
		nanosleep(&ts, NULL);
		DTRACE_PROBE(kscope_wl, work_end);
	}
	printf("guarded_fired=%ld\n", fired);
	return 0;
}
