// SPDX-License-Identifier: GPL-2.0
/*
 * Loader of the lock wait collector (bpf/locks.bpf.c). Futex wait samples
 * arrive in a ring buffer, drained by a background thread every 50 ms (so
 * that a long interval does not fill it) and unwound there; kernel lock
 * contention is read from the aggregation map at each read. Both end up in
 * model->locks (value us) with a marker frame naming the lock kind.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_collect.h"
#include "ks_features.h"
#include "ks_locks.h"
#include "ks_stacks.h"
#include "ks_syscalls.h"
#include "ks_util.h"
#include "locks.skel.h"

struct ks_locks {
	struct locks_bpf *skel;
	struct ring_buffer *rb;
	enum ks_tp_kind kind;
	struct ks_locks_opts o;
	bool have_kernel, own_syms;
	int ncpus;
	struct ks_symbolizer *syms;
	struct ks_stacks *stacks;
	pthread_mutex_t mu;		/* stacks, between the drainer and read */
	pthread_t drainer;
	bool drainer_up;
	volatile bool stop;
	uint64_t fut_count, fut_ns;	/* futex samples received this interval */
	uint64_t prev_drops[KS_DROP__COUNT], prev_stats[KS_LOCKS_STAT__COUNT];
	struct ks_lock_total totals[KS_LOCK__COUNT];
};

static const char *const kind_names[KS_LOCK__COUNT] = {
	[KS_LOCK_FUTEX] = "futex wait",
	[KS_LOCK_SPIN] = "kernel spinlock",
	[KS_LOCK_MUTEX] = "kernel mutex",
	[KS_LOCK_RWSEM_READ] = "kernel rwsem/rwlock read",
	[KS_LOCK_RWSEM_WRITE] = "kernel rwsem/rwlock write",
	[KS_LOCK_RT] = "kernel rt_mutex",
	[KS_LOCK_OTHER] = "kernel lock (other)",
};

const char *ks_lock_kind_name(unsigned int kind)
{
	return kind < KS_LOCK__COUNT ? kind_names[kind] : "?";
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ks_locks *c = ctx;
	const struct ks_stack_sample *s = data;

	if (size < KS_STACK_SAMPLE_HDR)
		return 0;
	c->fut_count++;
	c->fut_ns += s->value;
	ks_stacks__add_sample(c->stacks, s, size, kind_names[KS_LOCK_FUTEX], 1e-3);
	return 0;
}

static void *drain_loop(void *arg)
{
	struct ks_locks *c = arg;

	while (!c->stop) {
		pthread_mutex_lock(&c->mu);
		ring_buffer__consume(c->rb);
		pthread_mutex_unlock(&c->mu);
		usleep(50000);
	}
	return NULL;
}

static void pick_programs(struct locks_bpf *s, enum ks_tp_kind k, bool futex, bool kernel)
{
	bpf_program__set_autoload(s->progs.btf_sys_enter, futex && k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.btf_sys_exit, futex && k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.raw_sys_enter, futex && k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.raw_sys_exit, futex && k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.tp_sys_enter, futex && k == KS_TP_CLASSIC);
	bpf_program__set_autoload(s->progs.tp_sys_exit, futex && k == KS_TP_CLASSIC);
	bpf_program__set_autoload(s->progs.btf_cbegin, kernel && k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.btf_cend, kernel && k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.raw_cbegin, kernel && k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.raw_cend, kernel && k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.tp_cbegin, kernel && k == KS_TP_CLASSIC);
	bpf_program__set_autoload(s->progs.tp_cend, kernel && k == KS_TP_CLASSIC);
	if (!kernel) {
		bpf_map__set_max_entries(s->maps.kstart, 1);
		bpf_map__set_max_entries(s->maps.kwaits, 1);
		bpf_map__set_max_entries(s->maps.stacks, 1);
	}
	if (!futex) {
		bpf_map__set_max_entries(s->maps.fstart, 1);
		bpf_map__set_max_entries(s->maps.samples, 4096);
	}
}

struct ks_locks *ks_locks__open(const struct ks_locks_opts *o)
{
	struct ks_locks *c;
	int err;

