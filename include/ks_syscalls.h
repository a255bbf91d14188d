/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Syscall collector (bpf/syscalls.bpf.c + user/syscalls.c): per process and
 * syscall number, count, errors (return in [-4095, -1]), total time and a
 * latency histogram, from raw_syscalls:sys_enter/sys_exit. Aggregated in a
 * per-CPU hash in the kernel; timing can be switched off for pure counting.
 */
#ifndef KS_SYSCALLS_H
#define KS_SYSCALLS_H

#include "ks_types.h"

struct ks_sc_key {
	__u32 tgid;
	__u32 nr;
};

/*
 * Per (process, syscall): counts and time, small so that the per-CPU hash
 * can be preallocated (no allocation on the hot path, no transient -ENOMEM).
 */
struct ks_sc_val {
	__u64 count;
	__u64 errors;
	__u64 timed;		/* calls with a measured latency */
	__u64 sum_ns;
	__u64 max_ns;
	char comm[KS_COMM_LEN];
};

/* Latency histograms are per syscall number (of the -p/--cgroup tasks). */
#define KS_SC_MAX_NR	1024

/*
 * Per-CPU row cache in front of the "rows" hash: slot hash(tgid, nr), claimed
 * by the first row that lands there and never evicted by BPF; its counts
 * are cumulative (user space diffs them). Rows that find their slot taken go
 * to the hash. Saves the hash lookup (~55 ns here) on most syscalls.
 */
#define KS_SC_CACHE	1024

struct ks_sc_slot {
	__u32 tgid;
	__u32 nr;
	__u32 max_epoch;	/* "epoch" (bss) when max_ns was last raised */
	__u32 pad;
	struct ks_sc_val v;
};

static inline __u32 ks_sc_slot_of(__u32 tgid, __u32 nr)
{
	return (tgid * 2654435761u + nr * 40503u) >> 8 & (KS_SC_CACHE - 1);
}

/*
 * Adaptive latency sampling (on by default): while a CPU makes more than
 * about 100k syscalls/s, only one call in 2^shift is timed (shift <= 6),
 * picked by a per-CPU xorshift. Counts and errors stay exact; totals and
 * averages are estimated from the timed calls, and output says so.
 */
#define KS_SC_SAMPLE_MAX_SHIFT	6
#define KS_SC_SAMPLE_GAP_NS	10000	/* timed calls closer than this: halve */
#define KS_SC_UNTIMED		1	/* start "timestamp" of a call not timed */

#ifndef __VMLINUX_H__
#include <stdbool.h>
#include <stddef.h>
#include "ks_model.h"

struct ks_syscalls_opts {
	size_t sz;			/* sizeof(struct ks_syscalls_opts) */
	const __u32 *pids;		/* -p (NULL: all) */
	int npids;
	__u64 cgroup_id;		/* --cgroup (0: any) */
	bool no_timing;			/* count and errors only: no sys_enter program */
	bool exact_timing;		/* time every call, however high the rate */
	bool per_thread;		/* rows keyed by tid */
};

struct ks_syscalls;

/* Open, load, attach (tp_btf, else raw_tp, else classic). NULL + errno. */
struct ks_syscalls *ks_syscalls__open(const struct ks_syscalls_opts *opts);
/*
 * Move what was seen since the last read into @m: syscall rows per process
 * (pid != 0: count, errors, lat.count/sum_ns/max_ns -- no histogram
 * buckets) and per syscall over all traced tasks (pid 0: with the full
 * latency histogram), per-task syscall counters, lost counts and gaps.
 */
int ks_syscalls__read(struct ks_syscalls *c, struct ks_model *m);
const char *ks_syscalls__attach_kind(const struct ks_syscalls *c);
void ks_syscalls__free(struct ks_syscalls *c);

/* Name of syscall @nr on this architecture ("getppid"), NULL if unknown. */
const char *ks_syscall_name(unsigned int nr);
/* Number of syscall @name, -1 if unknown. */
int ks_syscall_nr(const char *name);
#endif

#endif /* KS_SYSCALLS_H */
