// SPDX-License-Identifier: GPL-2.0
/*
 * Syscall counts, errors and latency per (process, syscall), from
 * raw_syscalls:sys_enter/sys_exit. The hot path is one start timestamp per
 * thread (a per-CPU slot, task local storage if the task blocks, with
 * tp_btf; a tid hash otherwise) and one row update at exit, in the per-CPU
 * row cache (ks_syscalls.h) or else the per-CPU hash. With rodata timing =
 * false only the exit program is loaded (counts and errors, no latency).
 *
 * Measured under a getppid loop (bpf_stats, ns per syscall, enter + exit):
 * empty programs 133; every call timed, hash rows 386; clock reads
 * (bpf_ktime_get_ns) cost ~65 ns each in this VM and the hash lookup ~55,
 * hence the row cache and, with tp_btf, adaptive latency sampling. Then
 * helper calls: sys_enter makes none (no tid kept: see struct cpu_start),
 * sys_exit none while the same task is on the CPU (the "regs" cache).
 * Throughput of the loop, median of 9 ABBA pairs against the empty
 * programs' 0.573: 0.489 before those two, 0.534 after.
 */
#include "ks_core.bpf.h"
#include "ks_syscalls.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool timing = true;
const volatile bool per_thread = false;
const volatile bool sampling = true;	/* adaptive latency sampling (ks_syscalls.h) */

__u32 epoch;				/* bumped by user space before each read */

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_SC_CACHE);
	__type(key, __u32);
	__type(value, struct ks_sc_slot);
} rcache SEC(".maps");

/*
 * tp_btf: the start timestamp goes to a per-CPU slot first (an inlined
 * array access); only when the task is switched out inside the syscall is
 * it moved to task local storage (sched_switch). Most syscalls never
 * block, so the hot path skips the task storage lookups. The slot also
 * holds the CPU's sampling state: KS_SC_UNTIMED marks a call not timed.
 * Whose start it is needs no tid: a non-zero ts belongs to the task on
 * this CPU now, as the last sys_enter here was its own and any switch since
 * would have moved the ts away (btf_switch) and cleared the slot.
 */
struct cpu_start {
	__u32 shift;		/* time one call in 2^shift */
	__u32 pad;
	__u64 ts;
	__u64 last_timed;	/* ts of the CPU's last timed call */
	__u64 rnd;		/* xorshift state */
	/*
	 * The pid_tgid of the task whose pt_regs (at the top of its kernel
	 * stack: one per task) are "regs", cleared at every switch on this
	 * CPU: a task's later syscall exits in the same time slice skip the
	 * helper call (a stack reused by a new task is behind a switch).
	 */
	__u64 regs;
	__u64 id;
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
	__u64 id = 0, ts;
	__u32 tid;

	if (ks_filter_pid || ks_filter_cgroup || !btf) {
		id = bpf_get_current_pid_tgid();
		if (!wanted(id))
			return;
	}
	tid = id;
	if (btf) {
		struct cpu_start *cs;
		__u32 zero = 0;

		cs = bpf_map_lookup_elem(&cstart, &zero);
		if (!cs)
			return;
		if (sampling && cs->shift) {
			__u64 x = cs->rnd ?: bpf_ktime_get_ns();

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			cs->rnd = x;
			if (x & ((1ULL << (cs->shift & 7)) - 1)) {
				cs->ts = KS_SC_UNTIMED;
				return;
			}
		}
		ts = bpf_ktime_get_ns();
		if (sampling) {
			/* two timed calls closer than the gap: time fewer */
			if (ts - cs->last_timed < KS_SC_SAMPLE_GAP_NS) {
				if (cs->shift < KS_SC_SAMPLE_MAX_SHIFT)
					cs->shift++;
			} else if (cs->shift && ts - cs->last_timed > 4 * KS_SC_SAMPLE_GAP_NS) {
				cs->shift--;
			}
			cs->last_timed = ts;
		}
		cs->ts = ts;
		return;
	}
	ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&start, &tid, &ts, BPF_ANY))
		ks_drop(KS_DROP_MAP_FULL);
}

