// SPDX-License-Identifier: GPL-2.0
/*
 * kscope top: the live, kernel-assisted top view, or the replay of a
 * capture (-i FILE). Wiring only: the interval comes either from the /proc
 * scanner (user/procs.c) and the collectors (runqlat, offcpu; profiler and
 * per-process offcpu stacks for the process view), or from a capture
 * (user/top_replay.c); the model side (user/top_model.c) takes both through
 * ks_top__update, and either the screen (user/top_ui.c) or batch output
 * shows it.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "ks_biolat.h"
#include "ks_collect.h"
#include "ks_locks.h"
#include "ks_model.h"
#include "ks_offcpu.h"
#include "ks_procs.h"
#include "ks_profiler.h"
#include "ks_runqlat.h"
#include "ks_syscalls.h"
#include "ks_top.h"
#include "ks_top_replay.h"
#include "ks_top_ui.h"
#include "ks_util.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope top [-b] [-n COUNT] [-i SECONDS] [--format text|json|csv] [options]\n"
"       kscope top -i CAPTURE [-b] [-n COUNT] [-d TENTHS] [--format ...] [options]\n"
"\n"
"Live top view with kernel-assisted columns: run-queue latency, off-CPU time\n"
"by reason (waiting for CPU, I/O, sleep, lock), I/O latency, syscalls, page\n"
"faults and context switches per process. Signals a collector cannot give\n"
"show as n/a and are listed with the reason.\n"
"With a capture (kscope record -o FILE), the same view replays it interval\n"
"by interval, marked REPLAY: no BPF, no root, nothing read from this\n"
"machine's /proc (users, RSS, threads are the recorded ones).\n"
"\n"
"  -b, --batch          no screen: print every interval (for scripts, pipes)\n"
"  -n, --iterations N   stop after N intervals (batch; default: until Ctrl-C,\n"
"                       or the whole capture)\n"
"  -i SECS | CAPTURE    a number is the refresh interval (default 1.5;\n"
"                       0.1 .. 3600), anything else a capture to replay\n"
"                       (write ./5 for a capture file named 5)\n"
"      --interval SECS  refresh interval, only a number\n"
"      --input CAPTURE  replay this capture, whatever its name\n"
"  -d, --delay TENTHS   htop's refresh interval, in tenths of a second; in a\n"
"                       replay the playback speed (default: as recorded)\n"
"      --format FMT     batch output: text (default), json (one object per\n"
"                       interval with a \"processes\" array), csv\n"
"  -s, --sort COL       sort column: cpu, runq, runq_avg, off, io, sysc, faults,\n"
"                       csw, rss, threads, pid, user, comm (default cpu)\n"
"  -r, --reverse        invert the sort order\n"
"  -H, --threads        one row per thread\n"
"  -t, --tree           process tree\n"
"      --by-cgroup      one row per cgroup\n"
"  -f, --filter STR     only rows whose command, user or pid matches STR\n"
"  -N, --rows N         batch: print at most N rows per interval\n"
"      --locks          attribute lock (futex) waits: the oLCK column (costs more)\n"
"      --no-syscalls    no syscall counting (SYSC/s n/a): cheapest on\n"
"                       syscall-heavy loads\n"
"      --no-bpf         /proc only (no collectors; their columns show n/a)\n"
"  -h, --help           this help\n"
"\n"
"Keys: F6 < > sort column, I invert, / search, \\ filter, t tree, H threads,\n"
"      C cgroups, space/Z pause, k signal, + - interval, Enter process view,\n"
"      h ? F1 help, q F10 quit.\n"
"Replay: t / T next / previous interval (pauses), space/Z play / pause\n"
"      (one interval per refresh), + - playback speed, F5 tree, k refused.\n"
"      The header shows REPLAY, host and kernel of the capture and the time\n"
"      cursor: wall clock, offset, interval (12:03:07 +00:17 [18/60]).\n"
"\n"
"Examples:\n"
"  kscope top                           # interactive\n"
"  kscope top -s runq                   # worst run-queue latency first\n"
"  kscope top -b -n 3 -i 1 --format json | jq '.processes[0]'\n"
"  kscope top -b -n 1 -H -f nginx       # threads of nginx, once\n"
"  kscope record -d 60 -o run.kscap && kscope top -i run.kscap\n"
"  kscope top -i run.kscap -b --format json   # every interval, with its time\n");
}

enum {
	OPT_FORMAT = 0x2000, OPT_BY_CGROUP, OPT_NO_BPF, OPT_LOCKS, OPT_NO_SYSC, OPT_INTERVAL,
	OPT_INPUT,
};

struct top_ctx {
	struct ks_top *t;
	struct ks_model *m;
	struct ks_runqlat *rq;
	struct ks_offcpu *off;
	struct ks_biolat *bio;
	struct ks_syscalls *sc;
	struct ks_locks *lk;
	bool no_bpf, no_sysc, want_locks;
	char bpf_reason[128], io_reason[96], sc_reason[96], lk_reason[96];
	int stats_fd;
	struct ks_procs_sample *sample;	/* live: this interval's /proc reading */
	struct ks_top_replay *replay;	/* -i CAPTURE */
	/* process view */
	uint32_t dpid;
	struct ks_profiler *prof;
	struct ks_offcpu *doff;
	struct ks_model *dm;
};

