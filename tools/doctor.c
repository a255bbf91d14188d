// SPDX-License-Identifier: GPL-2.0
/* kscope doctor: what this kernel offers kscope, probed for real. */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cmd.h"
#include "ks_features.h"
#include "ks_util.h"

static int cmd_doctor(int argc, char **argv);
static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope doctor [--json]\n\n"
"Probe, by loading and attaching tiny BPF programs, which kernel features\n"
"kscope can use here, and print each as available or not, with the reason.\n"
"The same probes choose the attach types every other command uses.\n\n"
"  --json   machine-readable output\n\n"
"Examples:\n"
"  kscope doctor          # table of features\n"
"  kscope doctor --json   # for scripts\n");
}
KS_COMMAND(doctor, 90, "Probe which kernel features kscope can use here", cmd_doctor, usage);

/* What each feature is used for, so a missing one is actionable. */
static const char *const used_for[KS_FEAT__COUNT] = {
	[KS_FEAT_BTF] = "CO-RE: every collector",
	[KS_FEAT_TP_BTF] = "preferred tracepoint attach",
	[KS_FEAT_RAW_TP] = "tracepoint fallback 1",
	[KS_FEAT_TRACEPOINT] = "tracepoint fallback 2",
	[KS_FEAT_TRACEFS] = "classic tracepoints",
	[KS_FEAT_KPROBE] = "not needed (tracepoints used)",
	[KS_FEAT_FENTRY] = "not needed (tracepoints used)",
	[KS_FEAT_PERF_CPU_CLOCK] = "profile sampling",
	[KS_FEAT_PERF_CYCLES] = "profile sampling (preferred)",
	[KS_FEAT_UPROBE] = "funclat, usdt",
	[KS_FEAT_RINGBUF] = "user stacks, events",
	[KS_FEAT_TASK_ITER] = "top: task snapshot",
	[KS_FEAT_BPF_STATS] = "top: kscope's own cost",
	[KS_FEAT_TASK_PT_REGS] = "off-CPU user stacks",
};

static int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct ks_cmd *cmd = ks_cmd_find("doctor");
	struct utsname u;
	bool json = false;
	int c, i, n = 0;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return ks_usage_error(cmd, "unknown option");
		}
	}
	if (optind < argc)
		return ks_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (ks_check_privileges())
		return KS_EXIT_FAIL;
	uname(&u);
	ks_features_probe();
	if (json) {
		printf("{\"kernel\":");
		ks_json_str(stdout, u.release);
		printf(",\"tracepoint_attach\":\"%s\",\"features\":[", ks_tp_kind_name(ks_tp_best()));
		for (i = 0; i < KS_FEAT__COUNT; i++) {
			printf("%s{\"name\":\"%s\",\"available\":%s,\"reason\":", i ? "," : "",
			       ks_feature_name(i), ks_feature(i) ? "true" : "false");
			ks_json_str(stdout, ks_feature_reason(i));
			printf("}");
		}
		printf("]}\n");
		return 0;
	}
	printf("kernel %s %s\n\n", u.release, u.machine);
	printf("%-15s %-10s %-30s %s\n", "FEATURE", "STATUS", "USED FOR", "DETAIL");
	for (i = 0; i < KS_FEAT__COUNT; i++) {
		printf("%-15s %-10s %-30s %s\n", ks_feature_name(i),
		       ks_feature(i) ? "available" : "MISSING", used_for[i], ks_feature_reason(i));
		n += ks_feature(i);
	}
	printf("\n%d of %d available. Tracepoints attach with: %s.\n", n, KS_FEAT__COUNT,
	       ks_tp_kind_name(ks_tp_best()));
	if (!ks_feature(KS_FEAT_PERF_CYCLES) && ks_feature(KS_FEAT_PERF_CPU_CLOCK))
		printf("profile samples with the software cpu-clock (no hardware cycles here).\n");
	return 0;
}
