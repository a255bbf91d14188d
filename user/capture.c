// SPDX-License-Identifier: GPL-2.0
/*
 * Capture files (include/ks_capture.h, docs/capture-format.md).
 *
 * File:   magic[8] "KSCAPT\r\n", u16 version, u16 flags, u32 reserved,
 *         then chunks until the end of the file.
 * Chunk:  u32 type, u32 flags, u32 raw_len, u32 comp_len, u32 crc32,
 *         comp_len bytes of zlib data inflating to raw_len bytes. The crc32
 *         covers the first 16 header bytes and the compressed bytes.
 * Inside a chunk: LEB128 varints, f64 as 8 little-endian bytes, strings as
 * varint length + bytes. An INTERVAL chunk is a list of sections
 * (varint id, varint length, bytes); unknown sections are skipped, so later
 * versions can add fields without breaking old readers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "ks_capture.h"
#include "ks_hist.h"
#include "ks_util.h"

#define HDR_LEN		16
#define CHUNK_HDR_LEN	20
#define MAX_FRAMES	1024		/* per stack, well above KS_MAX_STACK_DEPTH * 2 */
#define MAX_STR		(1u << 20)

enum {
	SEC_HEAD = 1,		/* times, ncpus, threads, lost */
	SEC_GAPS,
	SEC_HISTS,		/* runq_all, io_all */
	SEC_TASKS,
	SEC_SYSCALLS,
	SEC_DISKS,
	SEC_PROFILE,		/* u8 which (0 oncpu, 1 offcpu, 2 locks) + profile */
	SEC_PROCS,		/* u8 when (0 end, 1 start) + a /proc reading */
};

/* ---- growable output buffer ---- */

struct buf {
	unsigned char *d;
	size_t len, cap;
	bool oom;
};

static void b_need(struct buf *b, size_t n)
{
	size_t nc;
	unsigned char *nd;

	if (b->oom || b->len + n <= b->cap)
		return;
	nc = b->cap ? b->cap : 4096;
	while (nc < b->len + n)
		nc *= 2;
	nd = realloc(b->d, nc);
	if (!nd) {
		b->oom = true;
		return;
	}
	b->d = nd;
	b->cap = nc;
}

static void b_bytes(struct buf *b, const void *p, size_t n)
{
	if (!n)		/* p may be NULL: an interval with no new strings */
		return;
	b_need(b, n);
	if (b->oom || !n)
		return;		/* memcpy from NULL, even of 0 bytes, is undefined */
	memcpy(b->d + b->len, p, n);
	b->len += n;
}

static void b_u8(struct buf *b, uint8_t v)
{
	b_bytes(b, &v, 1);
}

static void b_v(struct buf *b, uint64_t v)
{
	unsigned char t[10];
	size_t n = 0;

	do {
		t[n] = v & 0x7f;
		v >>= 7;
		if (v)
			t[n] |= 0x80;
		n++;
	} while (v);
	b_bytes(b, t, n);
}

static void b_le(struct buf *b, uint64_t v, int n)
{
	unsigned char t[8];
	int i;

	for (i = 0; i < n; i++)
		t[i] = v >> (8 * i);
	b_bytes(b, t, n);
}

static void b_f64(struct buf *b, double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	b_le(b, v, 8);
}

static void b_str(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	b_v(b, n);
	b_bytes(b, s, n);
}

/* Sections: id, then the length of what follows, patched in by sec_end. */
static size_t sec_begin(struct buf *b, unsigned int id)
{
	b_v(b, id);
	b_le(b, 0, 4);		/* placeholder: fixed-width u32 length */
	return b->len;
}

static void sec_end(struct buf *b, size_t start)
{
	uint32_t n = b->len - start;
	int i;

	if (b->oom)
		return;
	for (i = 0; i < 4; i++)
		b->d[start - 4 + i] = n >> (8 * i);
}

/* ---- bounded input cursor ---- */

struct cur {
	const unsigned char *p, *end;
	bool bad;
};

static size_t c_left(const struct cur *c)
{
	return c->bad ? 0 : (size_t)(c->end - c->p);
}

static uint64_t c_v(struct cur *c)
{
	uint64_t v = 0;
	int shift = 0;

	while (!c->bad) {
		unsigned char x;

		if (c->p >= c->end || shift > 63) {
			c->bad = true;
			break;
		}
		x = *c->p++;
		v |= (uint64_t)(x & 0x7f) << shift;
		if (!(x & 0x80))
			return v;
		shift += 7;
	}
	return 0;
}

/* A varint that must be <= @max; out of range marks the cursor bad. */
static uint64_t c_vmax(struct cur *c, uint64_t max)
{
	uint64_t v = c_v(c);

	if (v > max) {
		c->bad = true;
		return 0;
	}
	return v;
}

/* An element count: each element takes at least one byte. */
static size_t c_count(struct cur *c)
{
	return c_vmax(c, c_left(c));
}

