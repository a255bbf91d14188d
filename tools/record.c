// SPDX-License-Identifier: GPL-2.0
/* kscope record: write a capture file (docs/capture-format.md). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ks_capture.h"
#include "ks_collect.h"
#include "ks_collectors.h"
#include "ks_procs.h"
#include "ks_util.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope record [-d SECS] [-i SECS] [--collectors LIST] [-p PID | --cgroup PATH] -o FILE\n"
"\n"
"Record every collector's per-interval model (counters, histograms, symbolized\n"
"stacks) into a capture file that `kscope report -i`, `flame -i`, `profile -i`\n"
"and `top -i` read back without the original binaries or processes.\n"
"Each interval is one zlib chunk with a crc32, synced to disk as it is written:\n"
"a crash loses at most the last interval. The file is created mode 0600.\n"
"\n"
"  -o, --output FILE      the capture file (required)\n"
"  -d, --duration SECS    stop after SECS (default: until Ctrl-C)\n"
"  -i, --interval SECS    one chunk every SECS (default 1)\n"
"      --collectors LIST  comma-separated: profile,offcpu,runqlat,biolat,syscalls,\n"
"                         locks (default profile,offcpu,runqlat,biolat)\n"
"  -F, --freq HZ          on-CPU sampling rate (default 99)\n"
"      --mode OCTAL       file mode (default 0600)\n"
"  -p, --pid PID[,PID]    only these processes\n"
"      --cgroup PATH      only tasks in this cgroup v2 directory\n"
"  -T, --threads          rows and stacks per thread\n"
"      --no-procs         no /proc reading per interval (by default each interval\n"
"                         keeps every process's user, state, CPU ticks, RSS and\n"
"                         threads, for `top -i`; without them those read n/a)\n"
"\n"
"Examples:\n"
"  kscope record -d 60 -o run.kscap            # one minute, whole system\n"
"  kscope record -p 1234 -i 5 -o app.kscap     # until Ctrl-C, 5 s chunks\n"
"  kscope report -i run.kscap -o run.html\n");
}

enum { OPT_COLLECTORS = 0x2000, OPT_MODE, OPT_NO_PROCS };

struct rec {
	struct ks_collectors *c;
	struct ks_capture_writer *w;
	struct ks_model *m;
	unsigned int chunks;
	/* /proc readings for top -i; procs_start: before the first interval */
	bool procs;
	unsigned int procs_flags;
	const struct ks_collect_opts *co;
	struct ks_procs_sample *procs_start;
};

/* between ticks: drain the streaming collectors' ring buffers */
static int drain(void *ctx, int timeout_ms)
{
	return ks_collectors__poll(((struct rec *)ctx)->c, timeout_ms);
}

/* The /proc side of an interval, filtered like the collectors. NULL: failed. */
static struct ks_procs_sample *take_procs(const struct rec *r)
{
	struct ks_procs_sample *s = ks_procs_sample__new();
	int err = s ? ks_procs_sample__take(s, r->procs_flags) : -ENOMEM;

	if (err) {
		ks_warn("reading /proc: %s; interval recorded without it", strerror(-err));
		ks_procs_sample__free(s);
		return NULL;
	}
	ks_procs_sample__filter(s, r->co->pids, r->co->npids, r->co->cgroup_id);
	return s;
}

static int tick(void *ctx, bool last)
{
	struct rec *r = ctx;
	/* /proc first: reading the collectors (symbolizing) takes a while */
	struct ks_procs_sample *procs = r->procs ? take_procs(r) : NULL;
	int err;

	err = ks_collectors__read(r->c, r->m);
	if (err) {
		ks_procs_sample__free(procs);
		ks_err("cannot read the collectors: %s", strerror(-err));
		return err;
	}
	/* the model owns them now */
	r->m->procs = procs;
	r->m->procs_start = r->procs_start;
	r->procs_start = NULL;
	err = ks_capture_writer__write(r->w, r->m);
	if (err) {
		ks_err("cannot write the capture: %s", strerror(-err));
		return err;
	}
	r->chunks++;
	return 0;
}

