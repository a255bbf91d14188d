// SPDX-License-Identifier: GPL-2.0
/*
 * A capture as the top view's source (include/ks_top_replay.h).
 *
 * Captures are read in order (profiles share a capture-wide dictionary), so
 * opening reads every interval once and keeps a reader position before
 * each; showing interval k seeks to k-1 and reads k-1 and k: the top model
 * needs the /proc reading before k for its deltas, as it does live. The
 * next interval after that is one more read. Only the shown interval's
 * model is held in memory, however long the capture.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ks_top_replay.h"
#include "ks_util.h"

struct ks_top_replay {
	struct ks_capture_reader *rd;
	struct ks_model *m;		/* the interval read last */
	struct ks_capture_pos *index;	/* before interval i + 1 */
	size_t count, cap;
	size_t pos;			/* shown interval, 1-based; 0: none */
	size_t next;			/* what the reader reads next, 1-based; 0: unknown */
	int gen;			/* t->generation right after showing pos */
	uint64_t t0_ns;			/* start of the first interval */
	unsigned int have;		/* enum ks_top_have: what was recorded */
	struct ks_top_cursor cursor;	/* the parts that do not move */
	char err[256];
};

/* The collectors a capture names, as top's columns, and why one is missing. */
static const struct {
	const char *collector;
	unsigned int have;
	const char *signal;		/* the live top's gap name */
} recorded[] = {
	{ "runqlat", KS_HAVE_RUNQ, "runq latency" },
	{ "offcpu", KS_HAVE_OFFCPU, "off-CPU time" },
	{ "biolat", KS_HAVE_IO, "I/O latency" },
	{ "syscalls", KS_HAVE_SYSC, "syscalls/s" },
	{ "locks", KS_HAVE_LOCK, "lock waits" },
};

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static void set_msg(char *msg, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_msg(char *msg, size_t sz, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !sz)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sz, fmt, ap);
	va_end(ap);
}

static int index_all(struct ks_top_replay *r)
{
	struct ks_capture_pos pos;
	int err;

	for (;;) {
		ks_capture_reader__tell(r->rd, &pos);
		err = ks_capture_reader__next(r->rd, r->m);
		if (err <= 0)
			return err;
		if (ks_grow((void **)&r->index, &r->cap, r->count + 1, sizeof(*r->index), 64))
			return -ENOMEM;
		r->index[r->count++] = pos;
		if (r->count == 1)
			r->t0_ns = r->m->t_start_ns;
		if (r->m->procs && r->m->procs->cgroups)
			r->cursor.cgroups = true;
		r->cursor.threads = r->m->threads;
	}
}

static void cursor_init(struct ks_top_replay *r, const char *path)
{
	const struct ks_capture_meta *mt = ks_capture_reader__meta(r->rd);
	const char *base = strrchr(path, '/');
	size_t i;

	r->cursor.replay = true;
	r->cursor.count = r->count;
	snprintf(r->cursor.file, sizeof(r->cursor.file), "%s", base ? base + 1 : path);
	snprintf(r->cursor.host, sizeof(r->cursor.host), "%s", mt->host);
	snprintf(r->cursor.kernel, sizeof(r->cursor.kernel), "%s", mt->kernel);
	for (i = 0; i < ARRAY_SIZE(recorded); i++)
		if (in_list(mt->collectors, recorded[i].collector))
			r->have |= recorded[i].have;
	/* lock waits are carved out of off-CPU sleep: no use without it */
	if (!(r->have & KS_HAVE_OFFCPU))
		r->have &= ~KS_HAVE_LOCK;
}

struct ks_top_replay *ks_top_replay__open(const char *path, char *msg, size_t msg_sz)
{
	struct ks_top_replay *r = calloc(1, sizeof(*r));
	int err;

	set_msg(msg, msg_sz, "%s", "");
	if (!r)
		goto oom;
	r->m = ks_model__new();
	if (!r->m)
		goto oom;
	r->rd = ks_capture_reader__open(path);
	if (!r->rd) {
		err = errno ? -errno : -EBADMSG;
		set_msg(msg, msg_sz, "%s: %s", path, ks_capture_strerror());
		goto fail;
	}
	err = index_all(r);
	if (err < 0) {
		set_msg(msg, msg_sz, "%s: %s", path, err == -ENOMEM ? strerror(ENOMEM) :
			ks_capture_reader__error(r->rd));
		goto fail;
	}
	if (!r->count) {
		err = -ENODATA;
		set_msg(msg, msg_sz, "%s: no complete interval in the capture%s%s", path,
			ks_capture_reader__truncated(r->rd) ? ": " : "",
			ks_capture_reader__truncated(r->rd) ? ks_capture_reader__error(r->rd) : "");
		goto fail;
	}
	if (ks_capture_reader__truncated(r->rd))
		set_msg(msg, msg_sz, "%s: %s; replaying the %zu complete intervals", path,
			ks_capture_reader__error(r->rd), r->count);
	cursor_init(r, path);
	return r;
oom:
	err = -ENOMEM;
	set_msg(msg, msg_sz, "%s: %s", path, strerror(ENOMEM));
fail:
	ks_top_replay__free(r);
	errno = -err;
	return NULL;
}

void ks_top_replay__free(struct ks_top_replay *r)
{
	if (!r)
		return;
	ks_capture_reader__free(r->rd);
	ks_model__free(r->m);
	free(r->index);
	free(r);
}

const struct ks_capture_meta *ks_top_replay__meta(const struct ks_top_replay *r)
{
	return ks_capture_reader__meta(r->rd);
}

