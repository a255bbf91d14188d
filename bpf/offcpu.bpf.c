// SPDX-License-Identifier: GPL-2.0
/*
 * Off-CPU time by stack and reason.
 *
 * sched_switch out (prev is current): remember when and why (prev's state:
 * TASK_RUNNING = preempted, waits for a CPU; TASK_UNINTERRUPTIBLE = I/O and
 * the like; TASK_INTERRUPTIBLE or TASK_IDLE = sleep). sched_wakeup: remember
 * when it became runnable (and, with --wakers, the waker's stacks).
 * sched_switch in: the time from out to wakeup goes to the reason, from
 * wakeup to in to "waiting for CPU", both under the same stacks, in ONE
 * update of the in-kernel sum keyed by {tgid, pid, stacks, comm}.
 *
 * Where stacks are taken, chosen by measurement (ns per event of the BPF
 * programs, bpf_stats, pipe ping-pong pinned to one CPU on the 2-CPU VM):
 *   - state in a hash map, stacks at switch-out: switch 4208 ns
 *     (libbpf-tools offcputime: 4182-4713 ns), no stacks: 1120 ns;
 *   - state in task local storage, one update per period: no stacks 602 ns;
 *   - with tp_btf, stacks when the period ENDS and only if it lasted at
 *     least stack_min_ns (--stack-min-us, default 100 us): the kernel stack
 *     of the still-blocked task with bpf_get_task_stack() at switch-in
 *     (deduplicated by content in "kstacks"), the user stack at sys_exit in
 *     the task's own context (a blocked task's user registers and stack do
 *     not change until it returns to user space; checked against the
 *     registers saved at switch-out, "gone" if they differ, e.g. a sleep in
 *     a page fault): switch 1071 ns + sys_exit 114 ns, periods under the
 *     threshold keep their time and reason under "[stack not taken]".
 *     With --stack-min-us 0 every period gets stacks: 3179 + 2 x 483 ns.
 * Preempted tasks (reason "waiting for CPU") get their user stack at the
 * switch-out: they may be in user mode and will not pass sys_exit.
 * raw_tp and classic tracepoints have no trusted task pointer: state in
 * the "start" hash, stacks at switch-out.
 *
 * User stacks are frame-pointer walks (bpf_get_stackid): code built without
 * frame pointers gives truncated user stacks; the loader says so in the
 * profile's accounting. CFI unwinding (copying 8 KiB of stack, as the
 * on-CPU profiler does) is not done for off-CPU yet.
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
/*
 * tp_btf only: take the kernel stack at switch-in, from the blocked task
 * (bpf_get_task_stack), and only for periods of at least kstack_min_ns.
 */
const volatile bool kstack_deferred = false;
const volatile __u64 kstack_min_ns = 0;
/*
 * tp_btf only: a sleeping task's user stack does not change while it is
 * blocked, and the task's user registers and stack are still the same when
 * it returns from the blocking system call. So the user stack is taken at
 * sys_exit, in the task's own context, and only for periods of at least
 * kstack_min_ns; a preempted task's (reason "waiting for CPU") is taken at
 * the switch-out. If the task is next seen with other user registers (it
 * slept in a page fault, say), the stack is reported gone, not guessed.
 */
const volatile bool ustack_deferred = false;

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
	__u32 pending;		/* a period waits for its user stack (tp_btf) */
	__u64 uip, usp;		/* user registers at the switch-out */
	__u64 pend_blocked, pend_waited;
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

/* tp_btf: the same per-task state in task local storage (no hash on the hot path) */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct off_start);
} tstart SEC(".maps");

/* deferred kernel stacks, by content: id = hash of the ips, checked on reuse */
struct kstack {
	__u64 ips[KS_MAX_STACK_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct kstack);
} kstacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kstack);
} kbuf SEC(".maps");

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

