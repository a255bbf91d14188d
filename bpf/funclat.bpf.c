// SPDX-License-Identifier: GPL-2.0
/*
 * Application probes: user function latency (uprobe + uretprobe) and USDT
 * hits / begin-end latency, aggregated per (process, probe) in "stats".
 *
 * One program of each kind is attached many times; the attach cookie is the
 * probe index. A thread's open calls live on a small stack in task local
 * storage (freed with the task), so recursion and nesting are timed right;
 * a frame whose return never came (longjmp, exceptions) is found by its
 * stack pointer and counted, never silently mixed into another call.
 */
#include "ks_core.bpf.h"
#include "ks_funclat.h"

/*
 * Without cookies (kernel < 5.15) the probe is told by its address: a file
 * offset and its runtime address share their offset in the page, so
 * ip_idx[IP & 0xfff] holds index + 1 (the loader checks they are distinct).
 */
const volatile bool use_cookie = true;
/* kscope itself: its own calls (malloc while reading maps) are not counted. */
const volatile __u32 self_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);		/* set by the loader */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ks_fl_key);
	__type(value, struct ks_fl_val);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ks_fl_stack);
} tstack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ks_fl_open_key);
	__type(value, __u64);
} opens SEC(".maps");

/* Zeroed template for new stats rows (too big for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_fl_val);
} zero SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KS_FL_PAGE_MASK + 1);
	__type(key, __u32);
	__type(value, __u32);
} ip_idx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_FL_CTR__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* x86-64: the return pops the return address the entry sp pointed at. */
#if defined(__TARGET_ARCH_x86)
#define RET_SP_ADJ 8
#else
#define RET_SP_ADJ 0
#endif

static __always_inline void bump(__u32 c)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &c);

	if (v)
		(*v)++;
}

/* The probe index, or KS_FL_MAX_PROBES when unknown (counted). */
static __always_inline __u32 probe_idx(struct pt_regs *ctx)
{
	__u32 k, *v;

	if (use_cookie)
		return (__u32)bpf_get_attach_cookie(ctx);
	k = PT_REGS_IP(ctx) & KS_FL_PAGE_MASK;
	v = bpf_map_lookup_elem(&ip_idx, &k);
	if (v && *v)
		return *v - 1;
	bump(KS_FL_UNKNOWN_IP);
	return KS_FL_MAX_PROBES;
}

static __always_inline struct ks_fl_val *stats_get(__u32 tgid, __u32 idx)
{
	struct ks_fl_key k = { .tgid = tgid, .idx = idx };
	struct ks_fl_val *v, *init;
	__u32 z = 0;

	v = bpf_map_lookup_elem(&stats, &k);
	if (v)
		return v;
	init = bpf_map_lookup_elem(&zero, &z);
	if (!init)
		return NULL;
	bpf_get_current_comm(init->comm, sizeof(init->comm));
	bpf_map_update_elem(&stats, &k, init, BPF_NOEXIST);	/* EEXIST: raced, fine */
	v = bpf_map_lookup_elem(&stats, &k);
	if (!v)
		bump(KS_FL_MAP_FULL);
	return v;
}

/* ks_hist_add, and the minimum (percentiles are clamped to it) */
static __always_inline void hist_add(struct ks_hist *h, __u64 ns)
{
	ks_hist_add(h, ns);
	if (!h->min_ns || ns < h->min_ns)
		h->min_ns = ns;
}

/* Count only: --count and lone USDT probes. */
SEC("uprobe")
int fl_count(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, idx;
	struct ks_fl_val *v;

	if (tgid == self_tgid)
		return 0;
	idx = probe_idx(ctx);
	if (idx >= KS_FL_MAX_PROBES)
		return 0;
	v = stats_get(tgid, idx);
	if (v)
		__sync_fetch_and_add(&v->calls, 1);
	return 0;
}

