// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of top -i FILE (user/top_replay.c): a capture written here, with
 * known processes, fed to struct ks_top interval by interval; stepping
 * forward, back, past either end; truncated and foreign files.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ks_capture.h"
#include "ks_hist.h"
#include "ks_top_replay.h"
#include "top_rows.h"

#define SEC	1000000000ULL
#define NIV	5		/* intervals in the test capture */
#define HZ	100

static char path[64];

/*
 * The processes of interval @k (0: the reading before the first): "spin"
 * (pid 10) runs 50% of a CPU, "idle" (20) never, "brief" (30) lives in
 * intervals 1 and 2 only. RSS tells the intervals apart. The user name is
 * one no test machine has: it must come from the capture.
 */
static struct ks_procs_sample *reading(int k)
{
	struct ks_procs_sample *s = ks_procs_sample__new();
	struct ks_proc p = { .ppid = 1, .uid = 4242, .state = 'R', .threads = 2,
			     .start_ticks = 1 };

	s->t_ns = (k + 1) * SEC;
	s->wall = 1700000000 + k;
	s->hz = HZ;
	s->sys.ncpus = 1;
	s->sys.busy[0] = s->sys.busy[1] = k * 25;
	s->sys.total[0] = s->sys.total[1] = k * 100;
	strcpy(p.user, "recorder");
	p.pid = p.tgid = 10;
	p.cpu_ticks = k * HZ / 2;
	p.rss_kb = 1000 + k;
	strcpy(p.comm, "spin");
	ks_procs_sample__add(s, &p);
	p.pid = p.tgid = 20;
	p.cpu_ticks = 0;
	p.state = 'S';
	strcpy(p.comm, "idle");
	ks_procs_sample__add(s, &p);
	if (k == 1 || k == 2) {
		p.pid = p.tgid = 30;
		strcpy(p.comm, "brief");
		ks_procs_sample__add(s, &p);
	}
	return s;
}

/* Interval @k (1-based): collectors' data for spin, its stacks and idle's. */
static void fill_interval(struct ks_model *m, int k, bool procs)
{
	struct ks_frame fr[2] = { { .name = "spin", .kind = KS_FRAME_PROCESS },
				  { .name = "loop", .kind = KS_FRAME_USER } };
	struct ks_task *t;

	m->t_start_ns = k * SEC;
	m->t_end_ns = (k + 1) * SEC;
	m->wall_start = 1700000000 + k - 1;
	m->ncpus = 1;
	t = ks_model__task(m, 10, 10, "spin");
	ks_hist_add(&t->runq, 2000000);		/* 2 ms */
	t->offcpu_ns[KS_OFF_RUNQ] = SEC / 4;
	m->oncpu = ks_profile__new("samples");
	ks_profile__add(m->oncpu, 10, 10, fr, 2, 50);
	fr[0].name = "idle";
	ks_profile__add(m->oncpu, 20, 20, fr, 1, 1);
	if (procs) {
		m->procs = reading(k);
		if (k == 1)
			m->procs_start = reading(0);
	}
}

static void write_capture_without(int n, bool procs, const char *collectors, int no_procs_k)
{
	struct ks_capture_writer_opts o = { .sz = sizeof(o), .no_sync = true,
					    .collectors = collectors, .interval_s = 1 };
	struct ks_capture_writer *w;
	int k;

	strcpy(path, "/tmp/ks-test-replay.XXXXXX");
	close(mkstemp(path));
	w = ks_capture_writer__open(path, &o);
	assert_non_null(w);
	for (k = 1; k <= n; k++) {
		struct ks_model *m = ks_model__new();

		fill_interval(m, k, procs && k != no_procs_k);
		assert_int_equal(ks_capture_writer__write(w, m), 0);
		ks_model__free(m);
	}
	assert_int_equal(ks_capture_writer__close(w, true), 0);
}

static void write_capture(int n, bool procs, const char *collectors)
{
	write_capture_without(n, procs, collectors, 0);
}

static struct ks_top_replay *open_ok(void)
{
	char msg[256];
	struct ks_top_replay *r = ks_top_replay__open(path, msg, sizeof(msg));

	assert_non_null(r);
	assert_string_equal(msg, "");
	return r;
}

/* Interval @k of @n as it must look, whichever way we came to it. */
static void assert_interval_of(const struct ks_top *t, size_t k, size_t n)
{
	const struct ks_top_row *spin = by_pid(t, 10), *brief = by_pid(t, 30);

	assert_int_equal(t->cursor.pos, k);
	assert_int_equal(t->cursor.count, n);
	assert_int_equal(t->cursor.end, k == n);
	assert_true(fabs(t->cursor.offset_s - k) < 1e-9);
	assert_true(t->wall == 1700000000 + k);
	assert_non_null(spin);
	assert_int_equal(spin->rss_kb, 1000 + k);
	/* (cmocka's float compare passes NAN) */
	assert_true(fabs(spin->cpu_pct - 50.0) < 1e-6);
	assert_true(fabs(t->sys.cpu_pct[0] - 25.0) < 1e-6);
	assert_string_equal(spin->user, "recorder");
	/* brief: alive in 1 and 2, shown once as exited in 3, then gone */
	if (k <= 2)
		assert_true(brief && !brief->exited);
	else if (k == 3)
		assert_true(brief && brief->exited);
	else
		assert_null(brief);
}

