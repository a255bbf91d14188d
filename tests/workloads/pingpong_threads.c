// build: -O1 -g
// link: -lpthread
// SPDX-License-Identifier: GPL-2.0
/*
 * A known number of wakeups in one process: after waiting DELAY seconds
 * (for tracers to attach), two threads bounce a byte over pipes ROUNDS
 * times (each round trip wakes each thread once), then the process waits
 * TAIL seconds and exits.
 *   pingpong_threads DELAY ROUNDS [TAIL]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int a[2], b[2];
static long rounds;

static void *pong(void *arg)
{
	char c;
	long i;

	for (i = 0; i < rounds; i++)
		if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1)
			break;
	return NULL;
}

int main(int argc, char **argv)
{
	double delay = argc > 1 ? atof(argv[1]) : 2, tail = argc > 3 ? atof(argv[3]) : 1;
	pthread_t t;
	char c = 'x';
	long i;

	rounds = argc > 2 ? atol(argv[2]) : 10000;
	if (pipe(a) || pipe(b))
		return 1;
	usleep(delay * 1e6);
	if (pthread_create(&t, NULL, pong, NULL))
		return 1;
	for (i = 0; i < rounds; i++)
		if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			break;
	pthread_join(t, NULL);
	usleep(tail * 1e6);
	return 0;
}
