/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lock wait collector (bpf/locks.bpf.c + user/locks.c):
 *  - user-space futex waits (FUTEX_WAIT*, LOCK_PI*, futex_waitv): time in
 *    the futex syscall, by user stack. Each wait sends a struct
 *    ks_stack_sample (registers + 8 KiB stack copy) to a ring buffer and is
 *    unwound with CFI in user space (Debian's libc has no frame pointers).
 *  - kernel lock contention (lock:contention_begin/end): wait time by kernel
 *    stack and lock kind, aggregated in the kernel (stack map ids).
 * The result is the stack profile model->locks, values in microseconds,
 * with a marker frame naming the kind ("futex", "mutex", "spinlock", ...).
 */
#ifndef KS_LOCKS_H
#define KS_LOCKS_H

#include "ks_types.h"

enum ks_lock_kind {
	KS_LOCK_FUTEX = 0,		/* user space: futex wait */
	KS_LOCK_SPIN,			/* kernel: spinning (LCB_F_SPIN) */
	KS_LOCK_MUTEX,			/* kernel: mutex (LCB_F_MUTEX) */
	KS_LOCK_RWSEM_READ,		/* kernel: rwsem/rwlock read */
	KS_LOCK_RWSEM_WRITE,		/* kernel: rwsem/rwlock write */
	KS_LOCK_RT,			/* kernel: rt_mutex */
	KS_LOCK_OTHER,			/* kernel: anything else (semaphore, percpu rwsem) */
	KS_LOCK__COUNT,
};

struct ks_lock_key {
	__u32 tgid;
	__u32 pid;			/* tid in thread mode, else tgid */
	__u32 kind;
	__s32 kstack;			/* stack map id, < 0: none */
	char comm[KS_COMM_LEN];
};

struct ks_lock_val {
	__u64 ns;
	__u64 count;
};

/* per-CPU counters beyond the shared drops (index into "stats") */
enum ks_lock_stat {
	KS_LOCKS_FUTEX_WAITS = 0,	/* futex waits ended */
	KS_LOCKS_FUTEX_NS,
	KS_LOCKS_FUTEX_LOST_NS,		/* wait time of samples the ring buffer dropped */
	KS_LOCKS_KWAITS,		/* kernel contentions ended */
	KS_LOCKS_KNS,
	KS_LOCKS_FILTERED,		/* waits below -m */
	KS_LOCKS_STAT__COUNT,
};

#ifndef __VMLINUX_H__
#include <stdbool.h>
#include <stddef.h>
#include "ks_model.h"
#include "ks_syms.h"

struct ks_locks_opts {
	size_t sz;			/* sizeof(struct ks_locks_opts) */
	const __u32 *pids;		/* -p (NULL: all) */
	int npids;
	__u64 cgroup_id;		/* --cgroup (0: any) */
	bool threads;			/* stacks per thread */
	bool no_futex;			/* kernel lock contention only */
	bool no_kernel;			/* futex waits only */
	__u64 min_us;			/* ignore shorter waits (0: all) */
	struct ks_symbolizer *syms;	/* shared symbolizer (NULL: own one) */
};

struct ks_lock_total {
	uint64_t count, ns;
};

struct ks_locks;

/* Open, load, attach (tp_btf, else raw_tp, else classic). NULL + errno. */
struct ks_locks *ks_locks__open(const struct ks_locks_opts *opts);
/*
 * Move what was seen since the last read into @m: m->locks (created if
 * NULL; value us), lost counts and gaps (contention tracepoints absent,
 * ring buffer drops, stack errors).
 */
int ks_locks__read(struct ks_locks *c, struct ks_model *m);
/* Per-kind totals of the last read (all waits, stacks or not). */
const struct ks_lock_total *ks_locks__totals(const struct ks_locks *c);
const char *ks_lock_kind_name(unsigned int kind);
const char *ks_locks__attach_kind(const struct ks_locks *c);
void ks_locks__free(struct ks_locks *c);
#endif

#endif /* KS_LOCKS_H */
