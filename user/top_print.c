// SPDX-License-Identifier: GPL-2.0
/*
 * Batch output of the top view (kscope top -b): the same columns as the
 * screen, for scripts and non-terminals. One print path per format. An
 * unavailable signal is "n/a" (text, CSV) or null (JSON), never 0.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "ks_top.h"
#include "ks_util.h"

/* The collector-backed numeric value of column @c, NAN when n/a. */
static double num(const struct ks_top *t, const struct ks_top_row *r, enum ks_top_col c)
{
	if (!ks_top_col_available(t, c))
		return NAN;
	switch (c) {
	case KS_COL_CPU:	return r->cpu_pct;
	case KS_COL_RUNQ_AVG:	return r->runq_avg_ms * 1000;	/* us in batch output */
	case KS_COL_RUNQ_P99:	return r->runq_p99_ms * 1000;
	case KS_COL_OFF:	return r->off_total_pct;
	case KS_COL_OFF_RUNQ:	return r->off_pct[KS_OFF_RUNQ];
	case KS_COL_OFF_IO:	return r->off_pct[KS_OFF_IO];
	case KS_COL_OFF_SLEEP:	return r->off_pct[KS_OFF_SLEEP];
	case KS_COL_OFF_LOCK:	return r->off_pct[KS_OFF_LOCK];
	case KS_COL_IO_P99:	return r->io_p99_ms * 1000;
	case KS_COL_SYSC:	return r->sysc_s;
	case KS_COL_FAULTS:	return r->faults_s;
	case KS_COL_CSW:	return r->csw_s;
	case KS_COL_RSS:	return (double)r->rss_kb;
	case KS_COL_THREADS:	return r->threads;
	default:		return NAN;
	}
}

static void text_val(FILE *f, const struct ks_top *t, const struct ks_top_row *r,
		     enum ks_top_col c, int w)
{
	double v = num(t, r, c);

	if (!ks_top_col_available(t, c))
		fprintf(f, " %*s", w, "n/a");
	else if (isnan(v))
		fprintf(f, " %*s", w, "-");
	else if (c == KS_COL_RSS || c == KS_COL_THREADS || c == KS_COL_SYSC ||
		 c == KS_COL_FAULTS || c == KS_COL_CSW || c == KS_COL_RUNQ_AVG ||
		 c == KS_COL_RUNQ_P99 || c == KS_COL_IO_P99)
		fprintf(f, " %*.0f", w, v);
	else
		fprintf(f, " %*.1f", w, v);
}

static const enum ks_top_col num_cols[] = {
	KS_COL_CPU, KS_COL_RUNQ_AVG, KS_COL_RUNQ_P99, KS_COL_OFF, KS_COL_OFF_RUNQ,
	KS_COL_OFF_IO, KS_COL_OFF_SLEEP, KS_COL_OFF_LOCK, KS_COL_IO_P99, KS_COL_SYSC,
	KS_COL_FAULTS, KS_COL_CSW, KS_COL_RSS, KS_COL_THREADS,
};

static void fmt_ms(char *buf, size_t n, double ms)
{
	if (isnan(ms))
		snprintf(buf, n, "n/a");
	else
		snprintf(buf, n, "%.2f ms", ms);
}

