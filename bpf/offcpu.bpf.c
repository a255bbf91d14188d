// SPDX-License-Identifier: GPL-2.0
/*
 * Off-CPU time by stack and reason.
 *
 * sched_switch out (prev is current): remember when, why (prev's state:
 * TASK_RUNNING = preempted, waits for a CPU; TASK_UNINTERRUPTIBLE = I/O and
 * the like; TASK_INTERRUPTIBLE = sleep) and where (kernel stack id, user
 * frame-pointer stack id). sched_wakeup: remember when it became runnable
 * (and, with --wakers, the waker's stacks). sched_switch in: the period
 * from out to wakeup goes to the reason, the period from wakeup to in goes
 * to "waiting for CPU", both under the same stacks, summed in the kernel by
 * {tgid, pid, reason, stacks, comm}.
 *
 * User stacks are frame-pointer walks done by bpf_get_stackid() at the
 * switch-out: cheap enough to run on every context switch, aggregated in
 * the kernel. Binaries built without frame pointers give truncated user
 * stacks (leaf and whatever the frame-pointer chain reaches); the loader
 * says so in the profile's accounting. Copying 8 KiB of user stack per
 * switch for CFI unwinding (as the on-CPU profiler does per sample) was not
 * done: a context switch is far more frequent than a profile sample.
 */
#include "ks_core.bpf.h"
#include "ks_offcpu.h"

char LICENSE[] SEC("license") = "GPL";

#define TASK_RUNNING		0x0
#define TASK_INTERRUPTIBLE	0x1
#define TASK_UNINTERRUPTIBLE	0x2
#define TASK_NOLOAD		0x400

const volatile bool want_stacks = true;
const volatile bool want_user = true;
const volatile bool wakers = false;
const volatile bool per_thread = false;
const volatile __u64 min_ns = 0;
const volatile __u64 max_ns = 0;
const volatile __u32 kskip = 0;		/* our own frames atop kernel stacks */
const volatile __u32 self_tgid = 0;	/* kscope itself: excluded unless asked by -p */

KS_DEFINE_FILTERS
KS_DEFINE_DROPS

struct off_start {
	__u64 ts;		/* switched out */
	__u64 wake_ts;		/* woken (0: not yet / preempted) */
	__s32 kstack, ustack;
	__s32 wkstack, wustack;
	__u32 tgid;
	__u32 reason;
	__u32 wtgid;
	__u32 pad;
	char comm[KS_COMM_LEN];
	char wcomm[KS_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct off_start);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ks_offcpu_key);
	__type(value, struct ks_offcpu_val);
} offcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, KS_MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_OFFCPU_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &k);

	if (v)
		(*v)++;
}

static __always_inline bool task_wanted(struct task_struct *t, __u32 tgid)
{
	if (ks_filter_pid && !bpf_map_lookup_elem(&ks_pids, &tgid))
		return false;
	if (ks_filter_cgroup &&
	    BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id) != ks_filter_cgroup)
		return false;
	return true;
}

static __always_inline __u32 reason_of(long state)
{
	if (state == TASK_RUNNING)
		return KS_OFF_RUNQ;
	/* TASK_IDLE (uninterruptible + noload) is an idle wait, not I/O */
	if ((state & TASK_UNINTERRUPTIBLE) && !(state & TASK_NOLOAD))
		return KS_OFF_IO;
	if (state & (TASK_INTERRUPTIBLE | TASK_NOLOAD))
		return KS_OFF_SLEEP;
	return KS_OFF_OTHER;
}

