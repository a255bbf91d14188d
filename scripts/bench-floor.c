// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark helper, not part of kscope: attach the empty programs of
 * bpf/bench_floor.bpf.c and wait for a signal: "sys" (the default) to
 * sys_enter/sys_exit, "sched" to sched_switch (tp_btf). Built by
 * scripts/bench-overhead.sh into build/bench/bench-floor.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "bench_floor.skel.h"

static volatile sig_atomic_t stop;
static void on_sig(int sig) { stop = 1; }

int main(int argc, char **argv)
{
	bool sched = argc > 1 && !strcmp(argv[1], "sched");
	struct bench_floor_bpf *s = bench_floor_bpf__open();

	if (s) {
		bpf_program__set_autoload(s->progs.floor_enter, !sched);
		bpf_program__set_autoload(s->progs.floor_exit, !sched);
		bpf_program__set_autoload(s->progs.floor_switch, sched);
	}
	if (!s || bench_floor_bpf__load(s) || bench_floor_bpf__attach(s)) {
		fprintf(stderr, "bench-floor: cannot load/attach\n");
		bench_floor_bpf__destroy(s);
		return 1;
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	while (!stop)
		pause();
	bench_floor_bpf__destroy(s);
	return 0;
}