static void collectors_close(struct top_ctx *c)
{
	ks_runqlat__free(c->rq);
	ks_offcpu__free(c->off);
	ks_biolat__free(c->bio);
	ks_syscalls__free(c->sc);
	ks_locks__free(c->lk);
	c->rq = NULL;
	c->off = NULL;
	c->bio = NULL;
	c->sc = NULL;
	c->lk = NULL;
	c->t->have = 0;
}

static int collectors_open(struct top_ctx *c)
{
	struct ks_runqlat_opts ro = { .sz = sizeof(ro) };
	struct ks_offcpu_opts oo = { .sz = sizeof(oo) };
	struct ks_biolat_opts bo = { .sz = sizeof(bo) };
	struct ks_syscalls_opts so = { .sz = sizeof(so) };
	struct ks_locks_opts lo = { .sz = sizeof(lo) };

	collectors_close(c);
	if (c->no_bpf)
		return 0;
	ro.group = c->t->threads ? KS_RUNQ_BY_THREAD : KS_RUNQ_BY_PROCESS;
	c->rq = ks_runqlat__open(&ro);
	if (c->rq)
		c->t->have |= KS_HAVE_RUNQ;
	else
		snprintf(c->bpf_reason, sizeof(c->bpf_reason), "runqlat failed to load: %s",
			 strerror(errno));
	/* reasons and totals only: stacks are for the process view */
	oo.threads = c->t->threads;
	oo.no_stacks = true;
	c->off = ks_offcpu__open(&oo);
	if (c->off)
		c->t->have |= KS_HAVE_OFFCPU;
	else if (!c->bpf_reason[0])
		snprintf(c->bpf_reason, sizeof(c->bpf_reason), "offcpu failed to load: %s",
			 strerror(errno));
	c->bio = ks_biolat__open(&bo);
	if (c->bio)
		c->t->have |= KS_HAVE_IO;
	else
		snprintf(c->io_reason, sizeof(c->io_reason), "biolat failed to load: %s",
			 strerror(errno));
	if (!c->no_sysc) {
		/* counts only: one program at sys_exit, no per-call timing */
		so.no_timing = true;
		so.per_thread = c->t->threads;
		c->sc = ks_syscalls__open(&so);
		if (c->sc)
			c->t->have |= KS_HAVE_SYSC;
		else
			snprintf(c->sc_reason, sizeof(c->sc_reason),
				 "syscalls failed to load: %s", strerror(errno));
	}
	if (c->want_locks && (c->t->have & KS_HAVE_OFFCPU)) {
		lo.threads = c->t->threads;
		c->lk = ks_locks__open(&lo);
		if (c->lk)
			c->t->have |= KS_HAVE_LOCK;
		else
			snprintf(c->lk_reason, sizeof(c->lk_reason), "locks failed to load: %s",
				 strerror(errno));
	}
	return 0;
}

