// SPDX-License-Identifier: GPL-2.0
/* The Markdown report: pastes into a review document. */
#include <errno.h>

#include "ks_report.h"

static void pct_row(FILE *f, const struct ks_budget *b)
{
	double t = b->total > 0 ? b->total : 1;
	int k;

	fprintf(f, "| %s | %u |", b->comm, b->pid);
	for (k = 0; k < KS_B__COUNT; k++)
		fprintf(f, " %.1f%% |", 100 * b->s[k] / t);
	fprintf(f, " %.2f |\n", b->total);
}

int ks_report_write_md(FILE *f, const struct ks_report *r)
{
	size_t i;
	int k, j;

	fprintf(f, "# kscope report: %s, %.1f s\n\n## Findings (most important first)\n\n",
		r->target, r->duration_s);
	if (!r->nfindings)
		fprintf(f, "No finding crossed its threshold.\n");
	for (i = 0; i < r->nfindings; i++) {
		const struct ks_finding *x = &r->findings[i];

		fprintf(f, "### %zu. `%s` (%s): %s\n\n- **Evidence:** %s\n- **Threshold:** %s\n"
			"- **Next:** %s\n", i + 1, ks_finding_class_name(x->cls), x->severity,
			x->statement, x->evidence, x->threshold, x->next);
		for (j = 0; j < x->nstacks; j++)
			fprintf(f, "%s    %llu  %s\n", j ? "" : "- **Top stacks:**\n\n",
				(unsigned long long)x->stack_vals[j], x->stacks[j]);
		fputc('\n', f);
	}
	fprintf(f, "## Time budget (share of observed thread time)\n\n| process | pid |");
	for (k = 0; k < KS_B__COUNT; k++)
		fprintf(f, " %s |", ks_budget_state_name(k));
	fprintf(f, " total s |\n|---|---|");
	for (k = 0; k <= KS_B__COUNT; k++)
		fprintf(f, "---|");
	fputc('\n', f);
	pct_row(f, &r->total);
	for (i = 0; i < r->nprocs && i < 15; i++)
		pct_row(f, &r->procs[i]);
	fprintf(f, "\n## USE\n\n| resource | utilization | saturation | errors | note |\n"
		"|---|---|---|---|---|\n");
	for (i = 0; i < r->nuse; i++) {
		const struct ks_use *u = &r->use[i];

		fprintf(f, "| %s | ", u->resource);
		u->util >= 0 ? fprintf(f, "%.1f%%", 100 * u->util) : fprintf(f, "n/a");
		fprintf(f, " | ");
		u->saturation >= 0 ? fprintf(f, "%.2f (%s)", u->saturation, u->sat_unit)
				   : fprintf(f, "n/a");
		fprintf(f, " | ");
		u->errors >= 0 ? fprintf(f, "%.0f", u->errors) : fprintf(f, "n/a");
		fprintf(f, " | %s |\n", u->note);
	}
	fprintf(f, "\n## Coverage: what this run could not see\n\n| signal | why | impact |\n"
		"|---|---|---|\n");
	for (i = 0; i < r->ncoverage; i++)
		fprintf(f, "| %s | %s | %s |\n", r->coverage[i].signal, r->coverage[i].reason,
			r->coverage[i].impact);
	if (r->lost)
		fprintf(f, "\n%llu events were lost.\n", (unsigned long long)r->lost);
	return ferror(f) ? -EIO : 0;
}