SEC("uprobe")
int fl_entry(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, idx, d;
	struct ks_fl_stack *st;
	struct ks_fl_frame *f;
	struct ks_fl_val *v;

	if (tgid == self_tgid)
		return 0;
	idx = probe_idx(ctx);
	if (idx >= KS_FL_MAX_PROBES)
		return 0;
	v = stats_get(tgid, idx);
	if (v)
		__sync_fetch_and_add(&v->calls, 1);
	st = bpf_task_storage_get(&tstack, bpf_get_current_task_btf(), NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		bump(KS_FL_NO_STORAGE);
		if (v)
			__sync_fetch_and_add(&v->untimed, 1);
		return 0;
	}
	d = st->depth;
	if (d >= KS_FL_DEPTH) {
		st->depth = d + 1;	/* the return only pops */
		if (v)
			__sync_fetch_and_add(&v->untimed, 1);
		return 0;
	}
	f = &st->f[d & (KS_FL_DEPTH - 1)];
	f->idx = idx;
	f->tgid = tgid;
	f->sp = PT_REGS_SP(ctx);
	st->depth = d + 1;
	f->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("uretprobe")
int fl_exit(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns(), sp = PT_REGS_SP(ctx);
	struct ks_fl_stack *st;
	struct ks_fl_frame *f;
	struct ks_fl_val *v;
	struct ks_fl_key k;
	__u32 d;
	int i;

	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	st = bpf_task_storage_get(&tstack, bpf_get_current_task_btf(), NULL, 0);
	if (!st || !st->depth) {
		bump(KS_FL_NO_ENTRY);
		return 0;
	}
	d = st->depth;
	if (d > KS_FL_DEPTH) {
		st->depth = d - 1;
		return 0;
	}
	/* Frames deeper than ours (smaller sp) returned without us seeing it. */
	for (i = 0; i < 4; i++) {
		if (d == 0 || d > KS_FL_DEPTH)
			break;
		f = &st->f[(d - 1) & (KS_FL_DEPTH - 1)];
		if (f->sp + RET_SP_ADJ >= sp)
			break;
		k.tgid = f->tgid;
		k.idx = f->idx;
		v = bpf_map_lookup_elem(&stats, &k);
		if (v)
			__sync_fetch_and_add(&v->unmatched, 1);
		bump(KS_FL_SKIPPED_RET);
		d--;
	}
	if (d == 0 || d > KS_FL_DEPTH) {
		st->depth = 0;
		bump(KS_FL_NO_ENTRY);
		return 0;
	}
	f = &st->f[(d - 1) & (KS_FL_DEPTH - 1)];
	st->depth = d - 1;
	k.tgid = f->tgid;
	k.idx = f->idx;
	v = bpf_map_lookup_elem(&stats, &k);
	if (v)
		hist_add(&v->lat, now - f->ts);
	return 0;
}

/* USDT begin of a begin/end pair: counts and opens. */
SEC("uprobe")
int fl_begin(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), ts;
	struct ks_fl_open_key k = { .tid = (__u32)id, .idx = probe_idx(ctx) };
	struct ks_fl_val *v;

	if ((id >> 32) == self_tgid || k.idx >= KS_FL_MAX_PROBES)
		return 0;
	v = stats_get(id >> 32, k.idx);
	if (v)
		__sync_fetch_and_add(&v->calls, 1);
	ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&opens, &k, &ts, BPF_ANY)) {
		bump(KS_FL_OPEN_FULL);
		if (v)
			__sync_fetch_and_add(&v->untimed, 1);
	}
	return 0;
}

SEC("uprobe")
int fl_end(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), *ts;
	struct ks_fl_open_key k = { .tid = (__u32)id, .idx = probe_idx(ctx) };
	struct ks_fl_key sk = { .tgid = id >> 32, .idx = k.idx };
	struct ks_fl_val *v;
	__u64 delta;

	if (sk.tgid == self_tgid || k.idx >= KS_FL_MAX_PROBES)
		return 0;
	ts = bpf_map_lookup_elem(&opens, &k);
	if (!ts) {
		bump(KS_FL_END_NO_BEGIN);
		return 0;
	}
	delta = now - *ts;
	bpf_map_delete_elem(&opens, &k);
	v = bpf_map_lookup_elem(&stats, &sk);
	if (v)
		hist_add(&v->lat, delta);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
