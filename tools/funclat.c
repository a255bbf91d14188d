// SPDX-License-Identifier: GPL-2.0
/* kscope funclat: latency histograms of user functions (uprobe + uretprobe). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "funclat.h"
#include "ks_hist.h"
#include "ks_util.h"

static int cmd_funclat(int argc, char **argv);
static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope funclat TARGET:FUNC[,FUNC...] [-p PID] [-d SECONDS] [-i SECONDS]\n"
"                      [--count] [-m] [--json] [-o FILE]\n\n"
"Latency of user-space functions, per function and process: a uprobe at entry\n"
"and a uretprobe at return, aggregated in the kernel into log2 histograms\n"
"(p50/p90/p99/max) with exact call counts (counted at entry). Recursion and\n"
"nesting are timed per call; calls whose return was never seen (longjmp,\n"
"exceptions) are counted and reported, not mixed in. CALLS counts entries,\n"
"TIMED the returns seen: a call still running when the run ends is counted,\n"
"not timed. 'lost:' lines say what the kernel side could not record.\n"
"kscope's own calls are not counted.\n\n"
"  TARGET          a path, a program in $PATH, or a library name: 'libc',\n"
"                  'pthread', 'libssl.so.3' (looked up in the maps of -p PID,\n"
"                  then ldconfig -p and the standard library directories)\n"
"  FUNC            a function name or a glob ('pthread_mutex_*'), matched\n"
"                  against .symtab, .dynsym and the installed debug symbols\n"
"                  (/usr/lib/debug/.build-id); aliases are probed once.\n"
"                  C++: the mangled or the demangled name, with or without\n"
"                  parameters ('ns::Class::method*', 'f(int)')\n"
"  -p, --pid PID   only these processes (comma list); ends when they exit.\n"
"                  Default: every process that runs TARGET's code\n"
"  -d, --duration S  stop after S seconds (default: until Ctrl-C)\n"
"  -i, --interval S  print (and restart) every S seconds\n"
"  -c, --count     count calls only, no timing (cheaper: no uretprobe)\n"
"  -m, --ms        histograms in milliseconds\n"
"  -j, --json      JSON, one object per interval (histograms as ks_hist_json)\n"
"  -o, --output F  write to F (F.incomplete until done)\n\n"
"Examples:\n"
"  kscope funclat libc:malloc,free -p 1234 -d 10\n"
"  kscope funclat 'libc:pthread_mutex_*' -i 1\n"
"  kscope funclat ./server:handle_request --json -o lat.json\n"
"  kscope funclat --count 'bash:readline'\n"
"  kscope funclat './server:Server::handle*' -i 1\n");
}
KS_COMMAND(funclat, 40, "Latency histograms of user functions (uprobes)", cmd_funclat, usage);

static const char *const ctr_keys[KS_FL_CTR__COUNT] = {
	[KS_FL_MAP_FULL] = "map_full",
	[KS_FL_NO_STORAGE] = "no_task_storage",
	[KS_FL_NO_ENTRY] = "return_without_entry",
	[KS_FL_SKIPPED_RET] = "skipped_return",
	[KS_FL_OPEN_FULL] = "begin_map_full",
	[KS_FL_END_NO_BEGIN] = "end_without_begin",
	[KS_FL_UNKNOWN_IP] = "unknown_address",
};

struct run {
	enum ks_fl_mode mode;
	const char *spec;
	bool json, ms, count_only, interval_mode;
	FILE *f;
	double t0;
	struct ks_funclat_result totals;
};

static int cmp_row(const void *a, const void *b)
{
	const struct ks_funclat_row *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void print_row(struct run *r, const struct ks_funclat_row *w)
{
	char b[4][32], pid[16];

	if (w->pid)
		snprintf(pid, sizeof(pid), "%u", w->pid);
	else
		snprintf(pid, sizeof(pid), "-");
	fprintf(r->f, "%-28s %8s %-16s %10llu", w->name, pid, w->comm,
		(unsigned long long)w->calls);
	if (w->timed && w->lat.count)
		fprintf(r->f, " %10llu %10s %10s %10s %10s",
			(unsigned long long)w->lat.count,
			ks_fmt_ns(ks_hist_pct(&w->lat, 50), b[0], 32),
			ks_fmt_ns(ks_hist_pct(&w->lat, 90), b[1], 32),
			ks_fmt_ns(ks_hist_pct(&w->lat, 99), b[2], 32),
			ks_fmt_ns(w->lat.max_ns, b[3], 32));
	else if (w->timed)
		fprintf(r->f, " %10d %10s %10s %10s %10s", 0, "-", "-", "-", "-");
	if (w->unmatched || w->untimed)
		fprintf(r->f, "  (%llu without return, %llu untimed)",
			(unsigned long long)w->unmatched, (unsigned long long)w->untimed);
	fputc('\n', r->f);
}

static void print_text(struct run *r, struct ks_funclat *fl, struct ks_funclat_result *res)
{
	const char *what = r->mode == KS_FL_MODE_USDT ? "PROBE" : "FUNCTION";
	bool any_drop = false;
	char title[256];
	size_t i;
	int c;

	if (r->interval_mode) {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(title, sizeof(title), "%H:%M:%S", &tm);
		fprintf(r->f, "\n%s\n", title);
	}
	for (i = 0; i < res->n; i++) {
		const struct ks_funclat_row *w = &res->rows[i];

		if (!w->timed || !w->lat.count)
			continue;
		snprintf(title, sizeof(title), "\n%s  [pid %u %s]", w->name, w->pid, w->comm);
		ks_hist_print(r->f, &w->lat, title, r->ms);
	}
	fprintf(r->f, "\n%-28s %8s %-16s %10s", what, "PID", "COMM",
		r->mode == KS_FL_MODE_USDT ? "HITS" : "CALLS");
	if (!r->count_only)
		fprintf(r->f, " %10s %10s %10s %10s %10s", "TIMED", "p50", "p90", "p99", "max");
	fputc('\n', r->f);
	for (i = 0; i < res->n; i++)
		print_row(r, &res->rows[i]);
	if (!res->n)
		fprintf(r->f, "(no calls seen)\n");
	/* Several processes: a total per probe under them. */
	if (res->n > 1 && !ks_funclat_result__totals(res, &r->totals) && r->totals.n < res->n)
		for (i = 0; i < r->totals.n; i++)
			print_row(r, &r->totals.rows[i]);
	for (c = 0; c < KS_FL_CTR__COUNT; c++) {
		if (!res->drops[c])
			continue;
		fprintf(r->f, "lost: %llu %s\n", (unsigned long long)res->drops[c],
			ks_fl_counter_name(c));
		any_drop = true;
	}
	if (!any_drop)
		fprintf(r->f, "lost: none\n");
	if (*ks_funclat__notes(fl))
		fprintf(r->f, "note: %s\n", ks_funclat__notes(fl));
}