static __always_inline void add(struct off_start *s, __u32 pid, __u64 blocked, __u64 waited)
{
	struct ks_offcpu_key key = {};
	struct ks_offcpu_val *v, init = { .count = 1 };
	__u32 r = s->reason < KS_OFF__COUNT ? s->reason : KS_OFF_OTHER;

	key.tgid = s->tgid;
	key.pid = per_thread ? pid : s->tgid;
	key.reason = r;
	key.kstack = s->kstack;
	key.ustack = s->ustack;
	key.wkstack = s->wkstack;
	key.wustack = s->wustack;
	key.wtgid = s->wtgid;
	__builtin_memcpy(key.comm, s->comm, sizeof(key.comm));
	if (wakers)
		__builtin_memcpy(key.wcomm, s->wcomm, sizeof(key.wcomm));
	v = bpf_map_lookup_elem(&offcpu, &key);
	if (!v) {
		int i;

		for (i = 0; i < KS_OFF__COUNT; i++)
			if (i == r)
				init.ns[i] = blocked;
		init.ns[KS_OFF_RUNQ] += waited;
		if (!bpf_map_update_elem(&offcpu, &key, &init, BPF_NOEXIST))
			return;
		v = bpf_map_lookup_elem(&offcpu, &key);
		if (!v) {
			ks_drop(KS_DROP_MAP_FULL);
			return;
		}
	}
	if (r < KS_OFF__COUNT)
		__sync_fetch_and_add(&v->ns[r], blocked);
	if (waited)
		__sync_fetch_and_add(&v->ns[KS_OFF_RUNQ], waited);
	__sync_fetch_and_add(&v->count, 1);
}

/*
 * The current task has a period waiting for its user stack: take it if
 * the task's user registers are still those it blocked with.
 */
static __always_inline void flush_pending(void *ctx, struct off_start *s, __u32 pid)
{
	struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	if (r->ip == s->uip && r->sp == s->usp) {
		s->ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		if (s->ustack < 0)
			ks_drop(KS_DROP_USTACK);
	} else {
		s->ustack = KS_STACK_GONE;
		ks_drop(KS_DROP_USTACK);
	}
	s->pending = 0;
	add(s, pid, s->pend_blocked, s->pend_waited);
}

/* prev is the current task; @btf: prev is a trusted pointer (tp_btf) */
static __always_inline void switch_out(void *ctx, struct task_struct *prev, __u32 pid, bool btf)
{
	struct off_start tmp, *s = &tmp;
	/* tp_btf: direct loads from the trusted pointer, no probe-read calls */
	__u32 tgid = btf ? prev->tgid : BPF_CORE_READ(prev, tgid);

	if (!task_wanted(prev, tgid) || (!ks_filter_pid && tgid == self_tgid))
		return;
	if (btf) {
		s = bpf_task_storage_get(&tstart, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!s) {
			ks_drop(KS_DROP_MAP_FULL);
			return;
		}
	}
	if (btf && s->pending)
		flush_pending(ctx, s, pid);
	s->tgid = tgid;
	s->ts = bpf_ktime_get_ns();
	s->wake_ts = 0;
	s->wtgid = 0;
	s->reason = reason_of(btf && bpf_core_field_exists(prev->__state) ? prev->__state :
			      ks_task_state(prev));
	s->kstack = s->ustack = s->wkstack = s->wustack = -1;
	if (want_stacks) {
		if (!kstack_deferred) {
			s->kstack = bpf_get_stackid(ctx, &stacks, kskip & BPF_F_SKIP_FIELD_MASK);
			if (s->kstack < 0)
				ks_drop(KS_DROP_KSTACK);
		}
		if (want_user && (btf ? !!prev->mm : !!BPF_CORE_READ(prev, mm))) {
			if (btf && ustack_deferred && s->reason != KS_OFF_RUNQ) {
				struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(prev);

				s->uip = r->ip;
				s->usp = r->sp;
				s->ustack = KS_STACK_DEFERRED;
			} else {
				s->ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
				if (s->ustack < 0)
					ks_drop(KS_DROP_USTACK);
			}
		}
	}
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	if (wakers)
		__builtin_memset(s->wcomm, 0, sizeof(s->wcomm));
	if (!btf && bpf_map_update_elem(&start, &pid, s, BPF_ANY))
		ks_drop(KS_DROP_MAP_FULL);
}

/* The kernel stack of a task that is not running, deduplicated by content. */
static __always_inline __s32 task_kstack(struct task_struct *t)
{
	struct kstack *b, *old;
	__u32 zero = 0, id;
	__u64 h;
	long n;
	int i;

	b = bpf_map_lookup_elem(&kbuf, &zero);
	if (!b)
		return -1;
	n = bpf_get_task_stack(t, b->ips, sizeof(b->ips), 0);
	if (n <= 0) {
		ks_drop(KS_DROP_KSTACK);
		return -1;
	}
	n /= sizeof(__u64);
	h = n;
	for (i = 0; i < KS_MAX_STACK_DEPTH; i++) {
		if (i >= n)
			b->ips[i] = 0;
		h = (h ^ b->ips[i]) * 0x100000001b3ULL;
	}
	id = (__u32)(h ^ (h >> 32)) & 0x7fffffff;
	old = bpf_map_lookup_elem(&kstacks, &id);
	if (!old) {
		if (bpf_map_update_elem(&kstacks, &id, b, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&kstacks, &id)) {
			ks_drop(KS_DROP_KSTACK);
			return -1;
		}
		return id;
	}
	for (i = 0; i < KS_MAX_STACK_DEPTH; i++) {
		if (old->ips[i] != b->ips[i]) {
			ks_drop(KS_DROP_KSTACK);	/* hash collision */
			return -1;
		}
	}
	return id;
}

