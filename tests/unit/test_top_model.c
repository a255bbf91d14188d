// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the top view's model side (user/top_model.c, user/procs.c parsers). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ks_hist.h"
#include "ks_model.h"
#include "ks_procs.h"
#include "ks_top.h"
#include "top_rows.h"

#define SEC 1000000000ULL

static struct ks_proc proc(uint32_t pid, uint32_t ppid, const char *comm, uint64_t ticks,
			   uint64_t faults)
{
	struct ks_proc p = { .pid = pid, .tgid = pid, .ppid = ppid, .uid = 0, .state = 'R',
			     .cpu_ticks = ticks, .faults = faults, .start_ticks = pid,
			     .threads = 1 };

	snprintf(p.comm, sizeof(p.comm), "%s", comm);
	return p;
}

/* One interval at @now with @n processes and an optional model. */
static void interval(struct ks_top *t, uint64_t now, const struct ks_proc *ps, size_t n,
		     const struct ks_model *m)
{
	size_t i;

	ks_top__begin(t, now);
	for (i = 0; i < n; i++)
		assert_int_equal(ks_top__add_proc(t, &ps[i]), 0);
	assert_int_equal(ks_top__end(t, m), 0);
	ks_top__arrange(t);
}

static void ks_top__end__two_samples__cpu_and_fault_deltas(void **state)
{
	struct ks_top *t = ks_top__new();
	long hz = ks_clock_ticks();
	struct ks_proc a[] = { proc(10, 1, "busy", 100, 5) };
	struct ks_proc b[] = { proc(10, 1, "busy", 100 + hz / 2, 25) };

	interval(t, 1 * SEC, a, 1, NULL);
	assert_true(isnan(by_pid(t, 10)->cpu_pct));	/* no earlier sample */
	interval(t, 2 * SEC, b, 1, NULL);
	assert_float_equal(t->interval_s, 1.0, 1e-9);
	assert_float_equal(by_pid(t, 10)->cpu_pct, 50.0, 1e-6);
	assert_float_equal(by_pid(t, 10)->faults_s, 20.0, 1e-6);
	ks_top__free(t);
}

static void ks_top__end__process_gone__shown_once_as_exited(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_proc a[] = { proc(10, 1, "stays", 0, 0), proc(11, 1, "brief", 0, 0) };
	struct ks_proc b[] = { proc(10, 1, "stays", 0, 0) };

	interval(t, 1 * SEC, a, 2, NULL);
	interval(t, 2 * SEC, b, 1, NULL);
	assert_non_null(by_pid(t, 11));
	assert_true(by_pid(t, 11)->exited);
	assert_int_equal(by_pid(t, 11)->state, 'X');
	assert_false(by_pid(t, 10)->exited);
	interval(t, 3 * SEC, b, 1, NULL);
	assert_null(by_pid(t, 11));			/* only once */
	ks_top__free(t);
}

static void ks_top__end__task_only_bpf_saw__row_kept_for_one_interval(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_model *m = ks_model__new();
	struct ks_proc a[] = { proc(10, 1, "stays", 0, 0) };
	struct ks_task *k;

	t->have = KS_HAVE_RUNQ;
	interval(t, 1 * SEC, a, 1, NULL);
	k = ks_model__task(m, 77, 77, "flash");
	ks_hist_add(&k->runq, 3000000);
	interval(t, 2 * SEC, a, 1, m);
	assert_non_null(by_pid(t, 77));
	assert_true(by_pid(t, 77)->exited);
	assert_true(by_pid(t, 77)->from_bpf_only);
	assert_string_equal(by_pid(t, 77)->comm, "flash");
	assert_true(by_pid(t, 77)->runq_p99_ms > 2.5 && by_pid(t, 77)->runq_p99_ms < 3.5);
	ks_model__reset(m);
	interval(t, 3 * SEC, a, 1, m);
	assert_null(by_pid(t, 77));
	ks_model__free(m);
	ks_top__free(t);
}

