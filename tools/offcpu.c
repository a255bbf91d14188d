// SPDX-License-Identifier: GPL-2.0
/* kscope offcpu: off-CPU time by stack and reason. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ks_collect.h"
#include "ks_export.h"
#include "ks_model.h"
#include "ks_offcpu.h"
#include "ks_profile_text.h"
#include "ks_util.h"


static int cmd_offcpu(int argc, char **argv);
static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope offcpu [-p PID[,PID]] [--cgroup PATH] [-d SECS] [-i SECS]\n"
"                     [-f text|folded|svg|html|...] [-m MIN_US] [-M MAX_US]\n"
"                     [--wakers] [-K] [--no-stacks] [--unwind dwarf|fp] [--top N]\n"
"                     [--json] [-o FILE]\n\n"
"Off-CPU time: how long tasks spend switched out, by kernel and user stack\n"
"and by reason: \"waiting for CPU\" (preempted, or woken and not yet running),\n"
"\"io\" (uninterruptible: disk I/O and the like), \"sleep\" (interruptible:\n"
"sleeps, polls, waits on other tasks). A woken task's wait for a CPU is\n"
"split off its sleep. Summed in the kernel, read once per interval; periods\n"
"whose user stack is copied arrive through a ring buffer drained every 100 ms.\n\n"
"Clock: with tp_btf (and no --wakers) the scheduler's own run-queue accounting\n"
"(sched_info, as in /proc/PID/schedstat) splits each period, timed on the\n"
"run-queue clock at sched_switch alone: no wakeup probe, no clock reads. A\n"
"wakeup queued to an idle CPU starts its wait when that CPU takes it, so the\n"
"idle exit counts as sleep. Otherwise sched_waking is timed (\"wakeup\" clock).\n\n"
KS_COLLECT_USAGE
"  -f, --format FMT     text (default): per-process time by reason, top\n"
"                       functions and stacks; folded: flamegraph.pl input,\n"
"                       values in microseconds, the reason as the frame after\n"
"                       the process; svg, html: flame graph; pprof,\n"
"                       speedscope, json. Default from -o's extension.\n"
"  -m, --min-us US      ignore off-CPU periods shorter than US microseconds\n"
"  -M, --max-us US      ignore off-CPU periods longer than US microseconds\n"
"      --wakers         add the waker's stack after a \"--\" frame\n"
"  -K, --kernel-only    kernel stacks only (no user stacks)\n"
"      --unwind MODE    dwarf (default with tp_btf): copy the user stack of\n"
"                       periods that blocked in a system call and unwind it\n"
"                       with the binaries' CFI, complete without frame\n"
"                       pointers; fp: frame-pointer walks, summed in the kernel\n"
"      --no-stacks      time by process and reason only (cheapest)\n"
"      --top N          rows in the text view (default 20)\n"
"      --stack-min-us US  stacks only for off-CPU periods of at least US\n"
"                       (default 100; 0: all). With tp_btf stacks are taken when\n"
"                       the period ends (kernel: at switch-in, user: at the\n"
"                       return from the blocking system call), so shorter\n"
"                       periods cost no stack walk; they are shown as\n"
"                       \"[stack not taken: period < US us]\"\n\n"
"User stacks of periods preempted or blocked outside a system call, and all of\n"
"them with raw_tp or classic tracepoints, are frame-pointer walks taken at the\n"
"switch-out: truncated in code built without frame pointers (the accounting\n"
"says how many). Every output ends with its accounting: periods, lost, stack\n"
"errors, unnamed frames, user stacks complete.\n\n"
"Examples:\n"
"  kscope offcpu -p 1234 -d 10                  # where does pid 1234 wait?\n"
"  kscope offcpu -d 10 -f folded -o off.folded  # flame graph input\n"
"  kscope offcpu -d 5 -m 1000 --wakers -f svg -o off.svg\n");
}
KS_COMMAND(offcpu, 20, "Off-CPU time by stack and reason (runq wait, I/O, sleep)",
	   cmd_offcpu, usage);

/* text, or an export format: FMT_TEXT is not a valid enum ks_export_fmt */
#define FMT_TEXT	(-1)
enum { OPT_WAKERS = 0x2000, OPT_NO_STACKS, OPT_TOP, OPT_KSTACK_MIN, OPT_UNWIND };

struct run_state {
	struct ks_offcpu *c;
	const struct ks_collect_opts *co;
	int fmt;
	unsigned long top;
};

static int cmp_task(const void *a, const void *b)
{
	const struct ks_task *x = a, *y = b;
	uint64_t sx = 0, sy = 0;
	int r;

	for (r = 0; r < KS_OFF__COUNT; r++) {
		sx += x->offcpu_ns[r];
		sy += y->offcpu_ns[r];
	}
	return sx < sy ? 1 : sx > sy ? -1 : (int)x->pid - (int)y->pid;
}

