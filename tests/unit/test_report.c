// SPDX-License-Identifier: GPL-2.0
/* The report analyzer on synthetic models: budgets, classes, ranking, coverage. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "ks_capture.h"
#include "ks_hist.h"
#include "ks_offcpu.h"
#include "ks_report.h"
#include "ks_util.h"

static struct ks_task *task(struct ks_model *m, uint32_t pid, const char *comm, double on,
			    double runq, double io, double sleep)
{
	struct ks_task *t = ks_model__task(m, pid, pid, comm);

	t->oncpu_ns = on * 1e9;
	t->offcpu_ns[KS_OFF_RUNQ] = runq * 1e9;
	t->offcpu_ns[KS_OFF_IO] = io * 1e9;
	t->offcpu_ns[KS_OFF_SLEEP] = sleep * 1e9;
	return t;
}

static void add_stack(struct ks_profile *p, uint32_t pid, const char *comm, const char *reason,
		      const char *leaf, uint64_t v)
{
	struct ks_frame fr[3] = {
		{ .name = comm, .kind = KS_FRAME_PROCESS },
		{ .name = reason ? reason : "main", .kind = reason ? KS_FRAME_OFFCPU : 0 },
		{ .name = leaf },
	};

	ks_profile__add(p, pid, pid, fr, 3, v);
}

static struct ks_report analyze(struct ks_model *m)
{
	struct ks_report r = {};

	m->t_start_ns = 1;
	m->t_end_ns = 1 + 4000000000ULL;
	assert_int_equal(ks_report_analyze(&r, m, NULL, NULL), 0);
	return r;
}

static void analyze__mostly_oncpu__cpu_bound_first_with_hot_stack(void **state)
{
	struct ks_model *m = ks_model__new();
	struct ks_report r;

	task(m, 10, "hot", 3.8, 0.1, 0, 0.1);
	task(m, 11, "idler", 0, 0, 0, 4);
	m->oncpu = ks_profile__new("samples");
	add_stack(m->oncpu, 10, "hot", NULL, "chain_leaf", 300);
	add_stack(m->oncpu, 10, "hot", NULL, "other", 10);
	r = analyze(m);
	assert_true(r.nfindings >= 1);
	assert_int_equal(r.findings[0].cls, KS_F_CPU_BOUND);
	assert_int_equal(r.findings[0].pid, 10);
	assert_string_equal(r.findings[0].stacks[0], "hot;main;chain_leaf");
	assert_string_equal(r.findings[0].severity, "critical");
	/* the idle process ranks after it */
	assert_int_equal(r.findings[r.nfindings - 1].cls, KS_F_IDLE);
	assert_true(r.total.s[KS_B_ONCPU] > 3.7 && r.total.s[KS_B_ONCPU] < 3.9);
	ks_report_free(&r);
	ks_model__free(m);
}

static void analyze__runq_wait__cpu_saturation(void **state)
{
	struct ks_model *m = ks_model__new();
	struct ks_report r;

	task(m, 20, "spin", 1, 3, 0, 0);
	r = analyze(m);
	assert_int_equal(r.findings[0].cls, KS_F_CPU_SATURATION);
	assert_true(r.findings[0].share > 0.7);
	ks_report_free(&r);
	ks_model__free(m);
}

static void analyze__runqlat_smaller_than_offcpu__rest_is_other(void **state)
{
	struct ks_model *m = ks_model__new();
	struct ks_task *t = task(m, 20, "w", 0.5, 2, 1.5, 0);
	struct ks_report r;

	ks_hist_add(&t->runq, 300000000);	/* 0.3 s measured */
	r = analyze(m);
	assert_true(r.procs[0].s[KS_B_RUNQ] < 0.31);
	assert_true(r.procs[0].s[KS_B_OTHER] > 1.69);
	assert_int_equal(r.findings[0].cls, KS_F_DISK_IO);
	ks_report_free(&r);
	ks_model__free(m);
}

static void analyze__io_wait__disk_io(void **state)
{
	struct ks_model *m = ks_model__new();
	struct ks_report r;

	task(m, 30, "fsync", 0.3, 0.2, 3.5, 0);
	m->offcpu = ks_profile__new("us");
	add_stack(m->offcpu, 30, "fsync", ks_offcpu_reason_name(KS_OFF_IO), "fsync", 3500000);
	r = analyze(m);
	assert_int_equal(r.findings[0].cls, KS_F_DISK_IO);
	assert_string_equal(r.findings[0].stacks[0], "fsync;io;fsync");
	ks_report_free(&r);
	ks_model__free(m);
}