static void assert_interval(const struct ks_top *t, size_t k)
{
	assert_interval_of(t, k, NIV);
}

static void ks_top_replay__open__capture__intervals_counted_nothing_shown(void **state)
{
	struct ks_top_replay *r;

	write_capture(NIV, true, "profile,runqlat");
	r = open_ok();
	assert_int_equal(ks_top_replay__count(r), NIV);
	assert_int_equal(ks_top_replay__pos(r), 0);
	assert_null(ks_top_replay__model(r));
	assert_string_equal(ks_top_replay__meta(r)->collectors, "profile,runqlat");
	ks_top_replay__free(r);
	unlink(path);
}

static void ks_top_replay__show__first__deltas_from_start_reading(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_top_replay *r;
	const struct ks_top_row *spin;

	write_capture(NIV, true, "profile,runqlat");
	r = open_ok();
	assert_int_equal(ks_top_replay__show(r, t, 1), 0);
	assert_true(t->cursor.replay);
	assert_interval(t, 1);
	spin = by_pid(t, 10);
	assert_int_equal(spin->threads, 2);
	assert_int_equal(spin->state, 'R');
	/* recorded collectors give their columns, the others are n/a */
	assert_true(ks_top_col_available(t, KS_COL_RUNQ_P99));
	assert_true(spin->runq_p99_ms > 1.5 && spin->runq_p99_ms < 2.5);
	assert_false(ks_top_col_available(t, KS_COL_OFF));
	assert_true(ks_top_col_available(t, KS_COL_RSS));
	ks_top_replay__free(r);
	ks_top__free(t);
	unlink(path);
}

static void ks_top_replay__step__forward_then_back__each_interval_the_same(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_top_replay *r;
	size_t k;

	write_capture(NIV, true, "profile");
	r = open_ok();
	/* forward from nothing: 1 .. NIV */
	for (k = 1; k <= NIV; k++) {
		assert_int_equal(ks_top_replay__step(r, t, 1), 0);
		assert_int_equal(ks_top_replay__pos(r), k);
		assert_interval(t, k);
	}
	/* back: every interval again, with its own deltas */
	for (k = NIV - 1; k >= 1; k--) {
		assert_int_equal(ks_top_replay__step(r, t, -1), 0);
		assert_interval(t, k);
	}
	/* and forward again after going back */
	assert_int_equal(ks_top_replay__step(r, t, 2), 0);
	assert_interval(t, 3);
	assert_int_equal(ks_top_replay__step(r, t, 1), 0);
	assert_interval(t, 4);
	ks_top_replay__free(r);
	ks_top__free(t);
	unlink(path);
}

static void ks_top_replay__step__past_either_end__erange_nothing_moves(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_top_replay *r;

	write_capture(NIV, true, "profile");
	r = open_ok();
	assert_int_equal(ks_top_replay__step(r, t, 1), 0);
	assert_int_equal(ks_top_replay__step(r, t, -1), -ERANGE);
	assert_interval(t, 1);
	assert_int_equal(ks_top_replay__show(r, t, NIV), 0);
	assert_interval(t, NIV);
	assert_true(t->cursor.end);
	assert_int_equal(ks_top_replay__step(r, t, 1), -ERANGE);
	assert_int_equal(ks_top_replay__pos(r), NIV);
	assert_interval(t, NIV);
	assert_int_equal(ks_top_replay__show(r, t, 0), -ERANGE);
	assert_int_equal(ks_top_replay__show(r, t, NIV + 1), -ERANGE);
	/* the same interval again (a setting changed): same rows */
	t->tree = true;
	assert_int_equal(ks_top_replay__step(r, t, 0), 0);
	assert_interval(t, NIV);
	ks_top_replay__free(r);
	ks_top__free(t);
	unlink(path);
}

static void ks_top_replay__detail__pid__only_its_stacks(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_model *dm = ks_model__new();
	struct ks_top_replay *r;

	write_capture(2, true, "profile");
	r = open_ok();
	assert_int_equal(ks_top_replay__show(r, t, 2), 0);
	assert_int_equal(ks_top_replay__detail(r, 10, false, dm), 0);
	assert_non_null(dm->oncpu);
	assert_int_equal(dm->oncpu->nstacks, 1);
	assert_int_equal(ks_profile__total(dm->oncpu), 50);
	assert_string_equal(dm->oncpu->stacks[0].frames[1].name, "loop");
	assert_null(dm->offcpu);
	assert_int_equal(ks_top_replay__detail(r, 99, false, dm), 0);
	assert_int_equal(dm->oncpu->nstacks, 0);
	ks_top_replay__free(r);
	ks_model__free(dm);
	ks_top__free(t);
	unlink(path);
}

