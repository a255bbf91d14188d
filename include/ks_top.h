/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The top view's data side (user/top_model.c): per-interval rows built from
 * the /proc scan (include/ks_procs.h) and the collectors' struct ks_model,
 * with interval deltas, short-lived process retention, sorting, filtering,
 * tree order and cgroup grouping. Unit-testable: no ncurses, no BPF.
 *
 * One interval comes from either source through ks_top__update(): live,
 * a /proc reading (ks_procs_sample__take) and the collectors' model; in a
 * replay (user/top_replay.c), both out of a capture. It runs:
 *	ks_top__begin(t, now_ns);
 *	ks_top__add_proc(t, p) per row of the reading;
 *	ks_top__end(t, model);				(deltas, BPF merge, exited rows)
 *	ks_top__set_sys(...);				(header)
 *	ks_top__arrange(t);				(sort + filter + tree -> t->order)
 */
#ifndef KS_TOP_H
#define KS_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "ks_model.h"
#include "ks_procs.h"

enum ks_top_col {
	KS_COL_PID = 0,
	KS_COL_USER,
	KS_COL_STATE,
	KS_COL_CPU,
	KS_COL_RUNQ_AVG,
	KS_COL_RUNQ_P99,
	KS_COL_OFF,		/* off-CPU total */
	KS_COL_OFF_RUNQ,	/* ... waiting for a CPU */
	KS_COL_OFF_IO,
	KS_COL_OFF_SLEEP,
	KS_COL_OFF_LOCK,
	KS_COL_IO_P99,
	KS_COL_SYSC,
	KS_COL_FAULTS,
	KS_COL_CSW,
	KS_COL_RSS,
	KS_COL_THREADS,
	KS_COL_COMM,
	KS_COL__COUNT,
};

/* Signals that come from collectors; a missing one shows "n/a". */
enum ks_top_have {
	KS_HAVE_RUNQ = 1 << 0,		/* runqlat: RUNQ avg/p99, ctx switches */
	KS_HAVE_OFFCPU = 1 << 1,	/* offcpu: OFF% by reason */
	KS_HAVE_IO = 1 << 2,		/* biolat: IO p99 per process */
	KS_HAVE_SYSC = 1 << 3,		/* syscalls: syscalls/s */
	KS_HAVE_LOCK = 1 << 4,		/* lock waits attributed (OFF lock) */
	KS_HAVE_PROCS = 1 << 5,		/* /proc: user, state, CPU%, faults, RSS, threads */
};

/* Replay (top -i FILE): where the shown interval lies in its capture. */
struct ks_top_cursor {
	bool replay;			/* false: live data */
	size_t pos, count;		/* shown interval, 1-based, of count */
	double offset_s;		/* its end, seconds after the capture's start */
	bool end;			/* the last interval: nothing follows */
	bool threads;			/* the capture's rows are threads (record -T) */
	bool cgroups;			/* it has cgroup paths (rows per cgroup) */
	char file[128];
	char host[128];
	char kernel[128];
};

struct ks_top_row {
	uint32_t pid, tgid, ppid, uid;
	char comm[KS_COMM_LEN];
	char user[16];
	char state;
	bool exited;			/* gone: shown once for its last interval */
	bool from_bpf_only;		/* never seen in /proc (lived < one scan) */
	double cpu_pct;			/* NAN: no earlier sample */
	double runq_avg_ms, runq_p99_ms;	/* NAN: n/a */
	uint64_t runq_count;
	double off_pct[KS_OFF__COUNT];	/* NAN: n/a */
	double off_total_pct;
	double io_p99_ms;
	double sysc_s, faults_s, csw_s;
	uint64_t rss_kb;
	uint32_t threads;
	char cgroup[96];
	/* tree */
	int depth;
	bool last_child;
};

/* Per-pid memory across intervals (the previous sample). */
struct ks_top_prev {
	struct ks_proc p;
	uint64_t seen_ns;
};

struct ks_top_sys {
	int ncpus;
	double cpu_pct[KS_SYS_MAX_CPUS + 1];	/* [0]: all */
	double load[3];
	uint32_t nr_running, nr_tasks;
	uint64_t mem_total_kb, mem_avail_kb;
	struct ks_psi psi[KS_PSI__COUNT];
	char psi_reason[160];
	double runq_p99_ms, io_p99_ms;		/* NAN: n/a */
	uint64_t runq_count, io_count;
	double self_cpu_pct;			/* kscope's own CPU */
	double self_bpf_pct;			/* its BPF programs' run time, % of one CPU */
	uint64_t self_bpf_events;		/* program runs in the interval */
	int self_nprogs;
	bool self_bpf_stats;
	uint64_t lost;
	size_t ngaps;
	struct ks_gap gaps[32];
};