static void analyze__futex_sleep__lock_contention(void **state)
{
	struct ks_model *m = ks_model__new();
	struct ks_report r;

	task(m, 40, "locker", 0.4, 0, 0, 3.6);
	m->offcpu = ks_profile__new("us");
	add_stack(m->offcpu, 40, "locker", ks_offcpu_reason_name(KS_OFF_SLEEP), "futex_wait",
		  3000000);
	add_stack(m->offcpu, 40, "locker", ks_offcpu_reason_name(KS_OFF_SLEEP), "do_nanosleep",
		  600000);
	r = analyze(m);
	assert_int_equal(r.findings[0].cls, KS_F_LOCK_CONTENTION);
	assert_true(r.procs[0].s[KS_B_LOCK] > 2.9 && r.procs[0].s[KS_B_LOCK] < 3.1);
	assert_true(r.procs[0].s[KS_B_SLEEP] > 0.5);
	ks_report_free(&r);
	ks_model__free(m);
}

static void analyze__condvar_futex__not_a_lock(void **state)
{
	struct ks_model *m = ks_model__new();
	struct ks_frame fr[4] = {
		{ .name = "w", .kind = KS_FRAME_PROCESS },
		{ .name = ks_offcpu_reason_name(KS_OFF_SLEEP), .kind = KS_FRAME_OFFCPU },
		{ .name = "pthread_cond_wait" }, { .name = "futex_wait" },
	};
	struct ks_report r;

	task(m, 41, "w", 0.01, 0, 0, 4);
	m->offcpu = ks_profile__new("us");
	ks_profile__add(m->offcpu, 41, 41, fr, 4, 4000000);
	r = analyze(m);
	assert_int_equal(r.findings[0].cls, KS_F_IDLE);
	ks_report_free(&r);
	ks_model__free(m);
}

static void analyze__sleeper__idle(void **state)
{
	struct ks_model *m = ks_model__new();
	struct ks_report r;

	task(m, 50, "sleeper", 0.01, 0, 0, 3.9);
	r = analyze(m);
	assert_int_equal(r.nfindings, 1);
	assert_int_equal(r.findings[0].cls, KS_F_IDLE);
	assert_string_equal(r.findings[0].comm, "sleeper");
	ks_report_free(&r);
	ks_model__free(m);
}

static void analyze__psi_memory__memory_pressure(void **state)
{
	struct ks_model *m = ks_model__new();
	struct ks_proc_snap a = { .ncpus = 2, .have_psi = true, .mem_total_kb = 1000 },
			    z = a;
	struct ks_report r = {};

	z.psi_mem_some = 40;
	z.mem_avail_kb = 10;
	task(m, 60, "app", 0.2, 0, 0, 0.2);
	m->t_end_ns = 4000000000ULL;
	assert_int_equal(ks_report_analyze(&r, m, &a, &z), 0);
	assert_int_equal(r.findings[0].cls, KS_F_MEMORY_PRESSURE);
	assert_true(r.use[1].util > 0.98);
	ks_report_free(&r);
	ks_model__free(m);
}

static void analyze__gaps__in_coverage(void **state)
{
	struct ks_model *m = ks_model__new();
	struct ks_report r;
	size_t i;
	bool seen = false;

	ks_model__gap(m, "run-queue latency", "tp_btf missing");
	m->lost = 5;
	r = analyze(m);
	for (i = 0; i < r.ncoverage; i++)
		seen |= !strcmp(r.coverage[i].signal, "run-queue latency") &&
			strstr(r.coverage[i].impact, "percentiles");
	assert_true(seen);
	assert_int_equal(r.nfindings, 0);
	ks_report_free(&r);
	ks_model__free(m);
}