static uint64_t c_le(struct cur *c, int n)
{
	uint64_t v = 0;
	int i;

	if (c_left(c) < (size_t)n) {
		c->bad = true;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static double c_f64(struct cur *c)
{
	uint64_t v = c_le(c, 8);
	double d;

	memcpy(&d, &v, 8);
	return d;
}

/* A string into a fixed buffer (truncated to fit, NUL-terminated). */
static void c_strbuf(struct cur *c, char *dst, size_t size)
{
	size_t n = c_vmax(c, c_left(c)), k;

	k = n < size - 1 ? n : size - 1;
	if (!c->bad) {
		memcpy(dst, c->p, k);
		c->p += n;
	} else {
		k = 0;
	}
	dst[k] = 0;
	/* embedded NULs just shorten the string */
}

/* A string as a malloc()ed copy (NULL on error). */
static char *c_strdup(struct cur *c)
{
	size_t n = c_vmax(c, c_left(c) < MAX_STR ? c_left(c) : MAX_STR);
	char *s;

	if (c->bad)
		return NULL;
	s = malloc(n + 1);
	if (!s) {
		c->bad = true;
		return NULL;
	}
	memcpy(s, c->p, n);
	s[n] = 0;
	c->p += n;
	return s;
}

/* ---- histograms: sparse ---- */

static void put_hist(struct buf *b, const struct ks_hist *h)
{
	unsigned int i, n = 0, last = 0;

	for (i = 0; i < KS_HIST_SLOTS; i++)
		n += !!h->slots[i];
	b_v(b, h->count);
	b_v(b, h->sum_ns);
	b_v(b, h->max_ns);
	b_v(b, h->min_ns);
	b_v(b, n);
	for (i = 0; i < KS_HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		b_v(b, i - last);	/* delta from the previous slot */
		b_v(b, h->slots[i]);
		last = i;
	}
}

static void get_hist(struct cur *c, struct ks_hist *h)
{
	size_t n, i;
	uint64_t slot = 0;

	memset(h, 0, sizeof(*h));
	h->count = c_v(c);
	h->sum_ns = c_v(c);
	h->max_ns = c_v(c);
	h->min_ns = c_v(c);
	n = c_vmax(c, KS_HIST_SLOTS);
	for (i = 0; i < n && !c->bad; i++) {
		slot += c_vmax(c, KS_HIST_SLOTS);
		if (slot >= KS_HIST_SLOTS || (i && slot == 0)) {
			c->bad = true;
			return;
		}
		h->slots[slot] = c_v(c);
	}
}

/* ---- profiles ---- */

/*
 * The dictionary: strings and frames numbered once per capture. Each
 * interval's profiles carry only the strings and frames new since the
 * previous interval; stacks refer to frames by capture-wide number. Reader
 * and writer keep the same tables, so a capture is read in order.
 */
#define DICT_MAX_ENTRIES	(4u << 20)
#define DICT_MAX_BYTES		(256u << 20)

struct dframe {
	uint32_t name, module;		/* string index + 1 (module 0: none) */
	uint64_t addr, offset;
	uint8_t kind;
};

/*
 * A stack in the format-2 stack dictionary. A recorded machine repeats most
 * of its stacks from one interval to the next (a busy 2-CPU machine: 74%
 * of off-CPU stacks after 10 s): they are written as an index and a value.
 * The dictionary is emptied when it would pass STACKS_MAX stacks or
 * STACK_IDX_MAX frame indices, which bounds a long recording's memory.
 */
struct dstack {
	uint32_t pid, tid, n;
	uint32_t off;			/* into sidx */
};

#define STACKS_MAX		(256u << 10)
#define STACK_IDX_MAX		(8u << 20)

struct dict {
	char **strs;			/* by index */
	uint32_t *str_slots;		/* hash -> index + 1 */
	size_t nstrs, strs_cap, str_slots_cap, str_bytes;
	struct dframe *frames;
	uint32_t *fr_slots;
	size_t nframes, frames_cap, fr_slots_cap;
	/* reader: per profile, dictionary string -> pointer interned in it */
	const char **interned;
	size_t interned_cap;
	/* reader: per profile, derived frame name -> pointer interned in it */
	const char **fr_interned;
	/* format 2: by module string index + 1, the last frame's addr - offset */
	uint64_t *bias;
	size_t bias_cap;
	/* format 2: stacks numbered once, emptied when full (STACKS_MAX) */
	struct dstack *stacks;
	uint32_t *sidx;			/* their frame indices */
	uint32_t *st_slots;		/* writer: hash -> index + 1 */
	size_t nstacks, stacks_cap, nsidx, sidx_cap, st_slots_cap;
	unsigned int version;		/* reader: of the file */
};

static void dict_free(struct dict *d)
{
	size_t i;

	for (i = 0; i < d->nstrs; i++)
		free(d->strs[i]);
	free(d->strs);
	free(d->str_slots);
	free(d->frames);
	free(d->fr_slots);
	free(d->interned);
	free(d->fr_interned);
	free(d->bias);
	free(d->stacks);
	free(d->sidx);
	free(d->st_slots);
	memset(d, 0, sizeof(*d));
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static uint64_t frame_hash(const struct dframe *f)
{
	uint64_t k = f->name * 0x9e3779b97f4a7c15ULL ^ f->module;

	k = (k ^ f->addr) * 0xff51afd7ed558ccdULL;
	k = (k ^ f->offset) * 0xc4ceb9fe1a85ec53ULL;
	return (k ^ f->kind) ^ (k >> 29);
}

static bool frame_eq(const struct dframe *a, const struct dframe *b)
{
	return a->name == b->name && a->module == b->module && a->addr == b->addr &&
	       a->offset == b->offset && a->kind == b->kind;
}

/* Rebuild an index table of @cap slots over @n entries. */
static int rehash(uint32_t **slots, size_t *cap, size_t n, const struct dict *d, bool frames)
{
	size_t nc = *cap ? *cap * 2 : 4096, i, j;
	uint32_t *ns = calloc(nc, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint64_t h = frames ? frame_hash(&d->frames[i]) : str_hash(d->strs[i]);

		for (j = h & (nc - 1); ns[j]; j = (j + 1) & (nc - 1))
			;
		ns[j] = i + 1;
	}
	free(*slots);
	*slots = ns;
	*cap = nc;
	return 0;
}

/* Room for one more after the @n there are. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	return ks_grow(arr, cap, n + 1, size, 1024);
}

static int dict_add_str(struct dict *d, const char *s, size_t len)
{
	char *c;

	if (d->nstrs >= DICT_MAX_ENTRIES || d->str_bytes + len > DICT_MAX_BYTES)
		return -E2BIG;
	if (grow((void **)&d->strs, &d->strs_cap, d->nstrs, sizeof(*d->strs)))
		return -ENOMEM;
	c = malloc(len + 1);
	if (!c)
		return -ENOMEM;
	memcpy(c, s, len);
	c[len] = 0;
	d->strs[d->nstrs++] = c;
	d->str_bytes += len + 1;
	return 0;
}

/* Writer: index of @s, adding it (to @out as well) when new; -1 on error. */
static long dict_str(struct dict *d, const char *s, struct buf *out, size_t *nnew)
{
	size_t j;

	if ((d->nstrs + 1) * 2 > d->str_slots_cap &&
	    rehash(&d->str_slots, &d->str_slots_cap, d->nstrs, d, false))
		return -1;
	for (j = str_hash(s) & (d->str_slots_cap - 1); d->str_slots[j];
	     j = (j + 1) & (d->str_slots_cap - 1))
		if (!strcmp(d->strs[d->str_slots[j] - 1], s))
			return d->str_slots[j] - 1;
	if (dict_add_str(d, s, strlen(s)))
		return -1;
	d->str_slots[j] = d->nstrs;
	b_str(out, s);
	(*nnew)++;
	return d->nstrs - 1;
}

static int dict_add_frame(struct dict *d, const struct dframe *f)
{
	if (d->nframes >= DICT_MAX_ENTRIES)
		return -E2BIG;
	if (grow((void **)&d->frames, &d->frames_cap, d->nframes, sizeof(*d->frames)))
		return -ENOMEM;
	d->frames[d->nframes++] = *f;
	return 0;
}

/* The name of a frame no symbol named: "binary+0xoffset" (as ks_sym_format). */
static const char *derived_name(const char *module, uint64_t offset, char *buf, size_t len)
{
	return ks_module_off_name(buf, len, module, offset);
}

/* Whether @fr's name is the one derived_name() gives (formatted only if it may be). */
static bool is_derived(const struct ks_frame *fr, char *buf, size_t len)
{
	const char *base;
	size_t n;

	if (!fr->module || !fr->name)
		return false;
	base = strrchr(fr->module, '/');
	base = base ? base + 1 : fr->module;
	n = strlen(base);
	if (strncmp(fr->name, base, n) || strncmp(fr->name + n, "+0x", 3))
		return false;
	return !strcmp(fr->name, derived_name(fr->module, fr->offset, buf, len));
}

/*
 * Format 2: the frame's addr - offset (the load bias) as the change from
 * the last frame of the same module, the slot of @module (string index +
 * 1, 0 for none) in d->bias. NULL: no memory.
 */
static uint64_t *bias_slot(struct dict *d, size_t module)
{
	if (module >= d->bias_cap) {
		size_t nc = d->bias_cap ? d->bias_cap : 256;
		uint64_t *nb;

		while (nc <= module)
			nc *= 2;
		nb = realloc(d->bias, nc * sizeof(*nb));
		if (!nb)
			return NULL;
		memset(nb + d->bias_cap, 0, (nc - d->bias_cap) * sizeof(*nb));
		d->bias = nb;
		d->bias_cap = nc;
	}
	return &d->bias[module];
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static long dict_frame(struct dict *d, const struct ks_frame *fr, struct buf *strs,
		       size_t *nstr, struct buf *frs, size_t *nfr)
{
	struct dframe f = { .addr = fr->addr, .offset = fr->offset, .kind = fr->kind };
	char buf[512];
	uint64_t *bias;
	long ni = -1, mi = -1;
	size_t j;

	/* a name the reader derives from module and offset is not stored */
	if (!is_derived(fr, buf, sizeof(buf))) {
		ni = dict_str(d, fr->name ? fr->name : "", strs, nstr);
		if (ni < 0)
			return -1;
	}
	if (fr->module)
		mi = dict_str(d, fr->module, strs, nstr);
	if (fr->module && mi < 0)
		return -1;
	f.name = ni + 1;
	f.module = mi + 1;
	if ((d->nframes + 1) * 2 > d->fr_slots_cap &&
	    rehash(&d->fr_slots, &d->fr_slots_cap, d->nframes, d, true))
		return -1;
	for (j = frame_hash(&f) & (d->fr_slots_cap - 1); d->fr_slots[j];
	     j = (j + 1) & (d->fr_slots_cap - 1))
		if (frame_eq(&d->frames[d->fr_slots[j] - 1], &f))
			return d->fr_slots[j] - 1;
	bias = bias_slot(d, f.module);
	if (!bias || dict_add_frame(d, &f))
		return -1;
	d->fr_slots[j] = d->nframes;
	b_v(frs, f.name);
	b_v(frs, f.module);
	b_v(frs, f.offset);
	b_v(frs, zigzag(f.addr - f.offset - *bias));
	*bias = f.addr - f.offset;
	b_u8(frs, f.kind);
	(*nfr)++;
	return d->nframes - 1;
}

static void stacks_reset(struct dict *d)
{
	d->nstacks = 0;
	d->nsidx = 0;
	if (d->st_slots)
		memset(d->st_slots, 0, d->st_slots_cap * sizeof(*d->st_slots));
}

static uint64_t stack_hash(uint32_t pid, uint32_t tid, const uint32_t *idx, size_t n)
{
	uint64_t h = (pid * 0x9e3779b97f4a7c15ULL) ^ tid ^ (n << 40);
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ idx[i]) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 29);
}

/* Append a stack (reader and writer alike). 0, -E2BIG (full) or -ENOMEM. */
static int stack_add(struct dict *d, uint32_t pid, uint32_t tid, const uint32_t *idx,
		     size_t n)
{
	struct dstack *st;

	if (d->nstacks >= STACKS_MAX || d->nsidx + n > STACK_IDX_MAX)
		return -E2BIG;
	if (grow((void **)&d->stacks, &d->stacks_cap, d->nstacks, sizeof(*d->stacks)))
		return -ENOMEM;
	if (ks_grow((void **)&d->sidx, &d->sidx_cap, d->nsidx + n, sizeof(*d->sidx), 16384))
		return -ENOMEM;
	memcpy(d->sidx + d->nsidx, idx, n * sizeof(*idx));
	st = &d->stacks[d->nstacks++];
	*st = (struct dstack){ .pid = pid, .tid = tid, .n = n, .off = d->nsidx };
	d->nsidx += n;
	return 0;
}

/*
 * Writer: the index of stack (pid, tid, idx[0..n)), adding it when new
 * (*added set). -E2BIG when the dictionary is full, -ENOMEM.
 */
static long stack_find_add(struct dict *d, uint32_t pid, uint32_t tid, const uint32_t *idx,
			   size_t n, bool *added)
{
	size_t j, mask;
	int err;

	*added = false;
	if ((d->nstacks + 1) * 2 > d->st_slots_cap) {
		size_t nc = d->st_slots_cap ? d->st_slots_cap * 2 : 4096, i;
		uint32_t *ns = calloc(nc, sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		for (i = 0; i < d->nstacks; i++) {
			const struct dstack *st = &d->stacks[i];

			for (j = stack_hash(st->pid, st->tid, d->sidx + st->off, st->n) & (nc - 1);
			     ns[j]; j = (j + 1) & (nc - 1))
				;
			ns[j] = i + 1;
		}
		free(d->st_slots);
		d->st_slots = ns;
		d->st_slots_cap = nc;
	}
	mask = d->st_slots_cap - 1;
	for (j = stack_hash(pid, tid, idx, n) & mask; d->st_slots[j]; j = (j + 1) & mask) {
		const struct dstack *st = &d->stacks[d->st_slots[j] - 1];

		if (st->pid == pid && st->tid == tid && st->n == n &&
		    !memcmp(d->sidx + st->off, idx, n * sizeof(*idx)))
			return d->st_slots[j] - 1;
	}
	err = stack_add(d, pid, tid, idx, n);
	if (err)
		return err;
	d->st_slots[j] = d->nstacks;
	*added = true;
	return d->nstacks - 1;
}

/* Stacks as frame-index sequences, sorted so neighbours share prefixes. */
static const uint32_t *sort_idx;
static const size_t *sort_off;

static int cmp_seq(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const uint32_t *x = sort_idx + sort_off[a], *y = sort_idx + sort_off[b];
	size_t nx = sort_off[a + 1] - sort_off[a], ny = sort_off[b + 1] - sort_off[b], i;

	for (i = 0; i < nx && i < ny; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return nx < ny ? -1 : nx > ny;
}

/* A stack the dictionary has, and this interval's value of it. */
struct known {
	size_t ix;
	uint64_t value;
};

static int cmp_known(const void *pa, const void *pb)
{
	const struct known *a = pa, *b = pb;

	return a->ix < b->ix ? -1 : a->ix > b->ix;
}

/*
 * A profile: header, the strings and frames new to the dictionary, then
 * whether the stack dictionary was emptied, the stacks new to it (pid,
 * tid, value, frames shared with the previous stack, then the dictionary
 * indices of the others) and the known ones (index change, value).
 */
static int put_profile(struct buf *b, const struct ks_profile *p, struct dict *d)
{
	const struct ks_accounting *a = &p->acct;
	struct buf strs = {}, frs = {};
	uint32_t *idx = NULL;
	size_t *off = NULL, *order = NULL, total = 0, i, k, prev = 0, nstr = 0, nfr = 0;
	size_t nnew = 0, nknown = 0;
	struct known *known = NULL;
	long ix;
	int err = -ENOMEM;

	b_str(b, p->unit);
	b_str(b, p->title);
	b_v(b, p->hz);
	b_f64(b, p->duration_s);
	b_v(b, a->samples);
	b_v(b, a->lost);
	b_v(b, a->stack_errors);
	b_v(b, a->frames);
	b_v(b, a->frames_unnamed);
	b_v(b, a->user_stacks);
	b_v(b, a->user_complete);
	b_str(b, a->notes);

	for (i = 0; i < p->nstacks; i++)
		total += p->stacks[i].nframes;
	idx = malloc((total + 1) * sizeof(*idx));
	off = malloc((p->nstacks + 1) * sizeof(*off));
	order = malloc((p->nstacks + 1) * sizeof(*order));
	if (!idx || !off || !order)
		goto out;
	total = 0;
	for (i = 0; i < p->nstacks; i++) {
		const struct ks_stack *st = &p->stacks[i];

		off[i] = total;
		order[i] = i;
		for (k = 0; k < st->nframes; k++) {
			ix = dict_frame(d, &st->frames[k], &strs, &nstr, &frs, &nfr);
			if (ix < 0)
				goto out;
			idx[total++] = ix;
		}
	}
	off[p->nstacks] = total;
	sort_idx = idx;
	sort_off = off;
	qsort(order, p->nstacks, sizeof(*order), cmp_seq);

	b_v(b, nstr);
	b_bytes(b, strs.d, strs.len);
	b_v(b, nfr);
	b_bytes(b, frs.d, frs.len);
	/* stacks the dictionary has (known) and new ones, in sorted order */
	if (d->nstacks + p->nstacks > STACKS_MAX || d->nsidx + total > STACK_IDX_MAX) {
		stacks_reset(d);
		b_u8(b, 1);
	} else {
		b_u8(b, 0);
	}
	known = malloc((p->nstacks + 1) * sizeof(*known));
	if (!known)
		goto out;
	for (i = 0; i < p->nstacks; i++) {
		size_t s = order[i];
		bool added;

		ix = stack_find_add(d, p->stacks[s].pid, p->stacks[s].tid, idx + off[s],
				    off[s + 1] - off[s], &added);
		if (ix == -E2BIG) {	/* more than a whole dictionary: sent, not kept */
			order[nnew++] = s;
			continue;
		}
		if (ix < 0) {
			err = ix;
			goto out;
		}
		if (added)
			order[nnew++] = s;
		else
			known[nknown++] = (struct known){ ix, p->stacks[s].value };
	}
	b_v(b, nnew);
	for (i = 0; i < nnew; i++) {
		size_t s = order[i], n = off[s + 1] - off[s], common = 0;

		if (i) {
			size_t pn = off[prev + 1] - off[prev];

			while (common < n && common < pn &&
			       idx[off[s] + common] == idx[off[prev] + common])
				common++;
		}
		b_v(b, p->stacks[s].pid);
		b_v(b, p->stacks[s].tid);
		b_v(b, p->stacks[s].value);
		b_v(b, common);
		b_v(b, n - common);
		for (k = common; k < n; k++)
			b_v(b, idx[off[s] + k]);
		prev = s;
	}
	qsort(known, nknown, sizeof(*known), cmp_known);
	b_v(b, nknown);
	for (i = 0; i < nknown; i++) {
		b_v(b, known[i].ix - (i ? known[i - 1].ix : 0));
		b_v(b, known[i].value);
	}
	err = strs.oom || frs.oom ? -ENOMEM : 0;
out:
	free(strs.d);
	free(frs.d);
	free(idx);
	free(off);
	free(order);
	free(known);
	return err;
}

/* Reader: dictionary string @i (0-based) interned in @p. */
static const char *dict_intern(struct dict *d, struct ks_profile *p, size_t i)
{
	if (!d->interned[i])
		d->interned[i] = ks_profile__intern(p, d->strs[i]);
	return d->interned[i];
}

/* Reader: the derived name of dictionary frame @i interned in @p. */
static const char *derived_intern(struct dict *d, struct ks_profile *p, size_t i)
{
	const struct dframe *f = &d->frames[i];
	char buf[512];

	if (!d->fr_interned[i])
		d->fr_interned[i] = ks_profile__intern(p, derived_name(d->strs[f->module - 1],
								       f->offset, buf,
								       sizeof(buf)));
	return d->fr_interned[i];
}

/* Reader: dictionary frame @fi as a frame of @p. 0, or -ENOMEM. */
static int frame_at(struct dict *d, struct ks_profile *p, size_t fi, struct ks_frame *fr)
{
	const struct dframe *df = &d->frames[fi];

	fr->name = df->name ? dict_intern(d, p, df->name - 1) : derived_intern(d, p, fi);
	fr->module = df->module ? dict_intern(d, p, df->module - 1) : NULL;
	fr->addr = df->addr;
	fr->offset = df->offset;
	fr->kind = df->kind;
	return !fr->name || (df->module && !fr->module) ? -ENOMEM : 0;
}

static struct ks_profile *get_profile(struct cur *c, struct dict *d)
{
	struct ks_accounting *a;
	struct ks_profile *p;
	struct ks_frame *fr = NULL;
	uint32_t *fidx = NULL;
	char *unit, *title;
	size_t n, nstk, i, k, ix, prevn = 0;

	unit = c_strdup(c);
	title = c_strdup(c);
	p = ks_profile__new(unit && *unit ? unit : "samples");
	if (!p) {
		free(unit);
		free(title);
		c->bad = true;
		return NULL;
	}
	if (title && *title)
		p->title = ks_profile__intern(p, title);
	free(unit);
	free(title);
	a = &p->acct;
	p->hz = c_v(c);
	p->duration_s = c_f64(c);
	a->samples = c_v(c);
	a->lost = c_v(c);
	a->stack_errors = c_v(c);
	a->frames = c_v(c);
	a->frames_unnamed = c_v(c);
	a->user_stacks = c_v(c);
	a->user_complete = c_v(c);
	c_strbuf(c, a->notes, sizeof(a->notes));

	n = c_count(c);
	for (i = 0; i < n && !c->bad; i++) {
		size_t len = c_vmax(c, c_left(c));

		if (c->bad || dict_add_str(d, (const char *)c->p, len))
			goto err;
		if (memchr(c->p, 0, len))	/* embedded NUL: keep the prefix */
			d->strs[d->nstrs - 1][strlen(d->strs[d->nstrs - 1])] = 0;
		c->p += len;
	}
	n = c_count(c);
	for (i = 0; i < n && !c->bad; i++) {
		struct dframe f;
		uint64_t *bias;

		f.name = c_vmax(c, d->nstrs);
		f.module = c_vmax(c, d->nstrs);
		if (d->version < 2) {
			f.addr = c_v(c);
			f.offset = c_v(c);
		} else {
			f.offset = c_v(c);
			f.addr = c_v(c);
			bias = bias_slot(d, f.module);
			if (!bias)
				goto err;
			*bias += unzigzag(f.addr);
			f.addr = f.offset + *bias;
		}
		f.kind = c_le(c, 1);
		if (f.kind > KS_FRAME_UNKNOWN)
			f.kind = KS_FRAME_UNKNOWN;
		/* no name: derived from the module (format 2) */
		if (f.name == 0 && (d->version < 2 || !f.module))
			c->bad = true;
		if (c->bad || dict_add_frame(d, &f))
			goto err;
	}
	if (c->bad)
		goto err;
	free(d->interned);
	free(d->fr_interned);
	d->interned = calloc(d->nstrs ? d->nstrs : 1, sizeof(*d->interned));
	d->fr_interned = calloc(d->nframes ? d->nframes : 1, sizeof(*d->fr_interned));
	fr = calloc(MAX_FRAMES, sizeof(*fr));
	fidx = calloc(MAX_FRAMES, sizeof(*fidx));
	if (!d->interned || !d->fr_interned || !fr || !fidx)
		goto err;
	if (d->version >= 2 && c_le(c, 1))
		stacks_reset(d);
	nstk = c_count(c);
	for (i = 0; i < nstk && !c->bad; i++) {
		uint32_t pid = c_vmax(c, UINT32_MAX), tid = c_vmax(c, UINT32_MAX);
		uint64_t value = c_v(c);
		size_t common = c_vmax(c, prevn), rest = c_vmax(c, MAX_FRAMES - common);

		for (k = common; k < common + rest && !c->bad; k++) {
			fidx[k] = c_vmax(c, d->nframes ? d->nframes - 1 : 0);
			if (!d->nframes) {
				c->bad = true;
				break;
			}
			if (frame_at(d, p, fidx[k], &fr[k]))
				goto err;
		}
		prevn = common + rest;
		if (c->bad)
			goto err;
		/* format 2: new stacks join the dictionary while it has room */
		if (d->version >= 2 && stack_add(d, pid, tid, fidx, prevn) == -ENOMEM)
			goto err;
		if (ks_profile__add(p, pid, tid, fr, prevn, value))
			goto err;
	}
	nstk = d->version >= 2 && !c->bad ? c_count(c) : 0;
	for (i = 0, ix = 0; i < nstk && !c->bad; i++) {
		const struct dstack *st;
		uint64_t value;

		ix += c_vmax(c, d->nstacks);
		value = c_v(c);
		if (c->bad || ix >= d->nstacks)
			goto err;
		st = &d->stacks[ix];
		for (k = 0; k < st->n; k++)
			if (frame_at(d, p, d->sidx[st->off + k], &fr[k]))
				goto err;
		if (ks_profile__add(p, st->pid, st->tid, fr, st->n, value))
			goto err;
	}
	if (c->bad)
		goto err;
	free(fr);
	free(fidx);
	return p;
err:
	c->bad = true;
	free(fr);
	free(fidx);
	ks_profile__free(p);
	return NULL;
}

/* ---- the model ---- */

static void put_task(struct buf *b, const struct ks_task *t)
{
	int i;

	b_v(b, t->pid);
	b_v(b, t->tgid);
	b_str(b, t->comm);
	b_v(b, t->oncpu_ns);
	b_v(b, KS_OFF__COUNT);
	for (i = 0; i < KS_OFF__COUNT; i++)
		b_v(b, t->offcpu_ns[i]);
	put_hist(b, &t->runq);
	put_hist(b, &t->io);
	b_v(b, t->preempt);
	b_v(b, t->ctxsw);
	b_v(b, t->syscalls);
	b_v(b, t->syscall_errors);
	b_v(b, t->syscall_ns);
	b_v(b, t->faults);
	b_v(b, t->io_bytes);
	b_v(b, t->io_ops);
	b_u8(b, t->exited);
}

static void get_task(struct cur *c, struct ks_model *m)
{
	struct ks_task tmp = {}, *t;
	size_t n, i;

	tmp.pid = c_vmax(c, UINT32_MAX);
	tmp.tgid = c_vmax(c, UINT32_MAX);
	c_strbuf(c, tmp.comm, sizeof(tmp.comm));
	tmp.oncpu_ns = c_v(c);
	n = c_vmax(c, 64);
	for (i = 0; i < n; i++) {
		uint64_t v = c_v(c);

		if (i < KS_OFF__COUNT)
			tmp.offcpu_ns[i] = v;
	}
	get_hist(c, &tmp.runq);
	get_hist(c, &tmp.io);
	tmp.preempt = c_v(c);
	tmp.ctxsw = c_v(c);
	tmp.syscalls = c_v(c);
	tmp.syscall_errors = c_v(c);
	tmp.syscall_ns = c_v(c);
	tmp.faults = c_v(c);
	tmp.io_bytes = c_v(c);
	tmp.io_ops = c_v(c);
	tmp.exited = c_le(c, 1) != 0;
	if (c->bad)
		return;
	t = ks_model__task(m, tmp.pid, tmp.tgid, tmp.comm);
	if (!t) {
		c->bad = true;
		return;
	}
	*t = tmp;		/* a duplicate pid in a hostile file: last wins */
}

/* ---- /proc readings (top -i) ---- */

static void put_sys(struct buf *b, const struct ks_sys *y)
{
	int i, n = y->ncpus < KS_SYS_MAX_CPUS ? y->ncpus : KS_SYS_MAX_CPUS;

	b_v(b, n);
	for (i = 0; i <= n; i++) {
		b_v(b, y->busy[i]);
		b_v(b, y->total[i]);
	}
	for (i = 0; i < 3; i++)
		b_f64(b, y->load[i]);
	b_v(b, y->nr_running);
	b_v(b, y->nr_tasks);
	b_v(b, y->mem_total_kb);
	b_v(b, y->mem_avail_kb);
	b_v(b, KS_PSI__COUNT);
	for (i = 0; i < KS_PSI__COUNT; i++) {
		b_u8(b, y->psi[i].ok | y->psi[i].has_full << 1);
		b_f64(b, y->psi[i].some10);
		b_f64(b, y->psi[i].full10);
	}
	b_str(b, y->psi_reason);
}

static void get_sys(struct cur *c, struct ks_sys *y)
{
	size_t n, i;

	y->ncpus = c_vmax(c, KS_SYS_MAX_CPUS);
	for (i = 0; i <= (size_t)y->ncpus && !c->bad; i++) {
		y->busy[i] = c_v(c);
		y->total[i] = c_v(c);
	}
	for (i = 0; i < 3; i++)
		y->load[i] = c_f64(c);
	y->nr_running = c_vmax(c, UINT32_MAX);
	y->nr_tasks = c_vmax(c, UINT32_MAX);
	y->mem_total_kb = c_v(c);
	y->mem_avail_kb = c_v(c);
	n = c_vmax(c, 64);
	for (i = 0; i < n && !c->bad; i++) {
		unsigned int fl = c_le(c, 1);
		double some = c_f64(c), full = c_f64(c);

		if (i >= KS_PSI__COUNT)
			continue;	/* a later kernel's resource */
		y->psi[i].ok = fl & 1;
		y->psi[i].has_full = fl & 2;
		y->psi[i].some10 = some;
		y->psi[i].full10 = full;
	}
	c_strbuf(c, y->psi_reason, sizeof(y->psi_reason));
}

/* A reading: users named once (uid -> name), then one row per process. */
static void put_procs(struct buf *b, const struct ks_procs_sample *s, bool start)
{
	size_t i, j, nu = 0;
	uint32_t *uids = malloc((s->n + 1) * sizeof(*uids));
	const char **names = malloc((s->n + 1) * sizeof(*names));

	if (!uids || !names) {
		b->oom = true;
		goto out;
	}
	for (i = 0; i < s->n; i++) {
		for (j = 0; j < nu && uids[j] != s->procs[i].uid; j++)
			;
		if (j == nu && nu < 4096) {
			uids[nu] = s->procs[i].uid;
			names[nu++] = s->procs[i].user;
		}
	}
	b_u8(b, start);
	b_v(b, s->t_ns);
	b_f64(b, s->wall);
	b_v(b, s->hz);
	b_u8(b, s->threads | s->cgroups << 1);
	put_sys(b, &s->sys);
	b_v(b, nu);
	for (j = 0; j < nu; j++) {
		b_v(b, uids[j]);
		b_str(b, names[j]);
	}
	b_v(b, s->n);
	for (i = 0; i < s->n; i++) {
		const struct ks_proc *p = &s->procs[i];

		b_v(b, p->pid);
		b_v(b, p->tgid);
		b_v(b, p->ppid);
		b_v(b, p->uid);
		b_str(b, p->comm);
		b_u8(b, p->state);
		b_v(b, p->cpu_ticks);
		b_v(b, p->faults);
		b_v(b, p->rss_kb);
		b_v(b, p->threads);
		b_v(b, p->start_ticks);
		b_str(b, s->cgroups ? p->cgroup : "");
	}
out:
	free(uids);
	free(names);
}

static void get_procs(struct cur *c, struct ks_model *m)
{
	struct ks_procs_sample *s = ks_procs_sample__new();
	struct { uint32_t uid; char name[16]; } *users = NULL;
	bool start = c_le(c, 1) != 0;
	unsigned int fl;
	size_t nu, n, i, j;

	if (!s) {
		c->bad = true;
		return;
	}
	s->t_ns = c_v(c);
	s->wall = c_f64(c);
	s->hz = c_vmax(c, 1000000);
	fl = c_le(c, 1);
	s->threads = fl & 1;
	s->cgroups = fl & 2;
	get_sys(c, &s->sys);
	nu = c_vmax(c, c_left(c) < 4096 ? c_left(c) : 4096);
	users = calloc(nu + 1, sizeof(*users));
	if (!users)
		c->bad = true;
	for (i = 0; i < nu && !c->bad; i++) {
		users[i].uid = c_vmax(c, UINT32_MAX);
		c_strbuf(c, users[i].name, sizeof(users[i].name));
	}
	n = c_count(c);
	for (i = 0; i < n && !c->bad; i++) {
		struct ks_proc p = {};

		p.pid = c_vmax(c, UINT32_MAX);
		p.tgid = c_vmax(c, UINT32_MAX);
		p.ppid = c_vmax(c, UINT32_MAX);
		p.uid = c_vmax(c, UINT32_MAX);
		c_strbuf(c, p.comm, sizeof(p.comm));
		p.state = c_le(c, 1);
		if (p.state < 0x21 || p.state > 0x7e)
			p.state = '?';
		p.cpu_ticks = c_v(c);
		p.faults = c_v(c);
		p.rss_kb = c_v(c);
		p.threads = c_vmax(c, UINT32_MAX);
		p.start_ticks = c_v(c);
		c_strbuf(c, p.cgroup, sizeof(p.cgroup));
		for (j = 0; j < nu && users[j].uid != p.uid; j++)
			;
		/* named where it was recorded; the uid when it had no name */
		if (j < nu && users[j].name[0])
			snprintf(p.user, sizeof(p.user), "%s", users[j].name);
		else
			snprintf(p.user, sizeof(p.user), "%u", p.uid);
		if (!c->bad && ks_procs_sample__add(s, &p))
			c->bad = true;
	}
	free(users);
	if (c->bad) {
		ks_procs_sample__free(s);
		return;
	}
	/* a second reading of the same kind in a hostile file: last wins */
	if (start) {
		ks_procs_sample__free(m->procs_start);
		m->procs_start = s;
	} else {
		ks_procs_sample__free(m->procs);
		m->procs = s;
	}
}

static int encode_model(struct buf *b, const struct ks_model *m, struct dict *d)
{
	const struct ks_profile *profs[3] = { m->oncpu, m->offcpu, m->locks };
	size_t s, i;
	int err = 0;

	s = sec_begin(b, SEC_HEAD);
	b_v(b, m->t_start_ns);
	b_v(b, m->t_end_ns);
	b_f64(b, m->wall_start);
	b_v(b, m->ncpus > 0 ? m->ncpus : 0);
	b_u8(b, m->threads);
	b_v(b, m->lost);
	sec_end(b, s);

	s = sec_begin(b, SEC_GAPS);
	b_v(b, m->ngaps);
	for (i = 0; i < m->ngaps; i++) {
		b_str(b, m->gaps[i].signal);
		b_str(b, m->gaps[i].reason);
	}
	sec_end(b, s);

	s = sec_begin(b, SEC_HISTS);
	put_hist(b, &m->runq_all);
	put_hist(b, &m->io_all);
	sec_end(b, s);

	s = sec_begin(b, SEC_TASKS);
	b_v(b, m->ntasks);
	for (i = 0; i < m->ntasks; i++)
		put_task(b, &m->tasks[i]);
	sec_end(b, s);

	if (ks_verbose > 1)
		ks_info("capture: %zu tasks, %zu bytes so far", m->ntasks, b->len);
	s = sec_begin(b, SEC_SYSCALLS);
	b_v(b, m->nsyscalls);
	for (i = 0; i < m->nsyscalls; i++) {
		const struct ks_syscall_row *r = &m->syscalls[i];

		b_v(b, r->pid);
		b_v(b, r->nr);
		b_v(b, r->count);
		b_v(b, r->errors);
		put_hist(b, &r->lat);
	}
	sec_end(b, s);

	s = sec_begin(b, SEC_DISKS);
	b_v(b, m->ndisks);
	for (i = 0; i < m->ndisks; i++) {
		const struct ks_disk_row *d = &m->disks[i];

		b_v(b, d->dev);
		b_str(b, d->name);
		put_hist(b, &d->queued);
		put_hist(b, &d->device);
		b_v(b, d->reads);
		b_v(b, d->writes);
		b_v(b, d->read_bytes);
		b_v(b, d->write_bytes);
		put_hist(b, &d->size);
	}
	sec_end(b, s);

	for (i = 0; i < 2; i++) {
		const struct ks_procs_sample *ps = i ? m->procs_start : m->procs;

		if (!ps)
			continue;
		s = sec_begin(b, SEC_PROCS);
		put_procs(b, ps, i);
		sec_end(b, s);
	}

	for (i = 0; i < 3 && !err; i++) {
		if (!profs[i])
			continue;
		s = sec_begin(b, SEC_PROFILE);
		b_u8(b, i);
		err = put_profile(b, profs[i], d);
		sec_end(b, s);
		if (ks_verbose > 1)
			ks_info("capture: profile %zu: %zu stacks, %zu bytes", i,
				profs[i]->nstacks, b->len - s);
	}
	return err ? err : b->oom ? -ENOMEM : 0;
}

static void decode_section(struct cur *c, unsigned int id, struct ks_model *m,
			   struct dict *d)
{
	size_t n, i;

	switch (id) {
	case SEC_HEAD:
		m->t_start_ns = c_v(c);
		m->t_end_ns = c_v(c);
		m->wall_start = c_f64(c);
		m->ncpus = c_vmax(c, 1 << 16);
		m->threads = c_le(c, 1) != 0;
		m->lost = c_v(c);
		break;
	case SEC_GAPS:
		n = c_count(c);
		for (i = 0; i < n && !c->bad; i++) {
			struct ks_gap g;

			c_strbuf(c, g.signal, sizeof(g.signal));
			c_strbuf(c, g.reason, sizeof(g.reason));
			if (!c->bad)
				ks_model__gap(m, g.signal, "%s", g.reason);
		}
		break;
	case SEC_HISTS:
		get_hist(c, &m->runq_all);
		get_hist(c, &m->io_all);
		break;
	case SEC_TASKS:
		n = c_count(c);
		for (i = 0; i < n && !c->bad; i++)
			get_task(c, m);
		break;
	case SEC_SYSCALLS:
		n = c_count(c);
		for (i = 0; i < n && !c->bad; i++) {
			uint32_t pid = c_vmax(c, UINT32_MAX), nr = c_vmax(c, UINT32_MAX);
			struct ks_syscall_row tmp = { .pid = pid, .nr = nr }, *r;

			tmp.count = c_v(c);
			tmp.errors = c_v(c);
			get_hist(c, &tmp.lat);
			if (c->bad)
				break;
			r = ks_model__syscall(m, pid, nr);
			if (!r) {
				c->bad = true;
				break;
			}
			*r = tmp;
		}
		break;
	case SEC_DISKS:
		n = c_count(c);
		for (i = 0; i < n && !c->bad; i++) {
			struct ks_disk_row tmp = {}, *d;

			tmp.dev = c_vmax(c, UINT32_MAX);
			c_strbuf(c, tmp.name, sizeof(tmp.name));
			get_hist(c, &tmp.queued);
			get_hist(c, &tmp.device);
			tmp.reads = c_v(c);
			tmp.writes = c_v(c);
			tmp.read_bytes = c_v(c);
			tmp.write_bytes = c_v(c);
			get_hist(c, &tmp.size);
			if (c->bad)
				break;
			d = ks_model__disk(m, tmp.dev);
			if (!d) {
				c->bad = true;
				break;
			}
			*d = tmp;
		}
		break;
	case SEC_PROFILE: {
		unsigned int which = c_le(c, 1);
		struct ks_profile **slot, *p;

		if (which > 2) {
			c->bad = true;
			break;
		}
		slot = which == 0 ? &m->oncpu : which == 1 ? &m->offcpu : &m->locks;
		p = get_profile(c, d);
		if (!p)
			break;
		ks_profile__free(*slot);
		*slot = p;
		break;
	}
	case SEC_PROCS:
		get_procs(c, m);
		break;
	default:
		break;		/* unknown: the caller skips it */
	}
}

static int decode_model(const unsigned char *d, size_t len, struct ks_model *m,
			struct dict *dict)
{
	struct cur c = { d, d + len, false };

	while (c_left(&c) && !c.bad) {
		unsigned int id = c_vmax(&c, UINT32_MAX);
		size_t n = c_le(&c, 4);
		struct cur s;

		if (c.bad || n > c_left(&c))
			return -EBADMSG;
		s = (struct cur){ c.p, c.p + n, false };
		decode_section(&s, id, m, dict);
		if (s.bad)
			return -EBADMSG;
		c.p += n;
	}
	return c.bad ? -EBADMSG : 0;
}

/* ---- chunks ---- */

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t get_le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

struct ks_capture_writer {
	struct dict dict;
	int fd;
	bool no_sync;
	int level;
	uint64_t bytes;
	char *path;
};

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= w;
	}
	return 0;
}

static int write_chunk(struct ks_capture_writer *w, uint32_t type, const struct buf *raw)
{
	unsigned char hdr[CHUNK_HDR_LEN];
	uLongf clen;
	unsigned char *z;
	uint32_t crc;
	int err;

	if (raw->len > KS_CAPTURE_MAX_CHUNK)
		return -E2BIG;
	clen = compressBound(raw->len);
	z = malloc(clen);
	if (!z)
		return -ENOMEM;
	if (compress2(z, &clen, raw->d ? raw->d : (const Bytef *)"", raw->len, w->level) != Z_OK) {
		free(z);
		return -EIO;
	}
	put_le32(hdr, type);
	put_le32(hdr + 4, 0);
	put_le32(hdr + 8, raw->len);
	put_le32(hdr + 12, clen);
	crc = crc32(0, hdr, 16);
	crc = crc32(crc, z, clen);
	put_le32(hdr + 16, crc);
	err = write_all(w->fd, hdr, sizeof(hdr));
	if (!err)
		err = write_all(w->fd, z, clen);
	free(z);
	if (!err && !w->no_sync && fdatasync(w->fd))
		err = -errno;
	if (!err)
		w->bytes += sizeof(hdr) + clen;
	return err;
}

static void meta_kv(struct buf *b, const char *k, const char *v)
{
	b_str(b, k);
	b_str(b, v);
}

struct ks_capture_writer *ks_capture_writer__open(const char *path,
						  const struct ks_capture_writer_opts *o)
{
	struct ks_capture_writer *w;
	unsigned char hdr[HDR_LEN] = KS_CAPTURE_MAGIC;
	struct buf b = {};
	struct utsname u;
	char tmp[256];
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->level = o && o->level ? o->level : 6;
	w->no_sync = o && o->no_sync;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		     o && o->mode ? o->mode : 0600);
	if (w->fd < 0) {
		err = -errno;
		ks_err("cannot create %s: %s", path, strerror(errno));
		free(w);
		errno = -err;
		return NULL;
	}
	hdr[8] = KS_CAPTURE_VERSION;
	err = write_all(w->fd, hdr, sizeof(hdr));
	if (!err) {
		w->bytes = HDR_LEN;
		uname(&u);
		b_v(&b, 8);
		meta_kv(&b, "version", KSCOPE_VERSION);
		meta_kv(&b, "host", u.nodename);
		snprintf(tmp, sizeof(tmp), "%s %s", u.release, u.version);
		meta_kv(&b, "kernel", tmp);
		snprintf(tmp, sizeof(tmp), "%d", ks_nr_cpus());
		meta_kv(&b, "ncpus", tmp);
		snprintf(tmp, sizeof(tmp), "%.6f", (double)time(NULL));
		meta_kv(&b, "start_wall", tmp);
		snprintf(tmp, sizeof(tmp), "%.6f", o ? o->interval_s : 0);
		meta_kv(&b, "interval", tmp);
		meta_kv(&b, "collectors", o && o->collectors ? o->collectors : "");
		meta_kv(&b, "options", o && o->options ? o->options : "");
		err = b.oom ? -ENOMEM : write_chunk(w, KS_CHUNK_META, &b);
	}
	free(b.d);
	if (err) {
		ks_err("cannot write %s: %s", path, strerror(-err));
		close(w->fd);
		free(w);
		errno = -err;
		return NULL;
	}
	return w;
}

int ks_capture_writer__write(struct ks_capture_writer *w, const struct ks_model *m)
{
	struct buf b = {};
	int err;

	err = encode_model(&b, m, &w->dict);
	if (!err)
		err = write_chunk(w, KS_CHUNK_INTERVAL, &b);
	free(b.d);
	return err;
}

uint64_t ks_capture_writer__bytes(const struct ks_capture_writer *w)
{
	return w ? w->bytes : 0;
}

int ks_capture_writer__close(struct ks_capture_writer *w, bool complete)
{
	struct buf b = {};
	int err = 0;

	if (!w)
		return 0;
	if (complete)
		err = write_chunk(w, KS_CHUNK_END, &b);
	if (!err && fsync(w->fd))
		err = -errno;
	if (close(w->fd) && !err)
		err = -errno;
	dict_free(&w->dict);
	free(w);
	return err;
}

/* ---- reader ---- */

static char ks_capture_last_error[256];

const char *ks_capture_strerror(void)
{
	return ks_capture_last_error;
}

struct ks_capture_reader {
	struct dict dict;
	FILE *f;
	uint64_t size, off;
	unsigned int chunk;		/* index of the next chunk */
	bool truncated, ended;
	unsigned int skipped;
	struct ks_capture_meta meta;
	char err[256];
};

static int rd_err(struct ks_capture_reader *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rd_err(struct ks_capture_reader *r, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->err, sizeof(r->err), "chunk %u at offset %llu: ", r->chunk,
		     (unsigned long long)r->off);
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - n, fmt, ap);
	va_end(ap);
	return err;
}

