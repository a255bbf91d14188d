/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run-queue latency collector (bpf/runqlat.bpf.c + user/runqlat.c): time from
 * a task becoming runnable (sched_wakeup, sched_wakeup_new, or preempted at
 * sched_switch while still TASK_RUNNING) to running (sched_switch in), as a
 * system-wide histogram and per process, thread or cgroup, with voluntary
 * and involuntary (preemption) context switch counts.
 */
#ifndef KS_RUNQLAT_H
#define KS_RUNQLAT_H

#include "ks_types.h"

/* Grouping of the per-row histograms (BPF rodata). */
enum ks_runq_group {
	KS_RUNQ_BY_PROCESS = 0,
	KS_RUNQ_BY_THREAD,
	KS_RUNQ_BY_CGROUP,
	KS_RUNQ_BY_NONE,		/* system-wide histogram only: cheapest */
};

/* BPF map key/value of the per-row aggregation. */
struct ks_runq_key {
	__u32 pid;			/* tgid, tid (thread mode) or 0 (cgroup mode) */
	__u32 tgid;
	__u64 cgid;			/* cgroup mode only */
};

struct ks_runq_val {
	struct ks_hist hist;
	__u64 preempt;			/* switched out while runnable */
	__u64 ctxsw;			/* switched out to sleep */
	char comm[KS_COMM_LEN];
};

/*
 * Per-CPU row cache of the sched_info flavour (the default): a direct-mapped
 * per-CPU array in front of the "rows" hash. A row's slot is claimed for
 * good by the first key that hashes there on that CPU; later switches of
 * that key add to it with plain stores (an inlined array access instead of
 * a hash lookup and atomics: see bpf/runqlat.bpf.c). Slots are cumulative;
 * user space diffs them against its last read. hist.max_ns is per read
 * interval: reset on the first update after "epoch" moved.
 */
#define KS_RUNQ_CACHE		256

struct ks_runq_slot {
	struct ks_runq_key key;
	__u32 used;
	__u32 max_epoch;		/* "epoch" (bss) when hist.max_ns was last reset */
	struct ks_runq_val v;
};

static inline __u32 ks_runq_slot_of(const struct ks_runq_key *k)
{
	return (k->pid * 2654435761u ^ (__u32)(k->cgid ^ k->cgid >> 32) * 40503u) >> 8 &
	       (KS_RUNQ_CACHE - 1);
}

#ifndef __VMLINUX_H__
#include <stdbool.h>
#include <stddef.h>
#include "ks_model.h"

struct ks_runqlat_opts {
	size_t sz;			/* sizeof(struct ks_runqlat_opts) */
	const __u32 *pids;		/* -p (NULL: all) */
	int npids;
	__u64 cgroup_id;		/* --cgroup (0: any) */
	enum ks_runq_group group;
	bool no_counts;			/* skip the per-task switch counts (cheaper) */
	/*
	 * Time waits from sched_wakeup to sched_switch with our own clock reads
	 * (bcc/libbpf-tools runqlat's definition) instead of the scheduler's
	 * sched_info accounting (the default where the kernel has it).
	 */
	bool wakeup_clock;
};

/* A per-cgroup row, when grouping by cgroup. */
struct ks_runq_cgroup {
	__u64 cgid;
	char path[256];			/* under /sys/fs/cgroup, "" if not found */
	struct ks_hist hist;
	__u64 preempt, ctxsw;
};

struct ks_runqlat;

/* Open, load, attach (tp_btf, else raw_tp, else classic). NULL + errno. */
struct ks_runqlat *ks_runqlat__open(const struct ks_runqlat_opts *opts);
/*
 * Move what was seen since the last read into @m: runq_all, per task runq
 * hist + preempt/ctxsw, lost counts and gaps. In cgroup mode the rows go
 * to ks_runqlat__cgroups() instead of tasks.
 */
int ks_runqlat__read(struct ks_runqlat *c, struct ks_model *m);
/* Cgroup rows of the last read (valid until the next read). */
const struct ks_runq_cgroup *ks_runqlat__cgroups(const struct ks_runqlat *c, size_t *n);
/* Attach kind in use: "tp_btf", "raw_tp", "tracepoint". */
const char *ks_runqlat__attach_kind(const struct ks_runqlat *c);
/* "sched_info" (the scheduler's run-queue clock) or "wakeup" (ours). */
const char *ks_runqlat__clock(const struct ks_runqlat *c);
void ks_runqlat__free(struct ks_runqlat *c);
#endif

#endif /* KS_RUNQLAT_H */