static void print_tasks_text(FILE *f, struct ks_model *m, unsigned long top)
{
	size_t i;
	int r;

	qsort(m->tasks, m->ntasks, sizeof(*m->tasks), cmp_task);
	fprintf(f, "Off-CPU time by %s and reason (ms):\n", m->threads ? "thread" : "process");
	fprintf(f, "%7s %-16s %15s %10s %10s %10s %10s\n", m->threads ? "TID" : "PID", "COMM",
		"WAITING-FOR-CPU", "IO", "SLEEP", "OTHER", "TOTAL");
	for (i = 0; i < m->ntasks && i < top; i++) {
		const struct ks_task *t = &m->tasks[i];
		uint64_t tot = 0;

		for (r = 0; r < KS_OFF__COUNT; r++)
			tot += t->offcpu_ns[r];
		fprintf(f, "%7u %-16s %15.2f %10.2f %10.2f %10.2f %10.2f\n", t->pid, t->comm,
			t->offcpu_ns[KS_OFF_RUNQ] / 1e6, t->offcpu_ns[KS_OFF_IO] / 1e6,
			t->offcpu_ns[KS_OFF_SLEEP] / 1e6,
			(t->offcpu_ns[KS_OFF_LOCK] + t->offcpu_ns[KS_OFF_OTHER]) / 1e6, tot / 1e6);
	}
}

static int print_json(void *ctx, FILE *f, struct ks_model *m, double secs)
{
	const struct run_state *st = ctx;
	const struct ks_profile *p = m->offcpu;
	size_t i;
	int r;

	qsort(m->tasks, m->ntasks, sizeof(*m->tasks), cmp_task);
	fprintf(f, "{\"command\":\"offcpu\",\"duration_s\":%.3f,\"attach\":\"%s\","
		"\"clock\":\"%s\",\"interrupted\":%s,\"unit\":\"us\",\"tasks\":[", secs,
		ks_offcpu__attach_kind(st->c), ks_offcpu__clock(st->c),
		ks_exiting ? "true" : "false");
	for (i = 0; i < m->ntasks; i++) {
		const struct ks_task *t = &m->tasks[i];

		fprintf(f, "%s{\"%s\":%u,\"tgid\":%u,\"comm\":", i ? "," : "",
			m->threads ? "tid" : "pid", t->pid, t->tgid);
		ks_json_str(f, t->comm);
		fprintf(f, ",\"offcpu_us\":{");
		for (r = 0; r < KS_OFF__COUNT; r++) {
			fprintf(f, "%s", r ? "," : "");
			ks_json_str(f, ks_offcpu_reason_name(r));
			fprintf(f, ":%.3f", t->offcpu_ns[r] / 1e3);
		}
		fprintf(f, "}}");
	}
	fprintf(f, "],\"stacks\":[");
	for (i = 0; i < p->nstacks && i < st->top; i++) {
		const struct ks_stack *s = &p->stacks[i];

		fprintf(f, "%s{\"pid\":%u,\"value\":%llu,\"reason\":", i ? "," : "", s->pid,
			(unsigned long long)s->value);
		ks_json_str(f, s->nframes > 1 ? s->frames[1].name : "");
		fprintf(f, ",\"frames\":");
		ks_stack_frames_json(f, s);
		fputc('}', f);
	}
	fprintf(f, "],\"accounting\":");
	ks_accounting_json(f, &p->acct, "periods");
	ks_collect_gaps_json(f, m);
	fprintf(f, "}\n");
	return 0;
}

static int read_maps(void *ctx, struct ks_model *m, double secs)
{
	struct run_state *st = ctx;
	int err;

	err = ks_offcpu__read(st->c, m);
	if (err)
		return err;
	m->offcpu->duration_s = secs;
	ks_profile__sort(m->offcpu);
	return 0;
}

static int print_text(void *ctx, FILE *f, struct ks_model *m, double secs)
{
	const struct run_state *st = ctx;
	int err;

	if (st->fmt != FMT_TEXT) {
		struct ks_export_opts eo = { .sz = sizeof(eo), .title = "Off-CPU Time" };

		err = ks_export(f, m->offcpu, st->fmt, &eo);
		if (err) {
			ks_err("cannot write the %s output: %s", ks_export_fmt_name(st->fmt),
			       strerror(-err));
			return err;
		}
		ks_accounting_print(stderr, m->offcpu);
		ks_gaps_text(stderr, m->gaps, m->ngaps);	/* lost: in the accounting */
	} else {
		fprintf(f, "Off-CPU time, %.1f s (%s, %s clock)%s\n\n", secs,
			ks_offcpu__attach_kind(st->c), ks_offcpu__clock(st->c),
			ks_exiting ? " (interrupted)" : "");
		print_tasks_text(f, m, st->top);
		if (m->offcpu->nstacks) {
			fputc('\n', f);
			ks_profile_print_text(f, m->offcpu, st->top, st->top);
		}
		fputc('\n', f);
		ks_accounting_print(f, m->offcpu);
		ks_gaps_text(f, m->gaps, m->ngaps);
	}
	return 0;
}

