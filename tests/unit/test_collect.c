// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the collectors' shared options (user/collect_opts.c). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <cmocka.h>

#include "ks_collect.h"
#include "ks_util.h"

static void parse_opt__shared_options__filled(void **state)
{
	struct ks_collect_opts o = { .sz = sizeof(o) };
	char arg[32];

	snprintf(arg, sizeof(arg), "%d", getpid());
	assert_int_equal(ks_collect_parse_opt('p', arg, &o), 0);
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.pids[0], getpid());
	assert_int_equal(ks_collect_parse_opt('d', "2.5", &o), 0);
	assert_true(o.duration == 2.5);
	assert_int_equal(ks_collect_parse_opt('i', "1", &o), 0);
	assert_true(o.interval == 1.0);
	assert_int_equal(ks_collect_parse_opt(KS_OPT_JSON, NULL, &o), 0);
	assert_true(o.json);
	assert_int_equal(ks_collect_parse_opt('o', "out.txt", &o), 0);
	assert_string_equal(o.output, "out.txt");
	assert_int_equal(ks_collect_parse_opt('T', NULL, &o), 0);
	assert_true(o.threads);
	assert_int_equal(ks_collect_parse_opt(KS_OPT_CGROUP, "a/b", &o), 0);
	assert_string_equal(o.cgroup_path, "a/b");
}

static void parse_opt__not_shared__enoent(void **state)
{
	struct ks_collect_opts o = { .sz = sizeof(o) };

	assert_int_equal(ks_collect_parse_opt('f', "svg", &o), -ENOENT);
	assert_int_equal(ks_collect_parse_opt('?', NULL, &o), -ENOENT);
}

static void parse_opt__bad_values__einval_or_esrch(void **state)
{
	struct ks_collect_opts o = { .sz = sizeof(o) };

	assert_int_equal(ks_collect_parse_opt('d', "abc", &o), -EINVAL);
	assert_int_equal(ks_collect_parse_opt('d', "-1", &o), -EINVAL);
	assert_int_equal(ks_collect_parse_opt('i', "0", &o), -EINVAL);
	assert_int_equal(ks_collect_parse_opt('p', "12x", &o), -EINVAL);
	assert_int_equal(ks_collect_parse_opt('p', "999999999", &o), -ESRCH);
	assert_int_equal(ks_collect_parse_opt('o', "", &o), -EINVAL);
	assert_int_equal(ks_collect_parse_opt(KS_OPT_CGROUP, "", &o), -EINVAL);
	assert_int_equal(ks_collect_exit_code(-EINVAL), KS_EXIT_USAGE);
	assert_int_equal(ks_collect_exit_code(-ESRCH), KS_EXIT_FAIL);
}

static void cgroup_id__not_cgroupfs__emediumtype(void **state)
{
	__u64 id;

	assert_int_equal(ks_cgroup_id("/tmp", &id), -EMEDIUMTYPE);
	assert_int_equal(ks_cgroup_id("/nonexistent/dir", &id), -ENOENT);
	assert_int_equal(ks_cgroup_id("/etc/hostname", &id), -ENOTDIR);
}

/* The id of a cgroup2 directory is its kernfs node id (= inode number). */
static void cgroup_id__cgroup2_dir__inode(void **state)
{
	const char *dirs[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs sfs;
	struct stat st;
	__u64 id = 0;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (statfs(dirs[i], &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)
			continue;
		assert_int_equal(stat(dirs[i], &st), 0);
		assert_int_equal(ks_cgroup_id(dirs[i], &id), 0);
		assert_true(id == st.st_ino);
		return;
	}
	skip();
}

static void collect_alive__no_pids_or_self__true(void **state)
{
	struct ks_collect_opts o = { .sz = sizeof(o) };

	assert_true(ks_collect_alive(&o));
	o.pids[0] = getpid();
	o.npids = 1;
	assert_true(ks_collect_alive(&o));
	o.pids[0] = 999999999;
	assert_false(ks_collect_alive(&o));
}

static int n_reports;
static int count_report(void *ctx, bool last)
{
	n_reports++;
	return last ? 7 : 0;
}

static void collect_loop__interval_and_duration__reports_then_last(void **state)
{
	struct ks_collect_opts o = { .sz = sizeof(o), .duration = 0.35, .interval = 0.1 };

	n_reports = 0;
	assert_int_equal(ks_collect_loop_poll(&o, count_report, NULL, NULL), 7);
	assert_in_range(n_reports, 3, 5);
	o.interval = 0;
	n_reports = 0;
	o.duration = 0.05;
	assert_int_equal(ks_collect_loop_poll(&o, count_report, NULL, NULL), 7);
	assert_int_equal(n_reports, 1);
}

static int n_polls;
static int count_poll(void *ctx, int timeout_ms)
{
	n_polls++;
	assert_in_range(timeout_ms, 0, 100);
	usleep(timeout_ms * 1000);
	return 0;
}

static int fail_poll(void *ctx, int timeout_ms)
{
	return -EIO;
}

static void collect_loop_poll__polls_between_reports__errors_end_it(void **state)
{
	struct ks_collect_opts o = { .sz = sizeof(o), .duration = 0.35 };

	n_reports = n_polls = 0;
	assert_int_equal(ks_collect_loop_poll(&o, count_report, count_poll, NULL), 7);
	assert_int_equal(n_reports, 1);
	assert_in_range(n_polls, 3, 8);
	n_reports = 0;
	assert_int_equal(ks_collect_loop_poll(&o, count_report, fail_poll, NULL), -EIO);
	assert_int_equal(n_reports, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_opt__shared_options__filled),
		cmocka_unit_test(parse_opt__not_shared__enoent),
		cmocka_unit_test(parse_opt__bad_values__einval_or_esrch),
		cmocka_unit_test(cgroup_id__not_cgroupfs__emediumtype),
		cmocka_unit_test(cgroup_id__cgroup2_dir__inode),
		cmocka_unit_test(collect_alive__no_pids_or_self__true),
		cmocka_unit_test(collect_loop__interval_and_duration__reports_then_last),
		cmocka_unit_test(collect_loop_poll__polls_between_reports__errors_end_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