static void analyze__blocking_syscalls__not_syscall_overhead(void **state)
{
	struct ks_model *m = ks_model__new();
	struct ks_task *t = task(m, 70, "sleepy", 0.05, 0, 0, 3.9);
	struct ks_report r;

	t->syscalls = 400;
	t->syscall_ns = 3.9e9;		/* nanosleep: blocked, not overhead */
	r = analyze(m);
	assert_int_equal(r.findings[0].cls, KS_F_IDLE);
	ks_report_free(&r);
	ks_model__free(m);
	m = ks_model__new();
	t = task(m, 71, "sysloop", 3.9, 0, 0, 0.05);
	t->syscalls = 4000000;
	t->syscall_ns = 2.5e9;		/* getppid loop: on-CPU in the kernel */
	r = analyze(m);
	assert_int_equal(r.findings[0].cls, KS_F_CPU_BOUND);
	assert_int_equal(r.findings[1].cls, KS_F_SYSCALL_OVERHEAD);
	ks_report_free(&r);
	ks_model__free(m);
}

static void write_json__findings__ranked_and_valid_keys(void **state)
{
	struct ks_model *m = ks_model__new();
	struct ks_report r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	task(m, 10, "a\"b", 3, 1, 0, 0);
	task(m, 11, "c", 0.1, 2, 0, 0);
	r = analyze(m);
	f = open_memstream(&buf, &len);
	assert_int_equal(ks_report_write_json(f, &r), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"schema\": \"kscope-report/1\""));
	assert_non_null(strstr(buf, "\"rank\": 1, \"class\": \"cpu-bound\""));
	assert_non_null(strstr(buf, "\"comm\": \"a\\\"b\""));
	assert_non_null(strstr(buf, "\"metrics\": {"));
	free(buf);
	ks_report_free(&r);
	ks_model__free(m);
}

/* A capture of two intervals of one spinner, @wait seconds of CPU wait each. */
static void write_capture(const char *path, double wait)
{
	struct ks_capture_writer_opts o = { .sz = sizeof(o), .no_sync = true,
					    .collectors = "profile,runqlat", .interval_s = 1 };
	struct ks_capture_writer *w = ks_capture_writer__open(path, &o);
	int i;

	assert_non_null(w);
	for (i = 0; i < 2; i++) {
		struct ks_model *m = ks_model__new();

		m->t_start_ns = 1000000000ULL * (i + 1);
		m->t_end_ns = m->t_start_ns + 1000000000ULL;
		ks_hist_add(&task(m, 10, "spin", 0.9, wait, 0, 0)->runq, wait * 1e9);
		m->oncpu = ks_profile__new("samples");
		add_stack(m->oncpu, 10, "spin", NULL, "spin_leaf", 90);
		assert_int_equal(ks_capture_writer__write(w, m), 0);
		ks_model__free(m);
	}
	assert_int_equal(ks_capture_writer__close(w, true), 0);
}

static char *tmp_path(const char *suffix)
{
	char *p;

	assert_true(asprintf(&p, "/tmp/ks-test-cmp.%d.%s", getpid(), suffix) > 0);
	return p;
}

/* What ks_report_compare printed, and its result. */
static int compare(const char *a, const char *b, const char *rules, const char *out,
		   char **text)
{
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	int ret = ks_report_compare(f, a, b, rules, out);

	fclose(f);
	return ret;
}

static void compare__capture_and_its_json__same_metrics(void **state)
{
	char *cap = tmp_path("kscap"), *json = tmp_path("json"), *text = NULL, *l;
	struct ks_model *m = ks_model__new();
	struct ks_report r = {};
	FILE *f;
	int rows = 0;

	write_capture(cap, 0.05);
	assert_int_equal(ks_report_from_capture(&r, m, cap), 0);
	f = fopen(json, "w");
	assert_int_equal(ks_report_write_json(f, &r), 0);
	fclose(f);
	assert_int_equal(compare(json, cap, "target.cpu-wait_s>+1%", NULL, &text), 0);
	assert_non_null(strstr(text, "new:  /tmp/ks-test-cmp"));
	assert_non_null(strstr(text, "(capture)"));
	for (l = strstr(text, "\ntarget."); l; l = strstr(l + 1, "\ntarget.")) {
		char *e = strchr(l + 1, '\n');

		assert_non_null(e);
		*e = 0;
		assert_non_null(strstr(l, "+0.0%  (within run-to-run noise)"));
		*e = '\n';
		rows++;
	}
	assert_int_equal(rows, KS_B__COUNT);
	assert_non_null(strstr(text, "RULE target.cpu-wait_s > 1%: change is 0%: ok"));
	free(text);
	unlink(cap);
	unlink(json);
	free(cap);
	free(json);
	ks_report_free(&r);
	ks_model__free(m);
}

