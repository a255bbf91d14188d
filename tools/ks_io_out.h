/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Output pieces shared by the biolat, syscalls and locks front ends: the
 * "what we could not see" lines (text and JSON) and the run state of the
 * report callback.
 */
#ifndef KS_IO_OUT_H
#define KS_IO_OUT_H

#include <stdio.h>
#include "ks_model.h"
#include "ks_util.h"

static inline void ks_io_gaps_text(FILE *f, const struct ks_model *m)
{
	size_t i;

	if (m->lost)
		fprintf(f, "LOST: %llu events (see below)\n", (unsigned long long)m->lost);
	for (i = 0; i < m->ngaps; i++)
		fprintf(f, "unavailable: %s: %s\n", m->gaps[i].signal, m->gaps[i].reason);
}

/* ,"lost":N,"unavailable":[{"signal":..,"reason":..}] */
static inline void ks_io_gaps_json(FILE *f, const struct ks_model *m)
{
	size_t i;

	fprintf(f, ",\"lost\":%llu,\"unavailable\":[", (unsigned long long)m->lost);
	for (i = 0; i < m->ngaps; i++) {
		fprintf(f, "%s{\"signal\":", i ? "," : "");
		ks_json_str(f, m->gaps[i].signal);
		fprintf(f, ",\"reason\":");
		ks_json_str(f, m->gaps[i].reason);
		fputc('}', f);
	}
	fputc(']', f);
}

#endif /* KS_IO_OUT_H */
