// SPDX-License-Identifier: GPL-2.0
/*
 * The stack model (include/ks_profile.h): a string pool, a set of distinct
 * stacks with merged values, folded stack text in and out, the accounting.
 *
 * Memory: strings and frame arrays live in arenas owned by the pool, so a
 * profile of a million stacks is a handful of large allocations and one
 * free. Stacks are found again through an open-addressing table keyed by
 * (pid, frame name pointers, kinds): names are interned, so pointers
 * compare as strings do.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ks_profile.h"
#include "ks_util.h"

#define ARENA_CHUNK	(256 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	char data[];
};

struct ks_strpool {
	/* strings and frame arrays */
	struct arena_chunk *chunks;
	/* interned strings: open addressing, power-of-two capacity */
	const char **strs;
	uint32_t *str_hash;
	size_t nstrs, strs_cap;
	/* stack index: slot -> stack index + 1; 0 = empty */
	uint32_t *stk;
	uint64_t *stk_hash;		/* per stack, parallel to p->stacks */
	size_t stk_cap;
	bool stk_stale;			/* stacks reordered: rebuild the index */
};

static void *arena_alloc(struct ks_strpool *sp, size_t len, size_t align)
{
	struct arena_chunk *c = sp->chunks;
	size_t off;

	if (c) {
		off = (c->used + align - 1) & ~(align - 1);
		if (off + len <= c->size) {
			c->used = off + len;
			return c->data + off;
		}
	}
	off = len + align > ARENA_CHUNK ? len + align : ARENA_CHUNK;
	c = malloc(sizeof(*c) + off);
	if (!c)
		return NULL;
	c->size = off;
	c->next = sp->chunks;
	sp->chunks = c;
	/* malloc's alignment covers every align we use */
	c->used = len;
	return c->data;
}

static uint32_t hash_str(const char *s, size_t len)
{
	/* FNV-1a, 32 bit: short names, good enough spread */
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h ? h : 1;
}

static uint64_t mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