static __always_inline void switch_in(__u32 pid, struct task_struct *next, bool btf)
{
	struct off_start *s;
	__u64 now, total;

	if (btf)
		s = bpf_task_storage_get(&tstart, next, 0, 0);
	else
		s = bpf_map_lookup_elem(&start, &pid);
	if (!s || !s->ts)
		return;
	now = bpf_ktime_get_ns();
	total = now > s->ts ? now - s->ts : 0;
	if (want_stacks && kstack_deferred && btf) {
		if (total >= kstack_min_ns)
			s->kstack = task_kstack(next);
		else
			s->kstack = KS_KSTACK_SHORT;
	}
	if ((min_ns && total < min_ns) || (max_ns && total > max_ns)) {
		stat_inc(KS_OFFCPU_FILTERED);
	} else {
		__u64 blocked = total, waited = 0;

		if (s->reason != KS_OFF_RUNQ && s->wake_ts >= s->ts && s->wake_ts <= now) {
			blocked = s->wake_ts - s->ts;
			waited = now - s->wake_ts;
		}
		/* else preempted, or the wakeup was not seen: all to the reason */
		stat_inc(KS_OFFCPU_PERIODS);
		if (btf && s->ustack == KS_STACK_DEFERRED) {
			if (total >= kstack_min_ns) {
				s->pend_blocked = blocked;
				s->pend_waited = waited;
				s->pending = 1;
			} else {
				s->ustack = KS_KSTACK_SHORT;
				add(s, pid, blocked, waited);
			}
		} else {
			add(s, pid, blocked, waited);
		}
	}
	if (btf)
		s->ts = 0;
	else
		bpf_map_delete_elem(&start, &pid);
}

/*
 * sched_waking, not sched_wakeup: it runs in the waker's context. With the
 * kernel's queued remote wakeups (TTWU_QUEUE), sched_wakeup fires later on
 * the sleeper's CPU, in whatever task runs there (often the idle task), so
 * the "waker" stacks would name the wrong task.
 */
static __always_inline void on_wakeup(void *ctx, __u32 pid, struct task_struct *p, bool btf)
{
	struct off_start *s;
	__u64 id;

	if (btf)
		s = bpf_task_storage_get(&tstart, p, 0, 0);
	else
		s = bpf_map_lookup_elem(&start, &pid);
	if (!s || !s->ts || s->wake_ts)
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
				     __u32 npid, struct task_struct *next, bool btf)
{
	if (ppid)
		switch_out(ctx, prev, ppid, btf);
	if (npid)
		switch_in(npid, next, btf);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(ctx, prev, prev->pid, next->pid, next, true);
}

SEC("tp_btf/sched_waking")
int BPF_PROG(btf_wakeup, struct task_struct *p)
{
	on_wakeup(ctx, 0, p, true);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(raw_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(ctx, prev, BPF_CORE_READ(prev, pid), BPF_CORE_READ(next, pid), NULL,
			 false);
}

SEC("raw_tp/sched_waking")
int BPF_PROG(raw_wakeup, struct task_struct *p)
{
	on_wakeup(ctx, BPF_CORE_READ(p, pid), NULL, false);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(btf_sys_exit, struct pt_regs *regs, long ret)
{
	struct off_start *s;

	s = bpf_task_storage_get(&tstart, bpf_get_current_task_btf(), 0, 0);
	if (s && s->pending)
		flush_pending(ctx, s, (__u32)bpf_get_current_pid_tgid());
	return 0;
}

SEC("tracepoint/sched/sched_switch")
int tp_switch(struct trace_event_raw_sched_switch *ctx)
{
	return on_switch(ctx, (struct task_struct *)bpf_get_current_task(), ctx->prev_pid,
			 ctx->next_pid, NULL, false);
}

SEC("tracepoint/sched/sched_waking")
int tp_wakeup(struct trace_event_raw_sched_wakeup_template *ctx)
{
	on_wakeup(ctx, ctx->pid, NULL, false);
	return 0;
}