static void ks_top__end__pid_reused__old_one_exited_new_one_fresh(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_proc a[] = { proc(10, 1, "old", 500, 0) };
	struct ks_proc b[] = { proc(10, 1, "new", 0, 0) };
	size_t i, n = 0;

	b[0].start_ticks = 999;
	interval(t, 1 * SEC, a, 1, NULL);
	interval(t, 2 * SEC, b, 1, NULL);
	for (i = 0; i < t->norder; i++)
		n += ks_top__row(t, i)->pid == 10;
	assert_int_equal(n, 2);
	assert_float_equal(by_pid(t, 10)->cpu_pct >= 0 ? 0 : 1, 0, 0);
	ks_top__free(t);
}

static void ks_top__end__collector_missing__columns_nan_not_zero(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_proc a[] = { proc(10, 1, "x", 0, 0) };

	interval(t, 1 * SEC, a, 1, NULL);
	interval(t, 2 * SEC, a, 1, NULL);
	assert_true(isnan(by_pid(t, 10)->runq_p99_ms));
	assert_true(isnan(by_pid(t, 10)->off_total_pct));
	assert_true(isnan(by_pid(t, 10)->sysc_s));
	assert_false(ks_top_col_available(t, KS_COL_RUNQ_P99));
	t->have = KS_HAVE_RUNQ | KS_HAVE_OFFCPU;
	interval(t, 3 * SEC, a, 1, NULL);
	assert_float_equal(by_pid(t, 10)->runq_p99_ms, 0, 0);	/* collector ran, saw nothing */
	assert_true(isnan(by_pid(t, 10)->off_pct[KS_OFF_LOCK]));	/* no lock signal */
	ks_top__free(t);
}

static void ks_top__end__offcpu_by_reason__percent_of_interval(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_model *m = ks_model__new();
	struct ks_proc a[] = { proc(10, 1, "w", 0, 0) };
	struct ks_task *k;

	t->have = KS_HAVE_OFFCPU;
	interval(t, 1 * SEC, a, 1, NULL);
	k = ks_model__task(m, 10, 10, "w");
	k->offcpu_ns[KS_OFF_RUNQ] = SEC / 4;
	k->offcpu_ns[KS_OFF_IO] = SEC / 2;
	interval(t, 3 * SEC, a, 1, m);			/* 2 s interval */
	assert_float_equal(by_pid(t, 10)->off_pct[KS_OFF_RUNQ], 12.5, 1e-9);
	assert_float_equal(by_pid(t, 10)->off_pct[KS_OFF_IO], 25, 1e-9);
	assert_float_equal(by_pid(t, 10)->off_total_pct, 37.5, 1e-9);
	ks_model__free(m);
	ks_top__free(t);
}

static void ks_top__arrange__sort_cpu__descending_nan_last(void **state)
{
	struct ks_top *t = ks_top__new();
	long hz = ks_clock_ticks();
	struct ks_proc a[] = { proc(1, 0, "a", 0, 0), proc(2, 0, "b", 0, 0),
			       proc(3, 0, "c", 0, 0) };
	struct ks_proc b[] = { proc(1, 0, "a", hz / 10, 0), proc(2, 0, "b", hz, 0),
			       proc(3, 0, "c", hz / 2, 0), proc(4, 0, "d", 0, 0) };

	interval(t, 1 * SEC, a, 3, NULL);
	interval(t, 2 * SEC, b, 4, NULL);
	assert_int_equal(ks_top__row(t, 0)->pid, 2);
	assert_int_equal(ks_top__row(t, 1)->pid, 3);
	assert_int_equal(ks_top__row(t, 2)->pid, 1);
	t->invert = true;
	ks_top__arrange(t);
	assert_int_equal(ks_top__row(t, 0)->pid, 4);	/* new, 0 ticks: 0% */
	assert_int_equal(ks_top__row(t, 1)->pid, 1);
	t->sort = KS_COL_COMM;
	t->invert = false;
	ks_top__arrange(t);
	assert_string_equal(ks_top__row(t, 0)->comm, "a");
	assert_string_equal(ks_top__row(t, 3)->comm, "d");
	ks_top__free(t);
}

