// SPDX-License-Identifier: GPL-2.0
/*
 * The HTML report: one self-contained page (no network), with the on-CPU and
 * off-CPU flame graphs of the flame exporter embedded as iframe srcdoc
 * documents, so their own script and search work unchanged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ks_export.h"
#include "ks_report.h"

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void flame(FILE *f, const struct ks_profile *p, const char *id, const char *title)
{
	struct ks_export_opts o = { .sz = sizeof(o), .title = title, .hash = true };
	char *buf = NULL;
	size_t len = 0;
	FILE *mf;

	fprintf(f, "<h2>%s</h2>\n", title);
	if (!p || !p->nstacks) {
		fprintf(f, "<p>No stacks were collected.</p>\n");
		return;
	}
	mf = open_memstream(&buf, &len);
	if (!mf)
		return;
	if (ks_export(mf, p, KS_EXPORT_HTML, &o)) {
		fclose(mf);
		free(buf);
		fprintf(f, "<p>The flame graph could not be rendered.</p>\n");
		return;
	}
	fclose(mf);
	fprintf(f, "<iframe id=\"%s\" class=\"flame\" srcdoc=\"", id);
	esc(f, buf);
	fputs("\"></iframe>\n", f);
	free(buf);
}

int ks_report_write_html(FILE *f, const struct ks_report *r)
{
	size_t i;
	int k, j;

	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kscope report</title>\n"
	      "<style>body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse}"
	      "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
	      "td:first-child{text-align:left}.critical{color:#b00}.warning{color:#a60}"
	      "pre{background:#f6f6f6;padding:4px;overflow-x:auto}"
	      "iframe.flame{width:100%;height:640px;border:1px solid #ccc}</style>\n"
	      "</head><body>\n", f);
	fputs("<h1>kscope report: ", f);
	esc(f, r->target);
	fprintf(f, ", %.1f s</h1>\n<h2>Findings</h2>\n<ol id=\"findings\">\n", r->duration_s);
	for (i = 0; i < r->nfindings; i++) {
		const struct ks_finding *x = &r->findings[i];

		fprintf(f, "<li class=\"finding %s\" data-class=\"%s\"><b>%s</b> (%s): ",
			x->severity, ks_finding_class_name(x->cls), ks_finding_class_name(x->cls),
			x->severity);
		esc(f, x->statement);
		fputs("<br>Evidence: ", f);
		esc(f, x->evidence);
		fputs("<br>Threshold: ", f);
		esc(f, x->threshold);
		fputs("<br>Next: ", f);
		esc(f, x->next);
		if (x->nstacks) {
			fputs("<pre>", f);
			for (j = 0; j < x->nstacks; j++) {
				fprintf(f, "%llu  ", (unsigned long long)x->stack_vals[j]);
				esc(f, x->stacks[j]);
				fputc('\n', f);
			}
			fputs("</pre>", f);
		}
		fputs("</li>\n", f);
	}
	fputs("</ol>\n<h2>Time budget</h2>\n<table id=\"budget\"><tr><th>process</th><th>pid</th>",
	      f);
	for (k = 0; k < KS_B__COUNT; k++)
		fprintf(f, "<th>%s</th>", ks_budget_state_name(k));
	fputs("<th>total s</th></tr>\n", f);
	for (i = 0; i <= r->nprocs && i < 16; i++) {
		const struct ks_budget *b = i ? &r->procs[i - 1] : &r->total;
		double t = b->total > 0 ? b->total : 1;

		fputs("<tr><td>", f);
		esc(f, b->comm);
		fprintf(f, "</td><td>%u</td>", b->pid);
		for (k = 0; k < KS_B__COUNT; k++)
			fprintf(f, "<td>%.1f%%</td>", 100 * b->s[k] / t);
		fprintf(f, "<td>%.2f</td></tr>\n", b->total);
	}
	fputs("</table>\n<h2>USE</h2>\n<table id=\"use\"><tr><th>resource</th><th>utilization"
	      "</th><th>saturation</th><th>errors</th><th>note</th></tr>\n", f);
	for (i = 0; i < r->nuse; i++) {
		const struct ks_use *u = &r->use[i];

		fprintf(f, "<tr><td>%s</td><td>", u->resource);
		u->util >= 0 ? fprintf(f, "%.1f%%", 100 * u->util) : fprintf(f, "n/a");
		fputs("</td><td>", f);
		u->saturation >= 0 ? fprintf(f, "%.2f (%s)", u->saturation, u->sat_unit)
				   : fprintf(f, "n/a");
		fputs("</td><td>", f);
		u->errors >= 0 ? fprintf(f, "%.0f", u->errors) : fprintf(f, "n/a");
		fputs("</td><td>", f);
		esc(f, u->note);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<h2>Coverage: what this run could not see</h2>\n<table id=\"coverage\">"
	      "<tr><th>signal</th><th>why</th><th>impact</th></tr>\n", f);
	for (i = 0; i < r->ncoverage; i++) {
		fputs("<tr><td>", f);
		esc(f, r->coverage[i].signal);
		fputs("</td><td>", f);
		esc(f, r->coverage[i].reason);
		fputs("</td><td>", f);
		esc(f, r->coverage[i].impact);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	flame(f, r->model->oncpu, "flame-oncpu", "On-CPU flame graph");
	flame(f, r->model->offcpu, "flame-offcpu", "Off-CPU flame graph (us)");
	/*
	 * "report.html#s=REGEX" searches every embedded flame graph and shows
	 * the matched share of each (a deep link, and the browser test's hook).
	 */
	fputs("<p id=\"kstest\"></p>\n<script>\nwindow.addEventListener('load',function(){"
	      "var m=/[#&]s=([^&]*)/.exec(location.hash),out=[];if(!m)return;"
	      "document.querySelectorAll('iframe.flame').forEach(function(f){try{"
	      "var r=f.contentWindow.ksFlame.search(decodeURIComponent(m[1]));"
	      "out.push(f.id+'='+(r<0?'bad':r.toFixed(2)));}catch(e){out.push(f.id+'=error');}});"
	      "document.getElementById('kstest').textContent=out.join(' ');});\n</script>\n", f);
	fputs("</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}
