/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Off-CPU time collector (bpf/offcpu.bpf.c + user/offcpu.c): time a task
 * spends switched out, by stack and reason (enum ks_offcpu_reason): waiting
 * for a CPU (preempted, or woken and not yet running), uninterruptible
 * (I/O and the like), interruptible sleep. Optionally with the stack of the
 * task that woke the sleeper.
 */
#ifndef KS_OFFCPU_H
#define KS_OFFCPU_H

#include "ks_types.h"

/* BPF aggregation key/value. */
struct ks_offcpu_key {
	__u32 tgid;
	__u32 pid;			/* tid in thread mode, else tgid */
	__u32 reason;			/* enum ks_offcpu_reason of the sleep part */
	__s32 kstack;			/* stack map ids, < 0: none */
	__s32 ustack;
	__s32 wkstack;			/* waker's stacks (--wakers) */
	__s32 wustack;
	__u32 wtgid;			/* waker (--wakers), 0 otherwise */
	char comm[KS_COMM_LEN];
	char wcomm[KS_COMM_LEN];
};

/* stack ids that are not ids: */
#define KS_KSTACK_SHORT		(-3)	/* period under the stack threshold: not taken */
#define KS_STACK_GONE		(-4)	/* user stack changed before it could be read */
#define KS_STACK_DEFERRED	(-5)	/* (kernel side only) to be taken at sys_exit */
#define KS_STACK_COPIED		(-6)	/* user stack copied: struct ks_offcpu_event */
#define KS_STACK_LOST		(-7)	/* the copy did not fit in the ring buffer */
#define KS_STACK_PREEMPTED	(-8)	/* preempted outside a system call: not taken */

/*
 * One update per off-CPU period: the sleep part under the key's reason,
 * the wait for a CPU after the wakeup under KS_OFF_RUNQ.
 */
struct ks_offcpu_val {
	__u64 ns[KS_OFF__COUNT];
	__u64 count;
};

/*
 * One off-CPU period whose user stack was copied (tp_btf, periods of at
 * least --stack-min-us that blocked in a system call), sent to the ring
 * buffer at the return from that call instead of being summed in the
 * kernel: what add() would have summed under @key (key.ustack is
 * KS_STACK_COPIED), and the user registers and stack to unwind with CFI.
 * s.tag is the reason, s.value blocked_ns. Only the first
 * offsetof(s) + KS_STACK_SAMPLE_HDR + s.ustack_len bytes are sent.
 */
struct ks_offcpu_event {
	struct ks_offcpu_key key;
	__u64 blocked_ns;		/* under key.reason */
	__u64 waited_ns;		/* under KS_OFF_RUNQ */
	struct ks_stack_sample s;	/* last: its stack copy has a variable length */
};

/* Counters beyond the shared drops (index into the "stats" percpu array). */
enum ks_offcpu_stat {
	KS_OFFCPU_SWITCHES = 0,		/* reserved (not counted: a lookup per switch) */
	KS_OFFCPU_PERIODS,		/* off-CPU periods ended and recorded */
	KS_OFFCPU_FILTERED,		/* periods outside -m/-M */
	KS_OFFCPU_STAT__COUNT,
};

#ifndef __VMLINUX_H__
#include <stdbool.h>
#include <stddef.h>
#include "ks_model.h"
#include "ks_syms.h"

/* --stack-min-us default: periods shorter than this keep time and reason only */
#define KS_OFFCPU_STACK_MIN_US	100

struct ks_offcpu_opts {
	size_t sz;			/* sizeof(struct ks_offcpu_opts) */
	const __u32 *pids;		/* -p (NULL: all) */
	int npids;
	__u64 cgroup_id;		/* --cgroup (0: any) */
	bool threads;			/* rows and stacks per thread */
	bool no_stacks;			/* reasons and totals only: cheapest */
	bool no_user;			/* kernel stacks only */
	bool wakers;			/* --wakers */
	__u64 min_us, max_us;		/* -m / -M on the whole off-CPU period (0: none) */
	__u64 stack_min_us;		/* kernel stacks only for periods this long (tp_btf);
					 * 0: every period (costly: a copy each) */
	struct ks_symbolizer *syms;	/* shared symbolizer (NULL: own one) */
	bool fp_only;			/* --unwind fp: frame-pointer user stacks, no copies */
	/*
	 * No user stack for periods preempted outside a system call (in user
	 * mode, or on the way back to it): where CPU-bound code happened to be
	 * preempted is the on-CPU profile's to tell. Such stacks are a
	 * frame-pointer walk each, nearly all distinct (every preemption
	 * point is another leaf), so on a busy machine they fill the stack
	 * map and cost most of the reading; record and top leave them out.
	 */
	bool no_preempt_ustacks;
};

struct ks_offcpu;

struct ks_offcpu *ks_offcpu__open(const struct ks_offcpu_opts *opts);
/*
 * Drain the ring buffer of periods with copied user stacks (unwinding them
 * while their processes live): wait up to @timeout_ms, then consume what
 * is there. Call it every ~100 ms between reads; a read drains it too.
 * Returns the periods consumed or -errno.
 */
int ks_offcpu__poll(struct ks_offcpu *c, int timeout_ms);
/*
 * Move what was seen since the last read into @m: per task offcpu_ns by
 * reason, m->offcpu (value in us; the reason is a KS_FRAME_OFFCPU frame
 * right after the process frame; with --wakers the waker's frames follow
 * the sleeper's leaf after a "--" frame), lost counts and gaps.
 */
int ks_offcpu__read(struct ks_offcpu *c, struct ks_model *m);
const char *ks_offcpu__attach_kind(const struct ks_offcpu *c);
/*
 * How a period is split into blocked and waiting for a CPU: "sched_info"
 * (the scheduler's run-queue accounting, run-queue clock) or "wakeup"
 * (sched_waking timed with our own clock reads).
 */
const char *ks_offcpu__clock(const struct ks_offcpu *c);
/* The marker frame name of a reason: "waiting for CPU", "io", "sleep", ... */
const char *ks_offcpu_reason_name(unsigned int reason);
void ks_offcpu__free(struct ks_offcpu *c);
#endif

#endif /* KS_OFFCPU_H */
