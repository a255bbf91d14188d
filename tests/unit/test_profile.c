// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the stack model and folded text (user/profile.c). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ks_profile.h"

static struct ks_profile *read_text(const char *text, int *err)
{
	struct ks_profile *p = ks_profile__new("samples");
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(p);
	assert_non_null(f);
	*err = ks_folded_read(f, p, "test.folded");
	fclose(f);
	return p;
}

static char *write_text(const struct ks_profile *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(ks_folded_write(f, p), 0);
	fclose(f);
	return buf;
}

static void intern__same_text__same_pointer(void **state)
{
	struct ks_profile *p = ks_profile__new("samples");
	char a[] = "do_work", b[] = "do_work";
	const char *x, *y, *z;
	int i;

	x = ks_profile__intern(p, a);
	y = ks_profile__intern(p, b);
	z = ks_profile__intern(p, "other");
	assert_ptr_equal(x, y);
	assert_ptr_not_equal(x, z);
	assert_ptr_not_equal(x, a);
	/* pointers stay valid while the pool grows */
	for (i = 0; i < 20000; i++) {
		char n[32];

		snprintf(n, sizeof(n), "fn_%d", i);
		assert_non_null(ks_profile__intern(p, n));
	}
	assert_string_equal(x, "do_work");
	assert_ptr_equal(ks_profile__intern(p, "do_work"), x);
	ks_profile__free(p);
}

static void add__identical_stacks__merged(void **state)
{
	struct ks_profile *p = ks_profile__new("samples");
	struct ks_frame fr[3] = {
		{ .name = "app", .kind = KS_FRAME_PROCESS },
		{ .name = "main" },
		{ .name = "sys_read", .kind = KS_FRAME_KERNEL },
	};

	assert_int_equal(ks_profile__add(p, 10, 11, fr, 3, 5), 0);
	assert_int_equal(ks_profile__add(p, 10, 12, fr, 3, 7), 0);	/* other tid: merged */
	assert_int_equal(p->nstacks, 1);
	assert_int_equal(p->stacks[0].value, 12);
	assert_int_equal(ks_profile__add(p, 20, 20, fr, 3, 1), 0);	/* other pid: apart */
	assert_int_equal(p->nstacks, 2);
	fr[2].kind = KS_FRAME_USER;					/* other kind: apart */
	assert_int_equal(ks_profile__add(p, 10, 11, fr, 3, 1), 0);
	assert_int_equal(p->nstacks, 3);
	assert_int_equal(ks_profile__add(p, 10, 11, fr, 2, 1), 0);	/* prefix: apart */
	assert_int_equal(p->nstacks, 4);
	assert_int_equal(ks_profile__total(p), 15);
	/* names were interned: callers' buffers may go away */
	assert_ptr_equal(p->stacks[0].frames[1].name, ks_profile__intern(p, "main"));
	ks_profile__free(p);
}

static void add__many_stacks_after_sort__still_merged(void **state)
{
	struct ks_profile *p = ks_profile__new("samples");
	struct ks_frame fr[2] = { { .name = "a" }, { .name = NULL } };
	char n[32];
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(n, sizeof(n), "f%d", i);
		fr[1].name = n;
		assert_int_equal(ks_profile__add(p, 1, 1, fr, 2, i + 1), 0);
	}
	ks_profile__sort(p);
	assert_string_equal(p->stacks[0].frames[1].name, "f4999");
	fr[1].name = "f0";
	assert_int_equal(ks_profile__add(p, 1, 1, fr, 2, 100000), 0);
	assert_int_equal(p->nstacks, 5000);
	ks_profile__sort(p);
	assert_string_equal(p->stacks[0].frames[1].name, "f0");
	assert_int_equal(p->stacks[0].value, 100001);
	ks_profile__free(p);
}

static void sort__ties__by_folded_text(void **state)
{
	int err;
	struct ks_profile *p = read_text("b;c 5\na;z 5\na;b 9\n", &err);
	char *out;

	assert_int_equal(err, 0);
	ks_profile__sort(p);
	out = write_text(p);
	assert_string_equal(out, "a;b 9\na;z 5\nb;c 5\n");
	free(out);
	ks_profile__free(p);
}

static void folded_write__kinds__suffixes(void **state)
{
	struct ks_profile *p = ks_profile__new("samples");
	struct ks_frame fr[5] = {
		{ .name = "myapp", .kind = KS_FRAME_PROCESS },
		{ .name = "main" },
		{ .name = "Interp::run", .kind = KS_FRAME_JIT },
		{ .name = "inl", .kind = KS_FRAME_INLINE },
		{ .name = "do_sys_open", .kind = KS_FRAME_KERNEL },
	};
	char *out;

	assert_int_equal(ks_profile__add(p, 1, 1, fr, 5, 42), 0);
	out = write_text(p);
	assert_string_equal(out, "myapp;main;Interp::run_[j];inl_[i];do_sys_open_[k] 42\n");
	free(out);
	ks_profile__free(p);
}

