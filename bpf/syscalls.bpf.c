// SPDX-License-Identifier: GPL-2.0
/*
 * Syscall counts, errors and latency per (process, syscall), from
 * raw_syscalls:sys_enter/sys_exit. The hot path is one start timestamp per
 * thread (task local storage with tp_btf, a tid hash otherwise) and one
 * per-CPU hash update at exit. With rodata timing = false only the exit
 * program is loaded (counts and errors, no latency).
 */
#include "ks_core.bpf.h"
#include "ks_syscalls.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool timing = true;
const volatile bool per_thread = false;

KS_DEFINE_FILTERS
KS_DEFINE_DROPS

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ks_sc_key);
	__type(value, struct ks_sc_val);
} rows SEC(".maps");

/* per syscall number latency histograms, never reset (user space diffs) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_SC_MAX_NR);
	__type(key, __u32);
	__type(value, struct ks_hist);
} lat SEC(".maps");

/* tp_btf: start timestamp in task local storage */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} tstart SEC(".maps");

/*
 * tp_btf: the start timestamp goes to a per-CPU slot first (an inlined
 * array access); only when the task is switched out inside the syscall is
 * it moved to task local storage (sched_switch). Most syscalls never
 * block, so the hot path skips the task storage lookups.
 */
struct cpu_start {
	__u32 tid;
	__u32 pad;
	__u64 ts;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_start);
} cstart SEC(".maps");

/* raw_tp / classic: tid -> start timestamp */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

static __always_inline bool wanted(__u64 id)
{
	__u32 tgid = id >> 32;

	if (!ks_filter_pid && !ks_filter_cgroup)
		return true;
	return ks_current_wanted(tgid);
}

static __always_inline void on_enter(bool btf)
{
	__u64 id = bpf_get_current_pid_tgid(), ts;
	__u32 tid = id;

	if (!wanted(id))
		return;
	ts = bpf_ktime_get_ns();
	if (btf) {
		struct cpu_start *cs;
		__u32 zero = 0;

		cs = bpf_map_lookup_elem(&cstart, &zero);
		if (cs) {
			cs->tid = tid;
			cs->ts = ts;
		}
		return;
	}
	if (bpf_map_update_elem(&start, &tid, &ts, BPF_ANY))
		ks_drop(KS_DROP_MAP_FULL);
}

static __always_inline void on_exit(long nr, long ret, bool btf)
{
	__u64 id = bpf_get_current_pid_tgid(), delta = 0, *tsp = NULL, slot;
	struct ks_sc_key key;
	struct ks_sc_val *v;
	struct ks_hist *h;
	__u32 tid = id, n = nr;
	bool timed = false;

	if (nr < 0 || !wanted(id))
		return;
	if (timing) {
		if (btf) {
			struct cpu_start *cs;
			__u32 zero = 0;

			cs = bpf_map_lookup_elem(&cstart, &zero);
			if (cs && cs->tid == tid && cs->ts)
				tsp = &cs->ts;	/* did not leave this CPU */
			else
				tsp = bpf_task_storage_get(&tstart, bpf_get_current_task_btf(),
							   0, 0);
		} else {
			tsp = bpf_map_lookup_elem(&start, &tid);
		}
		if (tsp && *tsp) {
			delta = bpf_ktime_get_ns() - *tsp;
			*tsp = 0;
			timed = true;
		}
	}
	key.tgid = per_thread ? tid : id >> 32;
	key.nr = nr;
	v = bpf_map_lookup_elem(&rows, &key);
	if (!v) {
		struct ks_sc_val init = {};

		bpf_get_current_comm(init.comm, sizeof(init.comm));
		if (bpf_map_update_elem(&rows, &key, &init, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&rows, &key)) {
			ks_drop(KS_DROP_MAP_FULL);
			return;
		}
		v = bpf_map_lookup_elem(&rows, &key);
		if (!v)
			return;
	}
	v->count++;
	if (ret < 0 && ret >= -4095)
		v->errors++;
	if (!timing)
		return;
	if (!timed) {
		/* entered before we attached */
		ks_drop(KS_DROP_START_MISS);
		return;
	}
	v->timed++;
	v->sum_ns += delta;
	if (delta > v->max_ns)
		v->max_ns = delta;
	h = bpf_map_lookup_elem(&lat, &n);
	if (!h)
		return;
	slot = ks_hist_slot(delta);
	asm volatile("" : "+r"(slot));
	if (slot < KS_HIST_SLOTS)
		h->slots[slot]++;
	h->count++;
	h->sum_ns += delta;
	if (delta > h->max_ns)
		h->max_ns = delta;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(btf_enter, struct pt_regs *regs, long nr)
{
	on_enter(true);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(btf_exit, struct pt_regs *regs, long ret)
{
	on_exit(regs->orig_ax, ret, true);
	return 0;
}

/* tp_btf: a task leaving the CPU inside a syscall takes its start along */
SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct cpu_start *cs;
	__u32 zero = 0;
	__u64 *tsp;

	cs = bpf_map_lookup_elem(&cstart, &zero);
	if (!cs || !cs->ts || cs->tid != prev->pid)
		return 0;
	tsp = bpf_task_storage_get(&tstart, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (tsp)
		*tsp = cs->ts;
	else
		ks_drop(KS_DROP_MAP_FULL);
	cs->ts = 0;
	cs->tid = 0;
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(raw_enter, struct pt_regs *regs, long nr)
{
	on_enter(false);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(raw_exit, struct pt_regs *regs, long ret)
{
	on_exit(BPF_CORE_READ(regs, orig_ax), ret, false);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int tp_enter(struct trace_event_raw_sys_enter *ctx)
{
	on_enter(false);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int tp_exit(struct trace_event_raw_sys_exit *ctx)
{
	on_exit(ctx->id, ctx->ret, false);
	return 0;
}
