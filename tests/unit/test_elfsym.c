// SPDX-License-Identifier: GPL-2.0
/* Unit tests: name -> address for application probes (user/elfsym.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include <cmocka.h>
#include <sys/sdt.h>

#include "ks_funclat.h"
#include "ks_hist.h"

__attribute__((noinline, used)) int elfsym_probe_me(int x)
{
	DTRACE_PROBE1(kscope_ut, hello, x);
	return x + 1;
}

static void edit_distance__typos__small(void **state)
{
	assert_int_equal(ks_edit_distance("malloc", "malloc", 5), 0);
	assert_int_equal(ks_edit_distance("mallc", "malloc", 5), 1);
	assert_int_equal(ks_edit_distance("malloc", "calloc", 5), 1);
	assert_int_equal(ks_edit_distance("abc", "xyz", 5), 3);
	assert_int_equal(ks_edit_distance("a", "abcdefghijkl", 3), 3);	/* capped */
}

static void demangle__cpp_and_c_names__demangled_or_null(void **state)
{
	char *d = ks_demangle("_ZN6Server6handleEi");

	assert_non_null(d);
	assert_string_equal(d, "Server::handle(int)");
	free(d);
	assert_null(ks_demangle("malloc"));
	assert_null(ks_demangle("_Znot_valid!"));
	assert_null(ks_demangle(NULL));
}

static void resolve_target__libc_by_name__libc_so(void **state)
{
	char buf[PATH_MAX];

	assert_int_equal(ks_resolve_target("libc", 0, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "libc.so"));
	assert_int_equal(ks_resolve_target("c", 0, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "libc.so"));
}

static void resolve_target__own_maps__finds_libc(void **state)
{
	char buf[PATH_MAX];

	assert_int_equal(ks_resolve_target("libc", getpid(), buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "libc.so"));
}