/* One interval: collectors, /proc, header, arrangement. */
static int top_refresh(void *ctx)
{
	struct top_ctx *c = ctx;
	struct ks_self_cost self;
	int err;

	ks_model__reset(c->m);
	if (c->rq && (err = ks_runqlat__read(c->rq, c->m)))
		ks_model__gap(c->m, "runq latency", "read failed: %s", strerror(-err));
	if (c->off && (err = ks_offcpu__read(c->off, c->m)))
		ks_model__gap(c->m, "off-CPU time", "read failed: %s", strerror(-err));
	if (c->bio && (err = ks_biolat__read(c->bio, c->m)))
		ks_model__gap(c->m, "I/O latency", "read failed: %s", strerror(-err));
	if (c->sc && (err = ks_syscalls__read(c->sc, c->m)))
		ks_model__gap(c->m, "syscalls/s", "read failed: %s", strerror(-err));
	if (c->lk && (err = ks_locks__read(c->lk, c->m)))
		ks_model__gap(c->m, "lock waits", "read failed: %s", strerror(-err));
	if (c->no_bpf)
		ks_model__gap(c->m, "BPF columns", "%s", c->bpf_reason);
	else if (!(c->t->have & KS_HAVE_RUNQ))
		ks_model__gap(c->m, "runq latency", "%s", c->bpf_reason);
	else if (!(c->t->have & KS_HAVE_OFFCPU))
		ks_model__gap(c->m, "off-CPU time", "%s", c->bpf_reason);
	if (!c->no_bpf && !(c->t->have & KS_HAVE_IO))
		ks_model__gap(c->m, "I/O latency", "%s", c->io_reason);
	if (!c->no_bpf && !(c->t->have & KS_HAVE_SYSC))
		ks_model__gap(c->m, "syscalls/s", "%s", c->no_sysc ? "--no-syscalls" : c->sc_reason);
	if (!c->no_bpf && !(c->t->have & KS_HAVE_LOCK))
		ks_model__gap(c->m, "lock waits", "%s", c->want_locks ? c->lk_reason :
			      "off by default (futex waits streamed with stacks cost more); "
			      "--locks; futex waits count as sleep");

	err = ks_procs_sample__take(c->sample, (c->t->threads ? KS_PROCS_THREADS : 0) |
				    (c->t->by_cgroup ? KS_PROCS_CGROUP : 0));
	if (err < 0)
		return err;
	ks_self_cost_read(&self, c->stats_fd >= 0);
	return ks_top__update(c->t, c->sample, c->m, &self);
}

static int top_set_threads(void *ctx, bool threads)
{
	struct top_ctx *c = ctx;

	c->t->threads = threads;
	return collectors_open(c);
}

static void top_detail_close(void *ctx)
{
	struct top_ctx *c = ctx;

	ks_profiler__free(c->prof);
	ks_offcpu__free(c->doff);
	ks_model__free(c->dm);
	c->prof = NULL;
	c->doff = NULL;
	c->dm = NULL;
}

static int top_detail_open(void *ctx, uint32_t pid)
{
	struct ks_profiler_opts po = { .sz = sizeof(po) };
	struct ks_offcpu_opts oo = { .sz = sizeof(oo), .stack_min_us = KS_OFFCPU_STACK_MIN_US };
	struct top_ctx *c = ctx;

	top_detail_close(c);
	if (c->no_bpf)
		return -EPERM;
	c->dpid = pid;
	c->dm = ks_model__new();
	if (!c->dm)
		return -ENOMEM;
	po.pids = &c->dpid;
	po.npids = 1;
	c->prof = ks_profiler__open(&po);
	oo.pids = &c->dpid;
	oo.npids = 1;
	c->doff = ks_offcpu__open(&oo);
	return 0;
}