struct ks_top {
	/* settings */
	enum ks_top_col sort;
	bool invert;			/* ascending instead of the column's default */
	bool tree;
	bool threads;
	bool by_cgroup;			/* rows are cgroups (sums of their processes) */
	char filter[64];		/* comm/user/pid substring; "" = all */
	unsigned int have;		/* enum ks_top_have */

	/* the interval */
	uint64_t t_prev_ns, t_now_ns;
	double wall;			/* wall clock at t_now (time(2) seconds); 0: unknown */
	double interval_s;
	int generation;			/* intervals completed */
	uint32_t hz;			/* clock ticks per second of the tick counters; 0: ours */
	bool tasks_only;		/* no /proc reading: rows are the collectors' tasks */
	struct ks_top_cursor cursor;

	/* rows of the last interval; order = visible rows, arranged */
	size_t nrows, rows_cap;
	struct ks_top_row *rows;
	size_t norder;
	uint32_t *order;

	/* previous and current /proc samples, sorted by pid */
	size_t nprev, prev_cap, ncur, cur_cap;
	struct ks_top_prev *prev, *cur;

	/* header */
	struct ks_sys sys_prev;
	bool sys_have_prev;
	struct ks_top_sys sys;
	struct ks_self_cost self_prev;
	bool self_have_prev;
};

struct ks_top *ks_top__new(void);
void ks_top__free(struct ks_top *t);

void ks_top__begin(struct ks_top *t, uint64_t now_ns);
int ks_top__add_proc(struct ks_top *t, const struct ks_proc *p);
int ks_top__add_proc_cb(void *t, const struct ks_proc *p);	/* for ks_procs_scan */
/* Deltas against the previous interval; merge @m (may be NULL); exited rows. */
int ks_top__end(struct ks_top *t, const struct ks_model *m);
/* Header: per-CPU utilization from two /proc/stat reads, PSI, our own cost. */
void ks_top__set_sys(struct ks_top *t, const struct ks_sys *s, const struct ks_model *m,
		     const struct ks_self_cost *self);

/*
 * One interval from either source: the /proc reading @s (NULL: none, rows
 * from @m's tasks), the collectors' model @m (NULL: none) and our own cost
 * @self (NULL: n/a). Runs begin, add_proc, end, set_sys and arrange.
 */
int ks_top__update(struct ks_top *t, const struct ks_procs_sample *s, const struct ks_model *m,
		   const struct ks_self_cost *self);
/* Forget the previous interval (a replay jumped): the next one has no deltas. */
void ks_top__forget(struct ks_top *t);

/* Sort, filter, tree: fills t->order. */
void ks_top__arrange(struct ks_top *t);
/* First visible row at or after position @from whose comm/user/pid contains @s; -1. */
long ks_top__search(const struct ks_top *t, const char *s, size_t from);
const struct ks_top_row *ks_top__row(const struct ks_top *t, size_t pos);

/* Column metadata */
const char *ks_top_col_name(enum ks_top_col c);		/* "CPU%", "RUNQp99" */
const char *ks_top_col_key(enum ks_top_col c);		/* JSON/CSV key: "cpu_pct" */
bool ks_top_col_available(const struct ks_top *t, enum ks_top_col c);

/*
 * When the shown interval ended, local time ("12:03:07", with @date
 * "2024-05-01 12:03:07"); in a replay followed by the offset into the
 * capture and the cursor: "12:03:07 +00:17 [18/60]".
 */
void ks_top__time_str(const struct ks_top *t, char *buf, size_t n, bool date);

/*
 * Batch output of the arranged rows, one print path per format; @first:
 * the first interval printed (CSV writes its header line then).
 */
enum ks_top_format { KS_TOP_TEXT, KS_TOP_JSON, KS_TOP_CSV };
void ks_top__print(const struct ks_top *t, FILE *f, enum ks_top_format fmt, size_t max_rows,
		   bool first);

#endif /* KS_TOP_H */
