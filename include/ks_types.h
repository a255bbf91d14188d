/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the BPF programs (bpf/) and user space (user/, tools/).
 * Fixed-width __u32/__u64 only: the same bytes are read on both sides.
 */
#ifndef KS_TYPES_H
#define KS_TYPES_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KS_COMM_LEN		16
#define KS_MAX_STACK_DEPTH	127
#define KS_MAX_PIDS		64	/* -p PID,PID,... */

/*
 * Latency histograms: values in nanoseconds, log2 buckets split in
 * 2^KS_HIST_SUB_BITS linear sub-buckets (HdrHistogram-style, ~12% wide), so
 * that percentiles are precise enough to judge 5 ms against 6.5 ms while the
 * text view still prints bcc's power-of-two rows.
 *   v < 2^SUB:          slot = v
 *   v in [2^m, 2^m+1):  slot = (m - SUB + 1) << SUB | (v >> (m - SUB)) & (2^SUB - 1)
 * Values past 2^KS_HIST_MAX_LOG2 ns (~18 min) land in the last slot.
 */
#define KS_HIST_SUB_BITS	3
#define KS_HIST_SUB		(1 << KS_HIST_SUB_BITS)
#define KS_HIST_MAX_LOG2	40
#define KS_HIST_SLOTS		((KS_HIST_MAX_LOG2 - KS_HIST_SUB_BITS + 2) << KS_HIST_SUB_BITS)

struct ks_hist {
	__u64 slots[KS_HIST_SLOTS];
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 min_ns;		/* smallest value seen; 0: unknown (percentiles clamp to it) */
};

/*
 * 1 if v > x, without a branch: BPF has no set-on-condition, so "v > x" is
 * a jump, and five of them in a row are 32 paths for the verifier to walk
 * per histogram update (biolat's completion: 51 ms to verify, 4 updates).
 * Exact while v - x < 2^63.
 */
#define KS_GT(v, x)	(((__u64)(x) - (__u64)(v)) >> 63)

static __always_inline __u32 ks_log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = KS_GT(v, 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = KS_GT(v, 0xffff) << 4; v >>= shift; r |= shift;
	shift = KS_GT(v, 0xff) << 3; v >>= shift; r |= shift;
	shift = KS_GT(v, 0xf) << 2; v >>= shift; r |= shift;
	shift = KS_GT(v, 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u32 ks_hist_slot(__u64 ns)
{
	__u32 m, slot;

	if (ns < KS_HIST_SUB)
		return (__u32)ns;
	m = ks_log2_u64(ns);
	if (m > KS_HIST_MAX_LOG2)
		return KS_HIST_SLOTS - 1;
	slot = ((m - KS_HIST_SUB_BITS + 1) << KS_HIST_SUB_BITS) |
	       ((ns >> (m - KS_HIST_SUB_BITS)) & (KS_HIST_SUB - 1));
	return slot < KS_HIST_SLOTS ? slot : KS_HIST_SLOTS - 1;
}

/* Off-CPU reasons, shared by offcpu, top and report. */
enum ks_offcpu_reason {
	KS_OFF_RUNQ = 0,	/* preempted or woken, waiting for a CPU */
	KS_OFF_IO,		/* TASK_UNINTERRUPTIBLE: I/O and the like */
	KS_OFF_SLEEP,		/* TASK_INTERRUPTIBLE: sleeps, polls, waits */
	KS_OFF_LOCK,		/* futex / lock contention (when attributable) */
	KS_OFF_OTHER,
	KS_OFF__COUNT,
};

/*
 * A user stack snapshot for unwinding in user space (perf --call-graph dwarf
 * style): the registers the unwinder starts from and a copy of the stack
 * from sp upwards. Produced by any stack-taking collector, consumed by
 * user/unwind.c through user/stacks.c.
 */
#define KS_USTACK_BYTES		8192

struct ks_uregs {
	__u64 ip;
	__u64 sp;
	__u64 bp;
};

/*
 * One stack sample in the ring buffer: who, how much (1 per profile sample,
 * ns for off-CPU time), the kernel stack inline (no stack-map collisions),
 * and the user registers + stack bytes to unwind. Only the first
 * KS_STACK_SAMPLE_HDR + ustack_len bytes are sent.
 */
#define KS_SAMPLE_USER		0x1	/* regs and ustack are valid */
#define KS_SAMPLE_KTHREAD	0x2	/* kernel thread: no user stack */
#define KS_SAMPLE_URD_FAIL	0x4	/* user stack could not be read */

struct ks_stack_sample {
	__u32 tgid;
	__u32 pid;
	__u64 value;
	char comm[KS_COMM_LEN];
	__u32 tag;		/* collector-specific: off-CPU reason, lock kind */
	__u16 nkips;
	__u16 flags;		/* KS_SAMPLE_* */
	__u32 ustack_len;
	__u32 pad;
	struct ks_uregs regs;
	__u64 kips[KS_MAX_STACK_DEPTH];
	__u8 ustack[KS_USTACK_BYTES];
};
#define KS_STACK_SAMPLE_HDR	((unsigned long)&((struct ks_stack_sample *)0)->ustack)

/* profile.bpf.c in-kernel aggregation key (kernel-only / frame-pointer mode) */
struct ks_profile_key {
	__u32 tgid;
	__u32 pid;
	__s32 kstack;
	__s32 ustack;
	char comm[KS_COMM_LEN];
};

/* Per-CPU drop counters every collector keeps (index into a percpu array). */
enum ks_drop {
	KS_DROP_RINGBUF = 0,	/* ring buffer full */
	KS_DROP_MAP_FULL,	/* aggregation map full */
	KS_DROP_KSTACK,		/* kernel stack read failed/collided */
	KS_DROP_USTACK,		/* user stack read failed/collided */
	KS_DROP_START_MISS,	/* end event without a start (attached mid-event) */
	KS_DROP__COUNT,
};

#endif /* KS_TYPES_H */
