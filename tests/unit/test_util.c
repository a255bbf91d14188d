// SPDX-License-Identifier: GPL-2.0
/* Unit tests: argument parsing, output files, pointer tables (user/util.c). */
/* Unit tests: argument parsing, output files and map drains (user/util.c). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <bpf/bpf.h>

#include "ks_util.h"

static void grow__doubles_from_first__keeps_contents(void **state)
{
	size_t cap = 0, i;
	int *a = NULL;

	assert_int_equal(ks_grow((void **)&a, &cap, 1, sizeof(*a), 4), 0);
	assert_int_equal(cap, 4);
	for (i = 0; i < 4; i++)
		a[i] = (int)i;
	assert_int_equal(ks_grow((void **)&a, &cap, 4, sizeof(*a), 4), 0);
	assert_int_equal(cap, 4);		/* room enough: unchanged */
	assert_int_equal(ks_grow((void **)&a, &cap, 17, sizeof(*a), 4), 0);
	assert_int_equal(cap, 32);		/* 4 -> 8 -> 16 -> 32 */
	for (i = 0; i < 4; i++)
		assert_int_equal(a[i], (int)i);
	free(a);
}

static void parse_pids__list_of_live__parsed(void **state)
{
	__u32 pids[4];
	char arg[64];

	snprintf(arg, sizeof(arg), "%d,%d", getpid(), getppid());
	assert_int_equal(ks_parse_pids(arg, pids, 4), 2);
	assert_int_equal(pids[0], getpid());
	assert_int_equal(pids[1], getppid());
}

static void parse_pids__missing_pid__esrch(void **state)
{
	__u32 pids[4];

	assert_int_equal(ks_parse_pids("999999999", pids, 4), -ESRCH);
}

static void parse_pids__garbage__einval(void **state)
{
	__u32 pids[4];

	assert_int_equal(ks_parse_pids("12x", pids, 4), -EINVAL);
	assert_int_equal(ks_parse_pids("", pids, 4), -EINVAL);
	assert_int_equal(ks_parse_pids("-5", pids, 4), -EINVAL);
	assert_int_equal(ks_parse_pids(",", pids, 4), -EINVAL);
}

static void parse_pids__too_many__einval(void **state)
{
	__u32 pids[1];
	char arg[64];

	snprintf(arg, sizeof(arg), "%d,%d", getpid(), getpid());
	assert_int_equal(ks_parse_pids(arg, pids, 1), -EINVAL);
}

static void parse_uint__bounds__checked(void **state)
{
	unsigned long v;

	assert_int_equal(ks_parse_uint("99", "hz", 1, 1000, &v), 0);
	assert_int_equal(v, 99);
	assert_int_equal(ks_parse_uint("0", "hz", 1, 1000, &v), -EINVAL);
	assert_int_equal(ks_parse_uint("1001", "hz", 1, 1000, &v), -EINVAL);
	assert_int_equal(ks_parse_uint("1e3", "hz", 1, 1000, &v), -EINVAL);
}

