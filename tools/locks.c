// SPDX-License-Identifier: GPL-2.0
/* kscope locks: futex waits by user stack and kernel lock contention by kernel stack. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ks_collect.h"
#include "ks_io_out.h"
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
};

struct run_state {
	struct ks_locks *c;
	struct ks_model *m;
	const struct lopts *o;
	FILE *f;
	uint64_t tlast;
	int n;
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

static void print_json(FILE *f, struct run_state *st, double secs)
{
	const struct ks_lock_total *t = ks_locks__totals(st->c);
	const struct ks_profile *p = st->m->locks;
	const struct ks_accounting *a = &p->acct;
	size_t i, j;
	int k, n = 0;

	fprintf(f, "{\"command\":\"locks\",\"duration_s\":%.3f,\"attach\":\"%s\","
		"\"interrupted\":%s,\"unit\":\"us\",\"kinds\":[", secs,
		ks_locks__attach_kind(st->c), ks_exiting ? "true" : "false");
	for (k = 0; k < KS_LOCK__COUNT; k++) {
		if (!t[k].count)
			continue;
		fprintf(f, "%s{\"kind\":", n++ ? "," : "");
		ks_json_str(f, ks_lock_kind_name(k));
		fprintf(f, ",\"waits\":%llu,\"total_us\":%.1f}", (unsigned long long)t[k].count,
			t[k].ns / 1e3);
	}
	fprintf(f, "],\"stacks\":[");
	for (i = 0; i < p->nstacks && i < st->o->top * 10; i++) {
		const struct ks_stack *s = &p->stacks[i];

		fprintf(f, "%s{\"pid\":%u,\"tid\":%u,\"value\":%llu,\"frames\":[", i ? "," : "",
			s->pid, s->tid, (unsigned long long)s->value);
		for (j = 0; j < s->nframes; j++) {
			fprintf(f, "%s", j ? "," : "");
			ks_json_str(f, s->frames[j].name);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "],\"accounting\":{\"waits\":%llu,\"lost\":%llu,\"stack_errors\":%llu,"
		"\"frames\":%llu,\"frames_unnamed\":%llu,\"user_stacks\":%llu,"
		"\"user_complete\":%llu,\"notes\":",
		(unsigned long long)a->samples, (unsigned long long)a->lost,
		(unsigned long long)a->stack_errors, (unsigned long long)a->frames,
		(unsigned long long)a->frames_unnamed, (unsigned long long)a->user_stacks,
		(unsigned long long)a->user_complete);
	ks_json_str(f, a->notes);
	fputc('}', f);
	ks_io_gaps_json(f, st->m);
	fprintf(f, "}\n");
}

static int report(void *ctx, bool last)
{
	struct run_state *st = ctx;
	struct ks_model *m = st->m;
	double secs;
	int err;

	ks_model__reset(m);
	if (m->locks) {
		ks_profile__free(m->locks);
		m->locks = NULL;
	}
	secs = ks_model__close_interval(m, &st->tlast);
	err = ks_locks__read(st->c, m);
	if (err) {
		ks_err("cannot read the locks maps: %s", strerror(-err));
		return err;
	}
	m->locks->duration_s = secs;
	ks_profile__sort(m->locks);
	if (st->o->co.json) {
		print_json(st->f, st, secs);
	} else if (st->o->fmt == FMT_FOLDED) {
		ks_folded_write(st->f, m->locks);
		ks_accounting_print(stderr, m->locks);
		ks_io_gaps_text(stderr, m);
	} else {
		if (st->n)
			fputc('\n', st->f);
		fprintf(st->f, "Lock waits, %.1f s (%s)%s\n\n", secs,
			ks_locks__attach_kind(st->c), ks_exiting ? " (interrupted)" : "");
		print_totals(st->f, st->c);
		if (m->locks->nstacks) {
			fputc('\n', st->f);
			ks_profile_print_text(st->f, m->locks, st->o->top, st->o->top);
		}
		fputc('\n', st->f);
		ks_accounting_print(st->f, m->locks);
		ks_io_gaps_text(st->f, m);
	}
	st->n++;
	fflush(st->f);
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
	struct ks_locks *c = NULL;
	struct ks_model *m = NULL;
	struct ks_output out = {};
	struct run_state st = {};
	unsigned long v;
	int ch, err, ret = KS_EXIT_FAIL;

	optind = 1;
	while ((ch = getopt_long(argc, argv, KS_COLLECT_SHORTOPTS "UKm:f:h", opts, NULL)) != -1) {
		err = ks_collect_parse_opt(ch, optarg, &o.co);
		if (!err)
			continue;
		if (err != -ENOENT)
			return ks_collect_exit_code(err);
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
		case 'h':
			usage(stdout);
			return 0;
		default:
			return ks_usage_error(cmd, "invalid option");
		}
	}
	if (optind < argc)
		return ks_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (lo.no_futex && lo.no_kernel)
		return ks_usage_error(cmd, "-U and -K exclude each other");
	if (ks_collect_finish(&o.co))
		return KS_EXIT_FAIL;
	lo.pids = o.co.pids;
	lo.npids = o.co.npids;
	lo.cgroup_id = o.co.cgroup_id;
	lo.threads = o.co.threads;

	ks_setup_signals();
	c = ks_locks__open(&lo);
	if (!c)
		return KS_EXIT_FAIL;
	m = ks_model__new();
	if (!m)
		goto cleanup;
	if (o.co.output && ks_output_open(&out, o.co.output))
		goto cleanup;
	if (!o.co.json && o.fmt == FMT_TEXT)
		fprintf(stderr, "Tracing lock waits%s... Hit Ctrl-C to end.\n",
			o.co.npids ? " of the given processes" : "");
	st.c = c;
	st.m = m;
	st.o = &o;
	st.f = out.f ? out.f : stdout;
	st.tlast = ks_now_ns();
	if (ks_collect_loop(&o.co, report, &st))
		goto cleanup;
	ret = 0;
cleanup:
	if (o.co.output && ks_output_close(&out, ret == 0))
		ret = KS_EXIT_FAIL;
	ks_model__free(m);
	ks_locks__free(c);
	return ret;
}