static int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		KS_COLLECT_LONGOPTS,
		{ "collectors", required_argument, NULL, OPT_COLLECTORS },
		{ "freq", required_argument, NULL, 'F' },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "no-procs", no_argument, NULL, OPT_NO_PROCS },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct ks_cmd *cmd = ks_cmd_find("record");
	struct ks_collect_opts co = { .sz = sizeof(co), .output_in_place = true };
	struct ks_collectors_opts cc = { .sz = sizeof(cc) };
	struct ks_capture_writer_opts wo = { .sz = sizeof(wo) };
	struct rec r = { .procs = true, .co = &co };
	char cmdline[512] = "", bad[64];
	unsigned long v;
	int ch, rc, i, ret = KS_EXIT_FAIL;

	optind = 1;
	while ((ch = ks_cmd_getopt(cmd, argc, argv, KS_COLLECT_SHORTOPTS "F:h", opts, &co,
				   &rc)) != -1) {
		switch (ch) {
		case OPT_COLLECTORS:
			if (ks_collectors_check(optarg, bad, sizeof(bad)))
				return ks_usage_error(cmd, "unknown collector '%s'", bad);
			cc.list = optarg;
			break;
		case 'F':
			if (ks_parse_uint(optarg, "--freq", 1, 10000, &v))
				return KS_EXIT_USAGE;
			cc.freq = v;
			break;
		case OPT_MODE: {
			char *end;

			v = strtoul(optarg, &end, 8);
			if (*end || !*optarg || v > 0777)
				return ks_usage_error(cmd, "--mode: expected an octal mode, saw '%s'",
						      optarg);
			wo.mode = v;
			break;
		}
		case OPT_NO_PROCS:
			r.procs = false;
			break;
		default:
			return ks_usage_error(cmd, "invalid option");
		}
	}
	if (rc >= 0)
		return rc;
	if (!co.output || !strcmp(co.output, "-"))
		return ks_usage_error(cmd, "-o FILE is required (a capture is binary)");
	if (co.json)
		return ks_usage_error(cmd, "--json does not apply to record");
	if (!co.interval)
		co.interval = 1;
	if (ks_collect_finish(&co))
		return KS_EXIT_FAIL;
	if (ks_check_privileges())
		return KS_EXIT_FAIL;
	for (i = 0; i < argc; i++) {
		size_t n = strlen(cmdline);

		snprintf(cmdline + n, sizeof(cmdline) - n, "%s%s", i ? " " : "kscope ", argv[i]);
	}
	cc.pids = co.npids ? co.pids : NULL;
	cc.npids = co.npids;
	cc.cgroup_id = co.cgroup_id;
	cc.threads = co.threads;
	ks_setup_signals();
	r.c = ks_collectors__open(&cc);
	if (!r.c) {
		ks_err("no collector could be loaded");
		goto cleanup;
	}
	wo.collectors = ks_collectors__names(r.c);
	wo.options = cmdline;
	wo.interval_s = co.interval;
	r.w = ks_capture_writer__open(co.output, &wo);
	r.m = ks_model__new();
	if (!r.w || !r.m)
		goto cleanup;
	if (r.procs) {
		r.procs_flags = (co.threads ? KS_PROCS_THREADS : 0) |
				(co.cgroup_id ? KS_PROCS_CGROUP : 0);
		r.procs_start = take_procs(&r);
	}
	fprintf(stderr, "Recording (%s) to %s every %gs%s... Hit Ctrl-C to end.\n",
		ks_collectors__names(r.c), co.output, co.interval,
		co.npids ? " for the given processes" : "");
	if (ks_collect_loop_poll(&co, tick, drain, &r))
		goto cleanup;
	ret = 0;
cleanup:
	if (r.w) {
		uint64_t bytes = ks_capture_writer__bytes(r.w);

		if (ks_capture_writer__close(r.w, ret == 0)) {
			ks_err("cannot finish %s", co.output);
			ret = KS_EXIT_FAIL;
		} else {
			fprintf(stderr, "%s: %u intervals, %llu bytes%s\n", co.output, r.chunks,
				(unsigned long long)bytes, ret ? " (incomplete)" : "");
		}
	}
	ks_procs_sample__free(r.procs_start);
	ks_model__free(r.m);
	ks_collectors__free(r.c);
	return ret;
}
KS_COMMAND(record, 60, "Record collectors' data to a capture file for later views",
	   cmd_record, usage);
