// SPDX-License-Identifier: GPL-2.0
/*
 * The compact stack set behind every exporter (user/stackset.h): each
 * function is numbered once, a stack is a run of 32-bit ids. A 110 MB
 * folded file of 300k stacks and 7M frames takes ~40 MB this way, where
 * struct ks_frame arrays would take ~300 MB.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stackset.h"
#include "ks_util.h"

/* The layout recurses once per level: bound it well inside an 8 MB stack. */
#define KS_STACKSET_MAX_DEPTH	16384

struct ks_stackset *ks_stackset__new(const char *unit)
{
	struct ks_stackset *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pool = ks_profile__new(unit);
	if (!s->pool) {
		free(s);
		return NULL;
	}
	return s;
}

void ks_stackset__free(struct ks_stackset *s)
{
	if (!s)
		return;
	ks_profile__free(s->pool);
	free(s->funcs);
	free(s->ftab);
	free(s->ids);
	free(s->stacks);
	free(s);
}

void ks_stackset__set_meta(struct ks_stackset *s, const char *title, uint64_t hz,
			   double duration_s, const struct ks_accounting *acct)
{
	if (title)
		s->pool->title = ks_profile__intern(s->pool, title);
	s->pool->hz = hz;
	s->pool->duration_s = duration_s;
	if (acct) {
		s->pool->acct = *acct;
		s->has_acct = true;
	}
}

/* Word-at-a-time hash of a name: the reader hashes ~7M names per 100 MB. */
static uint32_t fhash(const char *name, size_t len, uint8_t kind, const char *module)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL) ^ kind ^
		     (uintptr_t)module;
	uint64_t w;

	while (len >= 8) {
		memcpy(&w, name, 8);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
		h ^= h >> 29;
		name += 8;
		len -= 8;
	}
	if (len) {
		w = 0;
		memcpy(&w, name, len);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
		h ^= h >> 29;
	}
	h *= 0xff51afd7ed558ccdULL;
	return (uint32_t)(h >> 32);
}

static int ftab_grow(struct ks_stackset *s)
{
	size_t cap = s->ftab_cap ? s->ftab_cap * 2 : 4096, i, j;
	uint32_t *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (i = 0; i < s->nfuncs; i++) {
		const struct ks_sfunc *f = &s->funcs[i];

		for (j = f->hash & (cap - 1); tab[j];
		     j = (j + 1) & (cap - 1))
			;
		tab[j] = i + 1;
	}
	free(s->ftab);
	s->ftab = tab;
	s->ftab_cap = cap;
	return 0;
}

/* The id of (name[0..len), kind, module); module must be interned or NULL. */
static long func_id(struct ks_stackset *s, const char *name, size_t len, uint8_t kind,
		    const char *module)
{
	uint32_t h = fhash(name, len, kind, module);
	struct ks_sfunc *f;
	char buf[256], *tmp = buf;
	size_t i;

	if ((s->nfuncs + 1) * 2 > s->ftab_cap && ftab_grow(s))
		return -ENOMEM;
	for (i = h & (s->ftab_cap - 1); s->ftab[i]; i = (i + 1) & (s->ftab_cap - 1)) {
		f = &s->funcs[s->ftab[i] - 1];
		if (f->hash == h && f->len == len && f->kind == kind && f->module == module &&
		    !memcmp(f->name, name, len))
			return s->ftab[i] - 1;
	}
	if (ks_grow((void **)&s->funcs, &s->funcs_cap, s->nfuncs + 1, sizeof(*s->funcs), 1024))
		return -ENOMEM;
	if (len >= sizeof(buf)) {
		tmp = malloc(len + 1);
		if (!tmp)
			return -ENOMEM;
	}
	memcpy(tmp, name, len);
	tmp[len] = '\0';
	f = &s->funcs[s->nfuncs];
	f->name = ks_profile__intern(s->pool, tmp);
	if (tmp != buf)
		free(tmp);
	if (!f->name)
		return -ENOMEM;
	f->module = module;
	f->kind = kind;
	f->hash = h;
	f->len = len;
	s->ftab[i] = ++s->nfuncs;
	s->sorted = false;
	return s->nfuncs - 1;
}

