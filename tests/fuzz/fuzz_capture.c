// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: any bytes given to the capture reader must give
 * intervals or a clean error -- no crash, no hang, no unbounded allocation.
 * Build: tests/e2e/fuzz.sh (or make fuzz).
 */
#include <stddef.h>
#include <stdint.h>

#include "ks_capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_capture_reader *r = ks_capture_reader__open_mem(data, size);
	struct ks_model *m;
	int n = 0;

	if (!r)
		return 0;
	m = ks_model__new();
	while (m && ks_capture_reader__next(r, m) > 0 && n++ < 10000)
		;
	ks_model__free(m);
	ks_capture_reader__free(r);
	return 0;
}
