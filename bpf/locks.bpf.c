// SPDX-License-Identifier: GPL-2.0
/*
 * Lock waits: futex wait syscalls (raw_syscalls sys_enter/sys_exit filtered
 * to the futex syscall numbers and wait operations) streamed with user stack
 * snapshots, and kernel lock contention (lock:contention_begin/end)
 * aggregated by kernel stack. Twins for tp_btf, raw_tp and classic
 * tracepoints; the loader keeps one flavour.
 */
#include "ks_core.bpf.h"
#include "ks_locks.h"

char LICENSE[] SEC("license") = "GPL";

#define FUTEX_WAIT		0
#define FUTEX_LOCK_PI		6
#define FUTEX_WAIT_BITSET	9
#define FUTEX_WAIT_REQUEUE_PI	11
#define FUTEX_LOCK_PI2		13
#define FUTEX_CMD_MASK		0x7f	/* without PRIVATE (128) and CLOCK_REALTIME (256) */

#define LCB_F_SPIN	(1U << 0)
#define LCB_F_READ	(1U << 1)
#define LCB_F_WRITE	(1U << 2)
#define LCB_F_RT	(1U << 3)
#define LCB_F_PERCPU	(1U << 4)
#define LCB_F_MUTEX	(1U << 5)

const volatile int futex_nr = -1;	/* from the build's syscall table */
const volatile int futex_waitv_nr = -1;
const volatile bool want_user = true;
const volatile bool per_thread = false;
const volatile __u64 min_ns = 0;
const volatile __u32 self_tgid = 0;
const volatile __u32 kskip = 0;		/* our own frames atop kernel stacks */

KS_DEFINE_FILTERS
KS_DEFINE_DROPS
KS_DEFINE_SCRATCH

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_LOCKS_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* tid -> futex wait start (ns) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, __u64);
} fstart SEC(".maps");

struct kwait {
	__u64 ts;
	__u64 lock;
	__u32 flags;
	__u32 pad;
};

/* tid -> kernel contention in progress */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct kwait);
} kstart SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ks_lock_key);
	__type(value, struct ks_lock_val);
} kwaits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, KS_MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

static __always_inline void stat_add(__u32 k, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &k);

	if (v)
		*v += n;
}

static __always_inline bool wanted(__u64 id)
{
	__u32 tgid = id >> 32;

	if (!ks_filter_pid && tgid == self_tgid)
		return false;
	return ks_current_wanted(tgid);
}

static __always_inline bool is_wait(long nr, __u64 op)
{
	__u32 cmd = op & FUTEX_CMD_MASK;

	if (nr == futex_waitv_nr)
		return true;
	if (nr != futex_nr)
		return false;
	return cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI ||
	       cmd == FUTEX_LOCK_PI2 || cmd == FUTEX_WAIT_REQUEUE_PI;
}

static __always_inline void futex_enter(long nr, __u64 op)
{
	__u64 id, ts;
	__u32 tid;

	if (nr != futex_nr && nr != futex_waitv_nr)
		return;
	if (!is_wait(nr, op))
		return;
	id = bpf_get_current_pid_tgid();
	if (!wanted(id))
		return;
	tid = id;
	ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&fstart, &tid, &ts, BPF_ANY))
		ks_drop(KS_DROP_MAP_FULL);
}

/* @regs: the user registers (NULL: not available, classic tracepoints) */
static __always_inline void futex_exit(long nr, struct pt_regs *regs, bool btf)
{
	struct ks_sample_scratch *sc;
	struct ks_stack_sample *s;
	__u64 id, *tsp, ns;
	__u32 tid;

	if (nr != futex_nr && nr != futex_waitv_nr)
		return;
	id = bpf_get_current_pid_tgid();
	tid = id;
	tsp = bpf_map_lookup_elem(&fstart, &tid);
	if (!tsp)
		return;
	ns = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&fstart, &tid);
	stat_add(KS_LOCKS_FUTEX_WAITS, 1);
	stat_add(KS_LOCKS_FUTEX_NS, ns);
	if (ns < min_ns) {
		stat_add(KS_LOCKS_FILTERED, 1);
		return;
	}
	sc = ks_scratch_get();
	if (!sc)
		return;
	s = &sc->s;
	ks_sample_init(s, id >> 32, tid, ns, KS_LOCK_FUTEX);
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	if (want_user && regs) {
		if (btf)
			ks_capture_user(s, regs->ip, regs->sp, regs->bp);
		else
			ks_capture_user_pt(s, regs);
		if (s->flags & KS_SAMPLE_URD_FAIL)
			ks_drop(KS_DROP_USTACK);
	}
	if (bpf_ringbuf_output(&samples, s, ks_sample_size(s), BPF_RB_NO_WAKEUP)) {
		ks_drop(KS_DROP_RINGBUF);
		stat_add(KS_LOCKS_FUTEX_LOST_NS, ns);
	}
}

