// SPDX-License-Identifier: GPL-2.0
/*
 * A sorted address -> name table: one flat array of 24-byte entries and one
 * string blob, looked up by binary search. Shared by the ELF loader, the
 * kallsyms reader and the perf-map reader.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "syms_internal.h"

void ks_symtab__init(struct ks_symtab *t)
{
	memset(t, 0, sizeof(*t));
}

void ks_symtab__release(struct ks_symtab *t)
{
	size_t i;

	if (t->demangled) {
		for (i = 0; i < t->n; i++)
			free(t->demangled[i]);
		free(t->demangled);
	}
	free(t->ents);
	free(t->strs);
	memset(t, 0, sizeof(*t));
}

int ks_symtab__add(struct ks_symtab *t, uint64_t addr, uint64_t size, const char *name,
		   size_t name_len, uint16_t mod, uint8_t prio)
{
	struct ks_symtab_ent *e;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		void *p = realloc(t->ents, cap * sizeof(*t->ents));

		if (!p)
			return -ENOMEM;
		t->ents = p;
		t->cap = cap;
	}
	if (t->strs_len + name_len + 1 > t->strs_cap) {
		size_t cap = t->strs_cap ? t->strs_cap * 2 : 4096;
		void *p;

		while (cap < t->strs_len + name_len + 1)
			cap *= 2;
		p = realloc(t->strs, cap);
		if (!p)
			return -ENOMEM;
		t->strs = p;
		t->strs_cap = cap;
	}
	e = &t->ents[t->n++];
	e->addr = addr;
	e->size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	e->name = (uint32_t)t->strs_len;
	e->mod = mod;
	e->prio = prio;
	e->flags = name_len > 2 && name[0] == '_' && name[1] == 'Z' ? KS_SYMTAB_MANGLED : 0;
	memcpy(t->strs + t->strs_len, name, name_len);
	t->strs[t->strs_len + name_len] = '\0';
	t->strs_len += name_len + 1;
	return 0;
}

/* Is @x a better name than @y for the same address? */
static bool better(const struct ks_symtab *t, const struct ks_symtab_ent *x,
		   const struct ks_symtab_ent *y)
{
	if (x->prio != y->prio)
		return x->prio > y->prio;
	if (!x->size != !y->size)
		return x->size;
	return t->later_wins ? x->name > y->name : x->name < y->name;
}

/*
 * LSD radix sort by address, one byte per pass, skipping the bytes all
 * entries share (a binary's addresses differ in 3-4 bytes): several times
 * faster than qsort on the 100k-symbol tables of large binaries. Stable, so
 * equal addresses stay in insertion order for the dedup below.
 */
static int radix_sort(struct ks_symtab *t)
{
	struct ks_symtab_ent *tmp, *src = t->ents, *dst;
	size_t count[256], i, n = t->n;
	int shift;

	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	dst = tmp;
	for (shift = 0; shift < 64; shift += 8) {
		size_t sum = 0, c;
		bool skip = false;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(src[i].addr >> shift) & 0xff]++;
		for (c = 0; c < 256; c++) {
			size_t k = count[c];

			if (k == n) {
				skip = true;
				break;
			}
			count[c] = sum;
			sum += k;
		}
		if (skip)
			continue;
		for (i = 0; i < n; i++)
			dst[count[(src[i].addr >> shift) & 0xff]++] = src[i];
		dst = src;
		src = src == t->ents ? tmp : t->ents;
	}
	if (src != t->ents)
		memcpy(t->ents, src, n * sizeof(*src));
	free(tmp);
	return 0;
}

int ks_symtab__reserve(struct ks_symtab *t, size_t nsyms, size_t nbytes)
{
	void *p;

	if (t->n + nsyms > t->cap) {
		p = realloc(t->ents, (t->n + nsyms) * sizeof(*t->ents));
		if (!p)
			return -ENOMEM;
		t->ents = p;
		t->cap = t->n + nsyms;
	}
	if (t->strs_len + nbytes > t->strs_cap) {
		p = realloc(t->strs, t->strs_len + nbytes);
		if (!p)
			return -ENOMEM;
		t->strs = p;
		t->strs_cap = t->strs_len + nbytes;
	}
	return 0;
}

int ks_symtab__finish(struct ks_symtab *t)
{
	size_t i, j;
	int err;

	if (!t->n)
		return 0;
	err = radix_sort(t);
	if (err)
		return err;
	/* one entry per address: the best name of each run */
	for (i = 1, j = 0; i < t->n; i++) {
		if (t->ents[i].addr == t->ents[j].addr) {
			if (better(t, &t->ents[i], &t->ents[j]))
				t->ents[j] = t->ents[i];
			continue;
		}
		t->ents[++j] = t->ents[i];
	}
	t->n = j + 1;
	for (i = 0; i < t->n; i++) {
		struct ks_symtab_ent *e = &t->ents[i];
		uint64_t next;

		if (e->size)
			continue;
		next = i + 1 < t->n ? t->ents[i + 1].addr : t->end;
		if (next > e->addr)
			e->size = next - e->addr > UINT32_MAX ? UINT32_MAX : next - e->addr;
		else
			e->size = 4096;	/* last symbol, no known end */
		if (t->max_inferred && e->size > t->max_inferred)
			e->size = t->max_inferred;
	}
	/* shrink to fit: tables live as long as the symbolizer */
	if (t->n < t->cap) {
		void *p = realloc(t->ents, t->n * sizeof(*t->ents));

		if (p) {
			t->ents = p;
			t->cap = t->n;
		}
	}
	if (t->strs_len < t->strs_cap) {
		void *p = realloc(t->strs, t->strs_len ? t->strs_len : 1);

		if (p) {
			t->strs = p;
			t->strs_cap = t->strs_len;
		}
	}
	return 0;
}

const struct ks_symtab_ent *ks_symtab__find(const struct ks_symtab *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n, i, k;

	if (!t->n || addr < t->ents[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->ents[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	/* a symbol nested in a larger one: look a few entries back */
	for (k = 0, i = lo; k < 4; k++, i--) {
		const struct ks_symtab_ent *e = &t->ents[i];

		if (addr - e->addr < e->size)
			return e;
		if (!i)
			break;
	}
	return NULL;
}

const char *ks_symtab__name(struct ks_symtab *t, const struct ks_symtab_ent *e)
{
	size_t i = e - t->ents;
	const char *raw = t->strs + e->name;

	if (!(e->flags & KS_SYMTAB_MANGLED))
		return raw;
	if (!t->demangled) {
		t->demangled = calloc(t->n, sizeof(*t->demangled));
		if (!t->demangled)
			return raw;
	}
	if (!t->demangled[i]) {
		t->demangled[i] = ks_demangle(raw);
		if (!t->demangled[i]) {
			/* not demangleable: remember that, keep the raw name */
			t->ents[i].flags &= ~KS_SYMTAB_MANGLED;
			return raw;
		}
	}
	return t->demangled[i];
}

size_t ks_symtab__memory(const struct ks_symtab *t)
{
	size_t m = t->cap * sizeof(*t->ents) + t->strs_cap, i;

	if (t->demangled) {
		m += t->n * sizeof(*t->demangled);
		for (i = 0; i < t->n; i++)
			if (t->demangled[i])
				m += strlen(t->demangled[i]) + 1;
	}
	return m;
}