static void ks_top_replay__open__truncated__complete_intervals_and_warning(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_top_replay *r;
	struct stat st;
	char msg[256];

	write_capture(NIV, true, "profile");
	assert_int_equal(stat(path, &st), 0);
	/* cut inside the last interval's chunk (the END chunk is 20 bytes) */
	assert_int_equal(truncate(path, st.st_size - 20 - 10), 0);
	r = ks_top_replay__open(path, msg, sizeof(msg));
	assert_non_null(r);
	assert_non_null(strstr(msg, "truncated"));
	assert_null(strchr(msg, '\n'));
	assert_int_equal(ks_top_replay__count(r), NIV - 1);
	assert_int_equal(ks_top_replay__show(r, t, NIV - 1), 0);
	assert_interval_of(t, NIV - 1, NIV - 1);
	ks_top_replay__free(r);
	ks_top__free(t);
	unlink(path);
}

static void ks_top_replay__open__not_a_capture__null_one_line_reason(void **state)
{
	char msg[256];
	FILE *f;

	strcpy(path, "/tmp/ks-test-replay.XXXXXX");
	close(mkstemp(path));
	f = fopen(path, "w");
	fputs("#!/bin/sh\necho this is no capture\n", f);
	fclose(f);
	assert_null(ks_top_replay__open(path, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "not a kscope capture"));
	assert_null(strchr(msg, '\n'));
	unlink(path);
	assert_null(ks_top_replay__open(path, msg, sizeof(msg)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(msg, path));
}

static void ks_top_replay__show__no_proc_readings__task_rows_metadata_na(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_top_replay *r;
	const struct ks_top_row *spin;
	size_t i;
	bool gap = false;

	write_capture(2, false, "runqlat");
	r = open_ok();
	assert_int_equal(ks_top_replay__show(r, t, 1), 0);
	spin = by_pid(t, 10);
	assert_non_null(spin);
	assert_false(spin->exited);
	assert_true(spin->runq_p99_ms > 1.5 && spin->runq_p99_ms < 2.5);
	assert_false(ks_top_col_available(t, KS_COL_USER));
	assert_false(ks_top_col_available(t, KS_COL_CPU));
	assert_false(ks_top_col_available(t, KS_COL_RSS));
	for (i = 0; i < t->sys.ngaps; i++)
		gap |= !strcmp(t->sys.gaps[i].signal, "/proc columns");
	assert_true(gap);
	assert_float_equal(t->interval_s, 1.0, 1e-9);
	ks_top_replay__free(r);
	ks_top__free(t);
	unlink(path);
}

static void ks_top_replay__step__reading_missing_before__no_cpu_not_lifetime(void **state)
{
	struct ks_top *t = ks_top__new();
	struct ks_top_replay *r;

	/* /proc could not be read at the end of interval 2 */
	write_capture_without(4, true, "profile", 2);
	r = open_ok();
	assert_int_equal(ks_top_replay__step(r, t, 1), 0);
	assert_int_equal(ks_top_replay__step(r, t, 1), 0);
	assert_false(ks_top_col_available(t, KS_COL_CPU));
	assert_int_equal(ks_top_replay__step(r, t, 1), 0);
	/* in order or jumped to, 3 has nothing to take its deltas from */
	assert_true(isnan(by_pid(t, 10)->cpu_pct));
	assert_int_equal(ks_top_replay__show(r, t, 3), 0);
	assert_true(isnan(by_pid(t, 10)->cpu_pct));
	assert_int_equal(ks_top_replay__step(r, t, 1), 0);
	assert_interval_of(t, 4, 4);
	ks_top_replay__free(r);
	ks_top__free(t);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ks_top_replay__open__capture__intervals_counted_nothing_shown),
		cmocka_unit_test(ks_top_replay__show__first__deltas_from_start_reading),
		cmocka_unit_test(ks_top_replay__step__forward_then_back__each_interval_the_same),
		cmocka_unit_test(ks_top_replay__step__past_either_end__erange_nothing_moves),
		cmocka_unit_test(ks_top_replay__detail__pid__only_its_stacks),
		cmocka_unit_test(ks_top_replay__open__truncated__complete_intervals_and_warning),
		cmocka_unit_test(ks_top_replay__open__not_a_capture__null_one_line_reason),
		cmocka_unit_test(ks_top_replay__show__no_proc_readings__task_rows_metadata_na),
		cmocka_unit_test(ks_top_replay__step__reading_missing_before__no_cpu_not_lifetime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