static __always_inline void kbegin(__u64 lock, __u32 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct kwait w = {};
	__u32 tid = id;

	if (!tid || !wanted(id))
		return;
	w.ts = bpf_ktime_get_ns();
	w.lock = lock;
	w.flags = flags;
	/* nested begins (a spin inside a mutex slow path): keep the outer one */
	bpf_map_update_elem(&kstart, &tid, &w, BPF_NOEXIST);
}

static __always_inline __u32 kind_of(__u32 f)
{
	if (f & LCB_F_RT)
		return KS_LOCK_RT;
	if (f & LCB_F_MUTEX)
		return KS_LOCK_MUTEX;
	if (f & LCB_F_PERCPU)
		return KS_LOCK_OTHER;
	if (f & LCB_F_READ)
		return KS_LOCK_RWSEM_READ;
	if (f & LCB_F_WRITE)
		return KS_LOCK_RWSEM_WRITE;
	if (f & LCB_F_SPIN)
		return KS_LOCK_SPIN;
	return KS_LOCK_OTHER;
}

static __always_inline void kend(void *ctx, __u64 lock)
{
	__u64 id = bpf_get_current_pid_tgid(), ns;
	struct ks_lock_val *v, init = {};
	struct ks_lock_key key = {};
	struct kwait *w;
	__u32 tid = id;

	if (!tid)
		return;
	w = bpf_map_lookup_elem(&kstart, &tid);
	if (!w || w->lock != lock)
		return;
	ns = bpf_ktime_get_ns() - w->ts;
	key.kind = kind_of(w->flags);
	bpf_map_delete_elem(&kstart, &tid);
	stat_add(KS_LOCKS_KWAITS, 1);
	stat_add(KS_LOCKS_KNS, ns);
	if (ns < min_ns) {
		stat_add(KS_LOCKS_FILTERED, 1);
		return;
	}
	key.tgid = id >> 32;
	key.pid = per_thread ? tid : key.tgid;
	key.kstack = bpf_get_stackid(ctx, &stacks, kskip & BPF_F_SKIP_FIELD_MASK);
	if (key.kstack < 0)
		ks_drop(KS_DROP_KSTACK);
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	v = bpf_map_lookup_elem(&kwaits, &key);
	if (!v) {
		bpf_map_update_elem(&kwaits, &key, &init, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&kwaits, &key);
		if (!v) {
			ks_drop(KS_DROP_MAP_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&v->ns, ns);
	__sync_fetch_and_add(&v->count, 1);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(btf_sys_enter, struct pt_regs *regs, long nr)
{
	if (nr == futex_nr || nr == futex_waitv_nr)
		futex_enter(nr, regs->si);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(btf_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;

	if (nr == futex_nr || nr == futex_waitv_nr)
		futex_exit(nr, regs, true);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(raw_sys_enter, struct pt_regs *regs, long nr)
{
	if (nr == futex_nr || nr == futex_waitv_nr)
		futex_enter(nr, BPF_CORE_READ(regs, si));
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(raw_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = BPF_CORE_READ(regs, orig_ax);

	if (nr == futex_nr || nr == futex_waitv_nr)
		futex_exit(nr, regs, false);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int tp_sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	long nr = ctx->id;

	if (nr == futex_nr || nr == futex_waitv_nr)
		futex_enter(nr, ctx->args[1]);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int tp_sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	long nr = ctx->id;

	if (nr == futex_nr || nr == futex_waitv_nr)
		futex_exit(nr, NULL, false);
	return 0;
}

SEC("tp_btf/contention_begin")
int BPF_PROG(btf_cbegin, void *lock, unsigned int flags)
{
	kbegin((__u64)lock, flags);
	return 0;
}

SEC("tp_btf/contention_end")
int BPF_PROG(btf_cend, void *lock, int ret)
{
	kend(ctx, (__u64)lock);
	return 0;
}

SEC("raw_tp/contention_begin")
int BPF_PROG(raw_cbegin, void *lock, unsigned int flags)
{
	kbegin((__u64)lock, flags);
	return 0;
}

SEC("raw_tp/contention_end")
int BPF_PROG(raw_cend, void *lock, int ret)
{
	kend(ctx, (__u64)lock);
	return 0;
}

SEC("tracepoint/lock/contention_begin")
int tp_cbegin(struct trace_event_raw_contention_begin *ctx)
{
	kbegin((__u64)ctx->lock_addr, ctx->flags);
	return 0;
}

SEC("tracepoint/lock/contention_end")
int tp_cend(struct trace_event_raw_contention_end *ctx)
{
	kend(ctx, (__u64)ctx->lock_addr);
	return 0;
}