/*
 * Read one chunk. 1 and the inflated payload in *out (malloc'ed), 0 at the
 * end of the file or a truncated tail (r->truncated), -errno on a bad chunk.
 */
static int read_chunk(struct ks_capture_reader *r, uint32_t *type, unsigned char **out,
		      size_t *out_len)
{
	unsigned char hdr[CHUNK_HDR_LEN], *z, *raw;
	uint32_t raw_len, comp_len, crc;
	uLongf dlen;
	uint64_t left = r->size - r->off;

	*out = NULL;
	if (left == 0)
		return 0;
	if (left < CHUNK_HDR_LEN) {
		r->truncated = true;
		rd_err(r, 0, "truncated chunk header (%llu bytes left)",
		       (unsigned long long)left);
		return 0;
	}
	if (fread(hdr, 1, sizeof(hdr), r->f) != sizeof(hdr))
		return rd_err(r, -EIO, "read error");
	*type = get_le32(hdr);
	raw_len = get_le32(hdr + 8);
	comp_len = get_le32(hdr + 12);
	if (*type == 0)
		return rd_err(r, -EBADMSG, "chunk type 0 (not a chunk)");
	if (raw_len > KS_CAPTURE_MAX_CHUNK || comp_len > KS_CAPTURE_MAX_CHUNK)
		return rd_err(r, -E2BIG, "chunk of %u/%u bytes exceeds the %u limit", raw_len,
			      comp_len, KS_CAPTURE_MAX_CHUNK);
	/* zlib inflates at most ~1032:1 */
	if ((uint64_t)raw_len > (uint64_t)comp_len * 1032 + 64)
		return rd_err(r, -EBADMSG, "impossible compression ratio (%u -> %u bytes)",
			      comp_len, raw_len);
	if (comp_len > left - CHUNK_HDR_LEN) {
		r->truncated = true;
		rd_err(r, 0, "truncated: chunk needs %u bytes, %llu left", comp_len,
		       (unsigned long long)(left - CHUNK_HDR_LEN));
		return 0;
	}
	z = malloc(comp_len ? comp_len : 1);
	raw = malloc(raw_len ? raw_len : 1);
	if (!z || !raw) {
		free(z);
		free(raw);
		return rd_err(r, -ENOMEM, "out of memory");
	}
	if (fread(z, 1, comp_len, r->f) != comp_len) {
		free(z);
		free(raw);
		return rd_err(r, -EIO, "read error");
	}
	crc = crc32(crc32(0, hdr, 16), z, comp_len);
#ifdef KS_FUZZ_NO_CRC
	crc = get_le32(hdr + 16);	/* let the fuzzer past the checksum */
#endif
	if (crc != get_le32(hdr + 16)) {
		free(z);
		free(raw);
		return rd_err(r, -EBADMSG, "bad crc32 (%08x, expected %08x)", crc,
			      get_le32(hdr + 16));
	}
	dlen = raw_len;
	if (uncompress(raw, &dlen, z, comp_len) != Z_OK || dlen != raw_len) {
		free(z);
		free(raw);
		return rd_err(r, -EBADMSG, "bad zlib data");
	}
	free(z);
	r->off += CHUNK_HDR_LEN + comp_len;
	r->chunk++;
	*out = raw;
	*out_len = raw_len;
	return 1;
}