static int poll_events(void *ctx, int timeout_ms)
{
	return ks_offcpu__poll(((struct run_state *)ctx)->c, timeout_ms);
}

static int cmd_offcpu(int argc, char **argv)
{
	static const struct option opts[] = {
		KS_COLLECT_LONGOPTS,
		{ "format", required_argument, NULL, 'f' },
		{ "min-us", required_argument, NULL, 'm' },
		{ "max-us", required_argument, NULL, 'M' },
		{ "wakers", no_argument, NULL, OPT_WAKERS },
		{ "kernel-only", no_argument, NULL, 'K' },
		{ "no-stacks", no_argument, NULL, OPT_NO_STACKS },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "stack-min-us", required_argument, NULL, OPT_KSTACK_MIN },
		{ "unwind", required_argument, NULL, OPT_UNWIND },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct ks_cmd *cmd = ks_cmd_find("offcpu");
	struct ks_collect_opts co = { .sz = sizeof(co) };
	struct ks_offcpu_opts oo = { .sz = sizeof(oo), .stack_min_us = KS_OFFCPU_STACK_MIN_US };
	struct run_state st = { .top = 20, .fmt = FMT_TEXT };
	const char *fmt_name = NULL;
	unsigned long v;
	bool text;
	int ch, rc, ret;

	optind = 1;
	while ((ch = ks_cmd_getopt(cmd, argc, argv, KS_COLLECT_SHORTOPTS "f:m:M:Kh", opts, &co,
				   &rc)) != -1) {
		switch (ch) {
		case 'f':
			fmt_name = optarg;
			break;
		case 'm':
			if (ks_parse_uint(optarg, "--min-us", 0, 1UL << 40, &v))
				return KS_EXIT_USAGE;
			oo.min_us = v;
			break;
		case 'M':
			if (ks_parse_uint(optarg, "--max-us", 1, 1UL << 40, &v))
				return KS_EXIT_USAGE;
			oo.max_us = v;
			break;
		case OPT_WAKERS:
			oo.wakers = true;
			break;
		case 'K':
			oo.no_user = true;
			break;
		case OPT_NO_STACKS:
			oo.no_stacks = true;
			break;
		case OPT_TOP:
			if (ks_parse_uint(optarg, "--top", 1, 1000000, &st.top))
				return KS_EXIT_USAGE;
			break;
		case OPT_KSTACK_MIN:
			if (ks_parse_uint(optarg, "--stack-min-us", 0, 1UL << 40, &v))
				return KS_EXIT_USAGE;
			oo.stack_min_us = v;
			break;
		case OPT_UNWIND:
			if (!strcmp(optarg, "fp"))
				oo.fp_only = true;
			else if (strcmp(optarg, "dwarf"))
				return ks_usage_error(cmd, "unknown unwind mode '%s'", optarg);
			break;
		default:
			return ks_usage_error(cmd, "invalid option");
		}
	}
	if (rc >= 0)
		return rc;
	if (oo.max_us && oo.min_us > oo.max_us)
		return ks_usage_error(cmd, "-m %llu is above -M %llu",
				      (unsigned long long)oo.min_us,
				      (unsigned long long)oo.max_us);
	if (oo.no_stacks && oo.wakers)
		return ks_usage_error(cmd, "--wakers needs stacks (drop --no-stacks)");
	/* --format, else the -o file's extension (ks_export_resolve), else text */
	if (fmt_name && !strcmp(fmt_name, "text")) {
		st.fmt = FMT_TEXT;
	} else if (fmt_name || co.output) {
		int r = ks_export_resolve(fmt_name, co.output);

		if (r == -EINVAL)
			return ks_usage_error(cmd, "unknown format '%s'", fmt_name);
		st.fmt = r >= 0 ? r : FMT_TEXT;
	}
	if (co.json && fmt_name && st.fmt != FMT_TEXT)
		return ks_usage_error(cmd, "--json and --format exclude each other");
	if (ks_collect_finish(&co))
		return KS_EXIT_FAIL;
	oo.pids = co.pids;
	oo.npids = co.npids;
	oo.cgroup_id = co.cgroup_id;
	oo.threads = co.threads;

	ks_setup_signals();
	st.c = ks_offcpu__open(&oo);
	if (!st.c)
		return KS_EXIT_FAIL;
	st.co = &co;
	text = st.fmt == FMT_TEXT;
	ret = ks_collect_run(&(struct ks_collect_cmd){
		.co = &co, .name = "offcpu", .tracing = text ? "off-CPU time" : NULL,
		.blank_between = text, .read = read_maps, .print_text = print_text,
		.print_json = print_json, .poll = poll_events, .ctx = &st,
	});
	ks_offcpu__free(st.c);
	return ret;
}
