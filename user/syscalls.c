// SPDX-License-Identifier: GPL-2.0
/* Loader of the syscall collector (bpf/syscalls.bpf.c) and the name table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_collect.h"
#include "ks_features.h"
#include "ks_hist.h"
#include "ks_syscalls.h"
#include "ks_util.h"
#include "syscalls.skel.h"

/* generated at build time from <sys/syscall.h> (scripts/gen-syscall-names.sh) */
static const struct {
	unsigned int nr;
	const char *name;
} sc_names[] = {
#include "ks_syscall_names.h"
};

const char *ks_syscall_name(unsigned int nr)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sc_names); i++)
		if (sc_names[i].nr == nr)
			return sc_names[i].name;
	return NULL;
}

int ks_syscall_nr(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sc_names); i++)
		if (!strcmp(sc_names[i].name, name))
			return sc_names[i].nr;
	return -1;
}

struct ks_syscalls {
	struct syscalls_bpf *skel;
	enum ks_tp_kind kind;
	bool timing;
	int ncpus;
	size_t vsz;			/* per-CPU value stride */
	struct ks_sc_val *vals;		/* ncpus values */
	struct ks_hist *hvals;		/* ncpus histograms */
	struct ks_hist *prev;		/* KS_SC_MAX_NR cumulative histograms */
	uint64_t prev_drops[KS_DROP__COUNT];
	size_t ssz;			/* per-CPU row cache slot stride */
	struct ks_sc_slot *cache;	/* KS_SC_CACHE x ncpus, this read */
	struct ks_sc_slot *cprev;	/* the same, last read */
	uint64_t *nr_count;		/* this read: calls per syscall number */
	uint64_t iv_count, iv_timed;	/* this read: calls seen, calls timed */
};

static void pick_programs(struct syscalls_bpf *s, enum ks_tp_kind k, bool timing)
{
	bpf_program__set_autoload(s->progs.btf_enter, timing && k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.btf_exit, k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.btf_switch, timing && k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.raw_enter, timing && k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.raw_exit, k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.tp_enter, timing && k == KS_TP_CLASSIC);
	bpf_program__set_autoload(s->progs.tp_exit, k == KS_TP_CLASSIC);
	if (k == KS_TP_BTF || !timing)
		bpf_map__set_max_entries(s->maps.start, 1);
}

struct ks_syscalls *ks_syscalls__open(const struct ks_syscalls_opts *o)
{
	struct ks_syscalls *c;
	int err;

	if (ks_bpf_prepare())
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ncpus = ks_nr_cpus();
	c->timing = !o->no_timing;
	c->vsz = (sizeof(struct ks_sc_val) + 7) & ~7UL;
	c->vals = calloc(c->ncpus, c->vsz);
	c->hvals = calloc(c->ncpus, sizeof(*c->hvals));
	c->prev = calloc(KS_SC_MAX_NR, sizeof(*c->prev));
	c->ssz = (sizeof(struct ks_sc_slot) + 7) & ~7UL;
	c->cache = calloc((size_t)KS_SC_CACHE * c->ncpus, c->ssz);
	c->cprev = calloc((size_t)KS_SC_CACHE * c->ncpus, c->ssz);
	c->nr_count = calloc(KS_SC_MAX_NR, sizeof(*c->nr_count));
	if (!c->vals || !c->hvals || !c->prev || !c->cache || !c->cprev ||
	    !c->nr_count) {
		err = -ENOMEM;
		goto err;
	}
	c->kind = ks_collect_tp_kind();
	if (c->kind == KS_TP_NONE) {
		err = -EOPNOTSUPP;
		goto err;
	}
	c->skel = syscalls_bpf__open();
	if (!c->skel) {
		err = -errno;
		ks_err("cannot open the syscalls BPF object: %s", strerror(errno));
		goto err;
	}
	pick_programs(c->skel, c->kind, c->timing);
	c->skel->rodata->timing = c->timing;
	c->skel->rodata->per_thread = o->per_thread;
	c->skel->rodata->sampling = !o->exact_timing;
	c->skel->rodata->ks_filter_pid = o->npids > 0;
	c->skel->rodata->ks_filter_cgroup = o->cgroup_id;
	err = syscalls_bpf__load(c->skel);
	if (err) {
		ks_err("cannot load the syscalls BPF programs (%s): %s",
		       ks_tp_kind_name(c->kind), strerror(-err));
		goto err;
	}
	err = ks_collect_attach(c->skel->skeleton, "syscalls", c->kind,
				bpf_map__fd(c->skel->maps.ks_pids), o->pids, o->npids, "");
	if (err)
		goto err;
	return c;
err:
	ks_syscalls__free(c);
	errno = -err;
	return NULL;
}

/*
 * Sampled latency: the time of @count calls estimated from @timed of them
 * that took @sum_ns (exact when every call was timed).
 */
static uint64_t scale_ns(uint64_t sum_ns, uint64_t count, uint64_t timed)
{
	return timed && timed < count ? (uint64_t)((double)sum_ns * count / timed) : sum_ns;
}