static void ks_top__arrange__filter__keeps_matches_in_order(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_proc a[] = { proc(1, 0, "nginx", 0, 0), proc(2, 0, "bash", 0, 0),
			       proc(3, 0, "NGINX-w", 0, 0), proc(42, 0, "x", 0, 0) };

	t->sort = KS_COL_PID;
	interval(t, 1 * SEC, a, 4, NULL);
	snprintf(t->filter, sizeof(t->filter), "nginx");
	ks_top__arrange(t);
	assert_int_equal(t->norder, 2);
	assert_int_equal(ks_top__row(t, 0)->pid, 1);
	assert_int_equal(ks_top__row(t, 1)->pid, 3);
	snprintf(t->filter, sizeof(t->filter), "42");
	ks_top__arrange(t);
	assert_int_equal(t->norder, 1);
	assert_int_equal(ks_top__row(t, 0)->pid, 42);
	t->filter[0] = '\0';
	ks_top__arrange(t);
	assert_int_equal(t->norder, 4);
	assert_int_equal(ks_top__search(t, "bash", 0), 1);
	assert_int_equal(ks_top__search(t, "bash", 2), -1);
	ks_top__free(t);
}

static void ks_top__arrange__tree__children_under_parents_depth_first(void **state)
{
	struct ks_top *t = ks_top__new();
	/* 1 -> {2 -> {4}, 3}; 5 orphan (parent 99 unknown) */
	struct ks_proc a[] = { proc(1, 0, "init", 0, 0), proc(2, 1, "sh", 0, 0),
			       proc(3, 1, "cron", 0, 0), proc(4, 2, "vim", 0, 0),
			       proc(5, 99, "orphan", 0, 0) };
	uint32_t want[] = { 1, 2, 4, 3, 5 };
	int want_depth[] = { 0, 1, 2, 1, 0 };
	size_t i;

	t->sort = KS_COL_PID;
	t->tree = true;
	interval(t, 1 * SEC, a, 5, NULL);
	assert_int_equal(t->norder, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(ks_top__row(t, i)->pid, want[i]);
		assert_int_equal(ks_top__row(t, i)->depth, want_depth[i]);
	}
	/* siblings follow the sort: PID descending puts 3 before 2 */
	t->invert = true;
	ks_top__arrange(t);
	assert_int_equal(ks_top__row(t, 0)->pid, 5);
	assert_int_equal(ks_top__row(t, 1)->pid, 1);
	assert_int_equal(ks_top__row(t, 2)->pid, 3);
	assert_int_equal(ks_top__row(t, 3)->pid, 2);
	assert_int_equal(ks_top__row(t, 4)->pid, 4);
	ks_top__free(t);
}

static void ks_top__arrange__tree_parent_cycle__all_rows_once(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_proc a[] = { proc(1, 2, "a", 0, 0), proc(2, 1, "b", 0, 0) };

	t->tree = true;
	interval(t, 1 * SEC, a, 2, NULL);
	assert_int_equal(t->norder, 2);
	ks_top__free(t);
}

