// SPDX-License-Identifier: GPL-2.0
/* The per-interval model (include/ks_model.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ks_model.h"
#include "ks_util.h"

/*
 * Rows live in plain arrays (views iterate them); a small open-addressing
 * index per array maps a 64-bit key to the row's position.
 */
struct ks_index {
	uint64_t *keys;		/* key + 1; 0 = empty */
	uint32_t *pos;
	size_t cap;		/* power of two */
};

struct ks_model_priv {
	struct ks_model m;
	struct ks_index tasks, syscalls, disks;
};

static size_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k;
}

static int index_put(struct ks_index *ix, uint64_t key, uint32_t pos, size_t nrows);

static int index_grow(struct ks_index *ix, size_t want)
{
	struct ks_index old = *ix;
	size_t cap = 64, i;

	while (cap < want * 2)
		cap <<= 1;
	ix->keys = calloc(cap, sizeof(*ix->keys));
	ix->pos = calloc(cap, sizeof(*ix->pos));
	if (!ix->keys || !ix->pos) {
		free(ix->keys);
		free(ix->pos);
		*ix = old;
		return -ENOMEM;
	}
	ix->cap = cap;
	for (i = 0; i < old.cap; i++)
		if (old.keys[i])
			index_put(ix, old.keys[i] - 1, old.pos[i], 0);
	free(old.keys);
	free(old.pos);
	return 0;
}

static int index_put(struct ks_index *ix, uint64_t key, uint32_t pos, size_t nrows)
{
	size_t i;

	if ((nrows + 1) * 2 > ix->cap && index_grow(ix, nrows + 1))
		return -ENOMEM;
	for (i = hash64(key) & (ix->cap - 1); ix->keys[i]; i = (i + 1) & (ix->cap - 1))
		;
	ix->keys[i] = key + 1;
	ix->pos[i] = pos;
	return 0;
}

static long index_get(const struct ks_index *ix, uint64_t key)
{
	size_t i;

	if (!ix->cap)
		return -1;
	for (i = hash64(key) & (ix->cap - 1); ix->keys[i]; i = (i + 1) & (ix->cap - 1))
		if (ix->keys[i] == key + 1)
			return ix->pos[i];
	return -1;
}

static void index_clear(struct ks_index *ix)
{
	if (ix->cap)
		memset(ix->keys, 0, ix->cap * sizeof(*ix->keys));
}

static void index_free(struct ks_index *ix)
{
	free(ix->keys);
	free(ix->pos);
}

static struct ks_model_priv *priv(const struct ks_model *m)
{
	return (struct ks_model_priv *)m;
}

struct ks_model *ks_model__new(void)
{
	struct ks_model_priv *p = calloc(1, sizeof(*p));

	return p ? &p->m : NULL;
}

void ks_model__free(struct ks_model *m)
{
	if (!m)
		return;
	index_free(&priv(m)->tasks);
	index_free(&priv(m)->syscalls);
	index_free(&priv(m)->disks);
	free(m->tasks);
	free(m->syscalls);
	free(m->disks);
	ks_profile__free(m->oncpu);
	ks_profile__free(m->offcpu);
	ks_profile__free(m->locks);
	ks_procs_sample__free(m->procs);
	ks_procs_sample__free(m->procs_start);
	free(priv(m));
}

void ks_model__reset(struct ks_model *m)
{
	m->ntasks = m->nsyscalls = m->ndisks = 0;
	index_clear(&priv(m)->tasks);
	index_clear(&priv(m)->syscalls);
	index_clear(&priv(m)->disks);
	memset(&m->runq_all, 0, sizeof(m->runq_all));
	memset(&m->io_all, 0, sizeof(m->io_all));
	m->lost = 0;
	m->ngaps = 0;
	ks_profile__free(m->oncpu);
	ks_profile__free(m->offcpu);
	ks_profile__free(m->locks);
	m->oncpu = m->offcpu = m->locks = NULL;
	ks_procs_sample__free(m->procs);
	ks_procs_sample__free(m->procs_start);
	m->procs = m->procs_start = NULL;
}

/* Grow a row array by one; returns the new zeroed row or NULL. */
static void *row_push(void **arr, size_t *n, size_t *cap, size_t size)
{
	void *r;

	if (ks_grow(arr, cap, *n + 1, size, 64))
		return NULL;
	r = (char *)*arr + (*n)++ * size;
	memset(r, 0, size);
	return r;
}