static void compare__two_captures__rule_broken_and_outputs(void **state)
{
	char *a = tmp_path("a"), *b = tmp_path("b"), *md = tmp_path("md"), *text = NULL;
	char *js = tmp_path("json"), *svg = tmp_path("svg"), *d;
	size_t len;

	write_capture(a, 0.05);
	write_capture(b, 0.5);
	assert_int_equal(compare(a, b, "target.cpu-wait_s>+50%,target.on-cpu_s>+50%", md, &text),
			 1);
	assert_non_null(strstr(text, "RULE target.cpu-wait_s > 50%: change is 900%: BROKEN"));
	assert_non_null(strstr(text, "RULE target.on-cpu_s > 50%: change is 0%: ok"));
	free(text);
	d = ks_read_file(md, &len);
	assert_non_null(d);
	assert_non_null(strstr(d, "| `target.cpu-wait_s > 50%` | change 900% | **BROKEN** |"));
	free(d);
	assert_int_equal(compare(a, b, "target.cpu-wait_s>+50%", js, &text), 1);
	free(text);
	d = ks_read_file(js, &len);
	assert_non_null(d);
	assert_non_null(strstr(d, "\"schema\": \"kscope-compare/1\""));
	assert_non_null(strstr(d, "\"broken\": 1,"));
	free(d);
	assert_int_equal(compare(a, b, NULL, svg, &text), 0);
	free(text);
	d = ks_read_file(svg, &len);
	assert_non_null(d);
	assert_non_null(strstr(d, "spin_leaf"));
	free(d);
	unlink(a);
	unlink(b);
	unlink(md);
	unlink(js);
	unlink(svg);
	free(a);
	free(b);
	free(md);
	free(js);
	free(svg);
}

static void compare__bad_inputs__errors_not_rule_count(void **state)
{
	char *cap = tmp_path("kscap"), *bad = tmp_path("bad"), *text = NULL;
	unsigned char *d;
	size_t len;
	FILE *f;

	write_capture(cap, 0.05);
	f = fopen(bad, "w");
	fputs("{\"not\": \"a report\"}\n", f);
	fclose(f);
	assert_int_equal(compare(cap, bad, NULL, NULL, &text), -EBADMSG);
	free(text);
	assert_int_equal(compare(cap, "/nonexistent/x", NULL, NULL, &text), -ENOENT);
	free(text);
	assert_int_equal(compare(cap, cap, "nonsense", NULL, &text), -EINVAL);
	free(text);
	/* a flipped byte in the last interval: the chunk's crc32 rejects it */
	d = (unsigned char *)ks_read_file(cap, &len);
	d[len - 30] ^= 0xff;
	f = fopen(bad, "w");
	fwrite(d, 1, len, f);
	fclose(f);
	assert_int_equal(compare(cap, bad, NULL, NULL, &text), -EBADMSG);
	free(text);
	/* cut inside the last interval: compared up to the first one */
	f = fopen(bad, "w");
	fwrite(d, 1, len - 30, f);
	fclose(f);
	assert_int_equal(compare(cap, bad, NULL, NULL, &text), 0);
	assert_non_null(strstr(text, "target.on-cpu_s"));
	free(text);
	free(d);
	unlink(cap);
	unlink(bad);
	free(cap);
	free(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(analyze__mostly_oncpu__cpu_bound_first_with_hot_stack),
		cmocka_unit_test(analyze__runq_wait__cpu_saturation),
		cmocka_unit_test(analyze__runqlat_smaller_than_offcpu__rest_is_other),
		cmocka_unit_test(analyze__io_wait__disk_io),
		cmocka_unit_test(analyze__futex_sleep__lock_contention),
		cmocka_unit_test(analyze__condvar_futex__not_a_lock),
		cmocka_unit_test(analyze__sleeper__idle),
		cmocka_unit_test(analyze__psi_memory__memory_pressure),
		cmocka_unit_test(analyze__gaps__in_coverage),
		cmocka_unit_test(analyze__blocking_syscalls__not_syscall_overhead),
		cmocka_unit_test(write_json__findings__ranked_and_valid_keys),
		cmocka_unit_test(compare__capture_and_its_json__same_metrics),
		cmocka_unit_test(compare__two_captures__rule_broken_and_outputs),
		cmocka_unit_test(compare__bad_inputs__errors_not_rule_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
