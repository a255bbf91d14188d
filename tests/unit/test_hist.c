// SPDX-License-Identifier: GPL-2.0
/* Unit tests: latency histograms (user/hist.c, ks_hist_slot in ks_types.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ks_hist.h"

static void slot__every_value__inside_its_bounds(void **state)
{
	uint64_t v;

	for (v = 0; v < 100000; v += 1 + v / 7) {
		unsigned int s = ks_hist_slot(v);

		assert_true(s < KS_HIST_SLOTS);
		assert_true(ks_hist_slot_lo(s) <= v);
		assert_true(v < ks_hist_slot_hi(s));
	}
	/* slots are contiguous */
	for (v = 0; v + 1 < KS_HIST_SLOTS - 1; v++)
		assert_int_equal(ks_hist_slot_hi(v), ks_hist_slot_lo(v + 1));
}

static void slot__huge_value__last_slot(void **state)
{
	assert_int_equal(ks_hist_slot(~0ULL), KS_HIST_SLOTS - 1);
	assert_int_equal(ks_hist_slot(1ULL << 50), KS_HIST_SLOTS - 1);
}

/* branch-free for the BPF verifier: still exact around every power of two */
static void log2__powers_and_neighbours__exact(void **state)
{
	unsigned int k;

	assert_int_equal(ks_log2_u64(1), 0);
	for (k = 1; k < 63; k++) {
		assert_int_equal(ks_log2_u64(1ULL << k), k);
		assert_int_equal(ks_log2_u64((1ULL << k) - 1), k - 1);
		assert_int_equal(ks_log2_u64((1ULL << k) + 1), k);
	}
}

static void pct__uniform_5ms__p50_within_precision(void **state)
{
	struct ks_hist h = {};
	int i;

	for (i = 0; i < 1000; i++)
		ks_hist_add(&h, 5000000 + i * 1000);	/* 5.000 .. 5.999 ms */
	assert_true(ks_hist_pct(&h, 50) >= 5.0e6 && ks_hist_pct(&h, 50) <= 6.0e6);
	assert_true(ks_hist_pct(&h, 99) <= h.max_ns);
	assert_int_equal(h.max_ns, 5999000);
	assert_int_equal(h.count, 1000);
}

static void pct__empty__zero(void **state)
{
	struct ks_hist h = {};

	assert_true(ks_hist_pct(&h, 50) == 0);
}

static void pct__bimodal__p90_in_upper_mode(void **state)
{
	struct ks_hist h = {};
	int i;

	for (i = 0; i < 80; i++)
		ks_hist_add(&h, 1000);
	for (i = 0; i < 20; i++)
		ks_hist_add(&h, 1000000);
	assert_true(ks_hist_pct(&h, 50) < 1200);
	assert_true(ks_hist_pct(&h, 90) > 800000);
}

static void merge__sums_counts_and_max(void **state)
{
	struct ks_hist a = {}, b = {};

	ks_hist_add(&a, 10);
	ks_hist_add(&b, 1000);
	ks_hist_merge(&a, &b);
	assert_int_equal(a.count, 2);
	assert_int_equal(a.max_ns, 1000);
	assert_int_equal(a.sum_ns, 1010);
}

static void print__bcc_rows_and_percentiles(void **state)
{
	struct ks_hist h = {};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	for (i = 0; i < 100; i++)
		ks_hist_add(&h, 3000);	/* 3 us */
	ks_hist_print(f, &h, "title", false);
	fclose(f);
	assert_non_null(strstr(buf, "usecs"));
	assert_non_null(strstr(buf, "2 -> 3"));
	assert_non_null(strstr(buf, "p99"));
	free(buf);
}

static void json__has_required_fields(void **state)
{
	struct ks_hist h = {};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ks_hist_add(&h, 2000);
	ks_hist_json(f, &h);
	fclose(f);
	assert_non_null(strstr(buf, "\"unit\":\"us\""));
	assert_non_null(strstr(buf, "\"count\":1"));
	assert_non_null(strstr(buf, "\"p50\":"));
	assert_non_null(strstr(buf, "\"p90\":"));
	assert_non_null(strstr(buf, "\"p99\":"));
	assert_non_null(strstr(buf, "\"max\":2.000"));
	assert_non_null(strstr(buf, "\"buckets\":[{"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slot__every_value__inside_its_bounds),
		cmocka_unit_test(slot__huge_value__last_slot),
		cmocka_unit_test(log2__powers_and_neighbours__exact),
		cmocka_unit_test(pct__uniform_5ms__p50_within_precision),
		cmocka_unit_test(pct__empty__zero),
		cmocka_unit_test(pct__bimodal__p90_in_upper_mode),
		cmocka_unit_test(merge__sums_counts_and_max),
		cmocka_unit_test(print__bcc_rows_and_percentiles),
		cmocka_unit_test(json__has_required_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