static void json_rows(struct run *r, const struct ks_funclat_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		const struct ks_funclat_row *w = &res->rows[i];

		fprintf(r->f, "%s{\"name\":", i ? "," : "");
		ks_json_str(r->f, w->name);
		fprintf(r->f, ",\"pid\":%u,\"comm\":", w->pid);
		ks_json_str(r->f, w->comm);
		fprintf(r->f, ",\"calls\":%llu,\"unmatched\":%llu,\"untimed\":%llu",
			(unsigned long long)w->calls, (unsigned long long)w->unmatched,
			(unsigned long long)w->untimed);
		if (w->timed) {
			fprintf(r->f, ",\"latency\":");
			ks_hist_json(r->f, &w->lat);
		}
		fputc('}', r->f);
	}
}

static void print_json(struct run *r, struct ks_funclat *fl, struct ks_funclat_result *res)
{
	int c;

	fprintf(r->f, "{\"command\":\"%s\",\"probe\":", r->mode == KS_FL_MODE_USDT ?
		"usdt" : "funclat");
	ks_json_str(r->f, r->spec);
	fprintf(r->f, ",\"target\":");
	ks_json_str(r->f, ks_funclat__target(fl));
	fprintf(r->f, ",\"timed\":%s,\"interval\":{\"start_s\":%.3f,\"duration_s\":%.3f},"
		"\"rows\":[", r->count_only ? "false" : "true",
		res->t_start_ns / 1e9 - r->t0, (res->t_end_ns - res->t_start_ns) / 1e9);
	json_rows(r, res);
	if (!ks_funclat_result__totals(res, &r->totals)) {
		fprintf(r->f, "],\"totals\":[");
		json_rows(r, &r->totals);
	}
	fprintf(r->f, "],\"lost\":{");
	for (c = 0; c < KS_FL_CTR__COUNT; c++)
		fprintf(r->f, "%s\"%s\":%llu", c ? "," : "", ctr_keys[c],
			(unsigned long long)res->drops[c]);
	fprintf(r->f, "},\"notes\":");
	ks_json_str(r->f, ks_funclat__notes(fl));
	fprintf(r->f, "}\n");
}

