// SPDX-License-Identifier: GPL-2.0
/* kscope report: time budgets, USE, ranked findings, coverage; and --compare. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ks_capture.h"
#include "ks_collect.h"
#include "ks_collectors.h"
#include "ks_report.h"
#include "ks_util.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope report [-d SECS] [-p PID | --cgroup PATH] [-o FILE.html|FILE.md|FILE.json]\n"
"       kscope report -i CAPTURE [-o FILE]\n"
"       kscope report --compare BASE NEW [--fail-on RULES] [-o FILE]\n"
"\n"
"Runs the collectors together (on-CPU profile, off-CPU time, run-queue latency)\n"
"and writes a bottleneck report: a time budget per process and for the whole\n"
"target (on-CPU, CPU wait, I/O wait, lock wait, sleep), USE per resource, ranked\n"
"findings (cpu-bound, cpu-saturation, disk-io, lock-contention, memory-pressure,\n"
"syscall-overhead, idle) each with evidence, threshold and what to look at next,\n"
"and a ledger of the signals this kernel could not give.\n"
"\n"
"  -d, --duration SECS  observe SECS (default 10)\n"
"  -p, --pid PID[,PID]  only these processes\n"
"      --cgroup PATH    only tasks in this cgroup v2 directory\n"
"  -T, --threads        budgets per thread\n"
"  -o, --output FILE    .html (flame graphs embedded, works offline), .md, .json\n"
"                       (schema kscope-report/1, docs/report-format.md); default:\n"
"                       Markdown on stdout\n"
"      --format FMT     html, md or json, whatever -o says\n"
"  -i, --input FILE     analyze a capture from `kscope record` instead\n"
"      --compare B N    compare two reports, each a JSON report (-o FILE.json)\n"
"                       or a capture (told by its content, analyzed as with\n"
"                       -i): metrics side by side on stdout, with\n"
"                       changes within run-to-run noise (<10%%) marked. -o\n"
"                       FILE.md or .json also writes the comparison there;\n"
"                       -o FILE.html or .svg a differential on-CPU flame graph\n"
"                       of N against B (two captures: all their stacks). A cut\n"
"                       capture is read to its last complete interval with a\n"
"                       warning; a corrupt one, or a file of neither kind,\n"
"                       exits 1\n"
"      --fail-on RULES  with --compare: exit 3 if a rule is broken. RULES is a\n"
"                       comma-separated list of METRIC>+N%% (relative increase\n"
"                       over BASE), METRIC<-N%%, METRIC>VALUE or METRIC<VALUE.\n"
"                       METRIC is a key of the report's \"metrics\" object:\n"
"                       target.on-cpu_s, runq.p99_ms, COMM.on-cpu_s,\n"
"                       COMM.runq.p99_ms, ...\n"
"\n"
"Thresholds (shares of a process's observed time): cpu-bound on-CPU >= 50%%\n"
"of the time it was not waiting for a CPU, cpu-saturation CPU wait >= 20%%,\n"
"disk-io I/O wait >= 20%%, lock-contention lock wait >= 20%%, syscall-overhead\n"
">= 30%%, idle sleep >= 80%% with on-CPU < 10%%;\n"
"memory-pressure PSI memory some >= 5%%. Findings are ranked by the seconds\n"
"of target time they explain (idle ranks last).\n"
"\n"
"Examples:\n"
"  kscope report -d 10 -o report.html\n"
"  kscope report -p $(pidof myapp) -d 30 -o myapp.json\n"
"  kscope report -i run.kscap -o run.md\n"
"  kscope report --compare before.json after.json --fail-on 'myapp.on-cpu_s>+20%%'\n"
"  kscope report --compare before.kscap after.kscap -o diff.html\n"
"\n"
"Exit status: 0 done (--compare: no rule broken), 1 failed (an input that is\n"
"neither a readable capture nor a JSON report), 2 usage (a bad rule), 3 a\n"
"--fail-on rule broken.\n");
}

enum { OPT_INPUT_L = 0x2100, OPT_COMPARE, OPT_FAILON, OPT_FORMAT };
enum { FMT_MD, FMT_HTML, FMT_JSON };

static int fmt_of(const char *s)
{
	const char *dot;

	if (!s)
		return FMT_MD;
	dot = strrchr(s, '.');
	dot = dot ? dot + 1 : s;
	if (!strcmp(dot, "html") || !strcmp(dot, "htm"))
		return FMT_HTML;
	if (!strcmp(dot, "json"))
		return FMT_JSON;
	if (!strcmp(dot, "md") || !strcmp(dot, "markdown"))
		return FMT_MD;
	return -1;
}

struct live {
	struct ks_collectors *c;
	struct ks_model *m, *all;
};

/* between ticks: drain the streaming collectors' ring buffers */
static int drain(void *ctx, int timeout_ms)
{
	return ks_collectors__poll(((struct live *)ctx)->c, timeout_ms);
}

static int tick(void *ctx, bool last)
{
	struct live *l = ctx;
	int err = ks_collectors__read(l->c, l->m);

	if (!err)
		err = ks_model_merge(l->all, l->m);
	if (err)
		ks_err("cannot read the collectors: %s", strerror(-err));
	return err;
}

