// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel symbols from /proc/kallsyms: text symbols only, sorted once, looked
 * up by binary search. Module symbols keep their module as "[modname]".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syms_internal.h"

#define MAX_MODS 4096

struct ks_ksyms {
	struct ks_symtab t;
	char *mods[MAX_MODS];	/* mods[0] = "[kernel]" */
	int nmods;
};

static int mod_index(struct ks_ksyms *k, const char *name, size_t len)
{
	int i;

	/* lines come grouped by module: the last one is the likely hit */
	for (i = k->nmods - 1; i > 0; i--)
		if (strlen(k->mods[i]) == len + 2 && !memcmp(k->mods[i] + 1, name, len))
			return i;
	if (k->nmods == MAX_MODS)
		return 0;
	k->mods[k->nmods] = malloc(len + 3);
	if (!k->mods[k->nmods])
		return 0;
	sprintf(k->mods[k->nmods], "[%.*s]", (int)len, name);
	return k->nmods++;
}

struct ks_ksyms *ks_ksyms__load(const char *path)
{
	struct ks_ksyms *k;
	char line[1024];
	bool nonzero = false;
	FILE *f;
	int err = 0;

	f = fopen(path ? path : "/proc/kallsyms", "re");
	if (!f)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	/*
	 * kallsyms has no sizes: each symbol runs to the next one, but not
	 * across the gaps between the kernel image, modules and BPF programs.
	 */
	k->t.max_inferred = 1 << 20;
	k->mods[0] = strdup("[kernel]");
	k->nmods = 1;
	while (!err && fgets(line, sizeof(line), f)) {
		char *p = line, *name, *end, type;
		uint64_t addr;
		int mod = 0;

		addr = strtoull(p, &end, 16);
		if (end == p || *end != ' ')
			continue;
		type = end[1];
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		name = end + 3;
		end = name + strcspn(name, " \t\n");
		if (*end == '\t' || *end == ' ') {
			char *m = end + 1 + strspn(end + 1, " \t");

			if (*m == '[') {
				size_t ml = strcspn(m + 1, "]");

				mod = mod_index(k, m + 1, ml);
			}
		}
		if (addr)
			nonzero = true;
		err = ks_symtab__add(&k->t, addr, 0, name, end - name, mod,
				     type == 'T' ? 2 : type == 't' ? 1 : 0);
	}
	fclose(f);
	if (!err && !nonzero)
		err = -EPERM;	/* kptr_restrict: every address reads as 0 */
	if (!err)
		err = ks_symtab__finish(&k->t);
	if (err) {
		ks_ksyms__free(k);
		errno = -err;
		return NULL;
	}
	return k;
}

void ks_ksyms__free(struct ks_ksyms *k)
{
	int i;

	if (!k)
		return;
	for (i = 0; i < k->nmods; i++)
		free(k->mods[i]);
	ks_symtab__release(&k->t);
	free(k);
}

int ks_ksyms__find(struct ks_ksyms *k, uint64_t addr, const char **name, const char **module,
		   uint64_t *off)
{
	const struct ks_symtab_ent *e = ks_symtab__find(&k->t, addr);

	if (!e)
		return -ENOENT;
	*name = k->t.strs + e->name;
	*module = k->mods[e->mod < k->nmods ? e->mod : 0];
	*off = addr - e->addr;
	return 0;
}

size_t ks_ksyms__memory(const struct ks_ksyms *k)
{
	size_t m = sizeof(*k) + ks_symtab__memory(&k->t);
	int i;

	for (i = 0; i < k->nmods; i++)
		m += strlen(k->mods[i]) + 1;
	return m;
}
