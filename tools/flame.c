// SPDX-License-Identifier: GPL-2.0
/* kscope flame: folded stacks in, flame graph (or another export format) out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ks_capture.h"
#include "ks_export.h"
#include "ks_model.h"
#include "ks_util.h"

static int cmd_flame(int argc, char **argv);
static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope flame [INPUT] [-o OUTPUT] [--format FMT] [--title T] [--width PX]\n"
"                    [--minwidth PCT] [--inverted] [--hash] [--diff BASE [--negate]]\n"
"       kscope flame -i CAPTURE [--stacks oncpu|offcpu|locks] [--from S] [--to S] ...\n\n"
"Render folded stacks (kscope's, perf script | stackcollapse, bpftrace, any\n"
"flamegraph.pl or inferno input; '-' or nothing reads stdin) as an interactive\n"
"flame graph, or convert them to another format.\n\n"
"  -o, --output FILE    write there (default stdout); without --format the format\n"
"                       follows the extension: .svg .html .pb.gz .speedscope.json\n"
"                       .json .folded (anything else: svg)\n"
"  -f, --format FMT     svg (default), html (flame graph + sortable function\n"
"                       table), pprof (gzipped profile.proto), speedscope, json\n"
"                       (docs/formats.md), folded\n"
"      --title TEXT     the graph's title\n"
"      --subtitle TEXT  a second line\n"
"      --width PX       image width (default 1200)\n"
"      --minwidth PCT   frames narrower than PCT%% of the total are merged into one\n"
"                       grey remainder box per parent, never dropped (default 0.01,\n"
"                       raised as needed to keep the graph under 30000 frames, which\n"
"                       browsers draw in about a second; 0 draws every frame)\n"
"      --inverted       icicle graph: roots at the top\n"
"      --hash           colour by function name, stable across graphs (default:\n"
"                       shades vary by position; hue always tells the frame kind:\n"
"                       red user, orange kernel, green JIT, aqua inlined, blue off-CPU)\n"
"      --diff BASE      differential graph of INPUT against the folded file BASE:\n"
"                       shares normalized to each total; red grew, blue shrank\n"
"      --negate         with --diff: widths from BASE (shows what disappeared)\n"
"  -i, --capture FILE   read the stacks of a `kscope record` capture instead\n"
"      --stacks WHICH   oncpu (default), offcpu (us) or locks (us)\n"
"      --from S, --to S only the intervals starting S seconds after the first\n\n"
"In the SVG: click a frame to zoom, 'Reset Zoom' or Escape to go back, 'Search'\n"
"or Ctrl-F for a regular expression (the share it matches is shown). Names cut\n"
"to fit end in '..'; the tooltip has the full name.\n\n"
"Examples:\n"
"  kscope profile -d 10 -f folded -o cpu.folded && kscope flame cpu.folded -o cpu.svg\n"
"  kscope flame cpu.folded -o cpu.html --hash\n"
"  kscope flame after.folded --diff before.folded -o diff.svg\n"
"  perf script | stackcollapse-perf.pl | kscope flame - -o perf.svg\n"
"  kscope flame cpu.folded -o cpu.pb.gz && go tool pprof -top cpu.pb.gz\n"
"  kscope flame -i run.kscap --stacks offcpu --from 10 --to 20 -o off.svg\n");
}
KS_COMMAND(flame, 40, "Flame graphs (SVG/HTML) and pprof/speedscope/JSON from folded stacks",
	   cmd_flame, usage);

static int read_input(struct ks_stackset *s, const char *path, bool as_base)
{
	FILE *f = stdin;
	int err;

	if (path && strcmp(path, "-")) {
		f = fopen(path, "r");
		if (!f) {
			ks_err("cannot open '%s': %s", path, strerror(errno));
			return -errno;
		}
	}
	err = ks_stackset__read_folded(s, f, path && strcmp(path, "-") ? path : "<stdin>", as_base);
	if (f != stdin)
		fclose(f);
	return err;
}

static int cmd_flame(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "title", required_argument, NULL, 'T' },
		{ "subtitle", required_argument, NULL, 'S' },
		{ "width", required_argument, NULL, 'w' },
		{ "minwidth", required_argument, NULL, 'm' },
		{ "inverted", no_argument, NULL, 'I' },
		{ "capture", required_argument, NULL, 'i' },
		{ "stacks", required_argument, NULL, 'k' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 't' },
		{ "hash", no_argument, NULL, 'H' },
		{ "diff", required_argument, NULL, 'd' },
		{ "negate", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct ks_cmd *cmd = ks_cmd_find("flame");
	struct ks_export_opts eo = { .sz = sizeof(eo) };
	const char *output = NULL, *input = NULL, *base = NULL, *format = NULL;
	struct ks_output out = {};
	struct ks_stackset *s = NULL;
	int fmt = -1, c, err, ret = KS_EXIT_FAIL;
	const char *capture = NULL, *which = "oncpu";
	double from = 0, to = -1, v2;
	struct ks_model *m = NULL;
	unsigned long v;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'f':
			format = optarg;
			if (ks_export_resolve(format, NULL) < 0)
				return ks_usage_error(cmd, "unknown format '%s'", optarg);
			break;
		case 'T':
			eo.title = optarg;
			break;
		case 'S':
			eo.subtitle = optarg;
			break;
		case 'w':
			if (ks_parse_uint(optarg, "--width", 200, 100000, &v))
				return KS_EXIT_USAGE;
			eo.width = v;
			break;
		case 'm':
			errno = 0;
			eo.minwidth_pct = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(eo.minwidth_pct >= 0) ||
			    eo.minwidth_pct > 100)
				return ks_usage_error(cmd, "invalid --minwidth '%s': a percentage "
						      "from 0 to 100", optarg);
			if (eo.minwidth_pct == 0)
				eo.minwidth_pct = 1e-12;	/* every non-empty frame */
			break;
		case 'I':
			eo.inverted = true;
			break;
		case 'i':
			capture = optarg;
			break;
		case 'k':
			if (strcmp(optarg, "oncpu") && strcmp(optarg, "offcpu") &&
			    strcmp(optarg, "locks"))
				return ks_usage_error(cmd, "--stacks takes oncpu, offcpu or locks");
			which = optarg;
			break;
		case 'F':
		case 't':
			errno = 0;
			v2 = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(v2 >= 0))
				return ks_usage_error(cmd, "invalid time '%s': seconds >= 0", optarg);
			if (c == 'F')
				from = v2;
			else
				to = v2;
			break;
		case 'H':
			eo.hash = true;
			break;
		case 'd':
			base = optarg;
			break;
		case 'n':
			eo.negate = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return ks_usage_error(cmd, "invalid option");
		}
	}
	if (optind < argc)
		input = argv[optind++];
	if (optind < argc)
		return ks_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (capture && input)
		return ks_usage_error(cmd, "give either INPUT or -i CAPTURE");
	if (eo.negate && !base)
		return ks_usage_error(cmd, "--negate needs --diff BASE");
	/* --format, else the output's extension, else SVG */
	fmt = ks_export_resolve(format, output);
	if (fmt < 0)
		fmt = KS_EXPORT_SVG;
	if (base && input && !strcmp(base, input) && !strcmp(base, "-"))
		return ks_usage_error(cmd, "INPUT and BASE cannot both be stdin");

	s = ks_stackset__new("samples");
	if (!s) {
		ks_err("out of memory");
		return KS_EXIT_FAIL;
	}
	if (capture) {
		const struct ks_profile *p;

		m = ks_model__new();
		if (!m || ks_capture_load(capture, from, to, m, NULL) < 0)
			goto cleanup;
		p = !strcmp(which, "offcpu") ? m->offcpu : !strcmp(which, "locks") ? m->locks :
		    m->oncpu;
		if (!p) {
			ks_err("%s: the capture holds no %s stacks (recorded without that "
			       "collector?)", capture, which);
			goto cleanup;
		}
		if (ks_stackset__add_profile(s, p, false))
			goto cleanup;
	} else if (read_input(s, input, false)) {
		goto cleanup;
	}
	if (base && read_input(s, base, true))
		goto cleanup;
	if (!ks_stackset__total(s, false) && !ks_stackset__total(s, true))
		ks_warn("%s: no stacks with a count",
			input && strcmp(input, "-") ? input : "<stdin>");
	if (output && ks_output_open(&out, output))
		goto cleanup;
	err = ks_stackset__export(out.f ? out.f : stdout, s, fmt, &eo);
	if (err) {
		ks_err("writing %s: %s", output ? output : "<stdout>", strerror(-err));
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (output && out.f && ks_output_close(&out, ret == 0))
		ret = KS_EXIT_FAIL;
	ks_stackset__free(s);
	ks_model__free(m);
	return ret;
}
