// SPDX-License-Identifier: GPL-2.0
/* kscope biolat: block I/O latency per device (queued / device), process and direction. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ks_biolat.h"
#include "ks_collect.h"
#include "ks_hist.h"
#include "ks_model.h"
#include "ks_util.h"

static int cmd_biolat(int argc, char **argv);
static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope biolat [-p PID[,PID]] [--cgroup PATH] [-d SECS] [-i SECS]\n"
"                     [-m] [--top N] [--json] [-o FILE]\n\n"
"Block I/O latency per device, split into queued time (block_rq_insert ->\n"
"block_rq_issue) and device time (issue -> block_rq_complete), as log2\n"
"histograms with p50/p90/p99/max; reads and writes, request sizes; and per\n"
"process (the task that queued the request), device and direction.\n"
"Requests dispatched without an insert (no scheduler queue) have no queued\n"
"time: they are counted and reported, never shown as zero.\n\n"
KS_COLLECT_USAGE
"  -m, --milliseconds   histogram rows in msecs\n"
"      --top N          rows in the per-process table (default 10)\n\n"
"Examples:\n"
"  kscope biolat -d 10                   # all disks, 10 s\n"
"  kscope biolat -p 1234 -i 1            # one process's I/O, every second\n"
"  kscope biolat -d 5 --json -o io.json\n");
}
KS_COMMAND(biolat, 40, "Block I/O latency per device (queued/device), process, direction",
	   cmd_biolat, usage);

enum { OPT_TOP = 0x2000 };
static const char *const opname[] = { "read", "write", "flush" };

struct bopts {
	struct ks_collect_opts co;
	unsigned long top;
	bool ms;
	struct ks_biolat *c;
};

static int cmp_row(const void *a, const void *b)
{
	const struct ks_bio_row *x = a, *y = b;

	return x->lat.sum_ns < y->lat.sum_ns ? 1 : x->lat.sum_ns > y->lat.sum_ns ? -1 :
	       (int)x->tgid - (int)y->tgid;
}

static const char *dev_name(const struct ks_model *m, uint32_t dev, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < m->ndisks; i++)
		if (m->disks[i].dev == dev)
			return m->disks[i].name;
	snprintf(buf, len, "%u:%u", dev >> 20, dev & 0xfffff);
	return buf;
}

static int print_text(void *ctx, FILE *f, struct ks_model *m, double secs)
{
	const struct bopts *o = ctx;
	struct ks_biolat *c = o->c;
	struct ks_bio_row *rows;
	char title[160], nb[32], b[3][32];
	size_t i, n;

	fprintf(f, "Block I/O latency, %.1f s (%s)%s\n", secs, ks_biolat__attach_kind(c),
		ks_exiting ? " (interrupted)" : "");
	if (!m->ndisks)
		fprintf(f, "  (no requests completed)\n");
	for (i = 0; i < m->ndisks; i++) {
		const struct ks_disk_row *d = &m->disks[i];

		fprintf(f, "\ndisk %s (%u:%u): %llu reads (%.1f KiB), %llu writes (%.1f KiB), "
			"%llu requests, size p50 %.1f KiB max %.1f KiB\n", d->name, d->dev >> 20,
			d->dev & 0xfffff, (unsigned long long)d->reads, d->read_bytes / 1024.0,
			(unsigned long long)d->writes, d->write_bytes / 1024.0,
			(unsigned long long)d->device.count, ks_hist_pct(&d->size, 50) / 1024,
			d->size.max_ns / 1024.0);
		snprintf(title, sizeof(title), "%s queued (insert -> issue):", d->name);
		ks_hist_print(f, &d->queued, title, o->ms);
		snprintf(title, sizeof(title), "%s device (issue -> complete):", d->name);
		ks_hist_print(f, &d->device, title, o->ms);
	}
	rows = (struct ks_bio_row *)ks_biolat__rows(c, &n);
	if (n)
		qsort(rows, n, sizeof(*rows), cmp_row);
	if (n)
		fprintf(f, "\n%7s %-16s %-10s %-5s %8s %10s %10s %10s %10s\n", "PID", "COMM",
			"DISK", "DIR", "OPS", "KiB", "AVG_us", "P99_us", "MAX_us");
	for (i = 0; i < n && i < o->top; i++) {
		const struct ks_bio_row *r = &rows[i];

		snprintf(b[0], 32, "%.1f", r->lat.count ? r->lat.sum_ns / 1e3 / r->lat.count : 0);
		snprintf(b[1], 32, "%.1f", ks_hist_pct(&r->lat, 99) / 1e3);
		snprintf(b[2], 32, "%.1f", r->lat.max_ns / 1e3);
		fprintf(f, "%7u %-16s %-10s %-5s %8llu %10.1f %10s %10s %10s\n", r->tgid, r->comm,
			dev_name(m, r->dev, nb, sizeof(nb)), opname[r->op % 3],
			(unsigned long long)r->lat.count, r->bytes / 1024.0, b[0], b[1], b[2]);
	}
	ks_collect_gaps_text(f, m);
	return 0;
}

static int print_json(void *ctx, FILE *f, struct ks_model *m, double secs)
{
	const struct bopts *o = ctx;
	struct ks_biolat *c = o->c;
	struct ks_bio_row *rows;
	char nb[32];
	size_t i, n;

	fprintf(f, "{\"command\":\"biolat\",\"duration_s\":%.3f,\"attach\":\"%s\","
		"\"interrupted\":%s,\"disks\":[", secs, ks_biolat__attach_kind(c),
		ks_exiting ? "true" : "false");
	for (i = 0; i < m->ndisks; i++) {
		const struct ks_disk_row *d = &m->disks[i];

		fprintf(f, "%s{\"name\":", i ? "," : "");
		ks_json_str(f, d->name);
		fprintf(f, ",\"major\":%u,\"minor\":%u,\"requests\":%llu,\"reads\":%llu,"
			"\"writes\":%llu,\"read_bytes\":%llu,\"write_bytes\":%llu,"
			"\"size_bytes\":{\"p50\":%.0f,\"max\":%llu},\"queued\":",
			d->dev >> 20, d->dev & 0xfffff, (unsigned long long)d->device.count,
			(unsigned long long)d->reads, (unsigned long long)d->writes,
			(unsigned long long)d->read_bytes, (unsigned long long)d->write_bytes,
			ks_hist_pct(&d->size, 50), (unsigned long long)d->size.max_ns);
		ks_hist_json(f, &d->queued);
		fprintf(f, ",\"device\":");
		ks_hist_json(f, &d->device);
		fputc('}', f);
	}
	fprintf(f, "],\"processes\":[");
	rows = (struct ks_bio_row *)ks_biolat__rows(c, &n);
	if (n)
		qsort(rows, n, sizeof(*rows), cmp_row);
	for (i = 0; i < n && i < o->top; i++) {
		fprintf(f, "%s{\"pid\":%u,\"comm\":", i ? "," : "", rows[i].tgid);
		ks_json_str(f, rows[i].comm);
		fprintf(f, ",\"disk\":");
		ks_json_str(f, dev_name(m, rows[i].dev, nb, sizeof(nb)));
		fprintf(f, ",\"dir\":\"%s\",\"ops\":%llu,\"bytes\":%llu,\"lat\":",
			opname[rows[i].op % 3], (unsigned long long)rows[i].lat.count,
			(unsigned long long)rows[i].bytes);
		ks_hist_json(f, &rows[i].lat);
		fputc('}', f);
	}
	fputc(']', f);
	ks_collect_gaps_json(f, m);
	fprintf(f, "}\n");
	return 0;
}

static int read_maps(void *ctx, struct ks_model *m, double secs)
{
	return ks_biolat__read(((struct bopts *)ctx)->c, m);
}

static int cmd_biolat(int argc, char **argv)
{
	static const struct option opts[] = {
		KS_COLLECT_LONGOPTS,
		{ "milliseconds", no_argument, NULL, 'm' },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct ks_cmd *cmd = ks_cmd_find("biolat");
	struct bopts o = { .co.sz = sizeof(o.co), .top = 10 };
	struct ks_biolat_opts bo = { .sz = sizeof(bo) };
	int ch, rc, ret;

	optind = 1;
	while ((ch = ks_cmd_getopt(cmd, argc, argv, KS_COLLECT_SHORTOPTS "mh", opts, &o.co,
				   &rc)) != -1) {
		switch (ch) {
		case 'm':
			o.ms = true;
			break;
		case OPT_TOP:
			if (ks_parse_uint(optarg, "--top", 1, 1000000, &o.top))
				return KS_EXIT_USAGE;
			break;
		default:
			return ks_usage_error(cmd, "invalid option");
		}
	}
	if (rc >= 0)
		return rc;
	if (o.co.threads)
		return ks_usage_error(cmd, "-T is not supported: I/O rows are per process");
	if (ks_collect_finish(&o.co))
		return KS_EXIT_FAIL;
	bo.pids = o.co.pids;
	bo.npids = o.co.npids;
	bo.cgroup_id = o.co.cgroup_id;

	ks_setup_signals();
	o.c = ks_biolat__open(&bo);
	if (!o.c)
		return KS_EXIT_FAIL;
	ret = ks_collect_run(&(struct ks_collect_cmd){
		.co = &o.co, .name = "biolat", .tracing = "block I/O",
		.blank_between = true, .read = read_maps, .print_text = print_text,
		.print_json = print_json, .ctx = &o,
	});
	ks_biolat__free(o.c);
	return ret;
}