static int push_ids(struct ks_stackset *s, size_t n)
{
	size_t cap;
	uint32_t *ni;

	if (s->nids + n <= s->ids_cap)
		return 0;
	cap = s->ids_cap ? s->ids_cap : 65536;
	while (cap < s->nids + n)
		cap = cap + cap / 2;
	ni = realloc(s->ids, cap * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	s->ids = ni;
	s->ids_cap = cap;
	return 0;
}

/* Append a stack whose ids are already at s->ids[off .. off+depth). */
static int push_stack(struct ks_stackset *s, size_t off, uint32_t depth, uint32_t pid,
		      uint64_t value, uint64_t base)
{
	struct ks_sstack *st;

	if (ks_grow((void **)&s->stacks, &s->stacks_cap, s->nstacks + 1, sizeof(*s->stacks), 1024))
		return -ENOMEM;
	st = &s->stacks[s->nstacks++];
	st->off = off;
	st->depth = depth;
	st->pid = pid;
	st->value = value;
	st->base = base;
	s->nids = off + depth;
	s->sorted = false;
	return 0;
}

int ks_stackset__add_profile(struct ks_stackset *s, const struct ks_profile *p, bool as_base)
{
	size_t i;
	uint32_t j;
	long id;
	int err;

	if (as_base) {
		s->has_base = true;
	} else {
		ks_stackset__set_meta(s, p->title, p->hz, p->duration_s, &p->acct);
		if (p->unit)
			s->pool->unit = ks_profile__intern(s->pool, p->unit);
	}
	for (i = 0; i < p->nstacks; i++) {
		const struct ks_stack *st = &p->stacks[i];
		size_t off = s->nids;

		if (!st->value)
			continue;
		err = push_ids(s, st->nframes);
		if (err)
			return err;
		for (j = 0; j < st->nframes; j++) {
			const struct ks_frame *f = &st->frames[j];
			const char *mod = f->module ? ks_profile__intern(s->pool, f->module) : NULL;
			const char *nm = f->name ? f->name : "[unknown]";

			id = func_id(s, nm, strlen(nm), f->kind, mod);
			if (id < 0)
				return id;
			s->ids[off + j] = id;
		}
		err = push_stack(s, off, st->nframes, st->pid, as_base ? 0 : st->value,
				 as_base ? st->value : 0);
		if (err)
			return err;
	}
	return 0;
}

/* Integer fast path; floats (some tools write them) are rounded. */
static int parse_count(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *q;
	char buf[64];
	double d;
	char *e;

	for (q = p; q < end && *q >= '0' && *q <= '9'; q++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (*q - '0');
	}
	if (q == end && q > p) {
		*out = v;
		return 0;
	}
	if (end - p >= (long)sizeof(buf) || end == p)
		return -EINVAL;
	memcpy(buf, p, end - p);
	buf[end - p] = '\0';
	errno = 0;
	d = strtod(buf, &e);
	if (*e || e == buf || errno || !isfinite(d) || d < 0)
		return -EINVAL;
	if (d >= 1.8e19)
		return -ERANGE;
	*out = (uint64_t)llround(d);
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One line [p, end) without its newline. 1: skipped; 0: added; <0 why. */
static int folded_line(struct ks_stackset *s, const char *p, const char *end, bool as_base,
		       const char **why)
{
	const char *sp, *tok, *semi;
	uint64_t v1, v2 = 0;
	bool two = false;
	size_t off = s->nids;
	uint32_t depth = 0;
	int err;

	while (end > p && is_blank(end[-1]))
		end--;
	while (p < end && is_blank(*p))
		p++;
	if (p == end || *p == '#')
		return 1;
	if (memchr(p, '\0', end - p)) {
		*why = "NUL byte in line";
		return -EINVAL;
	}
	for (sp = end; sp > p && sp[-1] != ' ' && sp[-1] != '\t'; sp--)
		;
	if (sp == p) {
		*why = "no count after the stack";
		return -EINVAL;
	}
	err = parse_count(sp, end, &v1);
	if (err) {
		*why = err == -ERANGE ? "count too large" : "the count is not a non-negative number";
		return -EINVAL;
	}
	end = sp;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	/* difffolded.pl: "stack before after" */
	for (sp = end; sp > p && sp[-1] != ' ' && sp[-1] != '\t' && sp[-1] != ';'; sp--)
		;
	if (sp > p && sp[-1] != ';' && !parse_count(sp, end, &v2)) {
		two = true;
		end = sp;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
	}
	if (end == p) {
		*why = "empty stack";
		return -EINVAL;
	}
	for (tok = p; tok < end; tok = semi + 1) {
		size_t len;
		uint8_t kind = KS_FRAME_USER;
		long id;

		semi = memchr(tok, ';', end - tok);
		if (!semi)
			semi = end;
		len = semi - tok;
		if (len > 4 && tok[len - 4] == '_' && tok[len - 3] == '[' && tok[len - 1] == ']') {
			switch (tok[len - 2]) {
			case 'k': kind = KS_FRAME_KERNEL; break;
			case 'j': kind = KS_FRAME_JIT; break;
			case 'i': kind = KS_FRAME_INLINE; break;
			default: break;
			}
			if (kind != KS_FRAME_USER)
				len -= 4;
		}
		if (kind == KS_FRAME_USER && len == 9 && !memcmp(tok, "[unknown]", 9))
			kind = KS_FRAME_UNKNOWN;
		if (depth == KS_STACKSET_MAX_DEPTH) {
			*why = "stack deeper than 16384 frames";
			return -EINVAL;
		}
		if (push_ids(s, 1))
			return -ENOMEM;
		id = func_id(s, tok, len, kind, NULL);
		if (id < 0)
			return id;
		s->ids[off + depth++] = id;
		s->nids = off + depth;
		if (semi == end)
			break;
	}
	if (two) {
		/* difffolded.pl: the last count is "after", the one before it "before" */
		s->has_base = true;
		return push_stack(s, off, depth, 0, v1, v2);
	}
	return push_stack(s, off, depth, 0, as_base ? 0 : v1, as_base ? v1 : 0);
}

int ks_stackset__read_folded(struct ks_stackset *s, FILE *f, const char *name, bool as_base)
{
	size_t cap = 1 << 22, len = 0, lineno = 0, n;
	char *buf = malloc(cap), *p, *nl, *nb;
	const char *why = NULL;
	bool eof = false;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	if (as_base)
		s->has_base = true;
	while (!eof) {
		n = fread(buf + len, 1, cap - len, f);
		if (n < cap - len) {
			if (ferror(f)) {
				ks_err("%s: read error", name);
				err = -EIO;
				break;
			}
			eof = true;
		}
		len += n;
		p = buf;
		while ((nl = memchr(p, '\n', buf + len - p)) || (eof && p < buf + len)) {
			if (!nl)
				nl = buf + len;
			lineno++;
			err = folded_line(s, p, nl, as_base, &why);
			if (err < 0) {
				if (err == -EINVAL)
					ks_err("%s:%zu: %s", name, lineno, why);
				else
					ks_err("%s:%zu: %s", name, lineno, strerror(-err));
				goto out;
			}
			err = 0;
			p = nl + 1;
			if (nl == buf + len)
				break;
		}
		if (p > buf + len)
			p = buf + len;
		len -= p - buf;
		memmove(buf, p, len);
		if (len == cap) {	/* a line longer than the buffer */
			if (cap >= (1u << 30)) {
				ks_err("%s:%zu: line too long", name, lineno + 1);
				err = -EINVAL;
				goto out;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
	}
out:
	free(buf);
	return err;
}

uint64_t ks_stackset__total(const struct ks_stackset *s, bool base)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < s->nstacks; i++)
		t += base ? s->stacks[i].base : s->stacks[i].value;
	return t;
}

size_t ks_stackset__nstacks(const struct ks_stackset *s)
{
	return s->nstacks;
}

static int cmp_func(const void *a, const void *b, void *arg)
{
	const struct ks_sfunc *fs = arg;
	const struct ks_sfunc *x = &fs[*(const uint32_t *)a], *y = &fs[*(const uint32_t *)b];
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->module == y->module)
		return 0;
	if (!x->module || !y->module)
		return x->module ? 1 : -1;
	return strcmp(x->module, y->module);
}

struct sort_ctx {
	const struct ks_stackset *s;
	const uint32_t *rank;
};

static int cmp_stack(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *c = arg;
	const struct ks_sstack *x = a, *y = b;
	const uint32_t *ix = c->s->ids + x->off, *iy = c->s->ids + y->off;
	uint32_t i, n = x->depth < y->depth ? x->depth : y->depth;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	for (i = 0; i < n; i++)
		if (ix[i] != iy[i])
			return c->rank[ix[i]] < c->rank[iy[i]] ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return 0;
}

int ks_stackset__sort(struct ks_stackset *s)
{
	uint32_t *order, *rank;
	struct sort_ctx c;
	uint32_t bits;
	size_t i;

	if (s->sorted)
		return 0;
	order = malloc((s->nfuncs + 1) * sizeof(*order));
	rank = malloc((s->nfuncs + 1) * sizeof(*rank));
	if (!order || !rank) {
		free(order);
		free(rank);
		return -ENOMEM;
	}
	for (i = 0; i < s->nfuncs; i++)
		order[i] = i;
	qsort_r(order, s->nfuncs, sizeof(*order), cmp_func, s->funcs);
	for (i = 0; i < s->nfuncs; i++) {
		rank[order[i]] = i;
		s->funcs[order[i]].rank = i;
	}
	/* the first frames' ranks packed in one word settle most comparisons */
	for (bits = 1; bits < 32 && (1ULL << bits) <= s->nfuncs + 1; bits++)
		;
	for (i = 0; i < s->nstacks; i++) {
		struct ks_sstack *k = &s->stacks[i];
		uint32_t lv;

		k->key = 0;
		for (lv = 0; lv < 64 / bits && lv < k->depth; lv++)
			k->key |= (uint64_t)(rank[s->ids[k->off + lv]] + 1) << (64 - bits * (lv + 1));
	}
	c.s = s;
	c.rank = rank;
	qsort_r(s->stacks, s->nstacks, sizeof(*s->stacks), cmp_stack, &c);
	free(order);
	free(rank);
	s->sorted = true;
	return 0;
}

struct layout {
	struct ks_stackset *s;
	struct ks_box *boxes;
	size_t n, cap;
	uint64_t min_w;
	bool use_base;
	uint32_t max_depth;
};

static struct ks_box *new_box(struct layout *l)
{
	if (ks_grow((void **)&l->boxes, &l->cap, l->n + 1, sizeof(*l->boxes), 1024))
		return NULL;
	memset(&l->boxes[l->n], 0, sizeof(l->boxes[0]));
	return &l->boxes[l->n++];
}

static inline uint64_t width_of(const struct layout *l, const struct ks_sstack *st)
{
	return l->use_base ? st->base : st->value;
}

/*
 * The children of the node shared by stacks [lo, hi) at @depth frames:
 * runs of equal ids[depth] (the stacks are sorted). Narrow runs merge into
 * one remainder box at the end of the parent.
 */
static int layout_children(struct layout *l, size_t lo, size_t hi, uint32_t depth, uint64_t x)
{
	const struct ks_stackset *s = l->s;
	uint64_t rest_w = 0, rest_v = 0, rest_b = 0;
	uint32_t rest_n = 0;
	size_t i = lo, j;
	struct ks_box *b;
	int err;

	while (i < hi && s->stacks[i].depth <= depth)
		i++;		/* stacks ending at the parent: its self value */
	while (i < hi) {
		uint32_t id = s->ids[s->stacks[i].off + depth];
		uint64_t w = 0, v = 0, bv = 0;

		for (j = i; j < hi && s->ids[s->stacks[j].off + depth] == id; j++) {
			w += width_of(l, &s->stacks[j]);
			v += s->stacks[j].value;
			bv += s->stacks[j].base;
		}
		if (w >= l->min_w && w) {
			b = new_box(l);
			if (!b)
				return -ENOMEM;
			b->x = x;
			b->w = w;
			b->value = v;
			b->base = bv;
			b->depth = depth + 1;
			b->func = id;
			if (depth + 1 > l->max_depth)
				l->max_depth = depth + 1;
			err = layout_children(l, i, j, depth + 1, x);
			if (err)
				return err;
			x += w;
		} else if (w || v || bv) {
			rest_w += w;
			rest_v += v;
			rest_b += bv;
			rest_n++;
		}
		i = j;
	}
	if (rest_n && rest_w) {
		b = new_box(l);
		if (!b)
			return -ENOMEM;
		b->x = x;
		b->w = rest_w;
		b->value = rest_v;
		b->base = rest_b;
		b->depth = depth + 1;
		b->func = KS_BOX_REST;
		b->nmerged = rest_n;
		if (depth + 1 > l->max_depth)
			l->max_depth = depth + 1;
	}
	return 0;
}

long ks_stackset__layout(struct ks_stackset *s, uint64_t min_w, bool use_base,
			 struct ks_box **out, uint32_t *max_depth)
{
	struct layout l = { .s = s, .min_w = min_w ? min_w : 1, .use_base = use_base };
	struct ks_box *root;
	int err;

	err = ks_stackset__sort(s);
	if (err)
		return err;
	root = new_box(&l);
	if (!root)
		return -ENOMEM;
	root->w = ks_stackset__total(s, use_base);
	root->value = ks_stackset__total(s, false);
	root->base = ks_stackset__total(s, true);
	root->func = KS_BOX_REST;
	err = layout_children(&l, 0, s->nstacks, 0, 0);
	if (err) {
		free(l.boxes);
		return err;
	}
	*out = l.boxes;
	*max_depth = l.max_depth;
	return l.n;
}

long ks_stackset__functions(const struct ks_stackset *s, struct ks_fstat **out)
{
	struct ks_fstat *st = calloc(s->nfuncs + 1, sizeof(*st));
	size_t *seen = calloc(s->nfuncs + 1, sizeof(*seen));
	size_t i, n = 0;
	uint32_t j;

	if (!st || !seen) {
		free(st);
		free(seen);
		return -ENOMEM;
	}
	for (i = 0; i < s->nstacks; i++) {
		const struct ks_sstack *k = &s->stacks[i];
		const uint32_t *ids = s->ids + k->off;

		for (j = 0; j < k->depth; j++) {
			struct ks_fstat *f = &st[ids[j]];

			if (seen[ids[j]] != i + 1) {
				seen[ids[j]] = i + 1;
				f->total += k->value;
				f->btotal += k->base;
			}
			if (j + 1 == k->depth) {
				f->self += k->value;
				f->bself += k->base;
			}
		}
	}
	free(seen);
	/* compact: only functions that carry a value */
	for (i = 0; i < s->nfuncs; i++) {
		if (!st[i].total && !st[i].btotal)
			continue;
		st[n] = st[i];
		st[n++].func = i;
	}
	*out = st;
	return n;
}

/* Length of the valid UTF-8 sequence at @s, 0 if invalid (XML must be valid). */
int ks_utf8_len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}