static __always_inline void add(struct off_start *s, __u32 pid, __u32 reason, __u64 ns)
{
	struct ks_offcpu_key key = {};
	struct ks_offcpu_val *v, init = { .ns = ns, .count = 1 };

	if (!ns)
		return;
	key.tgid = s->tgid;
	key.pid = per_thread ? pid : s->tgid;
	key.reason = reason;
	key.kstack = s->kstack;
	key.ustack = s->ustack;
	key.wkstack = s->wkstack;
	key.wustack = s->wustack;
	key.wtgid = s->wtgid;
	__builtin_memcpy(key.comm, s->comm, sizeof(key.comm));
	__builtin_memcpy(key.wcomm, s->wcomm, sizeof(key.wcomm));
	v = bpf_map_lookup_elem(&offcpu, &key);
	if (v) {
		__sync_fetch_and_add(&v->ns, ns);
		__sync_fetch_and_add(&v->count, 1);
		return;
	}
	if (bpf_map_update_elem(&offcpu, &key, &init, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(&offcpu, &key);
		if (!v) {
			ks_drop(KS_DROP_MAP_FULL);
			return;
		}
		__sync_fetch_and_add(&v->ns, ns);
		__sync_fetch_and_add(&v->count, 1);
	}
}

/* prev is the current task */
static __always_inline void switch_out(void *ctx, struct task_struct *prev, __u32 pid)
{
	struct off_start s = {};

	s.tgid = BPF_CORE_READ(prev, tgid);
	if (!task_wanted(prev, s.tgid) || (!ks_filter_pid && s.tgid == self_tgid))
		return;
	stat_inc(KS_OFFCPU_SWITCHES);
	s.ts = bpf_ktime_get_ns();
	s.reason = reason_of(ks_task_state(prev));
	s.kstack = s.ustack = s.wkstack = s.wustack = -1;
	if (want_stacks) {
		s.kstack = bpf_get_stackid(ctx, &stacks, kskip & BPF_F_SKIP_FIELD_MASK);
		if (s.kstack < 0)
			ks_drop(KS_DROP_KSTACK);
		if (want_user && BPF_CORE_READ(prev, mm)) {
			s.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
			if (s.ustack < 0)
				ks_drop(KS_DROP_USTACK);
		}
	}
	bpf_get_current_comm(s.comm, sizeof(s.comm));
	if (bpf_map_update_elem(&start, &pid, &s, BPF_ANY))
		ks_drop(KS_DROP_MAP_FULL);
}

static __always_inline void switch_in(__u32 pid)
{
	struct off_start *s;
	__u64 now, total;

	s = bpf_map_lookup_elem(&start, &pid);
	if (!s)
		return;
	now = bpf_ktime_get_ns();
	total = now > s->ts ? now - s->ts : 0;
	if ((min_ns && total < min_ns) || (max_ns && total > max_ns)) {
		stat_inc(KS_OFFCPU_FILTERED);
	} else if (s->reason != KS_OFF_RUNQ && s->wake_ts >= s->ts && s->wake_ts <= now) {
		add(s, pid, s->reason, s->wake_ts - s->ts);
		add(s, pid, KS_OFF_RUNQ, now - s->wake_ts);
		stat_inc(KS_OFFCPU_PERIODS);
	} else {
		/* preempted, or the wakeup was not seen: all of it to the reason */
		add(s, pid, s->reason, total);
		stat_inc(KS_OFFCPU_PERIODS);
	}
	bpf_map_delete_elem(&start, &pid);
}

static __always_inline void on_wakeup(void *ctx, __u32 pid)
{
	struct off_start *s = bpf_map_lookup_elem(&start, &pid);
	__u64 id;

	if (!s || s->wake_ts)
		return;
	s->wake_ts = bpf_ktime_get_ns();
	if (!wakers)
		return;
	id = bpf_get_current_pid_tgid();
	s->wtgid = id >> 32;
	bpf_get_current_comm(s->wcomm, sizeof(s->wcomm));
	s->wkstack = bpf_get_stackid(ctx, &stacks, kskip & BPF_F_SKIP_FIELD_MASK);
	if (s->wkstack < 0)
		ks_drop(KS_DROP_KSTACK);
	if (want_user && (__u32)id) {
		s->wustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		/* interrupts and kernel threads wake too: no user stack is normal */
		if (s->wustack < 0 && s->wustack != -14 /* -EFAULT */)
			ks_drop(KS_DROP_USTACK);
	}
}

static __always_inline int on_switch(void *ctx, struct task_struct *prev, __u32 ppid,
				     __u32 npid)
{
	if (ppid)
		switch_out(ctx, prev, ppid);
	if (npid)
		switch_in(npid);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(ctx, prev, BPF_CORE_READ(prev, pid), BPF_CORE_READ(next, pid));
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(btf_wakeup, struct task_struct *p)
{
	on_wakeup(ctx, BPF_CORE_READ(p, pid));
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(raw_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(ctx, prev, BPF_CORE_READ(prev, pid), BPF_CORE_READ(next, pid));
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(raw_wakeup, struct task_struct *p)
{
	on_wakeup(ctx, BPF_CORE_READ(p, pid));
	return 0;
}

SEC("tracepoint/sched/sched_switch")
int tp_switch(struct trace_event_raw_sched_switch *ctx)
{
	return on_switch(ctx, (struct task_struct *)bpf_get_current_task(), ctx->prev_pid,
			 ctx->next_pid);
}

SEC("tracepoint/sched/sched_wakeup")
int tp_wakeup(struct trace_event_raw_sched_wakeup_template *ctx)
{
	on_wakeup(ctx, ctx->pid);
	return 0;
}