static void parse_seconds__fractions_ok_negatives_not(void **state)
{
	double d;

	assert_int_equal(ks_parse_seconds("0.5", "duration", &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(ks_parse_seconds("-1", "duration", &d), -EINVAL);
	assert_int_equal(ks_parse_seconds("abc", "duration", &d), -EINVAL);
	assert_int_equal(ks_parse_seconds("nan", "duration", &d), -EINVAL);
}

static void output__complete__renamed(void **state)
{
	char dir[] = "/tmp/ks-util-XXXXXX", path[128], tmp[160];
	struct ks_output out;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	snprintf(tmp, sizeof(tmp), "%s.incomplete", path);
	assert_int_equal(ks_output_open(&out, path), 0);
	fprintf(out.f, "hello\n");
	assert_int_equal(stat(tmp, &st), 0);
	assert_int_equal(ks_output_close(&out, true), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 6);
	assert_int_not_equal(stat(tmp, &st), 0);
	unlink(path);
	rmdir(dir);
}

static void output__interrupted__left_marked_incomplete(void **state)
{
	char dir[] = "/tmp/ks-util-XXXXXX", path[128], tmp[160];
	struct ks_output out;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	snprintf(tmp, sizeof(tmp), "%s.incomplete", path);
	assert_int_equal(ks_output_open(&out, path), 0);
	fprintf(out.f, "partial");
	ks_output_close(&out, false);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(stat(tmp, &st), 0);
	unlink(tmp);
	rmdir(dir);
}

/* -o /dev/null must not replace the device node with a plain file */
static void output__device__written_in_place(void **state)
{
	struct ks_output out;
	struct stat st;

	assert_int_equal(ks_output_open(&out, "/dev/null"), 0);
	fprintf(out.f, "discarded\n");
	assert_int_equal(ks_output_close(&out, true), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_not_equal(stat("/dev/null.incomplete", &st), 0);
}

static void output__unwritable__error(void **state)
{
	struct ks_output out;

	assert_true(ks_output_open(&out, "/nonexistent-dir/x") < 0);
	assert_null(out.f);
}

static void json_str__escapes(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ks_json_str(f, "a\"b\\c\n\x01");
	fclose(f);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\n\\u0001\"");
	free(buf);
}

static uint64_t int_hash(const void *e)
{
	return *(const int *)e * 0x9e3779b97f4a7c15ULL;
}

static void ptab_reserve__many_entries__all_found_after_growth(void **state)
{
	struct ks_ptab t = {};
	size_t i, j, found = 0;
	int k, *e;

	for (k = 0; k < 5000; k++) {
		assert_int_equal(ks_ptab_reserve(&t, int_hash), 0);
		assert_true((t.n + 1) * 2 <= t.cap);
		for (i = int_hash(&k) & (t.cap - 1); t.slot[i]; i = (i + 1) & (t.cap - 1))
			;
		e = malloc(sizeof(*e));
		*e = k;
		t.slot[i] = e;
		t.n++;
	}
	for (k = 0; k < 5000; k++) {
		for (j = int_hash(&k) & (t.cap - 1); t.slot[j]; j = (j + 1) & (t.cap - 1))
			if (*(int *)t.slot[j] == k)
				break;
		found += t.slot[j] != NULL;
	}
	assert_int_equal(found, 5000);
	ks_ptab_clear(&t);
	assert_int_equal(t.n, 0);
	assert_null(t.slot[0]);
	ks_ptab_free(&t);
	assert_null(t.slot);
}

struct drain_val {
	uint64_t v[12];
};

/* A hash map of @n entries (key i, value i * 3 in every word); -1 without BPF. */
static int drain_map(enum bpf_map_type type, int n, size_t vsz)
{
	char *v = calloc(1, vsz);
	int fd, i;
	size_t k;

	fd = bpf_map_create(type, "ks_test_drain", sizeof(__u32), type == BPF_MAP_TYPE_HASH ?
			    vsz : sizeof(uint64_t), n + 100, NULL);
	for (i = 0; fd >= 0 && i < n; i++) {
		__u32 key = i;

		for (k = 0; k < vsz / sizeof(uint64_t); k++)
			((uint64_t *)v)[k] = i * 3;
		assert_int_equal(bpf_map_update_elem(fd, &key, v, BPF_ANY), 0);
	}
	free(v);
	return fd;
}

static void map_drain__hash__every_entry_once_and_map_empty(void **state)
{
	int fd = drain_map(BPF_MAP_TYPE_HASH, 3000, sizeof(struct drain_val)), i;
	struct drain_val *vals;
	char seen[3000] = {};
	__u32 *keys, key;
	size_t n;

	if (fd < 0)
		skip();		/* not root, or no BPF */
	assert_int_equal(ks_map_drain(fd, sizeof(*keys), sizeof(*vals), (void **)&keys,
				      (void **)&vals, &n), 0);
	assert_int_equal(n, 3000);
	for (i = 0; i < 3000; i++) {
		assert_true(keys[i] < 3000 && !seen[keys[i]]);
		seen[keys[i]] = 1;
		assert_int_equal(vals[i].v[0], keys[i] * 3);
		assert_int_equal(vals[i].v[11], keys[i] * 3);
	}
	assert_int_not_equal(bpf_map_get_next_key(fd, NULL, &key), 0);
	free(keys);
	free(vals);
	/* empty: nothing, and no error */
	assert_int_equal(ks_map_drain(fd, sizeof(*keys), sizeof(*vals), (void **)&keys,
				      (void **)&vals, &n), 0);
	assert_int_equal(n, 0);
	free(keys);
	free(vals);
	close(fd);
}

static void map_drain__percpu_hash__every_cpu_value(void **state)
{
	int ncpus = ks_nr_cpus(), fd, i;
	size_t vsz = ncpus * sizeof(uint64_t), n;
	__u32 *keys;
	uint64_t *vals;

	fd = drain_map(BPF_MAP_TYPE_PERCPU_HASH, 500, vsz);
	if (fd < 0)
		skip();
	assert_int_equal(ks_map_drain(fd, sizeof(*keys), vsz, (void **)&keys, (void **)&vals,
				      &n), 0);
	assert_int_equal(n, 500);
	for (i = 0; i < 500; i++)
		assert_int_equal(vals[i * ncpus + ncpus - 1], keys[i] * 3);
	free(keys);
	free(vals);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grow__doubles_from_first__keeps_contents),
		cmocka_unit_test(parse_pids__list_of_live__parsed),
		cmocka_unit_test(parse_pids__missing_pid__esrch),
		cmocka_unit_test(parse_pids__garbage__einval),
		cmocka_unit_test(parse_pids__too_many__einval),
		cmocka_unit_test(parse_uint__bounds__checked),
		cmocka_unit_test(parse_seconds__fractions_ok_negatives_not),
		cmocka_unit_test(output__complete__renamed),
		cmocka_unit_test(output__interrupted__left_marked_incomplete),
		cmocka_unit_test(output__device__written_in_place),
		cmocka_unit_test(output__unwritable__error),
		cmocka_unit_test(json_str__escapes),
		cmocka_unit_test(ptab_reserve__many_entries__all_found_after_growth),
		cmocka_unit_test(map_drain__hash__every_entry_once_and_map_empty),
		cmocka_unit_test(map_drain__percpu_hash__every_cpu_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
