// SPDX-License-Identifier: GPL-2.0
/* kscope profile: sample on-CPU stacks on every CPU. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "ks_collect.h"
#include "ks_capture.h"
#include "ks_export.h"
#include "ks_profile_text.h"
#include "ks_profiler.h"
#include "ks_util.h"

static int cmd_profile(int argc, char **argv);
static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope profile [-p PID[,PID...]] [-F HZ] [-d SECONDS] [-U | -K]\n"
"                      [--format text|folded|svg|html|pprof|speedscope|json]\n"
"                      [-o FILE] [--unwind dwarf|fp]\n"
"                      [--per-thread] [--top N]\n"
"       kscope profile -i CAPTURE [--from S] [--to S] [--format ...] [-o FILE]\n\n"
"Sample on-CPU stacks on every CPU with a perf event (hardware cycles where the\n"
"machine offers them, else the software cpu-clock), aggregate by process,\n"
"thread name, user and kernel stack, and print where the CPU time goes.\n\n"
"  -p, --pid PID[,PID]  only these processes (default: the whole system)\n"
"  -F, --frequency HZ   samples per second per CPU (default 99)\n"
"  -d, --duration SECS  stop after SECS (default: until Ctrl-C)\n"
"  -U, --user-only      user stacks only\n"
"  -K, --kernel-only    kernel stacks only\n"
"  -f, --format FMT     text (default): top functions and stacks;\n"
"                       folded: flamegraph.pl/inferno input, counts are samples;\n"
"                       svg, html: interactive flame graph (page with a table);\n"
"                       pprof (go tool pprof), speedscope, json (docs/formats.md)\n"
"  -o, --output FILE    write there (written as FILE.incomplete, renamed when done);\n"
"                       the format follows the extension unless --format is given\n"
"      --unwind MODE    dwarf (default): copy user stacks and unwind with the\n"
"                       binaries' CFI, complete without frame pointers;\n"
"                       fp: frame pointers only, aggregated in the kernel\n"
"      --per-thread     keep threads apart (default: per process)\n"
"      --top N          rows in the text view (default 20)\n"
"  -i, --capture FILE   show the on-CPU stacks of a `kscope record` capture\n"
"      --from S, --to S only its intervals starting S seconds after the first\n\n"
"Every profile ends with its accounting: samples taken, lost, stack errors,\n"
"user stacks unwound completely, frames left unnamed (stderr for folded).\n\n"
"Examples:\n"
"  kscope profile -d 10                       # whole system, 10 s\n"
"  kscope profile -p 1234 -F 999 -d 5         # one process, finer\n"
"  kscope profile -d 30 -o cpu.svg             # flame graph directly\n"
"  kscope profile -d 30 -o cpu.pb.gz && go tool pprof -top cpu.pb.gz\n"
"  kscope profile -d 30 -f folded -o out.folded && kscope flame out.folded -o out.svg\n");
}
KS_COMMAND(profile, 10, "Sample on-CPU stacks (CPU profiler, flame graph input)",
	   cmd_profile, usage);

static int cmd_profile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "frequency", required_argument, NULL, 'F' },
		{ "duration", required_argument, NULL, 'd' },
		{ "user-only", no_argument, NULL, 'U' },
		{ "kernel-only", no_argument, NULL, 'K' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "unwind", required_argument, NULL, 'w' },
		{ "per-thread", no_argument, NULL, 'T' },
		{ "top", required_argument, NULL, 't' },
		{ "capture", required_argument, NULL, 'i' },
		{ "from", required_argument, NULL, 'a' },
		{ "to", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct ks_cmd *cmd = ks_cmd_find("profile");
	struct ks_profiler_opts po = { .sz = sizeof(po), .freq = 99 };
	struct ks_output out = {};
	struct ks_profiler *prof = NULL;
	struct ks_profile *p = NULL;
	__u32 pids[KS_MAX_PIDS];
	const char *output = NULL;
	unsigned long v, top = 20;
	double duration = 0, elapsed;
	const char *format = NULL, *capture = NULL;
	double from = 0, to = -1;
	struct ks_model *m = NULL;
	uint64_t t0, start_ns = ks_now_ns();
	bool timing = getenv("KSCOPE_TIMING");
	int c, n, fmt, ret = KS_EXIT_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:F:d:UKf:o:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			n = ks_parse_pids(optarg, pids, KS_MAX_PIDS);
			if (n < 0)
				return n == -EINVAL ? KS_EXIT_USAGE : KS_EXIT_FAIL;
			po.pids = pids;
			po.npids = n;
			break;
		case 'F':
			if (ks_parse_uint(optarg, "frequency", 1, 10000, &v))
				return KS_EXIT_USAGE;
			po.freq = v;
			break;
		case 'd':
			if (ks_parse_seconds(optarg, "duration", &duration))
				return KS_EXIT_USAGE;
			break;
		case 'U':
			po.no_kernel = true;
			break;
		case 'K':
			po.no_user = true;
			break;
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'w':
			if (!strcmp(optarg, "fp"))
				po.fp_only = true;
			else if (strcmp(optarg, "dwarf"))
				return ks_usage_error(cmd, "unknown unwind mode '%s'", optarg);
			break;
		case 'T':
			po.per_thread = true;
			break;
		case 't':
			if (ks_parse_uint(optarg, "--top", 1, 100000, &top))
				return KS_EXIT_USAGE;
			break;
		case 'i':
			capture = optarg;
			break;
		case 'a':
		case 'b':
			if (ks_parse_seconds(optarg, c == 'a' ? "--from" : "--to",
					     c == 'a' ? &from : &to))
				return KS_EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return ks_usage_error(cmd, "invalid option");
		}
	}
	if (optind < argc)
		return ks_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (po.no_user && po.no_kernel)
		return ks_usage_error(cmd, "-U and -K exclude each other");
	/* text unless --format or the output's extension says otherwise */
	if (format && !strcmp(format, "text"))
		fmt = -ENOENT;
	else
		fmt = ks_export_resolve(format, output);
	if (fmt == -EINVAL)
		return ks_usage_error(cmd, "unknown format '%s'", format);

	if (capture) {
		if (po.npids || duration)
			return ks_usage_error(cmd, "-i CAPTURE replays a recording: no -p or -d");
		m = ks_model__new();
		if (!m || ks_capture_load(capture, from, to, m, NULL) < 0)
			goto cleanup;
		p = m->oncpu;
		m->oncpu = NULL;
		if (!p) {
			ks_err("%s: the capture holds no on-CPU stacks (recorded without "
			       "the profile collector?)", capture);
			goto cleanup;
		}
		if (output && ks_output_open(&out, output))
			goto cleanup;
	} else {
		ks_setup_signals();
		prof = ks_profiler__open(&po);
		if (!prof)
			return KS_EXIT_FAIL;
		p = ks_profile__new("samples");
		if (!p)
			goto cleanup;
		if (output && ks_output_open(&out, output))
			goto cleanup;

		if (!output || strcmp(output, "-"))
			fprintf(stderr, "Sampling %s at %u Hz on every CPU%s... Hit Ctrl-C to end.\n",
				po.npids ? "the given processes" : "all processes", po.freq,
				duration ? "" : "");
		t0 = ks_now_ns();
		if (timing)
			fprintf(stderr, "kscope: attached after %.1f ms\n", (t0 - start_ns) / 1e6);
		while (!ks_exiting) {
			if (timing && ks_profiler__samples(prof)) {
				fprintf(stderr, "kscope: first sample after %.1f ms\n",
					(ks_now_ns() - start_ns) / 1e6);
				timing = false;
			}
			elapsed = (ks_now_ns() - t0) / 1e9;
			if (duration && elapsed >= duration)
				break;
			if (ks_profiler__poll(prof, timing ? 1 : 100) < 0)
				break;
			if (po.npids && !ks_pids_alive(pids, po.npids)) {
				fprintf(stderr, "kscope: all target processes exited\n");
				break;
			}
		}
		p->duration_s = (ks_now_ns() - t0) / 1e9;
		if (ks_profiler__read(prof, p))
			goto cleanup;
	}
	ks_profile__sort(p);

	if (!out.f)
		out.f = stdout;
	if (fmt >= 0) {
		struct ks_export_opts eo = { .sz = sizeof(eo), .title = "CPU profile" };

		if (ks_export(out.f, p, fmt, &eo)) {
			ks_err("cannot write the %s output", ks_export_fmt_name(fmt));
			goto cleanup;
		}
		ks_accounting_print(stderr, p);
	} else {
		fprintf(out.f, "Profile: %.1f s, %s at %llu Hz%s\n\n", p->duration_s,
			prof ? ks_profiler__event(prof) : capture, (unsigned long long)p->hz,
			ks_exiting ? " (interrupted)" : "");
		ks_profile_print_text(out.f, p, top, top);
		fputc('\n', out.f);
		ks_accounting_print(out.f, p);
	}
	if (ks_verbose && prof)
		fprintf(stderr, "symbol tables: %zu KiB\n",
			ks_symbolizer__memory(ks_profiler__symbolizer(prof)) / 1024);
	ret = 0;
cleanup:
	if (output && ks_output_close(&out, ret == 0))
		ret = KS_EXIT_FAIL;
	ks_profile__free(p);
	ks_profiler__free(prof);
	ks_model__free(m);
	return ret;
}