struct ks_task *ks_model__find(const struct ks_model *m, uint32_t pid)
{
	long i = index_get(&priv(m)->tasks, pid);

	return i < 0 ? NULL : &m->tasks[i];
}

struct ks_task *ks_model__task(struct ks_model *m, uint32_t pid, uint32_t tgid, const char *comm)
{
	struct ks_task *t = ks_model__find(m, pid);

	if (!t) {
		if (index_put(&priv(m)->tasks, pid, m->ntasks, m->ntasks))
			return NULL;
		t = row_push((void **)&m->tasks, &m->ntasks, &m->tasks_cap, sizeof(*t));
		if (!t)
			return NULL;
		t->pid = pid;
		t->tgid = tgid;
	}
	if (comm && comm[0] && !t->comm[0])
		strncpy(t->comm, comm, sizeof(t->comm) - 1);
	return t;
}

struct ks_syscall_row *ks_model__syscall(struct ks_model *m, uint32_t pid, uint32_t nr)
{
	uint64_t key = (uint64_t)pid << 32 | nr;
	long i = index_get(&priv(m)->syscalls, key);
	struct ks_syscall_row *r;

	if (i >= 0)
		return &m->syscalls[i];
	if (index_put(&priv(m)->syscalls, key, m->nsyscalls, m->nsyscalls))
		return NULL;
	r = row_push((void **)&m->syscalls, &m->nsyscalls, &m->syscalls_cap, sizeof(*r));
	if (r) {
		r->pid = pid;
		r->nr = nr;
	}
	return r;
}

struct ks_disk_row *ks_model__disk(struct ks_model *m, uint32_t dev)
{
	long i = index_get(&priv(m)->disks, dev);
	struct ks_disk_row *r;

	if (i >= 0)
		return &m->disks[i];
	if (index_put(&priv(m)->disks, dev, m->ndisks, m->ndisks))
		return NULL;
	r = row_push((void **)&m->disks, &m->ndisks, &m->disks_cap, sizeof(*r));
	if (r)
		r->dev = dev;
	return r;
}

double ks_model__close_interval(struct ks_model *m, uint64_t *tlast)
{
	m->t_start_ns = *tlast;
	m->t_end_ns = ks_now_ns();
	*tlast = m->t_end_ns;
	return (m->t_end_ns - m->t_start_ns) / 1e9;
}

void ks_model__gap(struct ks_model *m, const char *signal, const char *fmt, ...)
{
	struct ks_gap *g = NULL;
	va_list ap;
	size_t i;

	for (i = 0; i < m->ngaps; i++)
		if (!strcmp(m->gaps[i].signal, signal))
			return;
	if (m->ngaps >= sizeof(m->gaps) / sizeof(m->gaps[0]))
		return;
	g = &m->gaps[m->ngaps++];
	snprintf(g->signal, sizeof(g->signal), "%s", signal);
	va_start(ap, fmt);
	vsnprintf(g->reason, sizeof(g->reason), fmt, ap);
	va_end(ap);
}

struct ks_procs_sample *ks_procs_sample__new(void)
{
	return calloc(1, sizeof(struct ks_procs_sample));
}

void ks_procs_sample__free(struct ks_procs_sample *s)
{
	if (!s)
		return;
	free(s->procs);
	free(s);
}

void ks_procs_sample__reset(struct ks_procs_sample *s)
{
	struct ks_proc *procs = s->procs;
	size_t cap = s->cap;

	memset(s, 0, sizeof(*s));
	s->procs = procs;
	s->cap = cap;
}

int ks_procs_sample__add(struct ks_procs_sample *s, const struct ks_proc *p)
{
	struct ks_proc *r = row_push((void **)&s->procs, &s->n, &s->cap, sizeof(*r));

	if (!r)
		return -ENOMEM;
	*r = *p;
	return 0;
}

void ks_gaps_text(FILE *f, const struct ks_gap *gaps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "unavailable: %s: %s\n", gaps[i].signal, gaps[i].reason);
}

void ks_gaps_json(FILE *f, const struct ks_gap *gaps, size_t n)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s{\"signal\":", i ? "," : "");
		ks_json_str(f, gaps[i].signal);
		fprintf(f, ",\"reason\":");
		ks_json_str(f, gaps[i].reason);
		fputc('}', f);
	}
	fputc(']', f);
}
