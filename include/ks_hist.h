/* SPDX-License-Identifier: GPL-2.0 */
/* Latency histograms (struct ks_hist, include/ks_types.h): math and printing. */
#ifndef KS_HIST_H
#define KS_HIST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "ks_types.h"

void ks_hist_add(struct ks_hist *h, uint64_t ns);		/* user-side record */
void ks_hist_merge(struct ks_hist *dst, const struct ks_hist *src);
uint64_t ks_hist_slot_lo(unsigned int slot);			/* ns, inclusive */
uint64_t ks_hist_slot_hi(unsigned int slot);			/* ns, exclusive */
/* Percentile (0..100) in ns, interpolated inside the bucket, clamped to max. */
double ks_hist_pct(const struct ks_hist *h, double pct);

/*
 * bcc-style log2 text histogram in microseconds (or msecs with @ms), with
 * "count  p50 p90 p99 max" under it. @indent prefixes each line.
 */
void ks_hist_print(FILE *f, const struct ks_hist *h, const char *title, bool ms);
/*
 * JSON object: {"unit":"us","count":N,"sum":..,"p50":..,"p90":..,"p99":..,
 * "max":..,"buckets":[{"lo":..,"hi":..,"count":..},...]} (power-of-two us rows).
 */
/* "850ns", "12.3us", "4.56ms", "1.23s" */
const char *ks_fmt_ns(double ns, char *buf, size_t len);

void ks_hist_json(FILE *f, const struct ks_hist *h);

#endif /* KS_HIST_H */
