// SPDX-License-Identifier: GPL-2.0
/* Loader of the run-queue latency collector (bpf/runqlat.bpf.c). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_collect.h"
#include "ks_features.h"
#include "ks_hist.h"
#include "ks_runqlat.h"
#include "ks_util.h"
#include "runqlat.skel.h"

struct ks_runqlat {
	struct runqlat_bpf *skel;
	enum ks_tp_kind kind;
	bool schedinfo;		/* waits from the kernel's sched_info accounting */
	enum ks_runq_group group;
	int ncpus;
	struct ks_hist prev_all;
	uint64_t prev_drops[KS_DROP__COUNT];
	struct ks_runq_cgroup *cg;
	size_t ncg, cgcap;
	/* sched_info flavour: the per-CPU row cache, this read and the last */
	size_t ssz;			/* slot stride (rounded up to 8) */
	struct ks_runq_slot *cache, *cprev;
};

/*
 * Keep one flavour of each handler; the others are not loaded. @si: tp_btf
 * from the scheduler's own accounting (sched_switch only).
 */
static void pick_programs(struct runqlat_bpf *s, enum ks_tp_kind k, bool si)
{
	struct bpf_program *btf[] = { s->progs.btf_wakeup, s->progs.btf_wakeup_new,
				      s->progs.btf_switch };
	struct bpf_program *raw[] = { s->progs.raw_wakeup, s->progs.raw_wakeup_new,
				      s->progs.raw_switch };
	struct bpf_program *tp[] = { s->progs.tp_wakeup, s->progs.tp_wakeup_new,
				     s->progs.tp_switch };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(btf); i++) {
		bpf_program__set_autoload(btf[i], k == KS_TP_BTF);
		bpf_program__set_autoload(raw[i], k == KS_TP_RAW);
		bpf_program__set_autoload(tp[i], k == KS_TP_CLASSIC);
	}
	bpf_program__set_autoload(s->progs.btf_switch_si, si);
	if (si) {
		bpf_program__set_autoload(s->progs.btf_wakeup, false);
		bpf_program__set_autoload(s->progs.btf_wakeup_new, false);
		bpf_program__set_autoload(s->progs.btf_switch, false);
	}
	if (k != KS_TP_CLASSIC)
		bpf_map__set_max_entries(s->maps.who, 1);
	if (k == KS_TP_BTF)	/* timestamps in task local storage */
		bpf_map__set_max_entries(s->maps.start, 1);
}

struct ks_runqlat *ks_runqlat__open(const struct ks_runqlat_opts *o)
{
	struct ks_runqlat *c;
	int err;

	if (ks_bpf_prepare())
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ncpus = ks_nr_cpus();
	c->group = o->group;
	c->kind = ks_collect_tp_kind();
	if (c->kind == KS_TP_NONE) {
		err = -EOPNOTSUPP;
		goto err;
	}
	/*
	 * With tp_btf, first the flavour that reads the scheduler's own
	 * run-queue accounting; a kernel without it (no CONFIG_SCHED_INFO or
	 * no FAIR_GROUP_SCHED: CO-RE cannot relocate) fails that load: then
	 * wakeup-based.
	 */
	c->schedinfo = c->kind == KS_TP_BTF && !o->wakeup_clock;
	c->ssz = (sizeof(struct ks_runq_slot) + 7) & ~7UL;
	c->cache = calloc((size_t)KS_RUNQ_CACHE * c->ncpus, c->ssz);
	c->cprev = calloc((size_t)KS_RUNQ_CACHE * c->ncpus, c->ssz);
	if (!c->cache || !c->cprev) {
		err = -ENOMEM;
		goto err;
	}
	for (;;) {
		c->skel = runqlat_bpf__open();
		if (!c->skel) {
			err = -errno;
			ks_err("cannot open the runqlat BPF object: %s", strerror(errno));
			goto err;
		}
		pick_programs(c->skel, c->kind, c->schedinfo);
		c->skel->rodata->group = o->group;
		c->skel->rodata->counts = !o->no_counts;
		c->skel->rodata->ks_filter_pid = o->npids > 0;
		c->skel->rodata->ks_filter_cgroup = o->cgroup_id;
		if (o->group == KS_RUNQ_BY_NONE)
			bpf_map__set_max_entries(c->skel->maps.rows, 1);
		if (!c->schedinfo || o->group == KS_RUNQ_BY_NONE)
			bpf_map__set_max_entries(c->skel->maps.rcache, 1);
		err = runqlat_bpf__load(c->skel);
		if (!err || !c->schedinfo)
			break;
		ks_info("runqlat: the scheduler's run-queue accounting is not usable here (%s): "
			"timing wakeups instead", strerror(-err));
		runqlat_bpf__destroy(c->skel);
		c->skel = NULL;
		c->schedinfo = false;
	}
	if (err) {
		ks_err("cannot load the runqlat BPF programs (%s): %s",
		       ks_tp_kind_name(c->kind), strerror(-err));
		goto err;
	}
	err = ks_collect_attach(c->skel->skeleton, "runqlat", c->kind,
				bpf_map__fd(c->skel->maps.ks_pids), o->pids, o->npids,
				c->schedinfo ? " (sched_info)" : "");
	if (err)
		goto err;
	return c;
err:
	ks_runqlat__free(c);
	errno = -err;
	return NULL;
}

