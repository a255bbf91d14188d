// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include "ks_top_ui.h"
int ks_top_ui_run(struct ks_top *t, double *interval, const struct ks_top_ui_ops *ops)
{
	return -ENOSYS;
}