static const struct ks_model *top_detail_read(void *ctx)
{
	struct top_ctx *c = ctx;

	if (!c->dm)
		return NULL;
	ks_model__reset(c->dm);
	if (c->prof)
		ks_profiler__read_model(c->prof, c->dm);
	else
		ks_model__gap(c->dm, "on-CPU stacks", "profiler failed to load");
	if (c->doff)
		ks_offcpu__read(c->doff, c->dm);
	else
		ks_model__gap(c->dm, "off-CPU stacks", "offcpu failed to load");
	return c->dm;
}

static const struct ks_model *top_model(void *ctx)
{
	return ((struct top_ctx *)ctx)->m;
}

/* Replay: the interval after the shown one (at the start, the first). */
static int replay_next(void *ctx)
{
	struct top_ctx *c = ctx;

	return ks_top_replay__step(c->replay, c->t, 1);
}

static int replay_step(void *ctx, long delta)
{
	struct top_ctx *c = ctx;

	return ks_top_replay__step(c->replay, c->t, delta);
}

static int replay_set_threads(void *ctx, bool threads)
{
	return -EOPNOTSUPP;	/* rows are what the capture recorded */
}

static int replay_detail_open(void *ctx, uint32_t pid)
{
	struct top_ctx *c = ctx;

	top_detail_close(c);
	c->dpid = pid;
	c->dm = ks_model__new();
	return c->dm ? 0 : -ENOMEM;
}

static const struct ks_model *replay_detail_read(void *ctx)
{
	struct top_ctx *c = ctx;

	if (!c->dm || ks_top_replay__detail(c->replay, c->dpid, c->t->threads, c->dm))
		return NULL;
	return c->dm;
}

static const struct ks_model *replay_model(void *ctx)
{
	return ks_top_replay__model(((struct top_ctx *)ctx)->replay);
}

/* -i: a number is the refresh interval, anything else a capture. */
static bool is_number(const char *s)
{
	char *end;

	if (!((*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '+'))
		return false;
	strtod(s, &end);
	return end != s && !*end;
}

static int set_interval(const struct ks_cmd *cmd, const char *opt, const char *arg,
			double *interval)
{
	if (ks_parse_seconds(arg, opt, interval))
		return KS_EXIT_USAGE;
	if (*interval < 0.1 || *interval > 3600)
		return ks_usage_error(cmd, "%s must be 0.1 .. 3600 seconds", opt);
	return 0;
}

static int parse_sort(const char *s, enum ks_top_col *out)
{
	static const struct { const char *name; enum ks_top_col col; } names[] = {
		{ "cpu", KS_COL_CPU }, { "runq", KS_COL_RUNQ_P99 },
		{ "runq_avg", KS_COL_RUNQ_AVG }, { "off", KS_COL_OFF },
		{ "io", KS_COL_IO_P99 }, { "sysc", KS_COL_SYSC }, { "faults", KS_COL_FAULTS },
		{ "csw", KS_COL_CSW }, { "rss", KS_COL_RSS }, { "threads", KS_COL_THREADS },
		{ "pid", KS_COL_PID }, { "user", KS_COL_USER }, { "comm", KS_COL_COMM },
		{ "off_runq", KS_COL_OFF_RUNQ }, { "off_io", KS_COL_OFF_IO },
		{ "off_sleep", KS_COL_OFF_SLEEP }, { "off_lock", KS_COL_OFF_LOCK },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i].name)) {
			*out = names[i].col;
			return 0;
		}
	return -EINVAL;
}

/* Batch: print intervals as they come, from the collectors or a capture. */
static int run_batch(struct top_ctx *c, double interval, unsigned long count,
		     enum ks_top_format fmt, unsigned long rows)
{
	unsigned long n;
	int err;