static int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		KS_COLLECT_LONGOPTS,
		{ "input", required_argument, NULL, OPT_INPUT_L },
		{ "compare", no_argument, NULL, OPT_COMPARE },
		{ "fail-on", required_argument, NULL, OPT_FAILON },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct ks_cmd *cmd = ks_cmd_find("report");
	struct ks_collect_opts co = { .sz = sizeof(co) };
	struct ks_collectors_opts cc = { .sz = sizeof(cc) };
	struct ks_proc_snap before, after;
	struct ks_report r = {};
	struct ks_output out = {};
	struct live l = {};
	const char *input = NULL, *rules = NULL, *fmt_name = NULL;
	bool compare = false;
	int ch, err, fmt, ret = KS_EXIT_FAIL;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:d:o:Ti:h", opts, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			return 0;
		}
		if (ch == 'i' || ch == OPT_INPUT_L) {
			input = optarg;
			continue;
		}
		err = ks_collect_parse_opt(ch, optarg, &co);
		if (err == 0)
			continue;
		if (err != -ENOENT)
			return ks_collect_exit_code(err);
		switch (ch) {
		case OPT_COMPARE:
			compare = true;
			break;
		case OPT_FAILON:
			rules = optarg;
			break;
		case OPT_FORMAT:
			fmt_name = optarg;
			break;
		default:
			return ks_usage_error(cmd, "invalid option");
		}
	}
	if (compare) {
		if (argc - optind != 2)
			return ks_usage_error(cmd, "--compare takes two reports (JSON or captures)");
		err = ks_report_compare(stdout, argv[optind], argv[optind + 1], rules, co.output);
		/* a bad rule is a usage error; an unreadable input fails (1) */
		if (err < 0)
			return err == -EINVAL ? KS_EXIT_USAGE : KS_EXIT_FAIL;
		return err ? KS_EXIT_RULE_BROKEN : 0;
	}
	if (rules)
		return ks_usage_error(cmd, "--fail-on needs --compare");
	if (optind < argc)
		return ks_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	fmt = fmt_of(fmt_name ? fmt_name : co.output);
	if (fmt < 0)
		return ks_usage_error(cmd, "unknown report format '%s' (html, md or json)",
				      fmt_name ? fmt_name : co.output);
	if (co.json)
		fmt = FMT_JSON;
	l.all = ks_model__new();
	if (!l.all)
		return KS_EXIT_FAIL;
	if (input) {
		if (ks_report_from_capture(&r, l.all, input))
			goto cleanup;
	} else {
		if (!co.duration)
			co.duration = 10;
		/* read every second: the profiler's stream is drained and named as it goes */
		if (!co.interval)
			co.interval = 1;
		if (ks_collect_finish(&co) || ks_check_privileges())
			goto cleanup;
		cc.list = KS_COLLECTORS_ALL;
		cc.pids = co.npids ? co.pids : NULL;
		cc.npids = co.npids;
		cc.cgroup_id = co.cgroup_id;
		cc.threads = co.threads;
		ks_setup_signals();
		l.c = ks_collectors__open(&cc);
		l.m = ks_model__new();
		if (!l.c || !l.m) {
			ks_err("no collector could be loaded");
			goto cleanup;
		}
		if (co.npids) {
			size_t n = 0;
			int i;

			n = snprintf(r.target, sizeof(r.target), "pid");
			for (i = 0; i < co.npids && n < sizeof(r.target); i++)
				n += snprintf(r.target + n, sizeof(r.target) - n, "%s%u",
					      i ? "," : " ", co.pids[i]);
		} else if (co.cgroup_path) {
			snprintf(r.target, sizeof(r.target), "cgroup %s", co.cgroup_path);
		}
		fprintf(stderr, "Observing %s for %gs (%s)...\n",
			r.target[0] ? r.target : "the whole system", co.duration,
			ks_collectors__names(l.c));
		ks_proc_snap_read(&before);
		if (ks_collect_loop_poll(&co, tick, drain, &l))
			goto cleanup;
		ks_proc_snap_read(&after);
		r.duration_s = (l.all->t_end_ns - l.all->t_start_ns) / 1e9;
		if (ks_report_analyze(&r, l.all, &before, &after))
			goto cleanup;
	}
	if (ks_output_open(&out, co.output))
		goto cleanup;
	if (l.all->oncpu)
		ks_profile__sort(l.all->oncpu);
	if (l.all->offcpu)
		ks_profile__sort(l.all->offcpu);
	err = fmt == FMT_JSON ? ks_report_write_json(out.f, &r) :
	      fmt == FMT_HTML ? ks_report_write_html(out.f, &r) : ks_report_write_md(out.f, &r);
	if (err)
		ks_err("cannot write the report: %s", strerror(-err));
	ret = err ? KS_EXIT_FAIL : 0;
	if (ks_output_close(&out, ret == 0))
		ret = KS_EXIT_FAIL;
cleanup:
	ks_report_free(&r);
	ks_model__free(l.m);
	ks_model__free(l.all);
	ks_collectors__free(l.c);
	return ret;
}
KS_COMMAND(report, 70, "Bottleneck report: time budgets, USE, ranked findings, coverage",
	   cmd_report, usage);
