/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Syscall collector (bpf/syscalls.bpf.c + user/syscalls.c): per process and
 * syscall number, count, errors (return in [-4095, -1]), total time and a
 * latency histogram, from raw_syscalls:sys_enter/sys_exit. Aggregated in a
 * per-CPU hash in the kernel; timing can be switched off for pure counting.
 */
#ifndef KS_SYSCALLS_H
#define KS_SYSCALLS_H

#include "ks_types.h"

struct ks_sc_key {
	__u32 tgid;
	__u32 nr;
};

struct ks_sc_val {
	__u64 count;
	__u64 errors;
	struct ks_hist lat;	/* count/sum_ns/max_ns of timed calls */
	char comm[KS_COMM_LEN];
};

#ifndef __VMLINUX_H__
#include <stdbool.h>
#include <stddef.h>
#include "ks_model.h"

struct ks_syscalls_opts {
	size_t sz;			/* sizeof(struct ks_syscalls_opts) */
	const __u32 *pids;		/* -p (NULL: all) */
	int npids;
	__u64 cgroup_id;		/* --cgroup (0: any) */
	bool no_timing;			/* count and errors only: no sys_enter program */
	bool per_thread;		/* rows keyed by tid */
};

struct ks_syscalls;

/* Open, load, attach (tp_btf, else raw_tp, else classic). NULL + errno. */
struct ks_syscalls *ks_syscalls__open(const struct ks_syscalls_opts *opts);
/*
 * Move what was seen since the last read into @m: syscall rows per process
 * (pid != 0) and system-wide (pid 0), per-task syscall counters, lost
 * counts and gaps.
 */
int ks_syscalls__read(struct ks_syscalls *c, struct ks_model *m);
const char *ks_syscalls__attach_kind(const struct ks_syscalls *c);
void ks_syscalls__free(struct ks_syscalls *c);

/* Name of syscall @nr on this architecture ("getppid"), NULL if unknown. */
const char *ks_syscall_name(unsigned int nr);
/* Number of syscall @name, -1 if unknown. */
int ks_syscall_nr(const char *name);
#endif

#endif /* KS_SYSCALLS_H */
