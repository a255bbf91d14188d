/* SPDX-License-Identifier: GPL-2.0 */
/* Shared runner of `kscope funclat` and `kscope usdt BINARY:PROVIDER:NAME`. */
#ifndef KS_TOOLS_FUNCLAT_H
#define KS_TOOLS_FUNCLAT_H

#include "cmd.h"
#include "ks_funclat.h"

int ks_funclat_main(const struct ks_cmd *cmd, enum ks_fl_mode mode, int argc, char **argv);

#endif
