// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON report (schema "kscope-report/1", docs/report-format.md).
 * "metrics" and the stack lists are written one entry per line so that
 * `kscope report --compare` reads them back without a JSON library.
 */
#include <errno.h>
#include <string.h>

#include "ks_hist.h"
#include "ks_report.h"
#include "ks_util.h"

static void num(FILE *f, double v)
{
	if (v != v || v < -1e300 || v > 1e300)
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

static void budget_obj(FILE *f, const struct ks_budget *b)
{
	int k;

	fprintf(f, "{\"pid\": %u, \"comm\": ", b->pid);
	ks_json_str(f, b->comm);
	for (k = 0; k < KS_B__COUNT; k++) {
		fprintf(f, ", \"%s_s\": ", ks_budget_state_name(k));
		num(f, b->s[k]);
	}
	fputs(", \"total_s\": ", f);
	num(f, b->total);
	fputc('}', f);
}

static void metric(FILE *f, bool *first, const char *key, double v)
{
	fprintf(f, "%s\n    ", *first ? "" : ",");
	ks_json_str(f, key);
	fputs(": ", f);
	num(f, v);
	*first = false;
}

static void hist_metrics(FILE *f, bool *first, const char *name, const struct ks_hist *h)
{
	char k[96];

	if (!h->count)
		return;
	snprintf(k, sizeof(k), "%s.p50_ms", name);
	metric(f, first, k, ks_hist_pct(h, 50) / 1e6);
	snprintf(k, sizeof(k), "%s.p90_ms", name);
	metric(f, first, k, ks_hist_pct(h, 90) / 1e6);
	snprintf(k, sizeof(k), "%s.p99_ms", name);
	metric(f, first, k, ks_hist_pct(h, 99) / 1e6);
	snprintf(k, sizeof(k), "%s.count", name);
	metric(f, first, k, h->count);
}

static void stacks(FILE *f, const struct ks_profile *p, size_t max)
{
	size_t i, n = 0;
	uint32_t k;

	fputc('[', f);
	for (i = 0; p && i < p->nstacks && n < max; i++, n++) {
		const struct ks_stack *s = &p->stacks[i];
		char buf[8192];
		size_t len = 0;

		buf[0] = 0;
		for (k = 0; k < s->nframes && len + 1 < sizeof(buf); k++)
			len += snprintf(buf + len, sizeof(buf) - len, "%s%s", k ? ";" : "",
					s->frames[k].name);
		fprintf(f, "%s\n    {\"stack\": ", n ? "," : "");
		ks_json_str(f, buf);
		fprintf(f, ", \"value\": %llu}", (unsigned long long)s->value);
	}
	fputs(n ? "\n  ]" : "]", f);
}

int ks_report_write_json(FILE *f, const struct ks_report *r)
{
	const struct ks_model *m = r->model;
	bool first = true;
	size_t i;
	int k, j;
	char key[96];

	fprintf(f, "{\n  \"schema\": \"%s\",\n  \"kscope\": \"%s\",\n  \"target\": ",
		KS_REPORT_SCHEMA, KSCOPE_VERSION);
	ks_json_str(f, r->target);
	fputs(",\n  \"duration_s\": ", f);
	num(f, r->duration_s);
	fprintf(f, ",\n  \"lost_events\": %llu,\n  \"findings\": [", (unsigned long long)r->lost);
	for (i = 0; i < r->nfindings; i++) {
		const struct ks_finding *x = &r->findings[i];

		fprintf(f, "%s\n    {\"rank\": %zu, \"class\": \"%s\", \"severity\": \"%s\", "
			"\"pid\": %u, \"comm\": ", i ? "," : "", i + 1,
			ks_finding_class_name(x->cls), x->severity, x->pid);
		ks_json_str(f, x->comm);
		fputs(", \"score_s\": ", f);
		num(f, x->score);
		fputs(", \"share\": ", f);
		num(f, x->share);
		fputs(",\n     \"statement\": ", f);
		ks_json_str(f, x->statement);
		fputs(",\n     \"evidence\": ", f);
		ks_json_str(f, x->evidence);
		fputs(",\n     \"threshold\": ", f);
		ks_json_str(f, x->threshold);
		fputs(",\n     \"next\": ", f);
		ks_json_str(f, x->next);
		fputs(",\n     \"stacks\": [", f);
		for (j = 0; j < x->nstacks; j++) {
			fprintf(f, "%s{\"stack\": ", j ? ", " : "");
			ks_json_str(f, x->stacks[j]);
			fprintf(f, ", \"value\": %llu}", (unsigned long long)x->stack_vals[j]);
		}
		fputs("]}", f);
	}
	fputs(r->nfindings ? "\n  ],\n" : "],\n", f);
	fputs("  \"budget\": {\n    \"target\": ", f);
	budget_obj(f, &r->total);
	fputs(",\n    \"processes\": [", f);
	for (i = 0; i < r->nprocs && i < 50; i++) {
		fputs(i ? ",\n      " : "\n      ", f);
		budget_obj(f, &r->procs[i]);
	}
	fputs("\n    ]\n  },\n  \"use\": [", f);
	for (i = 0; i < r->nuse; i++) {
		const struct ks_use *u = &r->use[i];

		fprintf(f, "%s\n    {\"resource\": \"%s\", \"utilization\": ", i ? "," : "",
			u->resource);
		u->util >= 0 ? num(f, u->util) : (void)fputs("null", f);
		fputs(", \"saturation\": ", f);
		u->saturation >= 0 ? num(f, u->saturation) : (void)fputs("null", f);
		fputs(", \"saturation_unit\": ", f);
		ks_json_str(f, u->sat_unit);
		fputs(", \"errors\": ", f);
		u->errors >= 0 ? num(f, u->errors) : (void)fputs("null", f);
		fputs(", \"note\": ", f);
		ks_json_str(f, u->note);
		fputc('}', f);
	}
	fputs("\n  ],\n  \"coverage\": [", f);
	for (i = 0; i < r->ncoverage; i++) {
		fprintf(f, "%s\n    {\"signal\": ", i ? "," : "");
		ks_json_str(f, r->coverage[i].signal);
		fputs(", \"reason\": ", f);
		ks_json_str(f, r->coverage[i].reason);
		fputs(", \"impact\": ", f);
		ks_json_str(f, r->coverage[i].impact);
		fputc('}', f);
	}
	fputs("\n  ],\n  \"histograms\": {\"runq\": ", f);
	ks_hist_json(f, &m->runq_all);
	fputs(", \"io\": ", f);
	ks_hist_json(f, &m->io_all);
	fputs("},\n  \"metrics\": {", f);
	for (k = 0; k < KS_B__COUNT; k++) {
		snprintf(key, sizeof(key), "target.%s_s", ks_budget_state_name(k));
		metric(f, &first, key, r->total.s[k]);
	}
	hist_metrics(f, &first, "runq", &m->runq_all);
	hist_metrics(f, &first, "io", &m->io_all);
	for (i = 0; i < r->nprocs && i < 20; i++) {
		const struct ks_task *t = ks_model__find(m, r->procs[i].pid);

		for (k = 0; k < KS_B__COUNT; k++) {
			snprintf(key, sizeof(key), "%s.%s_s", r->procs[i].comm,
				 ks_budget_state_name(k));
			metric(f, &first, key, r->procs[i].s[k]);
		}
		if (t) {
			snprintf(key, sizeof(key), "%s.runq", r->procs[i].comm);
			hist_metrics(f, &first, key, &t->runq);
		}
		/* CPU per blocking cycle: the cost of one work item for a server loop */
		if (t && t->ctxsw) {
			snprintf(key, sizeof(key), "%s.cpu_per_wait_ms", r->procs[i].comm);
			metric(f, &first, key, r->procs[i].s[KS_B_ONCPU] * 1e3 / t->ctxsw);
		}
	}
	for (i = 0; i < m->nsyscalls; i++) {
		snprintf(key, sizeof(key), "syscall.%u.%u", m->syscalls[i].pid, m->syscalls[i].nr);
		hist_metrics(f, &first, key, &m->syscalls[i].lat);
	}
	fputs("\n  },\n  \"oncpu_stacks\": ", f);
	stacks(f, m->oncpu, 500);
	fputs(",\n  \"offcpu_stacks\": ", f);
	stacks(f, m->offcpu, 500);
	fputs("\n}\n", f);
	return ferror(f) ? -EIO : 0;
}