	if (ks_bpf_prepare())
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	c->o = *o;
	c->ncpus = ks_nr_cpus();
	c->kind = ks_collect_tp_kind();
	if (c->kind == KS_TP_NONE) {
		err = -EOPNOTSUPP;
		goto err;
	}
	c->have_kernel = !o->no_kernel && ks_tracepoint_exists("lock", "contention_begin") &&
			 ks_tracepoint_exists("lock", "contention_end");
	if (o->no_futex && !c->have_kernel) {
		ks_err("kernel lock contention: tracepoints lock:contention_begin/end are absent "
		       "on this kernel (added in 5.19): nothing to trace with --kernel-only");
		err = -EOPNOTSUPP;
		goto err;
	}
	c->syms = o->syms;
	if (!c->syms) {
		c->syms = ks_symbolizer__new();
		c->own_syms = true;
	}
	c->stacks = c->syms ? ks_stacks__new(c->syms) : NULL;
	if (!c->stacks) {
		err = -ENOMEM;
		ks_err("cannot set up the stack symbolizer");
		goto err;
	}
	c->skel = locks_bpf__open();
	if (!c->skel) {
		err = -errno;
		ks_err("cannot open the locks BPF object: %s", strerror(errno));
		goto err;
	}
	pick_programs(c->skel, c->kind, !o->no_futex, c->have_kernel);
	c->skel->rodata->futex_nr = ks_syscall_nr("futex");
	c->skel->rodata->futex_waitv_nr = ks_syscall_nr("futex_waitv");
	c->skel->rodata->per_thread = o->threads;
	c->skel->rodata->min_ns = o->min_us * 1000;
	c->skel->rodata->self_tgid = getpid();
	/* bpf_prog_* and bpf_trace_run* atop tp_btf/raw_tp kernel stacks */
	c->skel->rodata->kskip = c->kind == KS_TP_CLASSIC ? 0 : 2;
	c->skel->rodata->ks_filter_pid = o->npids > 0;
	c->skel->rodata->ks_filter_cgroup = o->cgroup_id;
	err = locks_bpf__load(c->skel);
	if (err) {
		ks_err("cannot load the locks BPF programs (%s): %s",
		       ks_tp_kind_name(c->kind), strerror(-err));
		goto err;
	}
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.samples), on_sample, c, NULL);
	if (!c->rb) {
		err = -errno;
		ks_err("cannot set up the locks ring buffer: %s", strerror(errno));
		goto err;
	}
	err = ks_collect_attach(c->skel->skeleton, "locks", c->kind,
				bpf_map__fd(c->skel->maps.ks_pids), o->pids, o->npids, "");
	if (err)
		goto err;
	if (!o->no_futex) {
		sigset_t all, old;

		/* signals go to the main thread: its sleeps must wake on Ctrl-C */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		err = -pthread_create(&c->drainer, NULL, drain_loop, c);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (err) {
			ks_err("cannot start the ring buffer drainer: %s", strerror(-err));
			goto err;
		}
		c->drainer_up = true;
	}
	return c;
err:
	ks_locks__free(c);
	errno = -err;
	return NULL;
}

/* Kernel contention rows into c->stacks; their stack ids are freed after. */
static int read_kernel(struct ks_locks *c, struct ks_model *m)
{
	int fd = bpf_map__fd(c->skel->maps.kwaits), sfd = bpf_map__fd(c->skel->maps.stacks);
	struct ks_lock_key key, next, *keys = NULL;
	uint64_t kips[KS_MAX_STACK_DEPTH];
	size_t n = 0, cap = 0, i;
	struct ks_lock_val v;
	int err = 0, nk;

	while (!bpf_map_get_next_key(fd, n ? &key : NULL, &next)) {
		if (ks_grow((void **)&keys, &cap, n + 1, sizeof(*keys), 256)) {
			free(keys);
			return -ENOMEM;
		}
		keys[n++] = key = next;
	}
	for (i = 0; i < n && !err; i++) {
		struct ks_lock_key *k = &keys[i];
		char comm[KS_COMM_LEN + 1] = {};

		if (bpf_map_lookup_and_delete_elem(fd, k, &v)) {
			if (bpf_map_lookup_elem(fd, k, &v))
				continue;
			bpf_map_delete_elem(fd, k);
		}
		if (k->kind < KS_LOCK__COUNT) {
			c->totals[k->kind].count += v.count;
			c->totals[k->kind].ns += v.ns;
		}
		nk = 0;
		memset(kips, 0, sizeof(kips));
		if (k->kstack >= 0 && !bpf_map_lookup_elem(sfd, &k->kstack, kips))
			while (nk < KS_MAX_STACK_DEPTH && kips[nk])
				nk++;
		memcpy(comm, k->comm, KS_COMM_LEN);
		err = ks_stacks__add(c->stacks, k->tgid, k->pid, comm, kips, nk, NULL, 0, false,
				     ks_lock_kind_name(k->kind), (v.ns + 500) / 1000);
	}
	for (i = 0; i < n; i++)
		if (keys[i].kstack >= 0)
			bpf_map_delete_elem(sfd, &keys[i].kstack);
	free(keys);
	(void)m;
	return err;
}

