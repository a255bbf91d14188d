/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Options every collector front end shares (issue 5): -p PID[,PID...],
 * --cgroup PATH, -d SECONDS, -i SECONDS, --json, -o FILE, -T/--threads,
 * plus the helpers that turn them into BPF filter state: cgroup path ->
 * cgroup v2 id, and the pid filter map.
 *
 * A front end (tools/<name>.c) puts KS_COLLECT_SHORTOPTS / KS_COLLECT_LONGOPTS
 * in its getopt tables and reads its options with ks_cmd_getopt()
 * (tools/cmd.h), which hands the shared ones to ks_collect_parse_opt(); then
 * ks_collect_finish() (resolves --cgroup), the collector's open, and
 * ks_collect_run() with the collector's read and print:
 *
 *	optind = 1;
 *	while ((c = ks_cmd_getopt(cmd, argc, argv, KS_COLLECT_SHORTOPTS "m", opts,
 *				  &o.co, &rc)) != -1)
 *		switch (c) { ...own options... }
 *	if (rc >= 0)
 *		return rc;
 *	if (ks_collect_finish(&o.co))
 *		return KS_EXIT_FAIL;
 *	o.c = ks_<name>__open(...);
 *	ret = ks_collect_run(&(struct ks_collect_cmd){ .co = &o.co, .read = .., ... });
 */
#ifndef KS_COLLECT_H
#define KS_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "ks_features.h"
#include "ks_types.h"

/* getopt_long codes of the shared long-only options */
enum {
	KS_OPT_CGROUP = 0x1000,
	KS_OPT_JSON,
};

#define KS_COLLECT_SHORTOPTS "p:d:i:o:T"
#define KS_COLLECT_LONGOPTS						\
	{ "pid", required_argument, NULL, 'p' },			\
	{ "cgroup", required_argument, NULL, KS_OPT_CGROUP },		\
	{ "duration", required_argument, NULL, 'd' },			\
	{ "interval", required_argument, NULL, 'i' },			\
	{ "json", no_argument, NULL, KS_OPT_JSON },			\
	{ "output", required_argument, NULL, 'o' },			\
	{ "threads", no_argument, NULL, 'T' }

/* Usage lines for the shared options, to paste in a command's usage(). */
#define KS_COLLECT_USAGE						\
"  -p, --pid PID[,PID]  only these processes (default: the whole system)\n"	\
"      --cgroup PATH    only tasks in this cgroup v2 directory (absolute, or\n"	\
"                       relative to /sys/fs/cgroup)\n"			\
"  -d, --duration SECS  stop after SECS (default: until Ctrl-C)\n"		\
"  -i, --interval SECS  print every SECS (default: once, at the end)\n"	\
"      --json           JSON output (one object per interval)\n"		\
"  -o, --output FILE    write there (written as FILE.incomplete, renamed when done)\n" \
"  -T, --threads        rows per thread instead of per process\n"

struct ks_collect_opts {
	size_t sz;			/* sizeof(struct ks_collect_opts) */
	__u32 pids[KS_MAX_PIDS];	/* -p */
	int npids;
	const char *cgroup_path;	/* --cgroup as given */
	__u64 cgroup_id;		/* resolved by ks_collect_finish(); 0: any */
	double duration;		/* -d, seconds; 0: until Ctrl-C */
	double interval;		/* -i, seconds; 0: one report at the end */
	bool json;			/* --json */
	const char *output;		/* -o; NULL: stdout */
	bool threads;			/* -T: per thread rows */
	bool output_in_place;		/* -o is written in place, not as FILE.incomplete */
};

/*
 * Handle one shared option. Returns 0 when handled, -ENOENT when @opt is
 * not a shared option (the caller handles it), -EINVAL on a bad value and
 * -ESRCH for a pid that does not exist (message printed for both).
 */
int ks_collect_parse_opt(int opt, const char *arg, struct ks_collect_opts *o);
/* KS_EXIT_USAGE for -EINVAL, KS_EXIT_FAIL otherwise. */
int ks_collect_exit_code(int err);
/*
 * After parsing: resolve --cgroup to its id, and check that -o can be
 * written (its directory takes FILE.incomplete, unless output_in_place),
 * before any BPF is loaded. Message printed.
 */
