/* SPDX-License-Identifier: GPL-2.0 */
/* Internals of struct ks_stackset shared by the exporters (user/export*.c). */
#ifndef KS_STACKSET_H
#define KS_STACKSET_H

#include "ks_export.h"

struct ks_sfunc {
	const char *name;	/* interned */
	const char *module;	/* interned or NULL */
	uint8_t kind;		/* enum ks_frame_kind */
	uint32_t rank;		/* position in (name, kind, module) order */
	uint32_t hash, len;	/* lookup key */
};

struct ks_sstack {
	size_t off;		/* first id in s->ids, root first */
	uint32_t depth;
	uint32_t pid;
	uint64_t value, base;
	uint64_t key;		/* sort key: ranks of the first frames */
};

struct ks_stackset {
	struct ks_profile *pool;	/* strings; unit, title, accounting */
	struct ks_sfunc *funcs;
	size_t nfuncs, funcs_cap;
	uint32_t *ftab;			/* open addressing: func id + 1 */
	size_t ftab_cap;
	uint32_t *ids;
	size_t nids, ids_cap;
	struct ks_sstack *stacks;
	size_t nstacks, stacks_cap;
	bool has_base;			/* a differential set */
	bool has_acct;
	bool sorted;			/* stacks in rank order (flame layout) */
};

/* Sort stacks by function names, root first (the flame graph order). */
int ks_stackset__sort(struct ks_stackset *s);

/* One rectangle of the flame graph, in value units. */
#define KS_BOX_REST UINT32_MAX		/* func of a merged remainder */
struct ks_box {
	uint64_t x, w;			/* offset and width, in drawn values */
	uint64_t value, base;		/* both sides, for tooltips and diffs */
	uint32_t depth;			/* 0 = the root ("all") box */
	uint32_t func;			/* function id or KS_BOX_REST */
	uint32_t nmerged;		/* remainder: how many frames it holds */
};

/*
 * The flame graph boxes: frames at least @min_w drawn values wide, and one
 * remainder per parent for the narrower ones. Widths follow base values
 * when @use_base. Returns the count (*out malloc'ed) or -errno.
 */
long ks_stackset__layout(struct ks_stackset *s, uint64_t min_w, bool use_base,
			 struct ks_box **out, uint32_t *max_depth);

/* Per-function self and total (counted once per stack) values. */
struct ks_fstat {
	uint32_t func;
	uint64_t self, total, bself, btotal;
};
long ks_stackset__functions(const struct ks_stackset *s, struct ks_fstat **out);

/* Length of the valid UTF-8 sequence at @s, 0 if invalid. */
int ks_utf8_len(const char *s);
/* A JSON string; invalid UTF-8 bytes become U+FFFD. */
void ks_json_str_utf8(FILE *f, const char *s);

/* SVG or HTML; @auto_min: --minwidth was not given, may be raised for big graphs. */
int ks_export_flame(FILE *f, struct ks_stackset *s, const struct ks_export_opts *o, bool html,
		    bool auto_min);
int ks_export_pprof(FILE *f, struct ks_stackset *s);
int ks_export_speedscope(FILE *f, struct ks_stackset *s);
int ks_export_json(FILE *f, struct ks_stackset *s);

#endif /* KS_STACKSET_H */