/* One row's per-CPU values (this read's share) into the model. */
static int add_row(struct ks_syscalls *c, struct ks_model *m, const struct ks_sc_key *k)
{
	struct ks_syscall_row *r, *all;
	char comm[KS_COMM_LEN + 1] = {};
	uint64_t count = 0, errors = 0, timed = 0, sum = 0, max = 0, sum_ns;
	struct ks_task *t;
	int i;

	r = ks_model__syscall(m, k->tgid, k->nr);
	if (!r)
		return -ENOMEM;
	for (i = 0; i < c->ncpus; i++) {
		const struct ks_sc_val *v = (void *)((char *)c->vals + i * c->vsz);

		if (!v->count)
			continue;
		if (!comm[0])
			memcpy(comm, v->comm, KS_COMM_LEN);
		count += v->count;
		errors += v->errors;
		timed += v->timed;
		sum += v->sum_ns;
		if (v->max_ns > max)
			max = v->max_ns;
	}
	/* per-process rows: count, sum and max only (histograms are per syscall) */
	sum_ns = scale_ns(sum, count, timed);
	r->count += count;
	r->errors += errors;
	if (timed)
		r->lat.count += count;
	r->lat.sum_ns += sum_ns;
	if (max > r->lat.max_ns)
		r->lat.max_ns = max;
	c->iv_count += count;
	c->iv_timed += timed;
	if (k->nr < KS_SC_MAX_NR)
		c->nr_count[k->nr] += count;
	/* may move the rows: r is not used past this point */
	all = ks_model__syscall(m, 0, k->nr);
	if (!all)
		return -ENOMEM;
	all->count += count;
	all->errors += errors;
	t = ks_model__task(m, k->tgid, c->skel->rodata->per_thread ? 0 : k->tgid, comm);
	if (!t)
		return -ENOMEM;
	t->syscalls += count;
	t->syscall_errors += errors;
	t->syscall_ns += sum_ns;
	return 0;
}

/* The per-syscall histograms: cumulative in the kernel, the delta into pid 0 rows. */
static int read_hists(struct ks_syscalls *c, struct ks_model *m)
{
	int fd = bpf_map__fd(c->skel->maps.lat);
	struct ks_hist cur;
	struct ks_syscall_row *all;
	__u32 nr;
	int i, s;

	for (nr = 0; nr < KS_SC_MAX_NR; nr++) {
		if (bpf_map_lookup_elem(fd, &nr, c->hvals))
			return -errno;
		memset(&cur, 0, sizeof(cur));
		for (i = 0; i < c->ncpus; i++) {
			ks_hist_merge(&cur, &c->hvals[i]);
			if (c->hvals[i].max_ns > cur.max_ns)
				cur.max_ns = c->hvals[i].max_ns;
		}
		if (cur.count == c->prev[nr].count)
			continue;
		all = ks_model__syscall(m, 0, nr);
		if (!all)
			return -ENOMEM;
		for (s = 0; s < KS_HIST_SLOTS; s++)
			all->lat.slots[s] += cur.slots[s] - c->prev[nr].slots[s];
		/* sampled: the calls' total time estimated from the timed ones */
		all->lat.count += c->nr_count[nr];
		all->lat.sum_ns += scale_ns(cur.sum_ns - c->prev[nr].sum_ns, c->nr_count[nr],
					    cur.count - c->prev[nr].count);
		/* a new maximum, else the top bucket's bound */
		if (cur.max_ns != c->prev[nr].max_ns) {
			if (cur.max_ns > all->lat.max_ns)
				all->lat.max_ns = cur.max_ns;
		} else {
			for (s = KS_HIST_SLOTS - 1; s >= 0; s--) {
				if (cur.slots[s] != c->prev[nr].slots[s]) {
					uint64_t hi = ks_hist_slot_hi(s) - 1;

					if (hi > all->lat.max_ns)
						all->lat.max_ns = hi;
					break;
				}
			}
		}
		c->prev[nr] = cur;
	}
	return 0;
}

/*
 * The per-CPU row cache: cumulative slots, diffed against the last read. A
 * slot whose key changed was claimed anew (BPF never evicts; nothing here
 * frees slots yet, so a cache full of exited processes' rows sends new rows
 * to the hash: slower, never lost).
 */