static void cpy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static int parse_meta(struct ks_capture_reader *r, const unsigned char *d, size_t len)
{
	struct ks_capture_meta *mt = &r->meta;
	struct cur c = { d, d + len, false };
	size_t n = c_count(&c), i;

	for (i = 0; i < n && !c.bad; i++) {
		char k[32], v[512];

		c_strbuf(&c, k, sizeof(k));
		c_strbuf(&c, v, sizeof(v));
		if (c.bad)
			break;
		if (!strcmp(k, "version"))
			cpy(mt->version, sizeof(mt->version), v);
		else if (!strcmp(k, "host"))
			cpy(mt->host, sizeof(mt->host), v);
		else if (!strcmp(k, "kernel"))
			cpy(mt->kernel, sizeof(mt->kernel), v);
		else if (!strcmp(k, "ncpus"))
			mt->ncpus = atoi(v);
		else if (!strcmp(k, "start_wall"))
			mt->start_wall = strtod(v, NULL);
		else if (!strcmp(k, "interval"))
			mt->interval_s = strtod(v, NULL);
		else if (!strcmp(k, "collectors"))
			cpy(mt->collectors, sizeof(mt->collectors), v);
		else if (!strcmp(k, "options"))
			cpy(mt->options, sizeof(mt->options), v);
		/* unknown keys: ignored */
	}
	return c.bad ? -EBADMSG : 0;
}