static void ks_top__end__by_cgroup__sums_members(void **state)
{
	struct ks_top *t = ks_top__new();
	long hz = ks_clock_ticks();
	struct ks_proc a[] = { proc(1, 0, "a", 0, 0), proc(2, 0, "b", 0, 0),
			       proc(3, 0, "c", 0, 0) };
	struct ks_proc b[] = { proc(1, 0, "a", hz / 4, 0), proc(2, 0, "b", hz / 4, 0),
			       proc(3, 0, "c", hz / 10, 0) };

	t->by_cgroup = true;
	strcpy(a[0].cgroup, "/web"); strcpy(a[1].cgroup, "/web"); strcpy(a[2].cgroup, "/db");
	memcpy(b[0].cgroup, a[0].cgroup, sizeof(a[0].cgroup));
	memcpy(b[1].cgroup, a[1].cgroup, sizeof(a[1].cgroup));
	memcpy(b[2].cgroup, a[2].cgroup, sizeof(a[2].cgroup));
	interval(t, 1 * SEC, a, 3, NULL);
	interval(t, 2 * SEC, b, 3, NULL);
	assert_int_equal(t->norder, 2);
	assert_string_equal(ks_top__row(t, 0)->cgroup, "/web");
	assert_float_equal(ks_top__row(t, 0)->cpu_pct, 50, 1e-6);
	assert_int_equal(ks_top__row(t, 0)->threads, 2);
	ks_top__free(t);
}

static void ks_proc_parse_stat__comm_with_parens__fields(void **state)
{
	const char *line = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 120 0 3 0 "
			   "700 300 0 0 20 0 5 0 98765 1000000 250 18446744073709551615";
	struct ks_proc p = { 0 };

	assert_int_equal(ks_proc_parse_stat(line, &p), 0);
	assert_int_equal(p.pid, 4242);
	assert_string_equal(p.comm, "a) b (c)");
	assert_int_equal(p.state, 'S');
	assert_int_equal(p.ppid, 1);
	assert_int_equal(p.faults, 123);
	assert_int_equal(p.cpu_ticks, 1000);
	assert_int_equal(p.threads, 5);
	assert_int_equal(p.start_ticks, 98765);
	assert_int_equal(p.rss_kb, 250 * (sysconf(_SC_PAGESIZE) / 1024));
	assert_int_equal(ks_proc_parse_stat("12 no parens", &p), -EINVAL);
	assert_int_equal(ks_proc_parse_stat("12 (x) S", &p), -EINVAL);
}

static void ks_psi_parse__some_and_full__avg10(void **state)
{
	struct ks_psi psi;

	assert_int_equal(ks_psi_parse("some avg10=1.50 avg60=0.00 avg300=0.00 total=1\n"
				      "full avg10=0.25 avg60=0.00 avg300=0.00 total=1\n", &psi), 0);
	assert_true(psi.ok && psi.has_full);
	assert_float_equal(psi.some10, 1.5, 1e-9);
	assert_float_equal(psi.full10, 0.25, 1e-9);
	assert_int_equal(ks_psi_parse("some avg10=3.00 avg60=0 avg300=0 total=0\n", &psi), 0);
	assert_false(psi.has_full);
	assert_int_equal(ks_psi_parse("garbage", &psi), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ks_top__end__two_samples__cpu_and_fault_deltas),
		cmocka_unit_test(ks_top__end__process_gone__shown_once_as_exited),
		cmocka_unit_test(ks_top__end__task_only_bpf_saw__row_kept_for_one_interval),
		cmocka_unit_test(ks_top__end__pid_reused__old_one_exited_new_one_fresh),
		cmocka_unit_test(ks_top__end__collector_missing__columns_nan_not_zero),
		cmocka_unit_test(ks_top__end__offcpu_by_reason__percent_of_interval),
		cmocka_unit_test(ks_top__arrange__sort_cpu__descending_nan_last),
		cmocka_unit_test(ks_top__arrange__filter__keeps_matches_in_order),
		cmocka_unit_test(ks_top__arrange__tree__children_under_parents_depth_first),
		cmocka_unit_test(ks_top__arrange__tree_parent_cycle__all_rows_once),
		cmocka_unit_test(ks_top__end__by_cgroup__sums_members),
		cmocka_unit_test(ks_proc_parse_stat__comm_with_parens__fields),
		cmocka_unit_test(ks_psi_parse__some_and_full__avg10),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