struct ks_profile *ks_profile__new(const char *unit)
{
	struct ks_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pool = calloc(1, sizeof(*p->pool));
	if (!p->pool) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->unit = ks_profile__intern(p, unit ? unit : "samples");
	if (!p->unit) {
		ks_profile__free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void ks_profile__free(struct ks_profile *p)
{
	struct arena_chunk *c, *next;

	if (!p)
		return;
	if (p->pool) {
		for (c = p->pool->chunks; c; c = next) {
			next = c->next;
			free(c);
		}
		free(p->pool->strs);
		free(p->pool->str_hash);
		free(p->pool->stk);
		free(p->pool->stk_hash);
		free(p->pool);
	}
	free(p->stacks);
	free(p);
}

static int strs_grow(struct ks_strpool *sp)
{
	size_t cap = sp->strs_cap ? sp->strs_cap * 2 : 1024, i, j;
	const char **strs = calloc(cap, sizeof(*strs));
	uint32_t *hs = calloc(cap, sizeof(*hs));

	if (!strs || !hs) {
		free(strs);
		free(hs);
		return -ENOMEM;
	}
	for (i = 0; i < sp->strs_cap; i++) {
		if (!sp->strs[i])
			continue;
		for (j = sp->str_hash[i] & (cap - 1); strs[j]; j = (j + 1) & (cap - 1))
			;
		strs[j] = sp->strs[i];
		hs[j] = sp->str_hash[i];
	}
	free(sp->strs);
	free(sp->str_hash);
	sp->strs = strs;
	sp->str_hash = hs;
	sp->strs_cap = cap;
	return 0;
}

/* Intern @len bytes of @s (not necessarily NUL-terminated). */
static const char *intern_n(struct ks_strpool *sp, const char *s, size_t len)
{
	uint32_t h = hash_str(s, len);
	size_t i;
	char *copy;

	if ((sp->nstrs + 1) * 2 > sp->strs_cap && strs_grow(sp))
		return NULL;
	for (i = h & (sp->strs_cap - 1); sp->strs[i]; i = (i + 1) & (sp->strs_cap - 1))
		if (sp->str_hash[i] == h && !strncmp(sp->strs[i], s, len) && !sp->strs[i][len])
			return sp->strs[i];
	copy = arena_alloc(sp, len + 1, 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	sp->strs[i] = copy;
	sp->str_hash[i] = h;
	sp->nstrs++;
	return copy;
}

const char *ks_profile__intern(struct ks_profile *p, const char *s)
{
	if (!s) {
		errno = EINVAL;
		return NULL;
	}
	s = intern_n(p->pool, s, strlen(s));
	if (!s)
		errno = ENOMEM;
	return s;
}

/* The merge key: pid, then each frame's interned name and kind. */
static uint64_t stack_hash(uint32_t pid, const struct ks_frame *fr, uint32_t n)
{
	uint64_t h = mix64(pid + 0x9e3779b97f4a7c15ULL);
	uint32_t i;

	for (i = 0; i < n; i++)
		h = mix64(h ^ ((uintptr_t)fr[i].name + fr[i].kind * 0x100000001b3ULL));
	return h ^ n;
}

static bool stack_equal(const struct ks_stack *s, uint32_t pid, const struct ks_frame *fr,
			uint32_t n)
{
	uint32_t i;

	if (s->pid != pid || s->nframes != n)
		return false;
	for (i = 0; i < n; i++)
		if (s->frames[i].name != fr[i].name || s->frames[i].kind != fr[i].kind)
			return false;
	return true;
}

static void stk_insert(struct ks_strpool *sp, size_t idx)
{
	size_t i;

	for (i = sp->stk_hash[idx] & (sp->stk_cap - 1); sp->stk[i]; i = (i + 1) & (sp->stk_cap - 1))
		;
	sp->stk[i] = idx + 1;
}

static int stk_rebuild(struct ks_profile *p, size_t want)
{
	struct ks_strpool *sp = p->pool;
	size_t cap = sp->stk_cap ? sp->stk_cap : 1024, i;
	uint32_t *tab;

	while (cap < want * 2)
		cap *= 2;
	tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	free(sp->stk);
	sp->stk = tab;
	sp->stk_cap = cap;
	for (i = 0; i < p->nstacks; i++) {
		if (sp->stk_stale)
			sp->stk_hash[i] = stack_hash(p->stacks[i].pid, p->stacks[i].frames,
						     p->stacks[i].nframes);
		stk_insert(sp, i);
	}
	sp->stk_stale = false;
	return 0;
}

int ks_profile__add(struct ks_profile *p, uint32_t pid, uint32_t tid,
		    const struct ks_frame *frames, uint32_t nframes, uint64_t value)
{
	struct ks_strpool *sp = p->pool;
	struct ks_frame tmp[256], *fr = tmp, *copy;
	struct ks_stack *s;
	uint64_t h;
	uint32_t i;
	size_t slot;
	int err = 0;

	if (nframes && !frames)
		return -EINVAL;
	if (nframes > ARRAY_SIZE(tmp)) {
		fr = malloc(nframes * sizeof(*fr));
		if (!fr)
			return -ENOMEM;
	}
	for (i = 0; i < nframes; i++) {
		fr[i] = frames[i];
		fr[i].name = intern_n(sp, frames[i].name ? frames[i].name : "[unknown]",
				      strlen(frames[i].name ? frames[i].name : "[unknown]"));
		if (frames[i].module)
			fr[i].module = intern_n(sp, frames[i].module, strlen(frames[i].module));
		if (!fr[i].name || (frames[i].module && !fr[i].module)) {
			err = -ENOMEM;
			goto out;
		}
	}
	if (sp->stk_stale || (p->nstacks + 1) * 2 > sp->stk_cap) {
		err = stk_rebuild(p, p->nstacks + 1);
		if (err)
			goto out;
	}
	h = stack_hash(pid, fr, nframes);
	for (slot = h & (sp->stk_cap - 1); sp->stk[slot]; slot = (slot + 1) & (sp->stk_cap - 1)) {
		s = &p->stacks[sp->stk[slot] - 1];
		if (sp->stk_hash[sp->stk[slot] - 1] == h && stack_equal(s, pid, fr, nframes)) {
			s->value += value;
			goto out;
		}
	}
	if (p->nstacks == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct ks_stack *ns = realloc(p->stacks, cap * sizeof(*ns));
		uint64_t *nh;

		if (!ns) {
			err = -ENOMEM;
			goto out;
		}
		p->stacks = ns;
		nh = realloc(sp->stk_hash, cap * sizeof(*nh));
		if (!nh) {
			err = -ENOMEM;
			goto out;
		}
		sp->stk_hash = nh;
		p->cap = cap;
	}
	copy = nframes ? arena_alloc(sp, nframes * sizeof(*copy), sizeof(uint64_t)) : NULL;
	if (nframes && !copy) {
		err = -ENOMEM;
		goto out;
	}
	if (nframes)
		memcpy(copy, fr, nframes * sizeof(*copy));
	s = &p->stacks[p->nstacks];
	s->pid = pid;
	s->tid = tid;
	s->nframes = nframes;
	s->frames = copy;
	s->value = value;
	sp->stk_hash[p->nstacks] = h;
	sp->stk[slot] = ++p->nstacks;
out:
	if (fr != tmp)
		free(fr);
	return err;
}

uint64_t ks_profile__total(const struct ks_profile *p)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; p && i < p->nstacks; i++)
		t += p->stacks[i].value;
	return t;
}

static int cmp_folded(const struct ks_stack *x, const struct ks_stack *y)
{
	uint32_t i, n = x->nframes < y->nframes ? x->nframes : y->nframes;
	int c;

	for (i = 0; i < n; i++) {
		if (x->frames[i].name != y->frames[i].name) {
			c = strcmp(x->frames[i].name, y->frames[i].name);
			if (c)
				return c;
		}
		if (x->frames[i].kind != y->frames[i].kind)
			return x->frames[i].kind < y->frames[i].kind ? -1 : 1;
	}
	if (x->nframes != y->nframes)
		return x->nframes < y->nframes ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int cmp_value(const void *a, const void *b)
{
	const struct ks_stack *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return cmp_folded(x, y);
}

void ks_profile__sort(struct ks_profile *p)
{
	if (!p || p->nstacks < 2)
		return;
	qsort(p->stacks, p->nstacks, sizeof(*p->stacks), cmp_value);
	p->pool->stk_stale = true;
}

const char *ks_frame_suffix(uint8_t kind)
{
	switch (kind) {
	case KS_FRAME_KERNEL: return "_[k]";
	case KS_FRAME_JIT: return "_[j]";
	case KS_FRAME_INLINE: return "_[i]";
	default: return "";
	}
}

/* Names must not break the line format: ';' separates frames, '\n' lines. */
void ks_folded_name(FILE *f, const char *s)
{
	const char *bad;

	while ((bad = strpbrk(s, ";\n\r"))) {
		fwrite(s, 1, bad - s, f);
		fputc(*bad == ';' ? ':' : ' ', f);
		s = bad + 1;
	}
	fputs(s, f);
}

int ks_folded_write(FILE *f, const struct ks_profile *p)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < p->nstacks; i++) {
		const struct ks_stack *s = &p->stacks[i];

		if (!s->nframes || !s->value)
			continue;
		for (j = 0; j < s->nframes; j++) {
			if (j)
				fputc(';', f);
			ks_folded_name(f, s->frames[j].name);
			fputs(ks_frame_suffix(s->frames[j].kind), f);
		}
		fprintf(f, " %llu\n", (unsigned long long)s->value);
	}
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

/*
 * Parse one folded line in place. On success fills @fr (names point into
 * @line, NUL-terminated there), *@n and *@value and returns 0; blank and
 * comment lines return 1; a bad line returns -EINVAL with *@why set.
 */
int ks_folded_parse_line(char *line, struct ks_frame *fr, uint32_t max, uint32_t *n,
			 double *value, const char **why)
{
	char *end = line + strlen(line), *sp, *tok, *semi, *num_end;
	double v;

	while (end > line && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' ||
			      end[-1] == '\t'))
		*--end = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '#')
		return 1;
	for (sp = end; sp > line && sp[-1] != ' ' && sp[-1] != '\t'; sp--)
		;
	if (sp == line) {
		*why = "no count after the stack";
		return -EINVAL;
	}
	errno = 0;
	v = strtod(sp, &num_end);
	if (num_end == sp || *num_end || errno || !isfinite(v) || v < 0) {
		*why = "the count is not a non-negative number";
		return -EINVAL;
	}
	*value = v;
	end = sp;
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	if (end == line) {
		*why = "empty stack";
		return -EINVAL;
	}
	*n = 0;
	for (tok = line; tok; tok = semi ? semi + 1 : NULL) {
		size_t len;

		semi = strchr(tok, ';');
		if (semi)
			*semi = '\0';
		len = strlen(tok);
		if (*n == max) {
			*why = "stack deeper than supported";
			return -EINVAL;
		}
		memset(&fr[*n], 0, sizeof(fr[*n]));
		fr[*n].kind = KS_FRAME_USER;
		if (len > 4 && tok[len - 4] == '_' && tok[len - 3] == '[' && tok[len - 1] == ']') {
			switch (tok[len - 2]) {
			case 'k': fr[*n].kind = KS_FRAME_KERNEL; break;
			case 'j': fr[*n].kind = KS_FRAME_JIT; break;
			case 'i': fr[*n].kind = KS_FRAME_INLINE; break;
			default: break;
			}
			if (fr[*n].kind != KS_FRAME_USER)
				tok[len - 4] = '\0';
		}
		if (fr[*n].kind == KS_FRAME_USER && !strcmp(tok, "[unknown]"))
			fr[*n].kind = KS_FRAME_UNKNOWN;
		fr[*n].name = tok;
		(*n)++;
	}
	return 0;
}