size_t ks_top_replay__count(const struct ks_top_replay *r)
{
	return r->count;
}

const struct ks_top_cursor *ks_top_replay__cursor(const struct ks_top_replay *r)
{
	return &r->cursor;
}

size_t ks_top_replay__pos(const struct ks_top_replay *r)
{
	return r->pos;
}

const char *ks_top_replay__error(const struct ks_top_replay *r)
{
	return r->err;
}

const struct ks_model *ks_top_replay__model(const struct ks_top_replay *r)
{
	return r->pos ? r->m : NULL;
}

/* Read the interval the reader stands before into r->m. */
static int read_next(struct ks_top_replay *r)
{
	int err = ks_capture_reader__next(r->rd, r->m);

	if (err > 0) {
		r->next++;
		return 0;
	}
	/* the file changed under us, or the disk failed: start over next time */
	r->next = 0;
	if (!err)
		err = -ENODATA;
	snprintf(r->err, sizeof(r->err), "%s", err == -ENODATA ?
		 "the capture ended early (was it changed?)" : ks_capture_reader__error(r->rd));
	return err;
}

static int seek_to(struct ks_top_replay *r, size_t pos)
{
	int err = ks_capture_reader__seek(r->rd, &r->index[pos - 1]);

	if (err) {
		r->next = 0;
		snprintf(r->err, sizeof(r->err), "seek: %s", strerror(-err));
		return err;
	}
	r->next = pos;
	return 0;
}

/* Feed r->m, the interval just read, to @t as the live top would. */
static int feed(struct ks_top_replay *r, struct ks_top *t)
{
	const struct ks_capture_meta *mt = ks_capture_reader__meta(r->rd);
	struct ks_model *m = r->m;
	size_t i;
	int err;

	t->have = (t->have & KS_HAVE_PROCS) | r->have;
	t->threads = m->threads;
	for (i = 0; i < ARRAY_SIZE(recorded); i++)
		if (!(r->have & recorded[i].have))
			ks_model__gap(m, recorded[i].signal, "not in the capture (recorded: %s)",
				      mt->collectors[0] ? mt->collectors : "none");
	if (!m->procs)
		ks_model__gap(m, "/proc columns", "no /proc readings in the capture "
			      "(record --no-procs, or kscope 0.1.0)");
	err = ks_top__update(t, m->procs, m, NULL);
	if (err)
		snprintf(r->err, sizeof(r->err), "%s", strerror(-err));
	return err;
}

int ks_top_replay__show(struct ks_top_replay *r, struct ks_top *t, size_t pos)
{
	int err;

	if (pos < 1 || pos > r->count)
		return -ERANGE;
	r->err[0] = '\0';
	if (!(r->pos && pos == r->pos + 1 && r->next == pos && t->generation == r->gen)) {
		/* not the next one in line: start from the interval before it */
		ks_top__forget(t);
		err = seek_to(r, pos > 1 ? pos - 1 : 1);
		if (err || (err = read_next(r)))
			goto out;
		if (pos > 1) {
			/* only a reading gives deltas: none, and CPU% waits a turn */
			if (r->m->procs && (err = feed(r, t)))
				goto out;
			err = read_next(r);
			if (err)
				goto out;
		} else if (r->m->procs_start) {
			err = ks_top__update(t, r->m->procs_start, NULL, NULL);
			if (err)
				goto out;
		}
	} else if ((err = read_next(r))) {
		goto out;
	}
	err = feed(r, t);
	if (err)
		goto out;
	r->pos = pos;
	r->gen = t->generation;
	t->cursor = r->cursor;
	t->cursor.pos = pos;
	t->cursor.end = pos == r->count;
	t->cursor.offset_s = r->m->t_end_ns > r->t0_ns ? (r->m->t_end_ns - r->t0_ns) / 1e9 : 0;
	return 0;
out:
	/* whatever @t holds now is not interval pos: the next show starts over */
	r->next = 0;
	return err;
}

int ks_top_replay__step(struct ks_top_replay *r, struct ks_top *t, long delta)
{
	long to = (long)r->pos + delta;

	if (to < 1 || to > (long)r->count)
		return -ERANGE;
	if (!delta)
		r->next = 0;	/* the same interval again: from the one before */
	return ks_top_replay__show(r, t, (size_t)to);
}

/* Stacks of one process (or thread) out of a whole-system profile. */
static struct ks_profile *profile_of(const struct ks_profile *p, uint32_t pid, bool threads)
{
	struct ks_profile *out;
	size_t i;

	if (!p)
		return NULL;
	out = ks_profile__new(p->unit);
	if (!out)
		return NULL;
	out->hz = p->hz;
	out->duration_s = p->duration_s;
	for (i = 0; i < p->nstacks; i++) {
		const struct ks_stack *s = &p->stacks[i];

		if ((threads ? s->tid : s->pid) != pid)
			continue;
		if (ks_profile__add(out, s->pid, s->tid, s->frames, s->nframes, s->value)) {
			ks_profile__free(out);
			return NULL;
		}
	}
	return out;
}

int ks_top_replay__detail(const struct ks_top_replay *r, uint32_t pid, bool threads,
			  struct ks_model *dm)
{
	const struct ks_model *m = ks_top_replay__model(r);

	ks_model__reset(dm);
	if (!m)
		return 0;
	dm->oncpu = profile_of(m->oncpu, pid, threads);
	dm->offcpu = profile_of(m->offcpu, pid, threads);
	if ((m->oncpu && !dm->oncpu) || (m->offcpu && !dm->offcpu))
		return -ENOMEM;
	return 0;
}
