// SPDX-License-Identifier: GPL-2.0
/*
 * On-CPU profiler: a perf_event program on every CPU (cpu-clock, or cycles
 * where the hardware offers them).
 *
 * Two modes:
 *  - in-kernel aggregation (kernel stacks only, or --unwind fp): counts by
 *    {tgid, pid, comm, kernel stack id, user frame-pointer stack id}, read
 *    once at the end;
 *  - stack samples (default for user stacks): each sample that has a user
 *    stack goes to the ring buffer with the user registers and a copy of the
 *    user stack, unwound in user space with CFI (user/stacks.c). Kernel
 *    stacks travel inline, so no stack-map collisions there.
 */
#include "ks_core.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool want_user = true;
const volatile bool want_kernel = true;
const volatile bool stream_user = true;	/* copy user stacks to the ring buffer */
const volatile __u32 self_tgid = 0;	/* kscope itself: excluded unless profiled by pid */

KS_DEFINE_FILTERS
KS_DEFINE_DROPS
KS_DEFINE_SCRATCH

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ks_profile_key);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 32768);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, KS_MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} samples SEC(".maps");

/* samples taken (per CPU): the denominator of every loss figure */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} nsamples SEC(".maps");

/* ctx->regs fields are read directly: the verifier rewrites ctx accesses */
#define user_mode(ctx) ((*(volatile __u64 *)&(ctx)->regs.cs & 3) != 0)

static __always_inline int stream_sample(struct bpf_perf_event_data *ctx, __u32 tgid, __u32 pid)
{
	struct ks_sample_scratch *sc;
	struct ks_stack_sample *s;
	struct pt_regs *uregs;
	long n;

	sc = ks_scratch_get();
	if (!sc)
		return 0;
	s = &sc->s;
	ks_sample_init(s, tgid, pid, 1, 0);
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	if (want_kernel && !user_mode(ctx)) {
		n = bpf_get_stack(ctx, s->kips, sizeof(s->kips), 0);
		if (n > 0)
			s->nkips = n / sizeof(__u64);
		else
			ks_drop(KS_DROP_KSTACK);
	}
	if (want_user) {
		if (user_mode(ctx)) {
			ks_capture_user(s, ctx->regs.ip, ctx->regs.sp, ctx->regs.bp);
		} else {
			uregs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
			ks_capture_user_pt(s, uregs);
		}
		if (s->flags & KS_SAMPLE_URD_FAIL)
			ks_drop(KS_DROP_USTACK);
	}
	/* no wakeup per sample: user space drains every poll interval */
	if (bpf_ringbuf_output(&samples, s, ks_sample_size(s), BPF_RB_NO_WAKEUP))
		ks_drop(KS_DROP_RINGBUF);
	return 0;
}

SEC("perf_event")
int ks_profile(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), *val, one = 1;
	__u32 tgid = id >> 32, pid = (__u32)id, zero = 0;
	struct ks_profile_key key = {};

	if (!pid)		/* idle */
		return 0;
	if (!ks_current_wanted(tgid))
		return 0;
	if (!ks_filter_pid && tgid == self_tgid)
		return 0;
	val = bpf_map_lookup_elem(&nsamples, &zero);
	if (val)
		(*val)++;

	if (want_user && stream_user)
		return stream_sample(ctx, tgid, pid);

	key.tgid = tgid;
	key.pid = pid;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	key.kstack = -1;
	key.ustack = -1;
	if (want_kernel) {
		key.kstack = bpf_get_stackid(ctx, &stacks, 0);
		if (key.kstack < 0 && user_mode(ctx))
			key.kstack = -1;	/* no kernel part: not an error */
		else if (key.kstack < 0)
			ks_drop(KS_DROP_KSTACK);
	}
	if (want_user) {
		key.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		if (key.ustack < 0)
			ks_drop(KS_DROP_USTACK);
	}
	val = bpf_map_lookup_elem(&counts, &key);
	if (val) {
		__sync_fetch_and_add(val, 1);
	} else if (bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST)) {
		val = bpf_map_lookup_elem(&counts, &key);
		if (val)
			__sync_fetch_and_add(val, 1);
		else
			ks_drop(KS_DROP_MAP_FULL);
	}
	return 0;
}
