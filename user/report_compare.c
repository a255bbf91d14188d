// SPDX-License-Identifier: GPL-2.0
/*
 * `kscope report --compare BASE NEW`: reads the "metrics" object of two JSON
 * reports (one "key": value per line, as report_json.c writes it), prints
 * them side by side with the change, and checks --fail-on rules.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ks_report.h"
#include "ks_util.h"

#define MAX_METRICS 4096

struct metric {
	char key[96];
	double v;
};

static int load(const char *path, struct metric *ms, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[512];
	bool in = false, schema = false;

	*n = 0;
	if (!f) {
		ks_err("%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char key[96];
		double v;

		if (strstr(line, "\"schema\": \"" KS_REPORT_SCHEMA "\""))
			schema = true;
		if (!in) {
			in = !strncmp(line, "  \"metrics\": {", 14);
			continue;
		}
		if (line[0] == ' ' && line[1] == ' ' && line[2] == '}')
			break;
		if (sscanf(line, " \"%95[^\"]\": %lf", key, &v) == 2 && *n < MAX_METRICS) {
			snprintf(ms[*n].key, sizeof(ms[*n].key), "%s", key);
			ms[(*n)++].v = v;
		}
	}
	fclose(f);
	if (!schema || !in) {
		ks_err("%s: not a kscope JSON report (%s)", path, KS_REPORT_SCHEMA);
		return -EINVAL;
	}
	return 0;
}

static const struct metric *find(const struct metric *ms, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(ms[i].key, key))
			return &ms[i];
	return NULL;
}

/* Run-to-run noise: relative changes under 10% or tiny absolute ones. */
static bool noise(const char *key, double a, double b)
{
	double d = fabs(b - a), base = fabs(a) > 1e-9 ? fabs(a) : 1e-9;

	if (d / base < 0.10)
		return true;
	if (strstr(key, "_ms") && d < 0.05)
		return true;
	if (strstr(key, "_s") && d < 0.05)
		return true;
	return false;
}

int ks_report_compare(FILE *f, const char *bp, const char *np, const char *rules)
{
	struct metric *a = calloc(MAX_METRICS, sizeof(*a)), *b = calloc(MAX_METRICS, sizeof(*b));
	size_t na, nb, i;
	int broken = 0, err;
	char *rs = NULL, *tok, *save;

	if (!a || !b) {
		err = -ENOMEM;
		goto out;
	}
	err = load(bp, a, &na);
	if (!err)
		err = load(np, b, &nb);
	if (err)
		goto out;
	fprintf(f, "%-40s %14s %14s %9s\n", "metric", "base", "new", "change");
	for (i = 0; i < na; i++) {
		const struct metric *m = find(b, nb, a[i].key);
		double ch;

		if (!m)
			continue;
		ch = a[i].v ? (m->v - a[i].v) / fabs(a[i].v) * 100 : 0;
		fprintf(f, "%-40s %14.4g %14.4g %+8.1f%%%s\n", a[i].key, a[i].v, m->v, ch,
			noise(a[i].key, a[i].v, m->v) ? "  (within run-to-run noise)" : "");
	}
	if (!rules || !*rules)
		goto out;
	rs = strdup(rules);
	for (tok = strtok_r(rs, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *op = strpbrk(tok, "><"), *end;
		const struct metric *x, *y;
		bool rel, gt, bad;
		double lim, val;

		if (!op || op == tok) {
			ks_err("--fail-on: bad rule '%s' (expected METRIC>+N%% or METRIC>VALUE)",
			       tok);
			err = -EINVAL;
			goto out;
		}
		gt = *op == '>';
		*op = 0;
		lim = strtod(op + 1, &end);
		rel = *end == '%';
		if (end == op + 1 || (*end && strcmp(end, "%"))) {
			ks_err("--fail-on: bad limit in rule '%s'", op + 1);
			err = -EINVAL;
			goto out;
		}
		x = find(a, na, tok);
		y = find(b, nb, tok);
		if (!y || (rel && !x)) {
			fprintf(f, "RULE %s: metric not in both reports: broken\n", tok);
			broken++;
			continue;
		}
		val = rel ? (x->v ? (y->v - x->v) / fabs(x->v) * 100 : (y->v ? INFINITY : 0))
			  : y->v;
		bad = gt ? val > lim : val < lim;
		fprintf(f, "RULE %s %c %g%s: %s is %.4g%s: %s\n", tok, gt ? '>' : '<', lim,
			rel ? "%" : "", rel ? "change" : "value", val, rel ? "%" : "",
			bad ? "BROKEN" : "ok");
		broken += bad;
	}
out:
	free(rs);
	free(a);
	free(b);
	return err ? err : broken;
}
