// SPDX-License-Identifier: GPL-2.0
/*
 * Run-queue latency: from runnable (sched_wakeup, sched_wakeup_new, or
 * switched out while still TASK_RUNNING, i.e. preempted) to running
 * (sched_switch in). Aggregated in the kernel: one histogram per process /
 * thread / cgroup (rodata "group"), with voluntary and involuntary switch
 * counts; user space sums them, and "runq_all", for the system-wide one.
 *
 * Four attach flavours, one chosen by the loader:
 *  - tp_btf + the kernel's own run-queue accounting (CONFIG_SCHED_INFO, the
 *    source of /proc/PID/schedstat): sched_switch only, no wakeup programs
 *    and no clock reads. The scheduler keeps, per task, the time it was
 *    queued (sched_info.last_queued, in the run-queue clock, read through
 *    the task's cfs_rq: "runqueues" is not in kallsyms without
 *    KALLSYMS_ALL) and the sum of its completed waits
 *    (sched_info.run_delay); at the switch-in the wait
 *    since the task last ran is run_delay + (rq->clock - last_queued) minus
 *    the run_delay seen at its previous switch-in (task local storage), so a
 *    wait split by a migration between CPUs is counted whole. Voluntary and
 *    involuntary switch counts come from the task's nvcsw/nivcsw the same
 *    way, so each switch touches one row. Measured under pipe ping-pong:
 *    switch 438 ns + wakeup 225 ns per event before, see bench-overhead.sh.
 *  - tp_btf (typed task pointers), raw_tp (same arguments, read with CO-RE
 *    probes), classic tracepoints (pids only: the woken task's tgid and cgroup
 *    are taken from the "who" map, filled when the task was last switched
 *    out): timestamps taken at sched_wakeup(_new) and at a preemption.
 */
#include "ks_core.bpf.h"
#include "ks_runqlat.h"

char LICENSE[] SEC("license") = "GPL";

#define TASK_RUNNING 0

const volatile __u8 group = KS_RUNQ_BY_PROCESS;
const volatile bool counts = true;	/* per-row preempt/ctxsw counts */
__u32 epoch;				/* bumped by user space at each read */

KS_DEFINE_FILTERS
KS_DEFINE_DROPS

/* tid -> time it became runnable */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct ks_runq_key);
	__type(value, struct ks_runq_val);
} rows SEC(".maps");

/*
 * The waits no row holds: all of them with no grouping, else those whose row
 * could not be created (rows full). User space adds the rows to it for the
 * system-wide histogram, so a wait is added to one histogram only.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_hist);
} runq_all SEC(".maps");

/*
 * tp_btf: the runnable timestamp lives in task local storage (no hash
 * lookups on the hot path); raw_tp and classic use the "start" hash.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} tstart SEC(".maps");

/* sched_info flavour: what the task's counters were at its last switch-in */
struct seen {
	__u64 run_delay;	/* run_delay + pending wait at that switch-in */
	__u64 nvcsw, nivcsw;
};
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct seen);
} tseen SEC(".maps");

/* classic tracepoints only: tid -> {tgid, wanted} learnt at switch-out */
struct who {
	__u32 tgid;
	__u32 wanted;
	__u64 cgid;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct who);
} who SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_RUNQ_CACHE);
	__type(key, __u32);
	__type(value, struct ks_runq_slot);
} rcache SEC(".maps");

static const struct ks_runq_val zero_val;

static __always_inline __u64 task_cgid(struct task_struct *t)
{
	return BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
}

/* The row's name: the process's (its leader's) unless rows are threads. */
static __always_inline void task_comm(struct task_struct *t, char *comm)
{
	struct task_struct *l = group == KS_RUNQ_BY_THREAD ? t : BPF_CORE_READ(t, group_leader);

	bpf_probe_read_kernel_str(comm, KS_COMM_LEN, &l->comm);
}

static __always_inline bool task_wanted(struct task_struct *t, __u32 tgid)
{
	if (ks_filter_pid && !bpf_map_lookup_elem(&ks_pids, &tgid))
		return false;
	if (ks_filter_cgroup && task_cgid(t) != ks_filter_cgroup)
		return false;
	return true;
}

/* a wait that goes to no row */
static __always_inline void rowless(__u64 ns)
{
	__u32 zero = 0;
	struct ks_hist *h = bpf_map_lookup_elem(&runq_all, &zero);

	if (h)
		ks_hist_add_pcpu(h, ns);
}

/* The row a task's waits go to (@key zeroed by the caller; not BY_NONE). */
static __always_inline void row_key(struct ks_runq_key *key, __u32 pid, __u32 tgid, __u64 cgid)
{
	switch (group) {
	case KS_RUNQ_BY_PROCESS:
		key->pid = tgid;
		key->tgid = tgid;
		break;
	case KS_RUNQ_BY_THREAD:
		key->pid = pid;
		key->tgid = tgid;
		break;
	case KS_RUNQ_BY_CGROUP:
		key->cgid = cgid;
		break;
	}
}

