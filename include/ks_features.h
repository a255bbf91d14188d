/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel feature probing, done for real (load and attach tiny programs),
 * once per run. `kscope doctor` prints the table; every collector asks the
 * same probes which attach type to use and which signals it must declare
 * unavailable.
 */
#ifndef KS_FEATURES_H
#define KS_FEATURES_H

#include <stdbool.h>

enum ks_feature {
	KS_FEAT_BTF,		/* /sys/kernel/btf/vmlinux */
	KS_FEAT_TP_BTF,		/* BPF_TRACE_RAW_TP with BTF (tp_btf/) */
	KS_FEAT_RAW_TP,		/* raw_tracepoint/ */
	KS_FEAT_TRACEPOINT,	/* classic tracepoint/ via perf_event */
	KS_FEAT_TRACEFS,	/* tracefs mounted (needed for classic tracepoints) */
	KS_FEAT_KPROBE,
	KS_FEAT_FENTRY,
	KS_FEAT_PERF_CPU_CLOCK,	/* software cpu-clock sampling */
	KS_FEAT_PERF_CYCLES,	/* hardware cycles sampling */
	KS_FEAT_UPROBE,
	KS_FEAT_RINGBUF,
	KS_FEAT_TASK_ITER,
	KS_FEAT_BPF_STATS,	/* BPF program run time statistics */
	KS_FEAT_TASK_PT_REGS,	/* bpf_task_pt_regs() in tracing programs */
	KS_FEAT__COUNT,
};

/* Run all probes (idempotent). Returns 0; results via the getters. */
int ks_features_probe(void);
bool ks_feature(enum ks_feature f);		/* probes lazily */
const char *ks_feature_name(enum ks_feature f);	/* "tp_btf", "kprobes", ... */
const char *ks_feature_reason(enum ks_feature f);	/* why (un)available */

/* The best way to attach to a tracepoint, in the order DESIGN.md gives. */
enum ks_tp_kind { KS_TP_BTF, KS_TP_RAW, KS_TP_CLASSIC, KS_TP_NONE };
enum ks_tp_kind ks_tp_best(void);
const char *ks_tp_kind_name(enum ks_tp_kind k);
/* Does the kernel have tracepoint @category:@name (from BTF: btf_trace_<name>)? */
bool ks_tracepoint_exists(const char *category, const char *name);
/* Mount tracefs at /sys/kernel/tracing if it is not; 0 or -errno. */
int ks_tracefs_mount(void);

#endif /* KS_FEATURES_H */