static void folded_write__separator_in_name__replaced(void **state)
{
	struct ks_profile *p = ks_profile__new("samples");
	struct ks_frame fr[2] = { { .name = "app" }, { .name = "f<a;b>\n" } };
	char *out;

	assert_int_equal(ks_profile__add(p, 1, 1, fr, 2, 1), 0);
	out = write_text(p);
	assert_string_equal(out, "app;f<a:b>  1\n");
	free(out);
	ks_profile__free(p);
}

static void folded_read__suffixes__kinds(void **state)
{
	int err;
	struct ks_profile *p = read_text("app;main;x_[j];y_[i];vfs_read_[k];[unknown] 3\n", &err);
	const struct ks_stack *s;

	assert_int_equal(err, 0);
	assert_int_equal(p->nstacks, 1);
	s = &p->stacks[0];
	assert_int_equal(s->nframes, 6);
	assert_string_equal(s->frames[2].name, "x");
	assert_int_equal(s->frames[2].kind, KS_FRAME_JIT);
	assert_int_equal(s->frames[3].kind, KS_FRAME_INLINE);
	assert_string_equal(s->frames[4].name, "vfs_read");
	assert_int_equal(s->frames[4].kind, KS_FRAME_KERNEL);
	assert_int_equal(s->frames[5].kind, KS_FRAME_UNKNOWN);
	assert_int_equal(s->frames[1].kind, KS_FRAME_USER);
	ks_profile__free(p);
}

static void folded_read__crlf_comments_floats__accepted(void **state)
{
	int err;
	struct ks_profile *p = read_text("# comment\r\n\r\n  \na;b 1.6 \r\n"
					 "a;b\t2\na b;c d 4\n", &err);

	assert_int_equal(err, 0);
	assert_int_equal(p->nstacks, 2);
	assert_int_equal(ks_profile__total(p), 8);
	assert_int_equal(p->stacks[0].value, 4);	/* 1.6 rounds to 2, +2 merged */
	assert_string_equal(p->stacks[1].frames[0].name, "a b");	/* spaces in names */
	assert_string_equal(p->stacks[1].frames[1].name, "c d");
	ks_profile__free(p);
}

static void folded_read__bad_lines__einval(void **state)
{
	static const char *const bad[] = {
		"a;b;c\n", "a;b x\n", "a;b -3\n", " 12\n", "a;b 1e999\n", "a;b nan\n",
	};
	size_t i;
	int err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ks_profile *p = read_text(bad[i], &err);

		assert_int_equal(err, -EINVAL);
		ks_profile__free(p);
	}
}

static void folded__round_trip__same_text(void **state)
{
	const char *in = "app;main;work;vfs_read_[k] 10\napp;main;idle 3\nother;x_[j] 1\n";
	struct ks_profile *p;
	char *out;
	int err;

	p = read_text(in, &err);
	assert_int_equal(err, 0);
	ks_profile__sort(p);
	out = write_text(p);
	assert_string_equal(out, in);
	free(out);
	ks_profile__free(p);
}

static void accounting_print__zeros__stated(void **state)
{
	struct ks_profile *p = ks_profile__new("samples");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	p->acct.lost = 0;
	p->acct.frames = 10;
	p->acct.frames_unnamed = 5;
	snprintf(p->acct.notes, sizeof(p->acct.notes), "hardware counters unavailable");
	ks_accounting_print(f, p);
	fclose(f);
	assert_non_null(strstr(buf, "lost: 0"));
	assert_non_null(strstr(buf, "frames unnamed: 5 of 10 (50.00%)"));
	assert_non_null(strstr(buf, "hardware counters unavailable"));
	free(buf);
	ks_profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(intern__same_text__same_pointer),
		cmocka_unit_test(add__identical_stacks__merged),
		cmocka_unit_test(add__many_stacks_after_sort__still_merged),
		cmocka_unit_test(sort__ties__by_folded_text),
		cmocka_unit_test(folded_write__kinds__suffixes),
		cmocka_unit_test(folded_write__separator_in_name__replaced),
		cmocka_unit_test(folded_read__suffixes__kinds),
		cmocka_unit_test(folded_read__crlf_comments_floats__accepted),
		cmocka_unit_test(folded_read__bad_lines__einval),
		cmocka_unit_test(folded__round_trip__same_text),
		cmocka_unit_test(accounting_print__zeros__stated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