	if (!c->replay && (err = top_refresh(c))) {
		/* live: a priming scan, then one report per interval */
		ks_err("top: reading /proc: %s", strerror(-err));
		return KS_EXIT_FAIL;
	}
	for (n = 0; (!count || n < count) && !ks_exiting; n++) {
		if (c->replay) {
			err = replay_next(c);
			if (err == -ERANGE)
				break;		/* the end of the capture */
			if (err) {
				ks_err("top: %s", ks_top_replay__error(c->replay));
				return KS_EXIT_FAIL;
			}
		} else {
			if (ks_sleep(interval) || ks_exiting)
				break;
			if ((err = top_refresh(c))) {
				ks_err("top: reading /proc: %s", strerror(-err));
				return KS_EXIT_FAIL;
			}
		}
		ks_top__print(c->t, stdout, fmt, rows, n == 0);
		if (ferror(stdout))
			break;
	}
	return 0;
}

/* -i CAPTURE: settings the capture decides, the playback speed. */
static int replay_open(struct top_ctx *c, const char *path, double *interval, bool interval_set)
{
	const struct ks_capture_meta *mt;
	const struct ks_top_cursor *rc;
	char msg[512];

	c->replay = ks_top_replay__open(path, msg, sizeof(msg));
	if (!c->replay) {
		ks_err("%s", msg);
		return -errno;
	}
	if (msg[0])
		ks_warn("%s", msg);
	mt = ks_top_replay__meta(c->replay);
	if (!interval_set && mt->interval_s >= 0.1 && mt->interval_s <= 3600)
		*interval = mt->interval_s;	/* as fast as it was recorded */
	/* rows are what was recorded */
	rc = ks_top_replay__cursor(c->replay);
	if (c->t->threads && !rc->threads)
		ks_warn("-H: %s has one row per process (record -T records threads)", path);
	if (c->t->by_cgroup && !rc->cgroups) {
		ks_warn("--by-cgroup: %s has no cgroup paths", path);
		c->t->by_cgroup = false;
	}
	return 0;
}

static int cmd_top(int argc, char **argv);
KS_COMMAND(top, 60, "Live top view with run-queue, off-CPU and I/O latency columns",
	   cmd_top, usage);