void ks_top__time_str(const struct ks_top *t, char *buf, size_t n, bool date)
{
	const struct ks_top_cursor *c = &t->cursor;
	time_t w = (time_t)t->wall;
	unsigned long off = (unsigned long)(c->offset_s + 0.5);
	struct tm tm;
	size_t k = 0;

	buf[0] = '\0';
	if (t->wall > 0 && localtime_r(&w, &tm))
		k = strftime(buf, n, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
	if (!c->replay || k >= n)
		return;
	if (off >= 3600)
		snprintf(buf + k, n - k, " +%lu:%02lu:%02lu [%zu/%zu]", off / 3600, off / 60 % 60,
			 off % 60, c->pos, c->count);
	else
		snprintf(buf + k, n - k, " +%02lu:%02lu [%zu/%zu]", off / 60, off % 60, c->pos,
			 c->count);
}

static void print_text(const struct ks_top *t, FILE *f, size_t max_rows)
{
	const struct ks_top_sys *y = &t->sys;
	char rq[32], io[32], when[64];
	size_t i, k;
	int c;

	fmt_ms(rq, sizeof(rq), y->runq_p99_ms);
	fmt_ms(io, sizeof(io), y->io_p99_ms);
	ks_top__time_str(t, when, sizeof(when), true);
	if (t->cursor.replay)
		fprintf(f, "REPLAY of %s, host %s, kernel %s%s\n", t->cursor.file, t->cursor.host,
			t->cursor.kernel, t->cursor.end ? " - end of capture" : "");
	fprintf(f, "kscope top - %s - %.2fs interval, %zu rows, load %.2f %.2f %.2f, cpu %.1f%%",
		when, t->interval_s, t->norder, y->load[0], y->load[1], y->load[2], y->cpu_pct[0]);
	for (c = 1; c <= y->ncpus && c <= 16; c++)
		fprintf(f, " cpu%d %.1f%%", c - 1, y->cpu_pct[c]);
	fprintf(f, "\nrunq p99 %s, disk p99 %s, lost %llu", rq, io, (unsigned long long)y->lost);
	if (!t->cursor.replay)		/* our own cost: live only */
		fprintf(f, ", kscope cpu %.2f%% bpf %.2f%%", y->self_cpu_pct, y->self_bpf_pct);
	fputc('\n', f);
	fprintf(f, "psi");
	for (c = 0; c < KS_PSI__COUNT; c++) {
		if (!y->psi[c].ok)
			fprintf(f, " %s n/a", ks_psi_name(c));
		else if (y->psi[c].has_full)
			fprintf(f, " %s some %.2f full %.2f", ks_psi_name(c), y->psi[c].some10,
				y->psi[c].full10);
		else
			fprintf(f, " %s some %.2f", ks_psi_name(c), y->psi[c].some10);
	}
	if (y->psi_reason[0])
		fprintf(f, " (%s)", y->psi_reason);
	fputc('\n', f);
	for (i = 0; i < y->ngaps; i++)
		fprintf(f, "n/a: %s: %s\n", y->gaps[i].signal, y->gaps[i].reason);
	fprintf(f, "%7s %-8s %s", "PID", "USER", "S");
	for (i = 0; i < ARRAY_SIZE(num_cols); i++)
		fprintf(f, " %7s", ks_top_col_name(num_cols[i]));
	fprintf(f, " %s\n", "COMMAND");
	for (k = 0; k < t->norder && k < max_rows; k++) {
		const struct ks_top_row *r = ks_top__row(t, k);

		fprintf(f, "%7u %-8.8s %c", r->pid, r->user, r->state ? r->state : '?');
		for (i = 0; i < ARRAY_SIZE(num_cols); i++)
			text_val(f, t, r, num_cols[i], 7);
		fprintf(f, " %*s%s%s\n", r->depth * 2, "", t->by_cgroup ? r->cgroup : r->comm,
			r->exited ? " (exited)" : "");
	}
	fputc('\n', f);
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fprintf(f, "null");
	else
		fprintf(f, "%.3f", v);
}

static void print_json(const struct ks_top *t, FILE *f, size_t max_rows)
{
	const struct ks_top_sys *y = &t->sys;
	size_t i, k;
	int c;

	fprintf(f, "{\"time\":");
	json_num(f, t->wall > 0 ? t->wall : NAN);
	if (t->cursor.replay) {
		const struct ks_top_cursor *rc = &t->cursor;

		fprintf(f, ",\"replay\":{\"file\":");
		ks_json_str(f, rc->file);
		fprintf(f, ",\"host\":");
		ks_json_str(f, rc->host);
		fprintf(f, ",\"kernel\":");
		ks_json_str(f, rc->kernel);
		fprintf(f, ",\"interval\":%zu,\"intervals\":%zu,\"offset_s\":%.3f,\"end\":%s}",
			rc->pos, rc->count, rc->offset_s, rc->end ? "true" : "false");
	}
	fprintf(f, ",\"interval_s\":%.3f,\"cpus\":[", t->interval_s);
	for (c = 1; c <= y->ncpus; c++) {
		fprintf(f, c > 1 ? "," : "");
		json_num(f, y->cpu_pct[c]);
	}
	fprintf(f, "],\"cpu_pct\":");
	json_num(f, y->cpu_pct[0]);
	fprintf(f, ",\"load\":[%.2f,%.2f,%.2f],\"psi\":{", y->load[0], y->load[1], y->load[2]);
	for (c = 0; c < KS_PSI__COUNT; c++) {
		fprintf(f, "%s\"%s\":", c ? "," : "", ks_psi_name(c));
		if (!y->psi[c].ok) {
			fprintf(f, "null");
			continue;
		}
		fprintf(f, "{\"some_avg10\":%.2f,\"full_avg10\":", y->psi[c].some10);
		json_num(f, y->psi[c].has_full ? y->psi[c].full10 : NAN);
		fputc('}', f);
	}
	fprintf(f, "},\"psi_unavailable\":");
	if (y->psi_reason[0])
		ks_json_str(f, y->psi_reason);
	else
		fprintf(f, "null");
	fprintf(f, ",\"runq_p99_us\":");
	json_num(f, y->runq_p99_ms * 1000);
	fprintf(f, ",\"disk_p99_us\":");
	json_num(f, y->io_p99_ms * 1000);
	fprintf(f, ",\"lost\":%llu,\"kscope_cpu_pct\":", (unsigned long long)y->lost);
	json_num(f, y->self_cpu_pct);
	fprintf(f, ",\"kscope_bpf_pct\":");
	json_num(f, y->self_bpf_pct);
	fprintf(f, ",\"kscope_bpf_runs\":%llu,\"kscope_bpf_progs\":%d,\"gaps\":",
		(unsigned long long)y->self_bpf_events, y->self_nprogs);
	ks_gaps_json(f, y->gaps, y->ngaps);
	fprintf(f, ",\"processes\":[");
	for (k = 0; k < t->norder && k < max_rows; k++) {
		const struct ks_top_row *r = ks_top__row(t, k);

		fprintf(f, "%s{\"pid\":%u,\"tgid\":%u,\"ppid\":%u,\"user\":", k ? "," : "", r->pid,
			r->tgid, r->ppid);
		ks_json_str(f, r->user);
		fprintf(f, ",\"comm\":");
		ks_json_str(f, r->comm);
		fprintf(f, ",\"state\":\"%c\",\"exited\":%s", r->state ? r->state : '?',
			r->exited ? "true" : "false");
		if (r->cgroup[0]) {
			fprintf(f, ",\"cgroup\":");
			ks_json_str(f, r->cgroup);
		}
		if (t->tree)
			fprintf(f, ",\"depth\":%d", r->depth);
		for (i = 0; i < ARRAY_SIZE(num_cols); i++) {
			fprintf(f, ",\"%s\":", ks_top_col_key(num_cols[i]));
			json_num(f, num(t, r, num_cols[i]));
		}
		fputc('}', f);
	}
	fprintf(f, "]}\n");
}

static void print_csv(const struct ks_top *t, FILE *f, size_t max_rows, bool header)
{
	size_t i, k;

	if (header) {
		fprintf(f, "time_s,pid,tgid,ppid,user,comm,state,exited");
		for (i = 0; i < ARRAY_SIZE(num_cols); i++)
			fprintf(f, ",%s", ks_top_col_key(num_cols[i]));
		fputc('\n', f);
	}
	for (k = 0; k < t->norder && k < max_rows; k++) {
		const struct ks_top_row *r = ks_top__row(t, k);
		const char *s;

		fprintf(f, "%.3f,%u,%u,%u,%s,\"", t->wall, r->pid, r->tgid, r->ppid, r->user);
		for (s = r->comm; *s; s++)
			fprintf(f, *s == '"' ? "\"\"" : "%c", *s);
		fprintf(f, "\",%c,%d", r->state ? r->state : '?', r->exited);
		for (i = 0; i < ARRAY_SIZE(num_cols); i++) {
			double v = num(t, r, num_cols[i]);

			if (isnan(v))
				fprintf(f, ",%s", ks_top_col_available(t, num_cols[i]) ? "" : "n/a");
			else
				fprintf(f, ",%.3f", v);
		}
		fputc('\n', f);
	}
}

void ks_top__print(const struct ks_top *t, FILE *f, enum ks_top_format fmt, size_t max_rows,
		   bool first)
{
	switch (fmt) {
	case KS_TOP_JSON:
		print_json(t, f, max_rows);
		break;
	case KS_TOP_CSV:
		print_csv(t, f, max_rows, first);
		break;
	default:
		print_text(t, f, max_rows);
	}
	fflush(f);
}