int ks_locks__read(struct ks_locks *c, struct ks_model *m)
{
	int dfd = bpf_map__fd(c->skel->maps.ks_drops), sfd = bpf_map__fd(c->skel->maps.stats);
	uint64_t d[KS_DROP__COUNT], s[KS_LOCKS_STAT__COUNT], dd[KS_DROP__COUNT],
		 ds[KS_LOCKS_STAT__COUNT];
	struct ks_accounting *a;
	int err, i;

	if (!m->locks) {
		m->locks = ks_profile__new("us");
		if (!m->locks)
			return -ENOMEM;
		m->locks->title = "Lock wait time";
	}
	memset(c->totals, 0, sizeof(c->totals));
	pthread_mutex_lock(&c->mu);
	ring_buffer__consume(c->rb);
	/* futex totals from the samples themselves, plus the ones dropped */
	c->totals[KS_LOCK_FUTEX].count = c->fut_count;
	c->totals[KS_LOCK_FUTEX].ns = c->fut_ns;
	c->fut_count = c->fut_ns = 0;
	err = read_kernel(c, m);
	if (!err)
		err = ks_stacks__build(c->stacks, m->locks, c->o.threads);
	ks_stacks__clear(c->stacks);
	pthread_mutex_unlock(&c->mu);

	for (i = 0; i < KS_DROP__COUNT; i++) {
		d[i] = ks_percpu_sum(dfd, i, c->ncpus);
		dd[i] = d[i] - c->prev_drops[i];
	}
	for (i = 0; i < KS_LOCKS_STAT__COUNT; i++) {
		s[i] = ks_percpu_sum(sfd, i, c->ncpus);
		ds[i] = s[i] - c->prev_stats[i];
	}
	memcpy(c->prev_drops, d, sizeof(d));
	memcpy(c->prev_stats, s, sizeof(s));
	c->totals[KS_LOCK_FUTEX].count += dd[KS_DROP_RINGBUF];
	c->totals[KS_LOCK_FUTEX].ns += ds[KS_LOCKS_FUTEX_LOST_NS];

	a = &m->locks->acct;
	a->samples += ds[KS_LOCKS_FUTEX_WAITS] + ds[KS_LOCKS_KWAITS];
	a->lost += dd[KS_DROP_RINGBUF] + dd[KS_DROP_MAP_FULL];
	a->stack_errors += dd[KS_DROP_KSTACK] + dd[KS_DROP_USTACK];
	m->lost += dd[KS_DROP_RINGBUF] + dd[KS_DROP_MAP_FULL];
	if (dd[KS_DROP_RINGBUF])
		ks_model__gap(m, "futex wait stacks (some)",
			      "%llu waits (%.0f us) not attributed to a stack: ring buffer full",
			      (unsigned long long)dd[KS_DROP_RINGBUF],
			      ds[KS_LOCKS_FUTEX_LOST_NS] / 1e3);
	if (dd[KS_DROP_MAP_FULL])
		ks_model__gap(m, "lock waits (some)", "%llu waits not counted: BPF map full",
			      (unsigned long long)dd[KS_DROP_MAP_FULL]);
	if (ds[KS_LOCKS_FILTERED])
		snprintf(a->notes, sizeof(a->notes), "%llu waits shorter than %llu us left out",
			 (unsigned long long)ds[KS_LOCKS_FILTERED],
			 (unsigned long long)c->o.min_us);
	if (!c->o.no_kernel && !c->have_kernel)
		ks_model__gap(m, "kernel lock contention",
			      "tracepoints lock:contention_begin/end absent on this kernel "
			      "(added in 5.19)");
	if (!c->o.no_futex && c->kind == KS_TP_CLASSIC)
		ks_model__gap(m, "futex wait user stacks",
			      "classic raw_syscalls tracepoints give no user registers: futex "
			      "waits are shown under their process only");
	return err;
}

const struct ks_lock_total *ks_locks__totals(const struct ks_locks *c)
{
	return c->totals;
}

const char *ks_locks__attach_kind(const struct ks_locks *c)
{
	return ks_tp_kind_name(c->kind);
}

void ks_locks__free(struct ks_locks *c)
{
	if (!c)
		return;
	if (c->drainer_up) {
		c->stop = true;
		pthread_join(c->drainer, NULL);
	}
	ring_buffer__free(c->rb);
	locks_bpf__destroy(c->skel);
	ks_stacks__free(c->stacks);
	if (c->own_syms)
		ks_symbolizer__free(c->syms);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
