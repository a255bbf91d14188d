// SPDX-License-Identifier: GPL-2.0
/* Unit tests: stack map reads once per pass (ks_stackids, user/stacks.c). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>

#include "ks_stacks.h"

/* A hash map shaped like a stack map: id -> KS_MAX_STACK_DEPTH ips. */
static int stack_map(void)
{
	return bpf_map_create(BPF_MAP_TYPE_HASH, "ks_test_stk", sizeof(int32_t),
			      KS_MAX_STACK_DEPTH * sizeof(uint64_t), 1024, NULL);
}

static void put(int fd, int32_t id, int n, uint64_t base)
{
	uint64_t ips[KS_MAX_STACK_DEPTH] = {};
	int i;

	for (i = 0; i < n; i++)
		ips[i] = base + i;
	assert_int_equal(bpf_map_update_elem(fd, &id, ips, BPF_ANY), 0);
}

static void stackids__same_id_twice__kept_until_reset(void **state)
{
	struct ks_stackids *c = ks_stackids__new();
	uint64_t ips[KS_MAX_STACK_DEPTH];
	int fd = stack_map(), i;

	if (fd < 0)
		skip();		/* not root, or no BPF */
	put(fd, 5, 3, 0x1000);
	put(fd, 6, KS_MAX_STACK_DEPTH, 0x2000);
	assert_int_equal(ks_stackids__read(c, fd, 5, ips), 3);
	assert_int_equal(ips[2], 0x1002);
	assert_int_equal(ips[3], 0);
	assert_int_equal(ks_stackids__read(c, fd, 6, ips), KS_MAX_STACK_DEPTH);
	/* the kernel reuses id 5: this pass still has what it read */
	put(fd, 5, 2, 0x9000);
	assert_int_equal(ks_stackids__read(c, fd, 5, ips), 3);
	assert_int_equal(ips[0], 0x1000);
	assert_int_equal(ips[2], 0x1002);
	assert_int_equal(ks_stackids__read(c, fd, 7, ips), -ENOENT);
	ks_stackids__reset(c);
	assert_int_equal(ks_stackids__read(c, fd, 5, ips), 2);
	assert_int_equal(ips[0], 0x9000);
	assert_int_equal(ips[2], 0);
	/* many ids: the table grows, every one still right */
	for (i = 0; i < 600; i++)
		put(fd, 100 + i, i % 5 + 1, 0x10000 * (i + 1));
	for (i = 0; i < 600; i++) {
		assert_int_equal(ks_stackids__read(c, fd, 100 + i, ips), i % 5 + 1);
		assert_int_equal(ips[i % 5], 0x10000 * (i + 1) + i % 5);
	}
	for (i = 0; i < 600; i++)
		assert_int_equal(ks_stackids__read(c, fd, 100 + i, ips), i % 5 + 1);
	/* no cache: a plain read */
	assert_int_equal(ks_stackids__read(NULL, fd, 6, ips), KS_MAX_STACK_DEPTH);
	ks_stackids__free(c);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stackids__same_id_twice__kept_until_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