static __always_inline void on_exit(const void *regs, long nr, long ret, bool btf)
{
	__u64 id, delta = 0, *tsp = NULL;
	struct cpu_start *cs = NULL;
	struct ks_sc_slot *cache;
	struct ks_sc_key key;
	struct ks_sc_val *v;
	struct ks_hist *h;
	__u32 tid, n = nr, slot, zero = 0;
	bool timed = false, sampled_out = false;

	if (nr < 0)
		return;
	/* with timing, btf_switch clears the per-CPU task cache at each switch */
	if (btf && timing)
		cs = bpf_map_lookup_elem(&cstart, &zero);
	if (cs && cs->regs == (__u64)regs) {
		id = cs->id;
	} else {
		id = bpf_get_current_pid_tgid();
		if (cs) {
			cs->regs = (__u64)regs;
			cs->id = id;
		}
	}
	tid = id;
	if (!wanted(id))
		return;
	if (timing) {
		if (btf) {
			if (cs && cs->ts)
				tsp = &cs->ts;	/* did not leave this CPU */
			else
				tsp = bpf_task_storage_get(&tstart, bpf_get_current_task_btf(),
							   0, 0);
		} else {
			tsp = bpf_map_lookup_elem(&start, &tid);
		}
		if (tsp && *tsp == KS_SC_UNTIMED) {
			*tsp = 0;
			sampled_out = true;
		} else if (tsp && *tsp) {
			delta = bpf_ktime_get_ns() - *tsp;
			*tsp = 0;
			timed = true;
		}
	}
	key.tgid = per_thread ? tid : id >> 32;
	key.nr = nr;
	slot = ks_sc_slot_of(key.tgid, n);
	cache = bpf_map_lookup_elem(&rcache, &slot);
	if (cache && cache->v.count && cache->tgid == key.tgid && cache->nr == n) {
		v = &cache->v;
	} else if (cache && !cache->v.count) {
		/* claim the free slot for this row, on this CPU, for good */
		cache->tgid = key.tgid;
		cache->nr = n;
		bpf_get_current_comm(cache->v.comm, sizeof(cache->v.comm));
		v = &cache->v;
	} else {
		v = bpf_map_lookup_elem(&rows, &key);
	}
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
	if (!timing || sampled_out)
		return;
	if (!timed) {
		/* entered before we attached */
		ks_drop(KS_DROP_START_MISS);
		return;
	}
	v->timed++;
	v->sum_ns += delta;
	if (cache && v == &cache->v) {
		/* the slot is cumulative: its max is per read interval */
		if (cache->max_epoch != epoch) {
			cache->max_epoch = epoch;
			v->max_ns = delta;
		} else if (delta > v->max_ns) {
			v->max_ns = delta;
		}
	} else if (delta > v->max_ns) {
		v->max_ns = delta;
	}
	h = bpf_map_lookup_elem(&lat, &n);
	if (!h)
		return;
	ks_hist_add_pcpu(h, delta);
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
	on_exit(regs, regs->orig_ax, ret, true);
	return 0;
}

/* tp_btf: a task leaving the CPU inside a syscall takes its start along; the task cache clears */
SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct cpu_start *cs;
	__u32 zero = 0;
	__u64 *tsp;

	cs = bpf_map_lookup_elem(&cstart, &zero);
	if (!cs)
		return 0;
	cs->regs = 0;
	if (!cs->ts)
		return 0;
	tsp = bpf_task_storage_get(&tstart, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (tsp)
		*tsp = cs->ts;
	else
		ks_drop(KS_DROP_MAP_FULL);
	cs->ts = 0;
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
	on_exit(regs, BPF_CORE_READ(regs, orig_ax), ret, false);
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
	on_exit(NULL, ctx->id, ctx->ret, false);
	return 0;
}