#define FOLDED_MAX_DEPTH 4096

int ks_folded_read(FILE *f, struct ks_profile *p, const char *name_for_errors)
{
	struct ks_frame *fr;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	const char *why = NULL;
	uint32_t n;
	double v;
	ssize_t len;
	int err = 0, r;

	fr = malloc(FOLDED_MAX_DEPTH * sizeof(*fr));
	if (!fr)
		return -ENOMEM;

	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if ((size_t)len != strlen(line)) {
			why = "NUL byte in line";
			r = -EINVAL;
		} else {
			r = ks_folded_parse_line(line, fr, FOLDED_MAX_DEPTH, &n, &v, &why);
		}
		if (r == 1)
			continue;
		if (r < 0) {
			ks_err("%s:%zu: %s", name_for_errors ? name_for_errors : "-", lineno, why);
			err = -EINVAL;
			break;
		}
		if (v >= 1.8e19) {
			ks_err("%s:%zu: count too large", name_for_errors ? name_for_errors : "-",
			       lineno);
			err = -EINVAL;
			break;
		}
		err = ks_profile__add(p, 0, 0, fr, n, (uint64_t)llround(v));
		if (err) {
			ks_err("%s:%zu: %s", name_for_errors ? name_for_errors : "-", lineno,
			       strerror(-err));
			break;
		}
	}
	if (!err && ferror(f)) {
		ks_err("%s: read error", name_for_errors ? name_for_errors : "-");
		err = -EIO;
	}
	free(line);
	free(fr);
	return err;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

