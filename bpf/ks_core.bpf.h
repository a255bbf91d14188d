/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by kscope's BPF programs: pid/cgroup filtering, drop
 * counters, CO-RE shims for fields that changed name across kernels, and
 * the user stack capture used by every stack-taking collector.
 */
#ifndef KS_CORE_BPF_H
#define KS_CORE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "ks_types.h"

/* task_struct::state became __state in 5.14 */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

/*
 * Add @ns to a histogram. ks_hist_add_pcpu: a per-CPU value, plain adds.
 * ks_hist_add: a value CPUs share, atomic adds; the max is racy by design
 * (a lost max is a smaller max). The empty asm keeps the bound check on the
 * register that indexes, where the verifier sees it.
 */
static __always_inline void ks_hist_add_pcpu(struct ks_hist *h, __u64 ns)
{
	__u64 slot = ks_hist_slot(ns);

	asm volatile("" : "+r"(slot));
	if (slot < KS_HIST_SLOTS)
		h->slots[slot]++;
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

static __always_inline void ks_hist_add(struct ks_hist *h, __u64 ns)
{
	__u64 slot = ks_hist_slot(ns);

	asm volatile("" : "+r"(slot));
	if (slot < KS_HIST_SLOTS)
		__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_ns, ns);
	if (ns > h->max_ns)
		h->max_ns = ns;
}

static __always_inline long ks_task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

/*
 * Filters. A collector that wants them declares, before including this file:
 *   const volatile bool ks_filter_pid = false;   + map ks_pids (tgid -> u8)
 *   const volatile __u64 ks_filter_cgroup = 0;
 * KS_DEFINE_FILTERS does it.
 */
#define KS_DEFINE_FILTERS						\
	const volatile bool ks_filter_pid = false;			\
	const volatile __u64 ks_filter_cgroup = 0;			\
	struct {							\
		__uint(type, BPF_MAP_TYPE_HASH);			\
		__uint(max_entries, KS_MAX_PIDS);			\
		__type(key, __u32);					\
		__type(value, __u8);					\
	} ks_pids SEC(".maps");

#define KS_DEFINE_DROPS							\
	struct {							\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);		\
		__uint(max_entries, KS_DROP__COUNT);			\
		__type(key, __u32);					\
		__type(value, __u64);					\
	} ks_drops SEC(".maps");

#define ks_drop(what)							\
	do {								\
		__u32 __k = (what);					\
		__u64 *__v = bpf_map_lookup_elem(&ks_drops, &__k);	\
		if (__v)						\
			(*__v)++;					\
	} while (0)

/* Does the current task pass the -p / --cgroup filters? */
#define ks_current_wanted(tgid)						\
	((!ks_filter_pid || bpf_map_lookup_elem(&ks_pids, &(tgid))) &&	\
	 (!ks_filter_cgroup || bpf_get_current_cgroup_id() == ks_filter_cgroup))

/*
 * Copy the user stack from regs->sp upwards into s->ustack, page by page so
 * that the end of the stack mapping only truncates the copy.
 * Returns the number of bytes copied.
 */
static __always_inline __u32 ks_copy_ustack(struct ks_stack_sample *s, __u64 sp)
{
	__u32 len = 0, chunk;
	int i;

	for (i = 0; i < KS_USTACK_BYTES / 4096 + 1; i++) {
		chunk = i == 0 ? 4096 - (sp & 4095) : 4096;
		if (len >= KS_USTACK_BYTES)
			break;
		if (chunk > KS_USTACK_BYTES - len)
			chunk = KS_USTACK_BYTES - len;
		if (chunk == 0 || chunk > 4096)
			break;
		/* len < KS_USTACK_BYTES and chunk <= KS_USTACK_BYTES - len */
		if (bpf_probe_read_user(&s->ustack[len & (KS_USTACK_BYTES - 1)], chunk,
					(void *)(sp + len)))
			break;
		len += chunk;
	}
	return len;
}

/* Start a sample: who, how much, what (tag), no stacks yet. */
static __always_inline void ks_sample_init(struct ks_stack_sample *s, __u32 tgid, __u32 pid,
					   __u64 value, __u32 tag)
{
	s->tgid = tgid;
	s->pid = pid;
	s->value = value;
	s->tag = tag;
	s->flags = 0;
	s->nkips = 0;
	s->ustack_len = 0;
}

/*
 * Fill the user part of @s from user-mode registers of the current task
 * (@ip, @sp, @bp). A kernel thread has no user stack.
 */
static __always_inline void ks_capture_user(struct ks_stack_sample *s, __u64 ip, __u64 sp,
					    __u64 bp)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	if (!BPF_CORE_READ(task, mm)) {
		s->flags |= KS_SAMPLE_KTHREAD;
		return;
	}
	s->regs.ip = ip;
	s->regs.sp = sp;
	s->regs.bp = bp;
	s->ustack_len = ks_copy_ustack(s, sp);
	s->flags |= KS_SAMPLE_USER;
	if (!s->ustack_len)
		s->flags |= KS_SAMPLE_URD_FAIL;
}

/* The same from a task's saved user registers (bpf_task_pt_regs()). */
static __always_inline void ks_capture_user_pt(struct ks_stack_sample *s, struct pt_regs *r)
{
	ks_capture_user(s, BPF_CORE_READ(r, ip), BPF_CORE_READ(r, sp), BPF_CORE_READ(r, bp));
}

/*
 * Per-CPU scratch for building a struct ks_stack_sample. The slack lets
 * the verifier accept the page-sized copies at a variable offset; a
 * collector whose record wraps the sample (ks_offcpu_event) puts the
 * sample last and the slack after it.
 */
#define KS_SCRATCH_SLACK	4096

struct ks_sample_scratch {
	struct ks_stack_sample s;
	__u8 slack[KS_SCRATCH_SLACK];
};

/* ks_scratch: one @vtype per CPU, a struct ending in a ks_stack_sample and slack */
#define KS_DEFINE_SCRATCH_OF(vtype)					\
	struct {							\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);		\
		__uint(max_entries, 1);					\
		__type(key, __u32);					\
		__type(value, vtype);					\
	} ks_scratch SEC(".maps");

#define KS_DEFINE_SCRATCH KS_DEFINE_SCRATCH_OF(struct ks_sample_scratch)

/* This CPU's ks_scratch (NULL only if the map is broken). */
#define ks_scratch_get()						\
	({								\
		__u32 __zero = 0;					\
		bpf_map_lookup_elem(&ks_scratch, &__zero);		\
	})

static __always_inline __u32 ks_sample_size(const struct ks_stack_sample *s)
{
	__u32 len = s->ustack_len;

	if (len > KS_USTACK_BYTES)
		len = KS_USTACK_BYTES;
	return KS_STACK_SAMPLE_HDR + len;
}
#endif /* KS_CORE_BPF_H */