static void resolve_target__unknown__enoent(void **state)
{
	char buf[PATH_MAX];

	assert_int_equal(ks_resolve_target("nosuchlib_zz9", 0, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(ks_resolve_target("/no/such/file", 0, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(ks_resolve_target("", 0, buf, sizeof(buf)), -ENOENT);
	/* "libc" must not match libcap/libcrypt: only libc.so* / libc-*.so */
	assert_int_equal(ks_resolve_target("libc", 0, buf, sizeof(buf)), 0);
	assert_null(strstr(buf, "libcap"));
	assert_null(strstr(buf, "libcrypt"));
}

static void elf_funcs__own_binary__finds_function_at_its_address(void **state)
{
	struct ks_elf_func *fs;
	uintptr_t rt = (uintptr_t)elfsym_probe_me;
	int n, i, hit = -1;

	n = ks_elf_funcs("/proc/self/exe", &fs);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		if (i)	/* sorted by name */
			assert_true(strcmp(fs[i - 1].name, fs[i].name) <= 0);
		if (!strcmp(fs[i].name, "elfsym_probe_me"))
			hit = i;
	}
	assert_true(hit >= 0);
	assert_false(fs[hit].ifunc);
	/* runtime - vaddr is the load bias: page aligned; vaddr - offset too */
	assert_int_equal((rt - fs[hit].addr) & 4095, 0);
	assert_int_equal((fs[hit].addr - fs[hit].off) & 4095, 0);
	ks_elf_funcs_free(fs, n);
}

static void elf_funcs__libc__malloc_found_strlen_ifunc(void **state)
{
	struct ks_elf_func *fs;
	char path[PATH_MAX];
	int n, i, malloc_hit = 0, ifunc = 0;

	assert_int_equal(ks_resolve_target("libc", 0, path, sizeof(path)), 0);
	n = ks_elf_funcs(path, &fs);
	assert_true(n > 100);
	for (i = 0; i < n; i++) {
		malloc_hit |= !strcmp(fs[i].name, "malloc") && !fs[i].ifunc;
		ifunc |= !strcmp(fs[i].name, "strlen") && fs[i].ifunc;
	}
	assert_true(malloc_hit);
	assert_true(ifunc);
	ks_elf_funcs_free(fs, n);
}

static void elf_funcs__not_elf__error(void **state)
{
	struct ks_elf_func *fs = NULL;

	assert_true(ks_elf_funcs("/proc/self/status", &fs) < 0);
	assert_true(ks_elf_funcs("/no/such/file", &fs) < 0);
}

static void usdt_notes__own_binary__probe_inside_its_function(void **state)
{
	struct ks_usdt_note *ns;
	struct ks_elf_func *fs;
	uint64_t lo = 0;
	int n, nf, i, hit = -1;

	n = ks_usdt_notes("/proc/self/exe", &ns);
	assert_true(n >= 1);
	for (i = 0; i < n; i++)
		if (!strcmp(ns[i].provider, "kscope_ut") && !strcmp(ns[i].name, "hello"))
			hit = i;
	assert_true(hit >= 0);
	assert_int_equal(ns[hit].sem, 0);
	assert_non_null(strchr(ns[hit].args, '@'));	/* "-4@%edi" or the like */
	nf = ks_elf_funcs("/proc/self/exe", &fs);
	for (i = 0; i < nf; i++)
		if (!strcmp(fs[i].name, "elfsym_probe_me"))
			lo = fs[i].addr;
	assert_true(lo && ns[hit].pc >= lo && ns[hit].pc < lo + 64);
	ks_elf_funcs_free(fs, nf);
	ks_usdt_notes_free(ns, n);
}

static void usdt_notes__no_notes__zero(void **state)
{
	struct ks_usdt_note *ns = NULL;
	char path[PATH_MAX];

	assert_int_equal(ks_resolve_target("libz", 0, path, sizeof(path)), 0);
	assert_int_equal(ks_usdt_notes(path, &ns), 0);
	assert_null(ns);
}

/* ks_hist min_ns: a 5 ms bucket spans 4.72..5.24 ms; p50 must not read 4.98. */
static void hist_pct__values_at_bucket_top__not_below_min(void **state)
{
	struct ks_hist h = {};
	int i;

	for (i = 0; i < 100; i++)
		ks_hist_add(&h, 5050000 + i * 1000);
	assert_int_equal(h.min_ns, 5050000);
	assert_true(ks_hist_pct(&h, 50) >= 5050000);
	assert_true(ks_hist_pct(&h, 99) <= h.max_ns);
}

/* Resolution errors come before any BPF: testable without privileges. */
static void funclat_open__unknown_function__enoent(void **state)
{
	struct ks_funclat_opts o = { .sz = sizeof(o), .spec = "libc:mallocc_nope" };

	errno = 0;
	assert_null(ks_funclat__open(&o));
	assert_int_equal(errno, ENOENT);
}

static void funclat_open__bad_specs__einval(void **state)
{
	static const char *const bad[] = { "libc", ":malloc", "libc:", "libc:,," };
	struct ks_funclat_opts o = { .sz = sizeof(o) };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.spec = bad[i];
		errno = 0;
		assert_null(ks_funclat__open(&o));
		assert_int_equal(errno, EINVAL);
	}
	o.spec = NULL;
	assert_null(ks_funclat__open(&o));
	o.sz = 1;
	o.spec = "libc:malloc";
	assert_null(ks_funclat__open(&o));	/* opts too small */
}

static void funclat_open__ifunc_only__einval(void **state)
{
	struct ks_funclat_opts o = { .sz = sizeof(o), .spec = "libc:strlen" };

	errno = 0;
	assert_null(ks_funclat__open(&o));
	assert_int_equal(errno, EINVAL);
}

static void funclat_open__usdt_unknown_probe__enoent(void **state)
{
	struct ks_funclat_opts o = { .sz = sizeof(o), .mode = KS_FL_MODE_USDT,
				     .spec = "/proc/self/exe:kscope_ut:nope" };

	errno = 0;
	assert_null(ks_funclat__open(&o));
	assert_int_equal(errno, ENOENT);
	o.spec = "/proc/self/exe:hello";	/* no provider */
	assert_null(ks_funclat__open(&o));
	assert_int_equal(errno, EINVAL);
	o.spec = "/proc/self/exe:kscope_ut:a,b,c";	/* a pair is two names */
	assert_null(ks_funclat__open(&o));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(edit_distance__typos__small),
		cmocka_unit_test(demangle__cpp_and_c_names__demangled_or_null),
		cmocka_unit_test(resolve_target__libc_by_name__libc_so),
		cmocka_unit_test(resolve_target__own_maps__finds_libc),
		cmocka_unit_test(resolve_target__unknown__enoent),
		cmocka_unit_test(elf_funcs__own_binary__finds_function_at_its_address),
		cmocka_unit_test(elf_funcs__libc__malloc_found_strlen_ifunc),
		cmocka_unit_test(elf_funcs__not_elf__error),
		cmocka_unit_test(usdt_notes__own_binary__probe_inside_its_function),
		cmocka_unit_test(usdt_notes__no_notes__zero),
		cmocka_unit_test(hist_pct__values_at_bucket_top__not_below_min),
		cmocka_unit_test(funclat_open__unknown_function__enoent),
		cmocka_unit_test(funclat_open__bad_specs__einval),
		cmocka_unit_test(funclat_open__ifunc_only__einval),
		cmocka_unit_test(funclat_open__usdt_unknown_probe__enoent),
	};

	elfsym_probe_me(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