/* h -= prev: buckets, count and sum of a cumulative histogram */
static void hist_sub(struct ks_hist *h, const struct ks_hist *prev)
{
	int i;

	for (i = 0; i < KS_HIST_SLOTS; i++)
		h->slots[i] -= prev->slots[i];
	h->count -= prev->count;
	h->sum_ns -= prev->sum_ns;
}

/* No maximum known for the interval (0): the top of its highest bucket. */
static void hist_max_from_buckets(struct ks_hist *h)
{
	int i;

	for (i = KS_HIST_SLOTS - 1; !h->max_ns && i >= 0; i--)
		if (h->slots[i])
			h->max_ns = ks_hist_slot_hi(i) - 1;
}

/* h -= prev, then prev = the cumulative value; the kernel side never resets */
static void hist_delta(struct ks_hist *h, struct ks_hist *prev)
{
	struct ks_hist cur = *h;

	hist_sub(h, prev);
	if (cur.max_ns == prev->max_ns)
		h->max_ns = 0;	/* no new maximum: recomputed from the buckets */
	hist_max_from_buckets(h);
	*prev = cur;
}

static void cgroup_path(__u64 cgid, char *out, size_t len)
{
	/* breadth-limited walk of /sys/fs/cgroup for the directory with this id */
	char stack[64][256];
	int top = 0;
	__u64 id;

	out[0] = 0;
	snprintf(stack[top++], sizeof(stack[0]), "/sys/fs/cgroup");
	while (top > 0) {
		char dir[256];
		struct dirent *de;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s", stack[--top]);
		if (!ks_cgroup_id(dir, &id) && id == cgid) {
			snprintf(out, len, "%s", dir[14] ? dir + 14 : "/");
			return;
		}
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d)) && top < 64) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			size_t dl = strlen(dir), nl = strlen(de->d_name);

			if (dl + nl + 2 > sizeof(stack[0]))
				continue;
			memcpy(stack[top], dir, dl);
			stack[top][dl] = '/';
			memcpy(stack[top] + dl + 1, de->d_name, nl + 1);
			top++;
		}
		closedir(d);
	}
}

static struct ks_runq_cgroup *cg_row(struct ks_runqlat *c, __u64 cgid)
{
	size_t i;

	for (i = 0; i < c->ncg; i++)
		if (c->cg[i].cgid == cgid)
			return &c->cg[i];
	if (ks_grow((void **)&c->cg, &c->cgcap, c->ncg + 1, sizeof(*c->cg), 16))
		return NULL;
	memset(&c->cg[c->ncg], 0, sizeof(c->cg[0]));
	c->cg[c->ncg].cgid = cgid;
	cgroup_path(cgid, c->cg[c->ncg].path, sizeof(c->cg[0].path));
	return &c->cg[c->ncg++];
}

/*
 * One row's waits and switches since the last read, into @m or a cgroup row,
 * and into the system-wide histogram (BPF adds a wait to one histogram only).
 */
static int add_row(struct ks_runqlat *c, struct ks_model *m, const struct ks_runq_key *k,
		   const struct ks_runq_val *v)
{
	ks_hist_merge(&m->runq_all, &v->hist);
	if (c->group == KS_RUNQ_BY_CGROUP) {
		struct ks_runq_cgroup *r = cg_row(c, k->cgid);

		if (!r)
			return -ENOMEM;
		ks_hist_merge(&r->hist, &v->hist);
		r->preempt += v->preempt;
		r->ctxsw += v->ctxsw;
	} else {
		char comm[KS_COMM_LEN + 1] = {};
		struct ks_task *t;

		memcpy(comm, v->comm, KS_COMM_LEN);
		t = ks_model__task(m, k->pid, k->tgid, comm);
		if (!t)
			return -ENOMEM;
		ks_hist_merge(&t->runq, &v->hist);
		t->preempt += v->preempt;
		t->ctxsw += v->ctxsw;
	}
	return 0;
}

/*
 * The per-CPU row cache: cumulative slots, diffed against the last read
 * (a slot whose key changed, or went back, starts from zero). BPF never
 * evicts, so a cache full of exited processes' rows sends new rows to the
 * hash: slower, never lost. Then "epoch" moves: the slots' max restarts.
 */