static int read_cache(struct ks_syscalls *c, struct ks_model *m)
{
	int fd = bpf_map__fd(c->skel->maps.rcache), err, cpu;
	struct ks_sc_key k;
	__u32 idx;

	err = ks_map_read_array(fd, KS_SC_CACHE, (size_t)c->ncpus * c->ssz, c->cache);
	if (err)
		return err;
	for (idx = 0; idx < KS_SC_CACHE; idx++) {
		bool any = false;

		memset(c->vals, 0, c->ncpus * c->vsz);
		k.tgid = k.nr = 0;
		for (cpu = 0; cpu < c->ncpus; cpu++) {
			size_t off = ((size_t)idx * c->ncpus + cpu) * c->ssz;
			struct ks_sc_slot *s = (void *)((char *)c->cache + off);
			struct ks_sc_slot *p = (void *)((char *)c->cprev + off);
			struct ks_sc_val *d = (void *)((char *)c->vals + cpu * c->vsz);

			if (!s->v.count)
				continue;
			if (p->tgid != s->tgid || p->nr != s->nr || p->v.count > s->v.count)
				memset(p, 0, sizeof(*p));
			if (s->v.count == p->v.count)
				continue;
			/* rows keyed alike on every CPU's slot idx only by chance */
			if (any && (s->tgid != k.tgid || s->nr != k.nr)) {
				err = add_row(c, m, &k);
				if (err)
					return err;
				memset(c->vals, 0, c->ncpus * c->vsz);
			}
			k.tgid = s->tgid;
			k.nr = s->nr;
			any = true;
			memcpy(d->comm, s->v.comm, sizeof(d->comm));
			d->count = s->v.count - p->v.count;
			d->errors = s->v.errors - p->v.errors;
			d->timed = s->v.timed - p->v.timed;
			d->sum_ns = s->v.sum_ns - p->v.sum_ns;
			/* max is per interval: raised since the last epoch bump */
			d->max_ns = s->max_epoch + 1 >= c->skel->bss->epoch ? s->v.max_ns : 0;
		}
		if (any) {
			err = add_row(c, m, &k);
			if (err)
				return err;
		}
	}
	memcpy(c->cprev, c->cache, (size_t)KS_SC_CACHE * c->ncpus * c->ssz);
	return 0;
}

int ks_syscalls__read(struct ks_syscalls *c, struct ks_model *m)
{
	int fd = bpf_map__fd(c->skel->maps.rows), dfd = bpf_map__fd(c->skel->maps.ks_drops);
	struct ks_sc_key key, next, *keys = NULL;
	uint64_t d[KS_DROP__COUNT], n;
	size_t nk = 0, cap = 0, i;
	int err = 0;

	c->iv_count = c->iv_timed = 0;
	memset(c->nr_count, 0, KS_SC_MAX_NR * sizeof(*c->nr_count));
	/* slots raised from now on belong to the next interval's maximum */
	__atomic_add_fetch(&c->skel->bss->epoch, 1, __ATOMIC_SEQ_CST);
	err = read_cache(c, m);
	if (err)
		return err;
	/* keys first: deleting while walking would restart the walk */
	while (!bpf_map_get_next_key(fd, nk ? &key : NULL, &next)) {
		if (nk == cap) {
			void *p = realloc(keys, (cap = cap ? cap * 2 : 256) * sizeof(*keys));

			if (!p) {
				free(keys);
				return -ENOMEM;
			}
			keys = p;
		}
		keys[nk++] = key = next;
	}
	for (i = 0; i < nk && !err; i++) {
		/*
		 * Per-CPU rows are read and deleted: an update racing between
		 * the two is lost only on kernels without lookup_and_delete
		 * for hashes (< 5.14).
		 */
		if (bpf_map_lookup_and_delete_elem(fd, &keys[i], c->vals)) {
			if (bpf_map_lookup_elem(fd, &keys[i], c->vals))
				continue;
			bpf_map_delete_elem(fd, &keys[i]);
		}
		err = add_row(c, m, &keys[i]);
	}
	free(keys);
	if (!err && c->timing)
		err = read_hists(c, m);
	for (i = 0; i < KS_DROP__COUNT; i++)
		d[i] = ks_percpu_sum(dfd, i, c->ncpus);
	n = d[KS_DROP_MAP_FULL] - c->prev_drops[KS_DROP_MAP_FULL];
	if (n) {
		m->lost += n;
		ks_model__gap(m, "syscalls (some)", "%llu syscalls not counted: BPF map full "
			      "(more than 16384 process x syscall rows)", (unsigned long long)n);
	}
	n = d[KS_DROP_START_MISS] - c->prev_drops[KS_DROP_START_MISS];
	if (n)
		ks_model__gap(m, "syscall latency (some)", "%llu calls counted but not timed: "
			      "entered before tracing started", (unsigned long long)n);
	if (c->timing && c->iv_count > c->iv_timed + n)
		ks_model__gap(m, "syscall latency (sampled)", "%llu of %llu calls timed: above "
			      "~100k syscalls/s on a CPU one call in up to %d is timed "
			      "(--exact-timing: all); counts exact, total and average time "
			      "estimated from the timed calls", (unsigned long long)c->iv_timed,
			      (unsigned long long)c->iv_count, 1 << KS_SC_SAMPLE_MAX_SHIFT);
	if (!c->timing)
		ks_model__gap(m, "syscall latency", "not measured (--count-only)");
	memcpy(c->prev_drops, d, sizeof(d));
	return err;
}

const char *ks_syscalls__attach_kind(const struct ks_syscalls *c)
{
	return ks_tp_kind_name(c->kind);
}

void ks_syscalls__free(struct ks_syscalls *c)
{
	if (!c)
		return;
	syscalls_bpf__destroy(c->skel);
	free(c->vals);
	free(c->hvals);
	free(c->prev);
	free(c->cache);
	free(c->cprev);
	free(c->nr_count);
	free(c);
}