/* The row of @key in the "rows" hash, created if new (NULL: the map is full). */
static __always_inline struct ks_runq_val *row_of(const struct ks_runq_key *key)
{
	struct ks_runq_val *v = bpf_map_lookup_elem(&rows, key);

	if (v)
		return v;
	if (bpf_map_update_elem(&rows, key, &zero_val, BPF_NOEXIST) &&
	    !(v = bpf_map_lookup_elem(&rows, key))) {
		ks_drop(KS_DROP_MAP_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&rows, key);
}

static __always_inline struct ks_runq_val *row(__u32 pid, __u32 tgid, __u64 cgid)
{
	struct ks_runq_key key = {};

	if (group == KS_RUNQ_BY_NONE)
		return NULL;
	row_key(&key, pid, tgid, cgid);
	return row_of(&key);
}

/* @t: a trusted task pointer (tp_btf) or NULL */
static __always_inline void enqueue(__u32 pid, struct task_struct *t)
{
	__u64 ts = bpf_ktime_get_ns(), *tsp;

	if (t) {
		tsp = bpf_task_storage_get(&tstart, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (tsp)
			*tsp = ts;
		else
			ks_drop(KS_DROP_MAP_FULL);
		return;
	}
	if (bpf_map_update_elem(&start, &pid, &ts, BPF_ANY))
		ks_drop(KS_DROP_MAP_FULL);
}

/* sched_wakeup(_new) with a task pointer (tp_btf, raw_tp) */
static __always_inline int on_wakeup(struct task_struct *p, bool btf)
{
	/* tp_btf: direct loads from trusted pointers, no probe-read calls */
	__u32 pid = btf ? p->pid : BPF_CORE_READ(p, pid);
	__u32 tgid = btf ? p->tgid : BPF_CORE_READ(p, tgid);

	if (!pid || !task_wanted(p, tgid))
		return 0;
	enqueue(pid, btf ? p : NULL);
	return 0;
}

/* The task going in: record its wait. */
static __always_inline void switch_in(__u32 pid, __u32 tgid, __u64 cgid,
				      struct task_struct *next, bool btf)
{
	struct ks_runq_val *v;
	__u64 *tsp, delta, now;

	if (btf) {
		tsp = bpf_task_storage_get(&tstart, next, 0, 0);
		if (!tsp || !*tsp)
			return;
		now = bpf_ktime_get_ns();
		delta = now > *tsp ? now - *tsp : 0;
		*tsp = 0;
	} else {
		tsp = bpf_map_lookup_elem(&start, &pid);
		if (!tsp)
			return;
		now = bpf_ktime_get_ns();
		delta = now > *tsp ? now - *tsp : 0;
		bpf_map_delete_elem(&start, &pid);
	}
	if (group == KS_RUNQ_BY_CGROUP && next)
		cgid = task_cgid(next);
	v = row(pid, tgid, cgid);
	if (!v) {
		rowless(delta);
		return;
	}
	ks_hist_add(&v->hist, delta);
	if (next && !v->comm[0])
		task_comm(next, v->comm);
}

/* The task going out (current): count the switch, requeue if preempted. */
static __always_inline void switch_out(__u32 pid, __u32 tgid, long state,
				       struct task_struct *t)
{
	struct ks_runq_val *v;

	if (state == TASK_RUNNING)
		enqueue(pid, t);
	if (!counts || group == KS_RUNQ_BY_NONE)
		return;
	v = row(pid, tgid, group == KS_RUNQ_BY_CGROUP ? bpf_get_current_cgroup_id() : 0);
	if (!v)
		return;
	if (state == TASK_RUNNING)
		__sync_fetch_and_add(&v->preempt, 1);
	else
		__sync_fetch_and_add(&v->ctxsw, 1);
	if (!v->comm[0])
		task_comm((struct task_struct *)bpf_get_current_task(), v->comm);
}

static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next,
				     bool btf)
{
	__u32 ppid = btf ? prev->pid : BPF_CORE_READ(prev, pid);
	__u32 ptgid = btf ? prev->tgid : BPF_CORE_READ(prev, tgid);
	__u32 npid = btf ? next->pid : BPF_CORE_READ(next, pid);
	__u32 ntgid = btf ? next->tgid : BPF_CORE_READ(next, tgid);
	long state;

	if (ppid && task_wanted(prev, ptgid)) {
		state = btf && bpf_core_field_exists(prev->__state) ? prev->__state :
			ks_task_state(prev);
		switch_out(ppid, ptgid, state, btf ? prev : NULL);
	}
	if (npid)
		switch_in(npid, ntgid, 0, next, btf);
	return 0;
}

/*
 * The task going in, from the scheduler's own accounting. Its first switch-in
 * after we attached has no previous run_delay to subtract: only its pending
 * wait (queued now) is counted, and its switch counts start there.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch_si, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	/* next is about to run here: its cfs_rq is this CPU's (FAIR_GROUP_SCHED) */
	__u64 q = next->sched_info.last_queued, now = next->se.cfs_rq->rq->clock, total, delta;
	__u32 pid = next->pid, tgid = next->tgid, slot;
	__u64 npreempt = 0, nctxsw = 0;
	struct ks_runq_key key = {};
	struct ks_runq_slot *c;
	struct ks_runq_val *v;
	struct seen *sn;
	bool first;

	if (!pid || !task_wanted(next, tgid))
		return 0;
	sn = bpf_task_storage_get(&tseen, next, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!sn) {
		ks_drop(KS_DROP_MAP_FULL);
		return 0;
	}
	delta = q && now > q ? now - q : 0;
	total = next->sched_info.run_delay + delta;
	first = !sn->run_delay && !sn->nvcsw && !sn->nivcsw;
	if (!first && total >= sn->run_delay)
		delta = total - sn->run_delay;
	sn->run_delay = total;
	if (first && !q) {
		sn->nvcsw = next->nvcsw;
		sn->nivcsw = next->nivcsw;
		return 0;	/* not queued: nothing to time yet */
	}
	if (group == KS_RUNQ_BY_NONE) {
		rowless(delta);
		goto out;
	}
	row_key(&key, pid, tgid, group == KS_RUNQ_BY_CGROUP ? task_cgid(next) : 0);
	if (counts && !first) {
		if (next->nivcsw > sn->nivcsw)
			npreempt = next->nivcsw - sn->nivcsw;
		if (next->nvcsw > sn->nvcsw)
			nctxsw = next->nvcsw - sn->nvcsw;
	}
	slot = ks_runq_slot_of(&key);
	c = bpf_map_lookup_elem(&rcache, &slot);
	if (c && !c->used) {
		/* claim the free slot for this row, on this CPU, for good */
		c->key = key;
		c->used = 1;
		task_comm(next, c->v.comm);
	}
	if (c && c->key.pid == key.pid && c->key.tgid == key.tgid && c->key.cgid == key.cgid) {
		/* this CPU's own slot: plain stores, max per read interval */
		v = &c->v;
		if (c->max_epoch != epoch) {
			c->max_epoch = epoch;
			v->hist.max_ns = 0;
		}
		ks_hist_add_pcpu(&v->hist, delta);
		v->preempt += npreempt;
		v->ctxsw += nctxsw;
		goto out;
	}
	v = row_of(&key);
	if (!v) {
		rowless(delta);
		goto out;
	}
	ks_hist_add(&v->hist, delta);
	if (npreempt)
		__sync_fetch_and_add(&v->preempt, npreempt);
	if (nctxsw)
		__sync_fetch_and_add(&v->ctxsw, nctxsw);
	if (!v->comm[0])
		task_comm(next, v->comm);
out:
	sn->nvcsw = next->nvcsw;
	sn->nivcsw = next->nivcsw;
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(btf_wakeup, struct task_struct *p)
{
	return on_wakeup(p, true);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(btf_wakeup_new, struct task_struct *p)
{
	return on_wakeup(p, true);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next, true);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(raw_wakeup, struct task_struct *p)
{
	return on_wakeup(p, false);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(raw_wakeup_new, struct task_struct *p)
{
	return on_wakeup(p, false);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(raw_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next, false);
}

/*
 * Classic tracepoints: the woken task is known by pid only. Its tgid and
 * whether it passes the filters come from "who" (learnt when it last ran);
 * a task never seen running is timed (system-wide) but cannot be filtered.
 */
static __always_inline int classic_wakeup(__u32 pid)
{
	struct who *w;

	if (!pid)
		return 0;
	w = bpf_map_lookup_elem(&who, &pid);
	if (w && !w->wanted)
		return 0;
	if (!w && (ks_filter_pid || ks_filter_cgroup))
		return 0;
	enqueue(pid, NULL);
	return 0;
}

SEC("tracepoint/sched/sched_wakeup")
int tp_wakeup(struct trace_event_raw_sched_wakeup_template *ctx)
{
	return classic_wakeup(ctx->pid);
}

SEC("tracepoint/sched/sched_wakeup_new")
int tp_wakeup_new(struct trace_event_raw_sched_wakeup_template *ctx)
{
	return classic_wakeup(ctx->pid);
}

SEC("tracepoint/sched/sched_switch")
int tp_switch(struct trace_event_raw_sched_switch *ctx)
{
	struct task_struct *prev = (struct task_struct *)bpf_get_current_task();
	__u32 ppid = ctx->prev_pid, npid = ctx->next_pid;
	struct who w = {}, *nw;

	if (ppid) {
		w.tgid = BPF_CORE_READ(prev, tgid);
		w.wanted = task_wanted(prev, w.tgid);
		w.cgid = bpf_get_current_cgroup_id();
		bpf_map_update_elem(&who, &ppid, &w, BPF_ANY);
		if (w.wanted)
			switch_out(ppid, w.tgid, ks_task_state(prev), NULL);
	}
	if (npid) {
		nw = bpf_map_lookup_elem(&who, &npid);
		switch_in(npid, nw ? nw->tgid : npid, nw ? nw->cgid : 0, NULL, false);
	}
	return 0;
}
