// SPDX-License-Identifier: GPL-2.0
/* Text views of a stack profile (include/ks_profile_text.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ks_profile_text.h"

/* Functions are keyed by interned name pointer: the pool deduplicates. */
struct fent {
	const char *name;
	struct ks_func_share *row;
};

static size_t hptr(const void *p)
{
	uint64_t k = (uintptr_t)p;

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	return (size_t)(k ^ (k >> 33));
}

static int by_self(const void *a, const void *b)
{
	const struct ks_func_share *x = a, *y = b;

	if (x->self != y->self)
		return x->self < y->self ? 1 : -1;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

long ks_profile_functions(const struct ks_profile *p, struct ks_func_share **out)
{
	size_t cap = 64, n = 0, i, j, slot;
	struct ks_func_share *rows = NULL;
	struct fent *tab;
	uint64_t gen = 0, *seen = NULL;

	while (cap < p->nstacks * 4 + 64)
		cap <<= 1;
	/* bound the table by distinct frames, which is at most the frame count */
	for (i = 0; i < p->nstacks; i++)
		gen += p->stacks[i].nframes;
	while (cap < gen * 2 + 64)
		cap <<= 1;
	tab = calloc(cap, sizeof(*tab));
	rows = calloc(gen + 1, sizeof(*rows));
	seen = calloc(gen + 1, sizeof(*seen));
	if (!tab || !rows || !seen) {
		free(tab);
		free(rows);
		free(seen);
		return -ENOMEM;
	}
	for (i = 0; i < p->nstacks; i++) {
		const struct ks_stack *s = &p->stacks[i];

		for (j = 0; j < s->nframes; j++) {
			const struct ks_frame *f = &s->frames[j];
			struct ks_func_share *r;

			if (f->kind == KS_FRAME_PROCESS || f->kind == KS_FRAME_OFFCPU)
				continue;
			for (slot = hptr(f->name) & (cap - 1); tab[slot].name && tab[slot].name != f->name;
			     slot = (slot + 1) & (cap - 1))
				;
			if (!tab[slot].name) {
				tab[slot].name = f->name;
				tab[slot].row = &rows[n++];
				tab[slot].row->name = f->name;
				tab[slot].row->module = f->module;
				tab[slot].row->kind = f->kind;
			}
			r = tab[slot].row;
			/* count once per stack for "total" */
			if (seen[r - rows] != i + 1) {
				seen[r - rows] = i + 1;
				r->total += s->value;
			}
			if (j == s->nframes - 1)
				r->self += s->value;
		}
	}
	free(tab);
	free(seen);
	qsort(rows, n, sizeof(*rows), by_self);
	*out = rows;
	return n;
}

static const char *kind_tag(uint8_t kind)
{
	switch (kind) {
	case KS_FRAME_KERNEL: return " [k]";
	case KS_FRAME_JIT: return " [j]";
	case KS_FRAME_INLINE: return " [i]";
	default: return "";
	}
}

void ks_profile_print_text(FILE *f, const struct ks_profile *p, int top_funcs, int top_stacks)
{
	uint64_t total = ks_profile__total(p);
	struct ks_func_share *rows = NULL;
	long n, i;
	size_t s, j;

	if (!total) {
		fprintf(f, "No samples.\n");
		return;
	}
	n = ks_profile_functions(p, &rows);
	fprintf(f, "Top functions by self %s (total %llu %s):\n", p->unit,
		(unsigned long long)total, p->unit);
	fprintf(f, "  %7s %7s  %s\n", "SELF%", "TOTAL%", "FUNCTION");
	for (i = 0; i < n && i < top_funcs; i++) {
		const char *mod = rows[i].module ? strrchr(rows[i].module, '/') : NULL;

		fprintf(f, "  %6.2f%% %6.2f%%  %s%s", 100.0 * rows[i].self / total,
			100.0 * rows[i].total / total, rows[i].name, kind_tag(rows[i].kind));
		if (rows[i].kind != KS_FRAME_KERNEL && (mod || rows[i].module))
			fprintf(f, "  (%s)", mod ? mod + 1 : rows[i].module);
		fputc('\n', f);
	}
	free(rows);
	fprintf(f, "\nTop stacks:\n");
	for (s = 0; s < p->nstacks && (int)s < top_stacks; s++) {
		const struct ks_stack *st = &p->stacks[s];

		fprintf(f, "  %6.2f%% %10llu  ", 100.0 * st->value / total,
			(unsigned long long)st->value);
		for (j = 0; j < st->nframes; j++)
			fprintf(f, "%s%s%s", j ? ";" : "", st->frames[j].name,
				st->frames[j].kind == KS_FRAME_KERNEL ? "_[k]" : "");
		fputc('\n', f);
	}
}