void ks_accounting_print(FILE *f, const struct ks_profile *p)
{
	const struct ks_accounting *a = &p->acct;
	uint64_t total = ks_profile__total(p);

	fprintf(f, "Accounting: %llu %s in %zu distinct stacks",
		(unsigned long long)total, p->unit, p->nstacks);
	if (a->samples)
		fprintf(f, "; %llu events seen", (unsigned long long)a->samples);
	fprintf(f, "\n  lost: %llu (%.2f%%), stack errors: %llu\n",
		(unsigned long long)a->lost, pct(a->lost, a->samples + a->lost),
		(unsigned long long)a->stack_errors);
	fprintf(f, "  frames unnamed: %llu of %llu (%.2f%%)\n",
		(unsigned long long)a->frames_unnamed, (unsigned long long)a->frames,
		pct(a->frames_unnamed, a->frames));
	if (a->user_stacks)
		fprintf(f, "  user stacks unwound to the thread entry: %llu of %llu (%.2f%%)\n",
			(unsigned long long)a->user_complete, (unsigned long long)a->user_stacks,
			pct(a->user_complete, a->user_stacks));
	else
		fprintf(f, "  user stacks: none collected\n");
	if (a->notes[0])
		fprintf(f, "  notes: %s\n", a->notes);
}
