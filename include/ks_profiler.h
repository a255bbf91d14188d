/* SPDX-License-Identifier: GPL-2.0 */
/* The on-CPU profiler collector (bpf/profile.bpf.c + user/profiler.c). */
#ifndef KS_PROFILER_H
#define KS_PROFILER_H

#include <stdbool.h>
#include <stddef.h>
#include "ks_types.h"
#include "ks_model.h"
#include "ks_syms.h"

struct ks_profiler_opts {
	size_t sz;			/* sizeof(struct ks_profiler_opts) */
	const __u32 *pids;		/* -p: processes to profile (NULL: all) */
	int npids;
	__u64 cgroup_id;		/* --cgroup (0: any) */
	unsigned int freq;		/* Hz, default 99 */
	bool no_user;			/* -K */
	bool no_kernel;			/* -U */
	bool fp_only;			/* --unwind fp: in-kernel FP stacks, no CFI */
	bool per_thread;		/* stacks keyed by thread, not process */
	struct ks_symbolizer *syms;	/* shared symbolizer (NULL: own one) */
};

struct ks_profiler;

/* Open, load and attach on every online CPU. NULL + errno (message printed). */
struct ks_profiler *ks_profiler__open(const struct ks_profiler_opts *opts);
/* Consume streamed samples for up to @timeout_ms. Returns samples consumed or -errno. */
int ks_profiler__poll(struct ks_profiler *p, int timeout_ms);
/*
 * Move what was seen since the last read into @out (stacks + accounting):
 * drains the ring buffer and the in-kernel counts.
 */
int ks_profiler__read(struct ks_profiler *p, struct ks_profile *out);
/* For the model-based views (top, report, record): fills m->oncpu. */
int ks_profiler__read_model(struct ks_profiler *p, struct ks_model *m);
/* Samples taken so far (kernel-side count). */
uint64_t ks_profiler__samples(struct ks_profiler *p);
const char *ks_profiler__event(const struct ks_profiler *p);	/* "cpu-clock"/"cycles" */
struct ks_symbolizer *ks_profiler__symbolizer(struct ks_profiler *p);
void ks_profiler__free(struct ks_profiler *p);

#endif /* KS_PROFILER_H */
