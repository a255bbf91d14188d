// SPDX-License-Identifier: GPL-2.0
/* kscope locks: futex waits by user stack and kernel lock contention by kernel stack. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ks_collect.h"
#include "ks_export.h"
#include "ks_locks.h"
#include "ks_model.h"
#include "ks_profile.h"
#include "ks_profile_text.h"
#include "ks_util.h"

static int cmd_locks(int argc, char **argv);
static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope locks [-p PID[,PID]] [--cgroup PATH] [-d SECS] [-i SECS]\n"
"                    [-U | -K] [-m MIN_US] [-f text|folded] [--top N] [--json] [-o FILE]\n\n"
"Lock wait time by stack: user-space futex waits (pthread mutexes, condition\n"
"variables, ... : FUTEX_WAIT*, LOCK_PI*, futex_waitv), unwound with CFI from\n"
"a user stack copy, and kernel lock contention (lock:contention_begin/end,\n"
"5.19+) by kernel stack. Values in microseconds; a marker frame after the\n"
"process names the kind (\"futex wait\", \"kernel mutex\", \"kernel spinlock\").\n\n"
KS_COLLECT_USAGE
"  -U, --user-only      futex waits only\n"
"  -K, --kernel-only    kernel lock contention only\n"
"  -m, --min-us US      leave out waits shorter than US (counted, not shown)\n"
"  -f, --format FMT     text (default) or folded (flamegraph.pl input)\n"
"      --top N          functions and stacks in the text view (default 10)\n\n"
"Examples:\n"
"  kscope locks -p 1234 -d 10              # who waits on which lock, 10 s\n"
"  kscope locks -d 5 -f folded > locks.folded && flamegraph.pl locks.folded\n"
"  kscope locks -K -i 1                    # kernel contention every second\n");
}
KS_COMMAND(locks, 60, "Lock wait time by stack (futex waits, kernel lock contention)",
	   cmd_locks, usage);

enum { OPT_TOP = 0x2000 };
enum { FMT_TEXT, FMT_FOLDED };

struct lopts {
	struct ks_collect_opts co;
	unsigned long top;
	int fmt;
	struct ks_locks *c;
};

static void print_totals(FILE *f, const struct ks_locks *c)
{
	const struct ks_lock_total *t = ks_locks__totals(c);
	int k;

	fprintf(f, "%-28s %10s %14s %10s\n", "KIND", "WAITS", "TOTAL_us", "AVG_us");
	for (k = 0; k < KS_LOCK__COUNT; k++) {
		if (!t[k].count)
			continue;
		fprintf(f, "%-28s %10llu %14.1f %10.2f\n", ks_lock_kind_name(k),
			(unsigned long long)t[k].count, t[k].ns / 1e3, t[k].ns / 1e3 / t[k].count);
	}
}

static int print_json(void *ctx, FILE *f, struct ks_model *m, double secs)
{
	const struct lopts *o = ctx;
	const struct ks_lock_total *t = ks_locks__totals(o->c);
	const struct ks_profile *p = m->locks;
	const struct ks_accounting *a = &p->acct;
	size_t i;
	int k, n = 0;

	fprintf(f, "{\"command\":\"locks\",\"duration_s\":%.3f,\"attach\":\"%s\","
		"\"interrupted\":%s,\"unit\":\"us\",\"kinds\":[", secs,
		ks_locks__attach_kind(o->c), ks_exiting ? "true" : "false");
	for (k = 0; k < KS_LOCK__COUNT; k++) {
		if (!t[k].count)
			continue;
		fprintf(f, "%s{\"kind\":", n++ ? "," : "");
		ks_json_str(f, ks_lock_kind_name(k));
		fprintf(f, ",\"waits\":%llu,\"total_us\":%.1f}", (unsigned long long)t[k].count,
			t[k].ns / 1e3);
	}
	fprintf(f, "],\"stacks\":[");
	for (i = 0; i < p->nstacks && i < o->top * 10; i++) {
		const struct ks_stack *s = &p->stacks[i];

		fprintf(f, "%s{\"pid\":%u,\"tid\":%u,\"value\":%llu,\"frames\":", i ? "," : "",
			s->pid, s->tid, (unsigned long long)s->value);
		ks_stack_frames_json(f, s);
		fputc('}', f);
	}
	fprintf(f, "],\"accounting\":");
	ks_accounting_json(f, a, "waits");
	ks_collect_gaps_json(f, m);
	fprintf(f, "}\n");
	return 0;
}

static int read_maps(void *ctx, struct ks_model *m, double secs)
{
	struct lopts *o = ctx;
	int err;

	err = ks_locks__read(o->c, m);
	if (err)
		return err;
	m->locks->duration_s = secs;
	ks_profile__sort(m->locks);
	return 0;
}

static int print_text(void *ctx, FILE *f, struct ks_model *m, double secs)
{
	const struct lopts *o = ctx;

	if (o->fmt == FMT_FOLDED) {
		ks_folded_write(f, m->locks);
		ks_accounting_print(stderr, m->locks);
		ks_collect_gaps_text(stderr, m);
	} else {
		fprintf(f, "Lock waits, %.1f s (%s)%s\n\n", secs,
			ks_locks__attach_kind(o->c), ks_exiting ? " (interrupted)" : "");
		print_totals(f, o->c);
		if (m->locks->nstacks) {
			fputc('\n', f);
			ks_profile_print_text(f, m->locks, o->top, o->top);
		}
		fputc('\n', f);
		ks_accounting_print(f, m->locks);
		ks_collect_gaps_text(f, m);
	}
	return 0;
}

static int cmd_locks(int argc, char **argv)
{
	static const struct option opts[] = {
		KS_COLLECT_LONGOPTS,
		{ "user-only", no_argument, NULL, 'U' },
		{ "kernel-only", no_argument, NULL, 'K' },
		{ "min-us", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct ks_cmd *cmd = ks_cmd_find("locks");
	struct lopts o = { .co.sz = sizeof(o.co), .top = 10 };
	struct ks_locks_opts lo = { .sz = sizeof(lo) };
	unsigned long v;
	bool text;
	int ch, rc, ret;

	optind = 1;
	while ((ch = ks_cmd_getopt(cmd, argc, argv, KS_COLLECT_SHORTOPTS "UKm:f:h", opts, &o.co,
				   &rc)) != -1) {
		switch (ch) {
		case 'U':
			lo.no_kernel = true;
			break;
		case 'K':
			lo.no_futex = true;
			break;
		case 'm':
			if (ks_parse_uint(optarg, "--min-us", 0, 1UL << 40, &v))
				return KS_EXIT_USAGE;
			lo.min_us = v;
			break;
		case 'f':
			if (!strcmp(optarg, "text"))
				o.fmt = FMT_TEXT;
			else if (!strcmp(optarg, "folded"))
				o.fmt = FMT_FOLDED;
			else
				return ks_usage_error(cmd, "unknown format '%s' (text, folded)",
						      optarg);
			break;
		case OPT_TOP:
			if (ks_parse_uint(optarg, "--top", 1, 1000000, &o.top))
				return KS_EXIT_USAGE;
			break;
		default:
			return ks_usage_error(cmd, "invalid option");
		}
	}
	if (rc >= 0)
		return rc;
	if (lo.no_futex && lo.no_kernel)
		return ks_usage_error(cmd, "-U and -K exclude each other");
	if (ks_collect_finish(&o.co))
		return KS_EXIT_FAIL;
	lo.pids = o.co.pids;
	lo.npids = o.co.npids;
	lo.cgroup_id = o.co.cgroup_id;
	lo.threads = o.co.threads;

	ks_setup_signals();
	o.c = ks_locks__open(&lo);
	if (!o.c)
		return KS_EXIT_FAIL;
	text = o.fmt == FMT_TEXT;
	ret = ks_collect_run(&(struct ks_collect_cmd){
		.co = &o.co, .name = "locks", .tracing = text ? "lock waits" : NULL,
		.blank_between = text, .read = read_maps, .print_text = print_text,
		.print_json = print_json, .ctx = &o,
	});
	ks_locks__free(o.c);
	return ret;
}
