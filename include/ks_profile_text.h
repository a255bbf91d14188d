/* SPDX-License-Identifier: GPL-2.0 */
/* Text views of a stack profile: top functions by self and total share, top stacks. */
#ifndef KS_PROFILE_TEXT_H
#define KS_PROFILE_TEXT_H

#include <stdio.h>
#include "ks_profile.h"

struct ks_func_share {
	const char *name;
	const char *module;
	uint8_t kind;
	uint64_t self, total;
};

/*
 * Per-function self and total values (a function counted once per stack
 * for "total", recursion or not), sorted by self, descending. Returns the
 * count; *out is malloc'ed (free it).
 */
long ks_profile_functions(const struct ks_profile *p, struct ks_func_share **out);
void ks_profile_print_text(FILE *f, const struct ks_profile *p, int top_funcs, int top_stacks);

#endif