static int report(struct run *r, struct ks_funclat *fl, struct ks_funclat_result *res)
{
	int err = ks_funclat__read(fl, res);

	if (err) {
		ks_err("cannot read the probes' maps: %s", strerror(-err));
		return err;
	}
	if (res->n)
		qsort(res->rows, res->n, sizeof(*res->rows), cmp_row);
	if (r->json)
		print_json(r, fl, res);
	else
		print_text(r, fl, res);
	fflush(r->f);
	return 0;
}

int ks_funclat_main(const struct ks_cmd *cmd, enum ks_fl_mode mode, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", no_argument, NULL, 'c' },
		{ "ms", no_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct ks_funclat_opts fo = { .sz = sizeof(fo), .mode = mode };
	struct ks_funclat_result res = {};
	struct ks_output out = {};
	struct ks_funclat *fl = NULL;
	struct run r = { .mode = mode };
	__u32 pids[KS_MAX_PIDS];
	double duration = 0, interval = 0, next, end;
	const char *outpath = NULL;
	int c, npids = 0, ret = KS_EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "p:d:i:cmjo:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			npids = ks_parse_pids(optarg, pids, KS_MAX_PIDS);
			if (npids < 0)
				return KS_EXIT_FAIL;
			break;
		case 'd':
			if (ks_parse_seconds(optarg, "duration", &duration))
				return KS_EXIT_USAGE;
			break;
		case 'i':
			if (ks_parse_seconds(optarg, "interval", &interval))
				return KS_EXIT_USAGE;
			break;
		case 'c':
			if (mode == KS_FL_MODE_USDT)
				return ks_usage_error(cmd, "--count is for functions "
						      "(USDT probes are always counted)");
			r.count_only = true;
			break;
		case 'm':
			r.ms = true;
			break;
		case 'j':
			r.json = true;
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'h':
			cmd->usage(stdout);
			return 0;
		default:
			return ks_usage_error(cmd, "unknown option");
		}
	}
	if (optind >= argc)
		return ks_usage_error(cmd, "missing %s", mode == KS_FL_MODE_USDT ?
				      "BINARY:PROVIDER:NAME" : "TARGET:FUNC");
	if (optind + 1 < argc)
		return ks_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
	r.spec = fo.spec = argv[optind];
	fo.pids = npids ? pids : NULL;
	fo.npids = npids;
	fo.count_only = r.count_only;
	r.interval_mode = interval > 0;

	if (ks_bpf_prepare())
		return KS_EXIT_FAIL;
	ks_setup_signals();
	r.t0 = ks_now_ns() / 1e9;
	fl = ks_funclat__open(&fo);
	if (!fl)
		return KS_EXIT_FAIL;
	if (ks_output_open(&out, outpath))
		goto cleanup;
	r.f = out.f;
	if (mode == KS_FL_MODE_USDT)
		r.count_only = strchr(strrchr(r.spec, ':'), ',') == NULL;
	fprintf(stderr, "Tracing %s%s... Hit Ctrl-C to end.\n", ks_funclat__describe(fl),
		npids ? "" : ", all processes");
	if (*ks_funclat__notes(fl))
		ks_warn("%s", ks_funclat__notes(fl));

	end = duration > 0 ? ks_now_ns() / 1e9 + duration : 0;
	next = interval > 0 ? ks_now_ns() / 1e9 + interval : 0;
	while (!ks_exiting) {
		double now = ks_now_ns() / 1e9, wake = 0.2;

		if (end && now >= end)
			break;
		if (ks_funclat__done(fl)) {
			ks_info("every traced process has exited");
			break;
		}
		if (next && now >= next) {
			if (report(&r, fl, &res))
				goto cleanup;
			next += interval;
		}
		if (end && end - now < wake)
			wake = end - now;
		if (next && next - now < wake)
			wake = next - now;
		ks_sleep(wake > 0.001 ? wake : 0.001);
	}
	if (report(&r, fl, &res))
		goto cleanup;
	ret = 0;
cleanup:
	ks_funclat_result__free(&res);
	ks_funclat_result__free(&r.totals);
	ks_funclat__free(fl);
	if (ks_output_close(&out, ret == 0) && !ret)
		ret = KS_EXIT_FAIL;
	return ret;
}

static int cmd_funclat(int argc, char **argv)
{
	return ks_funclat_main(ks_cmd_find("funclat"), KS_FL_MODE_FUNC, argc, argv);
}