static int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "delay", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "sort", required_argument, NULL, 's' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "threads", no_argument, NULL, 'H' },
		{ "tree", no_argument, NULL, 't' },
		{ "by-cgroup", no_argument, NULL, OPT_BY_CGROUP },
		{ "filter", required_argument, NULL, 'f' },
		{ "rows", required_argument, NULL, 'N' },
		{ "no-bpf", no_argument, NULL, OPT_NO_BPF },
		{ "locks", no_argument, NULL, OPT_LOCKS },
		{ "no-syscalls", no_argument, NULL, OPT_NO_SYSC },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct ks_cmd *cmd = ks_cmd_find("top");
	struct top_ctx c = { .stats_fd = -1 };
	enum ks_top_format fmt = KS_TOP_TEXT;
	unsigned long count = 0, rows = 1000000, tenths;
	double interval = 1.5;
	bool batch = false, interval_set = false;
	const char *input = NULL;
	int ret = KS_EXIT_FAIL, opt, err;
	struct ks_top *t;

	t = ks_top__new();
	if (!t)
		return KS_EXIT_FAIL;
	c.t = t;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "bn:i:d:s:rHtf:N:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			batch = true;
			break;
		case 'n':
			if (ks_parse_uint(optarg, "-n", 1, 100000000, &count))
				goto usage_err;
			break;
		case 'i':
		case OPT_INTERVAL:
			if (opt == 'i' && !is_number(optarg)) {
				input = optarg;	/* -i CAPTURE */
				break;
			}
			err = set_interval(cmd, opt == 'i' ? "-i" : "--interval", optarg,
					   &interval);
			if (err) {
				ret = err;
				goto out;
			}
			interval_set = true;
			break;
		case OPT_INPUT:
			input = optarg;
			break;
		case 'd':
			if (ks_parse_uint(optarg, "-d", 1, 36000, &tenths))
				goto usage_err;
			interval = tenths / 10.0;
			interval_set = true;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "text"))
				fmt = KS_TOP_TEXT;
			else if (!strcmp(optarg, "json"))
				fmt = KS_TOP_JSON;
			else if (!strcmp(optarg, "csv"))
				fmt = KS_TOP_CSV;
			else {
				ret = ks_usage_error(cmd, "--format: text, json or csv, not '%s'",
						     optarg);
				goto out;
			}
			break;
		case 's':
			if (parse_sort(optarg, &t->sort)) {
				ret = ks_usage_error(cmd, "unknown sort column '%s'", optarg);
				goto out;
			}
			break;
		case 'r':
			t->invert = true;
			break;
		case 'H':
			t->threads = true;
			break;
		case 't':
			t->tree = true;
			break;
		case OPT_BY_CGROUP:
			t->by_cgroup = true;
			break;
		case 'f':
			snprintf(t->filter, sizeof(t->filter), "%s", optarg);
			break;
		case 'N':
			if (ks_parse_uint(optarg, "--rows", 1, 100000000, &rows))
				goto usage_err;
			break;
		case OPT_LOCKS:
			c.want_locks = true;
			break;
		case OPT_NO_SYSC:
			c.no_sysc = true;
			break;
		case OPT_NO_BPF:
			c.no_bpf = true;
			snprintf(c.bpf_reason, sizeof(c.bpf_reason), "--no-bpf");
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			ret = ks_usage_error(cmd, "invalid option");
			goto out;
		}
	}
	if (optind < argc) {
		ret = ks_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!batch && !isatty(STDOUT_FILENO)) {
		/* like top: a pipe gets batch output */
		batch = true;
	}
	ks_setup_signals();
	if (input) {
		if (c.want_locks || c.no_sysc) {
			ret = ks_usage_error(cmd, "--locks and --no-syscalls choose live collectors; "
					     "a capture has what was recorded");
			goto out;
		}
		if (replay_open(&c, input, &interval, interval_set))
			goto out;
	} else {
		if (!c.no_bpf && geteuid() != 0) {
			/* still useful from /proc alone; say what is missing */
			c.no_bpf = true;
			snprintf(c.bpf_reason, sizeof(c.bpf_reason),
				 "not root: BPF collectors need CAP_BPF + CAP_PERFMON");
		}
		if (!c.no_bpf) {
			ks_libbpf_setup();
			c.stats_fd = ks_bpf_stats_enable();
		}
		c.m = ks_model__new();
		c.sample = ks_procs_sample__new();
		if (!c.m || !c.sample)
			goto out;
		collectors_open(&c);
	}

	if (!batch) {
		struct ks_top_ui_ops live = {
			.ctx = &c,
			.collect = top_refresh,
			.set_threads = top_set_threads,
			.detail_open = top_detail_open,
			.detail_read = top_detail_read,
			.detail_close = top_detail_close,
			.model = top_model,
		};
		struct ks_top_ui_ops replay = {
			.ctx = &c,
			.collect = replay_next,
			.step = replay_step,
			.set_threads = replay_set_threads,
			.detail_open = replay_detail_open,
			.detail_read = replay_detail_read,
			.detail_close = top_detail_close,
			.model = replay_model,
		};

		err = ks_top_ui_run(t, &interval, c.replay ? &replay : &live);
		if (err) {
			ks_err("top: %s", c.replay && ks_top_replay__error(c.replay)[0] ?
			       ks_top_replay__error(c.replay) : strerror(-err));
			goto out;
		}
		ret = 0;
		goto out;
	}
	ret = run_batch(&c, interval, count, fmt, rows);
	goto out;
usage_err:
	ret = KS_EXIT_USAGE;
out:
	top_detail_close(&c);
	if (c.m)
		collectors_close(&c);
	ks_model__free(c.m);
	ks_procs_sample__free(c.sample);
	ks_top_replay__free(c.replay);
	if (c.stats_fd >= 0)
		close(c.stats_fd);
	ks_top__free(t);
	return ret;
}