static int read_cache(struct ks_runqlat *c, struct ks_model *m)
{
	__u32 epoch = c->skel->bss->epoch, idx;
	struct ks_runq_val d;
	int err, cpu;

	err = ks_map_read_array(bpf_map__fd(c->skel->maps.rcache), KS_RUNQ_CACHE,
				(size_t)c->ncpus * c->ssz, c->cache);
	if (err)
		return err;
	for (idx = 0; idx < KS_RUNQ_CACHE && !err; idx++) {
		for (cpu = 0; cpu < c->ncpus && !err; cpu++) {
			size_t off = ((size_t)idx * c->ncpus + cpu) * c->ssz;
			struct ks_runq_slot *s = (void *)((char *)c->cache + off);
			struct ks_runq_slot *p = (void *)((char *)c->cprev + off);

			if (!s->used)
				continue;
			if (memcmp(&p->key, &s->key, sizeof(s->key)) ||
			    p->v.hist.count > s->v.hist.count)
				memset(p, 0, sizeof(*p));
			if (s->v.hist.count == p->v.hist.count &&
			    s->v.preempt == p->v.preempt && s->v.ctxsw == p->v.ctxsw)
				continue;
			d = s->v;
			hist_sub(&d.hist, &p->v.hist);
			/* max is per interval: reset since the last epoch bump */
			if (s->max_epoch + 1 < epoch)
				d.hist.max_ns = 0;
			hist_max_from_buckets(&d.hist);
			d.preempt = s->v.preempt - p->v.preempt;
			d.ctxsw = s->v.ctxsw - p->v.ctxsw;
			err = add_row(c, m, &s->key, &d);
		}
	}
	memcpy(c->cprev, c->cache, (size_t)KS_RUNQ_CACHE * c->ncpus * c->ssz);
	__atomic_add_fetch(&c->skel->bss->epoch, 1, __ATOMIC_SEQ_CST);
	return err;
}

static int read_rows(struct ks_runqlat *c, struct ks_model *m)
{
	struct ks_runq_key *keys;
	struct ks_runq_val *vals;
	size_t n, i;
	int err;

	err = ks_map_drain(bpf_map__fd(c->skel->maps.rows), sizeof(*keys), sizeof(*vals),
			   (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	c->ncg = 0;
	for (i = 0; i < n && !err; i++)
		err = add_row(c, m, &keys[i], &vals[i]);
	free(vals);
	free(keys);
	if (!err && c->schedinfo && c->group != KS_RUNQ_BY_NONE)
		err = read_cache(c, m);
	return err;
}

/* The per-CPU histogram of the waits no row holds, summed. */
static int read_all(struct ks_runqlat *c, struct ks_hist *all)
{
	struct ks_hist *v = calloc(c->ncpus, sizeof(*v));
	__u32 zero = 0;
	int i, err = 0;

	if (!v)
		return -ENOMEM;
	memset(all, 0, sizeof(*all));
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.runq_all), &zero, v))
		err = -errno;
	for (i = 0; !err && i < c->ncpus; i++) {
		ks_hist_merge(all, &v[i]);
		if (v[i].max_ns > all->max_ns)
			all->max_ns = v[i].max_ns;
	}
	free(v);
	return err;
}

int ks_runqlat__read(struct ks_runqlat *c, struct ks_model *m)
{
	struct ks_hist *all = malloc(sizeof(*all));
	uint64_t d[KS_DROP__COUNT];
	int dfd = bpf_map__fd(c->skel->maps.ks_drops), err, i;

	if (!all)
		return -ENOMEM;
	err = read_all(c, all);
	if (err) {
		free(all);
		return err;
	}
	hist_delta(all, &c->prev_all);
	ks_hist_merge(&m->runq_all, all);
	free(all);
	m->threads = c->group == KS_RUNQ_BY_THREAD;
	err = read_rows(c, m);
	for (i = 0; i < KS_DROP__COUNT; i++)
		d[i] = ks_percpu_sum(dfd, i, c->ncpus);
	if (d[KS_DROP_MAP_FULL] != c->prev_drops[KS_DROP_MAP_FULL]) {
		m->lost += d[KS_DROP_MAP_FULL] - c->prev_drops[KS_DROP_MAP_FULL];
		ks_model__gap(m, "runq latency (some)",
			      "%llu events dropped or in no row: BPF map full (too many "
			      "runnable tasks or rows)",
			      (unsigned long long)(d[KS_DROP_MAP_FULL] -
						   c->prev_drops[KS_DROP_MAP_FULL]));
	}
	memcpy(c->prev_drops, d, sizeof(d));
	if (c->kind == KS_TP_CLASSIC && (c->skel->rodata->ks_filter_pid ||
					 c->skel->rodata->ks_filter_cgroup))
		ks_model__gap(m, "runq latency (filtered)",
			      "classic tracepoints give pids only: a filtered task's waits count "
			      "only once it has been seen running");
	return err;
}

const struct ks_runq_cgroup *ks_runqlat__cgroups(const struct ks_runqlat *c, size_t *n)
{
	*n = c->ncg;
	return c->cg;
}

const char *ks_runqlat__attach_kind(const struct ks_runqlat *c)
{
	return ks_tp_kind_name(c->kind);
}

const char *ks_runqlat__clock(const struct ks_runqlat *c)
{
	return c->schedinfo ? "sched_info" : "wakeup";
}

void ks_runqlat__free(struct ks_runqlat *c)
{
	if (!c)
		return;
	runqlat_bpf__destroy(c->skel);
	free(c->cg);
	free(c->cache);
	free(c->cprev);
	free(c);
}