static struct ks_capture_reader *reader_open(FILE *f, uint64_t size)
{
	struct ks_capture_reader *r = calloc(1, sizeof(*r));
	unsigned char hdr[HDR_LEN], *d;
	size_t len;
	uint32_t type;
	int err = -EBADMSG;

	if (!r) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	r->f = f;
	r->size = size;
	if (size < HDR_LEN || fread(hdr, 1, HDR_LEN, f) != HDR_LEN ||
	    memcmp(hdr, KS_CAPTURE_MAGIC, 8)) {
		snprintf(r->err, sizeof(r->err), "not a kscope capture (bad magic)");
		goto err;
	}
	r->meta.format_version = hdr[8] | hdr[9] << 8;
	if (r->meta.format_version < 1 || r->meta.format_version > KS_CAPTURE_VERSION) {
		snprintf(r->err, sizeof(r->err),
			 "capture format version %u, this kscope reads 1 to %u",
			 r->meta.format_version, KS_CAPTURE_VERSION);
		goto err;
	}
	r->dict.version = r->meta.format_version;
	r->off = HDR_LEN;
	err = read_chunk(r, &type, &d, &len);
	if (err <= 0) {
		if (!err)
			snprintf(r->err, sizeof(r->err), "no metadata chunk (empty or truncated)");
		err = -EBADMSG;
		goto err;
	}
	if (type != KS_CHUNK_META) {
		free(d);
		err = rd_err(r, -EBADMSG, "first chunk is type %u, not metadata", type);
		goto err;
	}
	err = parse_meta(r, d, len);
	free(d);
	if (err) {
		rd_err(r, err, "bad metadata");
		goto err;
	}
	return r;
err:
	/* keep the message reachable: the caller prints ks_capture_strerror */
	snprintf(ks_capture_last_error, sizeof(ks_capture_last_error), "%s", r->err);
	fclose(f);
	free(r);
	errno = -err;
	return NULL;
}

