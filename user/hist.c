// SPDX-License-Identifier: GPL-2.0
/* Latency histograms: percentiles, merging, bcc-style text and JSON. */
#include <math.h>
#include <string.h>

#include "ks_hist.h"
#include "ks_util.h"

uint64_t ks_hist_slot_lo(unsigned int slot)
{
	unsigned int m;

	if (slot < KS_HIST_SUB)
		return slot;
	m = (slot >> KS_HIST_SUB_BITS) + KS_HIST_SUB_BITS - 1;
	return (uint64_t)(KS_HIST_SUB + (slot & (KS_HIST_SUB - 1))) << (m - KS_HIST_SUB_BITS);
}

uint64_t ks_hist_slot_hi(unsigned int slot)
{
	unsigned int m;

	if (slot < KS_HIST_SUB)
		return slot + 1;
	m = (slot >> KS_HIST_SUB_BITS) + KS_HIST_SUB_BITS - 1;
	return ks_hist_slot_lo(slot) + (1ULL << (m - KS_HIST_SUB_BITS));
}

void ks_hist_add(struct ks_hist *h, uint64_t ns)
{
	h->slots[ks_hist_slot(ns)]++;
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	if (!h->min_ns || ns < h->min_ns)
		h->min_ns = ns;
}

void ks_hist_merge(struct ks_hist *dst, const struct ks_hist *src)
{
	unsigned int i;

	for (i = 0; i < KS_HIST_SLOTS; i++)
		dst->slots[i] += src->slots[i];
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	if (src->min_ns && (!dst->min_ns || src->min_ns < dst->min_ns))
		dst->min_ns = src->min_ns;
}

/* Sum of the slots: kernels update count and slots separately (per-CPU races). */
static uint64_t slot_total(const struct ks_hist *h)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < KS_HIST_SLOTS; i++)
		n += h->slots[i];
	return n;
}

double ks_hist_pct(const struct ks_hist *h, double pct)
{
	uint64_t total = slot_total(h), cum = 0;
	double rank, v;
	unsigned int i;

	if (!total)
		return 0;
	rank = pct / 100.0 * total;
	if (rank < 1)
		rank = 1;
	for (i = 0; i < KS_HIST_SLOTS; i++) {
		uint64_t c = h->slots[i];

		if (!c || cum + c < rank) {
			cum += c;
			continue;
		}
		v = ks_hist_slot_lo(i) + (rank - cum) / c *
			(double)(ks_hist_slot_hi(i) - ks_hist_slot_lo(i));
		if (h->max_ns && v > h->max_ns)
			v = h->max_ns;
		if (h->min_ns && v < h->min_ns)	/* a bucket is ~12% wide: 5 ms is not 4.98 */
			v = h->min_ns;
		return v;
	}
	return h->max_ns;
}

/* Power-of-two microsecond rows, as bcc prints them: row k holds [2^(k-1), 2^k). */
#define ROWS 48
static int fill_rows(const struct ks_hist *h, double div, uint64_t *rows)
{
	unsigned int i;
	int last = -1;

	memset(rows, 0, ROWS * sizeof(*rows));
	for (i = 0; i < KS_HIST_SLOTS; i++) {
		double v;
		uint64_t u;
		int k;

		if (!h->slots[i])
			continue;
		v = (ks_hist_slot_lo(i) + ks_hist_slot_hi(i) - 1) / 2.0 / div;
		u = (uint64_t)v;
		k = u > 1 ? 64 - __builtin_clzll(u) : 1;
		if (k >= ROWS)
			k = ROWS - 1;
		rows[k] += h->slots[i];
		if (k > last)
			last = k;
	}
	return last;
}

const char *ks_fmt_ns(double ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}

void ks_hist_print(FILE *f, const struct ks_hist *h, const char *title, bool ms)
{
	uint64_t rows[ROWS], max = 0, total = slot_total(h);
	char b[5][32];
	int last, k, first = -1, w;

	if (title)
		fprintf(f, "%s\n", title);
	if (!total) {
		fprintf(f, "     (no events)\n");
		return;
	}
	last = fill_rows(h, ms ? 1e6 : 1e3, rows);
	for (k = 0; k <= last; k++) {
		if (rows[k] > max)
			max = rows[k];
		if (rows[k] && first < 0)
			first = k;
	}
	fprintf(f, "%*s%-5s%*s : count    distribution\n", 10, "", ms ? "msecs" : "usecs", 13, "");
	for (k = first > 1 ? first : 1; k <= last; k++) {
		uint64_t lo = k > 1 ? 1ULL << (k - 1) : 0, hi = (1ULL << k) - 1;

		w = max ? (int)((double)rows[k] * 40 / max + 0.5) : 0;
		if (rows[k] && !w)
			w = 1;
		fprintf(f, "%20llu -> %-20llu : %-8llu |%-40.*s|\n", (unsigned long long)lo,
			(unsigned long long)hi, (unsigned long long)rows[k], w,
			"****************************************");
	}
	fprintf(f, "     count %llu  avg %s  p50 %s  p90 %s  p99 %s  max %s\n",
		(unsigned long long)total, ks_fmt_ns(h->count ? (double)h->sum_ns / h->count : 0, b[0], 32),
		ks_fmt_ns(ks_hist_pct(h, 50), b[1], 32), ks_fmt_ns(ks_hist_pct(h, 90), b[2], 32),
		ks_fmt_ns(ks_hist_pct(h, 99), b[3], 32), ks_fmt_ns(h->max_ns, b[4], 32));
}

void ks_hist_json(FILE *f, const struct ks_hist *h)
{
	uint64_t rows[ROWS], total = slot_total(h);
	int last, k, n = 0;

	fprintf(f, "{\"unit\":\"us\",\"count\":%llu,\"sum\":%.3f,\"avg\":%.3f,"
		"\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"buckets\":[",
		(unsigned long long)total, h->sum_ns / 1e3,
		h->count ? h->sum_ns / 1e3 / h->count : 0.0,
		ks_hist_pct(h, 50) / 1e3, ks_hist_pct(h, 90) / 1e3,
		ks_hist_pct(h, 99) / 1e3, h->max_ns / 1e3);
	last = fill_rows(h, 1e3, rows);
	for (k = 0; k <= last; k++) {
		if (!rows[k])
			continue;
		fprintf(f, "%s{\"lo\":%llu,\"hi\":%llu,\"count\":%llu}", n++ ? "," : "",
			k > 1 ? 1ULL << (k - 1) : 0ULL, (1ULL << k) - 1,
			(unsigned long long)rows[k]);
	}
	fprintf(f, "]}");
}
