/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the top view's unit tests: a shown row by pid. */
#ifndef KS_TEST_TOP_ROWS_H
#define KS_TEST_TOP_ROWS_H

#include "ks_top.h"

/* The visible row of @pid, NULL when filtered out or absent. */
static inline const struct ks_top_row *by_pid(const struct ks_top *t, uint32_t pid)
{
	size_t i;

	for (i = 0; i < t->norder; i++)
		if (ks_top__row(t, i)->pid == pid)
			return ks_top__row(t, i);
	return NULL;
}

#endif /* KS_TEST_TOP_ROWS_H */