struct ks_capture_reader *ks_capture_reader__open(const char *path)
{
	struct stat st;
	FILE *f = fopen(path, "rb");

	if (!f) {
		snprintf(ks_capture_last_error, sizeof(ks_capture_last_error), "%s",
			 strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		snprintf(ks_capture_last_error, sizeof(ks_capture_last_error),
			 "not a regular file");
		fclose(f);
		errno = EINVAL;
		return NULL;
	}
	return reader_open(f, st.st_size);
}

struct ks_capture_reader *ks_capture_reader__open_mem(const void *buf, size_t len)
{
	FILE *f;

	if (!len) {
		snprintf(ks_capture_last_error, sizeof(ks_capture_last_error), "empty file");
		errno = EBADMSG;
		return NULL;
	}
	f = fmemopen((void *)buf, len, "rb");
	if (!f)
		return NULL;
	return reader_open(f, len);
}

const struct ks_capture_meta *ks_capture_reader__meta(const struct ks_capture_reader *r)
{
	return &r->meta;
}

static void model_clear(struct ks_model *m)
{
	ks_model__reset(m);
	m->t_start_ns = m->t_end_ns = 0;
	m->wall_start = 0;
}

int ks_capture_reader__next(struct ks_capture_reader *r, struct ks_model *m)
{
	unsigned char *d;
	size_t len;
	uint32_t type;
	int err;

	while (!r->ended) {
		unsigned int chunk = r->chunk;
		uint64_t off = r->off;

		err = read_chunk(r, &type, &d, &len);
		if (err < 0)
			return err;
		if (err == 0) {
			if (!r->truncated) {
				r->truncated = true;
				rd_err(r, 0, "capture ends without an end marker (recording "
				       "interrupted?)");
			}
			r->ended = true;
			return 0;
		}
		switch (type) {
		case KS_CHUNK_INTERVAL:
			model_clear(m);
			err = decode_model(d, len, m, &r->dict);
			free(d);
			if (err) {
				r->chunk = chunk;
				r->off = off;
				rd_err(r, err, "malformed interval data");
				r->chunk++;
				r->ended = true;
				return err;
			}
			return 1;
		case KS_CHUNK_END:
			free(d);
			r->ended = true;
			if (r->off != r->size) {
				rd_err(r, 0, "%llu bytes after the end marker ignored",
				       (unsigned long long)(r->size - r->off));
			}
			return 0;
		case KS_CHUNK_META:
			free(d);
			r->chunk = chunk;
			r->off = off;
			err = rd_err(r, -EBADMSG, "a second metadata chunk");
			r->ended = true;
			return err;
		default:
			free(d);	/* a later version's chunk: skip it */
			r->skipped++;
			break;
		}
	}
	return 0;
}

void ks_capture_reader__tell(const struct ks_capture_reader *r, struct ks_capture_pos *pos)
{
	pos->off = r->off;
	pos->chunk = r->chunk;
	pos->nstrs = r->dict.nstrs;
	pos->nframes = r->dict.nframes;
}

int ks_capture_reader__seek(struct ks_capture_reader *r, const struct ks_capture_pos *pos)
{
	struct dict *d = &r->dict;

	/* the dictionary only grows: a position past what it holds was never told */
	if (pos->off < HDR_LEN || pos->off > r->size || pos->nstrs > d->nstrs ||
	    pos->nframes > d->nframes)
		return -EINVAL;
	if (fseeko(r->f, (off_t)pos->off, SEEK_SET))
		return -errno;
	while (d->nstrs > pos->nstrs) {
		char *str = d->strs[--d->nstrs];

		d->str_bytes -= strlen(str) + 1;
		free(str);
	}
	d->nframes = pos->nframes;
	r->off = pos->off;
	r->chunk = pos->chunk;
	r->ended = false;
	return 0;
}

bool ks_capture_reader__truncated(const struct ks_capture_reader *r)
{
	return r->truncated;
}

unsigned int ks_capture_reader__skipped(const struct ks_capture_reader *r)
{
	return r->skipped;
}

const char *ks_capture_reader__error(const struct ks_capture_reader *r)
{
	return r->err;
}

void ks_capture_reader__free(struct ks_capture_reader *r)
{
	if (!r)
		return;
	fclose(r->f);
	dict_free(&r->dict);
	free(r);
}

/* ---- merging intervals ---- */

static int profile_merge(struct ks_profile **dstp, const struct ks_profile *src)
{
	struct ks_profile *dst = *dstp;
	struct ks_accounting *a;
	size_t i;

	if (!src)
		return 0;
	if (!dst) {
		dst = *dstp = ks_profile__new(src->unit);
		if (!dst)
			return -ENOMEM;
		if (src->title)
			dst->title = ks_profile__intern(dst, src->title);
		dst->hz = src->hz;
	}
	for (i = 0; i < src->nstacks; i++) {
		const struct ks_stack *s = &src->stacks[i];

		if (ks_profile__add(dst, s->pid, s->tid, s->frames, s->nframes, s->value))
			return -ENOMEM;
	}
	a = &dst->acct;
	dst->duration_s += src->duration_s;
	a->samples += src->acct.samples;
	a->lost += src->acct.lost;
	a->stack_errors += src->acct.stack_errors;
	a->frames += src->acct.frames;
	a->frames_unnamed += src->acct.frames_unnamed;
	a->user_stacks += src->acct.user_stacks;
	a->user_complete += src->acct.user_complete;
	if (!a->notes[0])
		snprintf(a->notes, sizeof(a->notes), "%s", src->acct.notes);
	return 0;
}

int ks_model_merge(struct ks_model *dst, const struct ks_model *src)
{
	size_t i;
	int k;

	if (!dst->t_start_ns || (src->t_start_ns && src->t_start_ns < dst->t_start_ns)) {
		dst->t_start_ns = src->t_start_ns;
		dst->wall_start = src->wall_start;
	}
	if (src->t_end_ns > dst->t_end_ns)
		dst->t_end_ns = src->t_end_ns;
	if (src->ncpus > dst->ncpus)
		dst->ncpus = src->ncpus;
	dst->threads = src->threads;
	dst->lost += src->lost;
	for (i = 0; i < src->ngaps; i++)
		ks_model__gap(dst, src->gaps[i].signal, "%s", src->gaps[i].reason);
	ks_hist_merge(&dst->runq_all, &src->runq_all);
	ks_hist_merge(&dst->io_all, &src->io_all);
	for (i = 0; i < src->ntasks; i++) {
		const struct ks_task *s = &src->tasks[i];
		struct ks_task *t = ks_model__task(dst, s->pid, s->tgid, s->comm);

		if (!t)
			return -ENOMEM;
		t->oncpu_ns += s->oncpu_ns;
		for (k = 0; k < KS_OFF__COUNT; k++)
			t->offcpu_ns[k] += s->offcpu_ns[k];
		ks_hist_merge(&t->runq, &s->runq);
		ks_hist_merge(&t->io, &s->io);
		t->preempt += s->preempt;
		t->ctxsw += s->ctxsw;
		t->syscalls += s->syscalls;
		t->syscall_errors += s->syscall_errors;
		t->syscall_ns += s->syscall_ns;
		t->faults += s->faults;
		t->io_bytes += s->io_bytes;
		t->io_ops += s->io_ops;
		t->exited |= s->exited;
	}
	for (i = 0; i < src->nsyscalls; i++) {
		const struct ks_syscall_row *s = &src->syscalls[i];
		struct ks_syscall_row *r = ks_model__syscall(dst, s->pid, s->nr);

		if (!r)
			return -ENOMEM;
		r->count += s->count;
		r->errors += s->errors;
		ks_hist_merge(&r->lat, &s->lat);
	}
	for (i = 0; i < src->ndisks; i++) {
		const struct ks_disk_row *s = &src->disks[i];
		struct ks_disk_row *d = ks_model__disk(dst, s->dev);

		if (!d)
			return -ENOMEM;
		if (!d->name[0])
			memcpy(d->name, s->name, sizeof(d->name));
		ks_hist_merge(&d->queued, &s->queued);
		ks_hist_merge(&d->device, &s->device);
		ks_hist_merge(&d->size, &s->size);
		d->reads += s->reads;
		d->writes += s->writes;
		d->read_bytes += s->read_bytes;
		d->write_bytes += s->write_bytes;
	}
	if (profile_merge(&dst->oncpu, src->oncpu) || profile_merge(&dst->offcpu, src->offcpu) ||
	    profile_merge(&dst->locks, src->locks))
		return -ENOMEM;
	return 0;
}

int ks_capture_load(const char *path, double from, double to, struct ks_model *out,
		    struct ks_capture_meta *meta)
{
	struct ks_capture_reader *r;
	struct ks_model *m;
	uint64_t t0 = 0;
	int n = 0, err;

	r = ks_capture_reader__open(path);
	if (!r) {
		err = -errno;
		ks_err("%s: %s", path, ks_capture_strerror());
		return err ? err : -EBADMSG;
	}
	if (meta)
		*meta = r->meta;
	m = ks_model__new();
	if (!m) {
		ks_capture_reader__free(r);
		return -ENOMEM;
	}
	while ((err = ks_capture_reader__next(r, m)) > 0) {
		double t;

		if (!t0)
			t0 = m->t_start_ns;
		t = (m->t_start_ns - t0) / 1e9;
		if (t < from || (to >= 0 && t > to))
			continue;
		err = ks_model_merge(out, m);
		if (err)
			break;
		n++;
	}
	if (err < 0)
		ks_err("%s: %s", path, r->err);
	else if (r->truncated)
		ks_warn("%s: %s; read %d intervals up to there", path, r->err, n);
	ks_model__free(m);
	ks_capture_reader__free(r);
	return err < 0 ? err : n;
}
