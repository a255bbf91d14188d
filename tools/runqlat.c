// SPDX-License-Identifier: GPL-2.0
/* kscope runqlat: run-queue latency histograms, system-wide and per row. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ks_collect.h"
#include "ks_hist.h"
#include "ks_model.h"
#include "ks_runqlat.h"
#include "ks_util.h"

static int cmd_runqlat(int argc, char **argv);
static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope runqlat [-p PID[,PID]] [--cgroup PATH] [-d SECS] [-i SECS]\n"
"                      [-P | -L | --per-cgroup] [-m] [--top N] [--wakeup-clock]\n"
"                      [--json] [-o FILE]\n\n"
"Run-queue latency: how long runnable tasks wait for a CPU, from wakeup (or\n"
"preemption) to running, as log2 histograms with p50/p90/p99/max, system-wide\n"
"and per process, thread or cgroup, with voluntary and involuntary (preempted)\n"
"context switch counts. Aggregated in the kernel, read once per interval.\n\n"
"Clock: where the kernel keeps its own run-queue accounting (sched_info, the\n"
"source of /proc/PID/schedstat and delay accounting), waits are read from it\n"
"at sched_switch alone: no wakeup probes, no clock reads, about half the cost.\n"
"It runs on the run-queue clock, which the scheduler does not advance while a\n"
"woken idle CPU leaves idle: waits on idle CPUs read near 0 where the wakeup\n"
"clock sees the idle exit (~10 us in a VM). --wakeup-clock times from\n"
"sched_wakeup with our own clock reads, as bcc/libbpf-tools runqlat does.\n\n"
KS_COLLECT_USAGE
"  -P, --per-process    a histogram per process\n"
"  -L, --per-thread     a histogram per thread (same as -T with -P)\n"
"      --per-cgroup     a histogram per cgroup v2\n"
"  -m, --milliseconds   histogram rows in msecs\n"
"      --top N          rows in the per-process table (default 10)\n"
"      --wakeup-clock   time from sched_wakeup with our own clock (see Clock)\n\n"
"Without -P/-L/--per-cgroup: the system-wide histogram and a table of the\n"
"processes that waited most. Lost events (full maps) are counted and shown.\n\n"
"Examples:\n"
"  kscope runqlat -d 10                 # system-wide, 10 s\n"
"  kscope runqlat -P -p 1234 -i 1       # one process, every second\n"
"  kscope runqlat --per-cgroup -d 5 --json\n");
}
KS_COMMAND(runqlat, 30, "Run-queue latency histograms (per process/thread/cgroup)",
	   cmd_runqlat, usage);

enum { OPT_PER_CGROUP = 0x2000, OPT_TOP, OPT_WAKEUP_CLOCK };

struct ropts {
	struct ks_collect_opts co;
	enum ks_runq_group group;
	bool full_rows;		/* -P/-L/--per-cgroup: one histogram per row */
	bool ms;
	unsigned long top;
	struct ks_runqlat *c;
};

static int cmp_task(const void *a, const void *b)
{
	const struct ks_task *x = a, *y = b;
	uint64_t sx = x->runq.sum_ns, sy = y->runq.sum_ns;

	return sx < sy ? 1 : sx > sy ? -1 : (int)x->pid - (int)y->pid;
}

static int print_text(void *ctx, FILE *f, struct ks_model *m, double secs)
{
	const struct ropts *o = ctx;
	struct ks_runqlat *c = o->c;
	const struct ks_runq_cgroup *cg;
	char title[128], b[3][32];
	size_t i, n;

	fprintf(f, "Run-queue latency, %.1f s (%s, %s clock)%s\n", secs, ks_runqlat__attach_kind(c),
		ks_runqlat__clock(c),
		ks_exiting ? " (interrupted)" : "");
	ks_hist_print(f, &m->runq_all, "all tasks:", o->ms);
	if (o->group == KS_RUNQ_BY_CGROUP) {
		cg = ks_runqlat__cgroups(c, &n);
		for (i = 0; i < n; i++) {
			snprintf(title, sizeof(title), "\ncgroup %s (id %llu): preempted %llu, "
				 "voluntary switches %llu", cg[i].path[0] ? cg[i].path : "?",
				 (unsigned long long)cg[i].cgid, (unsigned long long)cg[i].preempt,
				 (unsigned long long)cg[i].ctxsw);
			ks_hist_print(f, &cg[i].hist, title, o->ms);
		}
	} else if (o->full_rows) {
		qsort(m->tasks, m->ntasks, sizeof(*m->tasks), cmp_task);
		for (i = 0; i < m->ntasks; i++) {
			const struct ks_task *t = &m->tasks[i];

			if (!t->runq.count && !t->preempt && !t->ctxsw)
				continue;
			snprintf(title, sizeof(title), "\n%s = %u (%s): preempted %llu, "
				 "voluntary switches %llu", m->threads ? "tid" : "pid", t->pid,
				 t->comm, (unsigned long long)t->preempt,
				 (unsigned long long)t->ctxsw);
			ks_hist_print(f, &t->runq, title, o->ms);
		}
	} else if (m->ntasks) {
		qsort(m->tasks, m->ntasks, sizeof(*m->tasks), cmp_task);
		fprintf(f, "\n%7s %-16s %9s %9s %9s %9s %9s %9s\n", "PID", "COMM", "WAITS",
			"P50", "P99", "MAX", "PREEMPT", "VOLSW");
		for (i = 0; i < m->ntasks && i < o->top; i++) {
			const struct ks_task *t = &m->tasks[i];

			snprintf(b[0], 32, "%.1fus", ks_hist_pct(&t->runq, 50) / 1e3);
			snprintf(b[1], 32, "%.1fus", ks_hist_pct(&t->runq, 99) / 1e3);
			snprintf(b[2], 32, "%.1fus", t->runq.max_ns / 1e3);
			fprintf(f, "%7u %-16s %9llu %9s %9s %9s %9llu %9llu\n", t->pid, t->comm,
				(unsigned long long)t->runq.count, b[0], b[1], b[2],
				(unsigned long long)t->preempt, (unsigned long long)t->ctxsw);
		}
	}
	ks_collect_gaps_text(f, m);
	return 0;
}

