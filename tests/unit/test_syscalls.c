// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the generated syscall name table (user/syscalls.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "ks_syscalls.h"

static void syscall_name__known_numbers__named(void **state)
{
	assert_string_equal(ks_syscall_name(SYS_getppid), "getppid");
	assert_string_equal(ks_syscall_name(SYS_read), "read");
	assert_string_equal(ks_syscall_name(SYS_futex), "futex");
	assert_string_equal(ks_syscall_name(SYS_openat), "openat");
}

static void syscall_name__unknown_number__null(void **state)
{
	assert_null(ks_syscall_name(100000));
}

static void syscall_nr__names__round_trip(void **state)
{
	assert_int_equal(ks_syscall_nr("getppid"), SYS_getppid);
	assert_int_equal(ks_syscall_nr("futex"), SYS_futex);
	assert_int_equal(ks_syscall_nr("no_such_syscall"), -1);
	assert_int_equal(ks_syscall_nr(""), -1);
}

static void syscall_table__large_and_unique__ok(void **state)
{
	int n = 0, nr;

	/* every number up to the highest known one maps back to itself */
	for (nr = 0; nr < 1024; nr++) {
		const char *name = ks_syscall_name(nr);

		if (!name)
			continue;
		n++;
		assert_int_equal(ks_syscall_nr(name), nr);
	}
	assert_true(n >= 300);	/* x86_64 and arm64 both have 300+ */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syscall_name__known_numbers__named),
		cmocka_unit_test(syscall_name__unknown_number__null),
		cmocka_unit_test(syscall_nr__names__round_trip),
		cmocka_unit_test(syscall_table__large_and_unique__ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
