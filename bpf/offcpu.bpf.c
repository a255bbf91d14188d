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
 *     registers saved at switch-out, "gone" if they differ): switch 1071 ns
 *     + sys_exit 114 ns, periods under the threshold keep their time and
 *     reason under "[stack not taken]".
 *
 * User stacks. Code without frame pointers (Debian's libc) defeats a
 * frame-pointer walk, so at that sys_exit the user registers and up to 8 KiB
 * of the user stack are copied (ks_capture_user(), as the on-CPU profiler
 * does) into a struct ks_offcpu_event with everything add() would have
 * summed, and sent to the "events" ring buffer instead of being summed
 * here: user space unwinds the copy with CFI and sums the periods by the
 * same key (user/offcpu.c). Measured on 8 threads sleeping 100 us at a time
 * (every period copied, ~50000/s, scripts/bench-offcpu-stacks.sh): sys_exit
 * 2.3-2.6 us per run against 0.75-1.0 us with a frame-pointer walk
 * (--unwind fp); per copied period ~4.6 us (the 8 KiB copy ~2.2 us, the ring
 * buffer output ~1.6 us) against ~1.3 us per walk; user space ~2.2 us per
 * period to unwind. Ping-pong (periods far under 100 us) costs what it did.
 * No wakeup per record, unless a quarter of the buffer is unread; a copy
 * that does not fit keeps its time in "offcpu" under KS_STACK_LOST and is
 * counted (KS_DROP_RINGBUF).
 *
 * Only periods that blocked inside a system call are deferred to its
 * sys_exit (orig_ax is the call's number, ax still -ENOSYS: it has not
 * returned): whatever the reason, also a task preempted in the kernel. A
 * task preempted in user mode or in an exception (orig_ax -1), or on its way
 * back to user space after the call returned, will not pass a sys_exit with
 * these registers: its user stack is a frame-pointer walk at the switch-out.
 * Copying there instead would cost ~2.5 us per preemption whatever the
 * period's length (not known yet at the switch-out) and a record per
 * preemption; user space counts and reports these frame-pointer periods.
 * raw_tp and classic tracepoints have no trusted task pointer: state in
 * the "start" hash, stacks at switch-out, user stacks by frame pointers.
 *
 * Where the time goes (tp_btf, no --wakers: "schedinfo"). A period runs on
 * the run-queue clock (rq->clock, fresh at every sched_switch) from the
 * switch-out to the switch-in; the wait for a CPU inside it is the
 * scheduler's own: sched_info.last_queued (set at the enqueue) to the
 * switch-in, plus run_delay completed since the switch-out (a wait cut by
 * a migration). So no sched_waking program and no clock reads. Unpinned
 * ping-pong, BPF time per second (bpf_stats): 186 ms (switch 387 ns, waking
 * 243 ns, sys_exit 172 ns per run) before, 126-134 ms after (switch
 * 251-333 ns, sys_exit 72-88 ns: the "npending" test, the empty program's
 * cost). With --wakers, raw_tp or classic, sched_waking is timed.
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
 * tp_btf only: a task blocked in a system call keeps its user stack, and
 * its user registers and stack are still the same when the call returns.
 * So the user stack is taken at sys_exit, in the task's own context, and
 * only for periods of at least kstack_min_ns; a task switched out anywhere
 * else (preempted in user mode, say) gets it at the switch-out. If the
 * task is next seen with other user registers, the stack is reported gone,
 * not guessed.
 */
const volatile bool ustack_deferred = false;
/*
 * With ustack_deferred: copy the user registers and stack to the ring
 * buffer (unwound with CFI in user space) instead of a frame-pointer walk.
 */
const volatile bool ustack_copy = false;
/* no user stack for periods preempted outside a system call (KS_STACK_PREEMPTED) */
const volatile bool preempt_ustacks = true;
/* wake the reader once this much of the ring buffer is unread (else no wakeups) */
const volatile __u64 wake_bytes = 1 << 20;
/*
 * tp_btf without --wakers: the scheduler's own run-queue accounting
 * (CONFIG_SCHED_INFO, the source of /proc/PID/schedstat) splits a period
 * into blocked and waiting for a CPU, and the run-queue clock times it: no
 * sched_waking program and no clock reads (see "Where the time goes" below).
 */
const volatile bool schedinfo = false;

/*
 * Periods waiting for their user stack at sys_exit, all tasks: while none
 * is, sys_exit returns before the task storage lookup (a period leaks one
 * here if its task exits first: then sys_exit only stays on its slow path).
 */
__u64 npending;

KS_DEFINE_FILTERS
KS_DEFINE_DROPS

/* the sample (and its stack copy) last, then the slack the copy needs */
struct event_scratch {
	struct ks_offcpu_event e;
	__u8 slack[KS_SCRATCH_SLACK];
};

KS_DEFINE_SCRATCH_OF(struct event_scratch)

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
	__u64 run_delay;	/* schedinfo: sched_info.run_delay at the switch-out */
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

/* periods with a user stack copy (struct ks_offcpu_event), drained by user space */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

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

/* The aggregation key of a period (@key zeroed by the caller). */
static __always_inline void make_key(struct ks_offcpu_key *key, const struct off_start *s,
				     __u32 pid)
{
	key->tgid = s->tgid;
	key->pid = per_thread ? pid : s->tgid;
	key->reason = s->reason < KS_OFF__COUNT ? s->reason : KS_OFF_OTHER;
	key->kstack = s->kstack;
	key->ustack = s->ustack;
	key->wkstack = s->wkstack;
	key->wustack = s->wustack;
	key->wtgid = s->wtgid;
	__builtin_memcpy(key->comm, s->comm, sizeof(key->comm));
	if (wakers)
		__builtin_memcpy(key->wcomm, s->wcomm, sizeof(key->wcomm));
}

static __always_inline void add(struct off_start *s, __u32 pid, __u64 blocked, __u64 waited)
{
	struct ks_offcpu_key key = {};
	struct ks_offcpu_val *v, init = { .count = 1 };
	__u32 r;

	make_key(&key, s, pid);
	r = key.reason;
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
 * Send a period with a copy of the current task's user stack (@r: its user
 * registers) to the ring buffer. false: no room, nothing sent.
 */
static __always_inline bool send_period(struct off_start *s, __u32 pid, struct pt_regs *r)
{
	struct event_scratch *sc;
	struct ks_offcpu_event *e;
	__u64 flags;

	sc = ks_scratch_get();
	if (!sc)
		return false;
	e = &sc->e;
	__builtin_memset(&e->key, 0, sizeof(e->key));
	s->ustack = KS_STACK_COPIED;
	make_key(&e->key, s, pid);
	e->blocked_ns = s->pend_blocked;
	e->waited_ns = s->pend_waited;
	ks_sample_init(&e->s, s->tgid, pid, s->pend_blocked, e->key.reason);
	__builtin_memcpy(e->s.comm, s->comm, sizeof(e->s.comm));
	ks_capture_user(&e->s, r->ip, r->sp, r->bp);
	if (e->s.flags & KS_SAMPLE_URD_FAIL)
		ks_drop(KS_DROP_USTACK);
	/*
	 * No wakeup per period: user space drains every 100 ms, unless the
	 * buffer fills faster than that (many long sleeps), then it is woken.
	 */
	flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wake_bytes ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	return !bpf_ringbuf_output(&events, e, offsetof(struct ks_offcpu_event, s) +
				   ks_sample_size(&e->s), flags);
}

/*
 * The current task has a period waiting for its user stack: take it if
 * the task's user registers are still those it blocked with, as a copy for
 * CFI unwinding (the period goes to the ring buffer, not to "offcpu") or
 * as a frame-pointer walk. A copy that does not fit keeps the period's
 * time under KS_STACK_LOST.
 */
static __always_inline void flush_pending(void *ctx, struct off_start *s, __u32 pid)
{
	struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	bool same = r->ip == s->uip && r->sp == s->usp;

	s->pending = 0;
	__sync_fetch_and_add(&npending, -1);
	if (same && ustack_copy) {
		if (send_period(s, pid, r))
			return;
		ks_drop(KS_DROP_RINGBUF);
		s->ustack = KS_STACK_LOST;
	} else if (same) {
		s->ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		if (s->ustack < 0)
			ks_drop(KS_DROP_USTACK);
	} else {
		s->ustack = KS_STACK_GONE;
		ks_drop(KS_DROP_USTACK);
	}
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
	if (btf && schedinfo) {
		/* prev runs here: its cfs_rq is this CPU's, its clock fresh */
		s->ts = prev->se.cfs_rq->rq->clock;
		s->run_delay = prev->sched_info.run_delay;
	} else {
		s->ts = bpf_ktime_get_ns();
	}
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
			struct pt_regs *r = btf && ustack_deferred ?
				(struct pt_regs *)bpf_task_pt_regs(prev) : NULL;

			/*
			 * Deferred to sys_exit only from inside a system call
			 * (orig_ax is -1 in interrupts and exceptions) that has
			 * not returned yet (ax is -ENOSYS until it does): not
			 * when preempted in user mode, in a page fault, or on
			 * the way back to user space after the call returned.
			 */
			if (r && (long)r->orig_ax != -1 && (long)r->ax == -38 /* -ENOSYS */) {
				s->uip = r->ip;
				s->usp = r->sp;
				s->ustack = KS_STACK_DEFERRED;
			} else if (!preempt_ustacks && s->reason == KS_OFF_RUNQ) {
				s->ustack = KS_STACK_PREEMPTED;
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
	/* the helper zeroes the buffer past the n bytes it wrote */
	h = n / sizeof(__u64);
	for (i = 0; i < KS_MAX_STACK_DEPTH; i++)
		h = (h ^ b->ips[i]) * 0x100000001b3ULL;
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
	if (btf && schedinfo)
		now = next->se.cfs_rq->rq->clock;
	else
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

		if (btf && schedinfo && s->reason != KS_OFF_RUNQ) {
			/*
			 * Queued since last_queued (run-queue clock, 0 if not
			 * queued), plus waits completed since the switch-out
			 * (a wait cut by a migration between CPUs).
			 */
			__u64 q = next->sched_info.last_queued, rd = next->sched_info.run_delay;

			waited = q && now > q ? now - q : 0;
			if (rd > s->run_delay)
				waited += rd - s->run_delay;
			if (waited > total)
				waited = total;
			blocked = total - waited;
		} else if (s->reason != KS_OFF_RUNQ && s->wake_ts >= s->ts && s->wake_ts <= now) {
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
				__sync_fetch_and_add(&npending, 1);
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

	if (!npending)
		return 0;
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