static int print_json(void *ctx, FILE *f, struct ks_model *m, double secs)
{
	const struct ropts *o = ctx;
	struct ks_runqlat *c = o->c;
	const struct ks_runq_cgroup *cg;
	size_t i, n;

	fprintf(f, "{\"command\":\"runqlat\",\"duration_s\":%.3f,\"attach\":\"%s\","
		"\"clock\":\"%s\",\"interrupted\":%s,\"all\":", secs,
		ks_runqlat__attach_kind(c), ks_runqlat__clock(c), ks_exiting ? "true" : "false");
	ks_hist_json(f, &m->runq_all);
	fprintf(f, ",\"rows\":[");
	if (o->group == KS_RUNQ_BY_CGROUP) {
		cg = ks_runqlat__cgroups(c, &n);
		for (i = 0; i < n; i++) {
			fprintf(f, "%s{\"cgroup_id\":%llu,\"cgroup\":", i ? "," : "",
				(unsigned long long)cg[i].cgid);
			ks_json_str(f, cg[i].path);
			fprintf(f, ",\"preempt\":%llu,\"voluntary\":%llu,\"runq\":",
				(unsigned long long)cg[i].preempt, (unsigned long long)cg[i].ctxsw);
			ks_hist_json(f, &cg[i].hist);
			fputc('}', f);
		}
	} else {
		qsort(m->tasks, m->ntasks, sizeof(*m->tasks), cmp_task);
		for (i = 0; i < m->ntasks; i++) {
			const struct ks_task *t = &m->tasks[i];

			fprintf(f, "%s{\"%s\":%u,\"tgid\":%u,\"comm\":", i ? "," : "",
				m->threads ? "tid" : "pid", t->pid, t->tgid);
			ks_json_str(f, t->comm);
			fprintf(f, ",\"preempt\":%llu,\"voluntary\":%llu,\"runq\":",
				(unsigned long long)t->preempt, (unsigned long long)t->ctxsw);
			ks_hist_json(f, &t->runq);
			fputc('}', f);
		}
	}
	fputc(']', f);
	ks_collect_gaps_json(f, m);
	fprintf(f, "}\n");
	return 0;
}

static int read_maps(void *ctx, struct ks_model *m, double secs)
{
	return ks_runqlat__read(((struct ropts *)ctx)->c, m);
}

static int cmd_runqlat(int argc, char **argv)
{
	static const struct option opts[] = {
		KS_COLLECT_LONGOPTS,
		{ "per-process", no_argument, NULL, 'P' },
		{ "per-thread", no_argument, NULL, 'L' },
		{ "per-cgroup", no_argument, NULL, OPT_PER_CGROUP },
		{ "milliseconds", no_argument, NULL, 'm' },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "wakeup-clock", no_argument, NULL, OPT_WAKEUP_CLOCK },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct ks_cmd *cmd = ks_cmd_find("runqlat");
	struct ropts o = { .co.sz = sizeof(o.co), .top = 10 };
	struct ks_runqlat_opts ro = { .sz = sizeof(ro) };
	bool per_cgroup = false, per_thread = false;
	int ch, rc, ret;

	optind = 1;
	while ((ch = ks_cmd_getopt(cmd, argc, argv, KS_COLLECT_SHORTOPTS "PLmh", opts, &o.co,
				   &rc)) != -1) {
		switch (ch) {
		case 'P':
			o.full_rows = true;
			break;
		case 'L':
			o.full_rows = per_thread = true;
			break;
		case OPT_PER_CGROUP:
			o.full_rows = per_cgroup = true;
			break;
		case 'm':
			o.ms = true;
			break;
		case OPT_TOP:
			if (ks_parse_uint(optarg, "--top", 1, 1000000, &o.top))
				return KS_EXIT_USAGE;
			break;
		case OPT_WAKEUP_CLOCK:
			ro.wakeup_clock = true;
			break;
		default:
			return ks_usage_error(cmd, "invalid option");
		}
	}
	if (rc >= 0)
		return rc;
	if (per_cgroup && (per_thread || o.co.threads))
		return ks_usage_error(cmd, "--per-cgroup excludes -L/-T");
	if (ks_collect_finish(&o.co))
		return KS_EXIT_FAIL;
	o.group = per_cgroup ? KS_RUNQ_BY_CGROUP :
		  per_thread || o.co.threads ? KS_RUNQ_BY_THREAD : KS_RUNQ_BY_PROCESS;
	ro.pids = o.co.pids;
	ro.npids = o.co.npids;
	ro.cgroup_id = o.co.cgroup_id;
	ro.group = o.group;

	ks_setup_signals();
	o.c = ks_runqlat__open(&ro);
	if (!o.c)
		return KS_EXIT_FAIL;
	ret = ks_collect_run(&(struct ks_collect_cmd){
		.co = &o.co, .name = "runqlat", .tracing = "run-queue latency",
		.blank_between = true, .read = read_maps, .print_text = print_text,
		.print_json = print_json, .ctx = &o,
	});
	ks_runqlat__free(o.c);
	return ret;
}