int ks_collect_finish(struct ks_collect_opts *o);

/*
 * cgroup v2 directory -> the id bpf_get_current_cgroup_id() returns (the
 * kernfs node id: name_to_handle_at(), falling back to the inode number).
 * Relative paths are taken under /sys/fs/cgroup. 0 or -errno.
 */
int ks_cgroup_id(const char *path, __u64 *id);

/* Fill a BPF hash map (key __u32 tgid, value __u8) with the -p pids (message printed). */
int ks_collect_set_pids(int map_fd, const __u32 *pids, int npids);

/*
 * The end of a collector's opening, its skeleton loaded: the -p filter
 * filled (@pids_fd, its ks_pids map), the programs attached, and "NAME:
 * attached with KIND@note" logged. 0 or -errno, message printed.
 */
struct bpf_object_skeleton;
int ks_collect_attach(struct bpf_object_skeleton *s, const char *name, enum ks_tp_kind kind,
		      int pids_fd, const __u32 *pids, int npids, const char *note);

/*
 * The tracepoint attach kind a collector should use: ks_tp_best(), unless
 * KSCOPE_TP=tp_btf|raw_tp|tracepoint forces one (tests of the fallbacks).
 * Mounts tracefs for classic tracepoints. KS_TP_NONE (message printed) if
 * none works.
 */
enum ks_tp_kind ks_collect_tp_kind(void);

/*
 * The run loop of a one-shot collector command: calls @report(ctx, last)
 * every -i interval and once at the end (-d elapsed, Ctrl-C, or every -p
 * target exited; last = true). Without -i, only the final call. Stops
 * early when @report returns non-zero, and returns that value. For
 * collectors that stream to ring buffers, @poll(ctx, timeout_ms) drains
 * them between checks (waiting at most 100 ms); NULL: a sleep. A negative
 * return from @poll ends the loop with that error.
 */
int ks_collect_loop_poll(const struct ks_collect_opts *o, int (*report)(void *ctx, bool last),
			 int (*poll)(void *ctx, int timeout_ms), void *ctx);

/*
 * A collector command once its options are parsed, as ks_collect_run()
 * drives it. At every report the model is emptied and its interval closed,
 * then @read fills it from the collector (-errno ends the run) and
 * @print_json (--json) or @print_text (any other output) writes it.
 * @poll drains ring buffers between checks (NULL: none).
 */
struct ks_model;
struct ks_collect_cmd {
	const struct ks_collect_opts *co;
	const char *name;	/* the collector, for errors: "biolat" */
	/* not with --json: */
	const char *tracing;	/* stderr banner "Tracing <tracing>..."; NULL: none */
	bool blank_between;	/* a blank line between two reports */
	int (*read)(void *ctx, struct ks_model *m, double secs);
	int (*print_text)(void *ctx, FILE *f, struct ks_model *m, double secs);
	int (*print_json)(void *ctx, FILE *f, struct ks_model *m, double secs);	/* --json */
	int (*poll)(void *ctx, int timeout_ms);
	void *ctx;
};

/*
 * The rest of the command: the model, -o FILE (complete or left as
 * FILE.incomplete), the banner and the run loop. Returns its exit code.
 */
int ks_collect_run(const struct ks_collect_cmd *cmd);

/* What a report could not see: "LOST: N events", "unavailable: SIGNAL: REASON" lines. */
void ks_collect_gaps_text(FILE *f, const struct ks_model *m);
/* The same in JSON: ,"lost":N,"unavailable":[{"signal":..,"reason":..}] */
void ks_collect_gaps_json(FILE *f, const struct ks_model *m);

/* With -p: is any target still alive? (true without -p) */
bool ks_collect_alive(const struct ks_collect_opts *o);
/* Is any of these processes alive (or not ours to signal)? */
bool ks_pids_alive(const __u32 *pids, int npids);

#endif /* KS_COLLECT_H */
