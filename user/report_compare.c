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

#include "ks_export.h"
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

/* JSON string at @s (after the opening quote) into @out; NULL if malformed. */
static const char *unquote(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s && *s != '"'; s++) {
		char c = *s;

		if (c == '\\') {
			s++;
			switch (*s) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'u': c = '?'; if (strlen(s) >= 5) s += 4; break;
			case 0: return NULL;
			default: c = *s;
			}
		}
		if (n + 1 < size)
			out[n++] = c;
	}
	out[n] = 0;
	return *s == '"' ? s + 1 : NULL;
}

/* The "oncpu_stacks" list of a report into @p (one entry per line). */
static int load_stacks(const char *path, const char *list, struct ks_profile *p)
{
	FILE *f = fopen(path, "r");
	char line[16384], stack[8192], key[64];
	struct ks_frame fr[KS_MAX_STACK_DEPTH * 2 + 2];
	bool in = false;

	if (!f)
		return -errno;
	snprintf(key, sizeof(key), "  \"%s\": [", list);
	while (fgets(line, sizeof(line), f)) {
		const char *q = strstr(line, "{\"stack\": \""), *v;
		unsigned long long val;
		uint32_t n = 0;
		char *tok, *save;

		if (!in) {
			in = !strncmp(line, key, strlen(key));
			continue;
		}
		if (!q)
			break;
		v = unquote(q + 11, stack, sizeof(stack));
		if (!v || sscanf(v, ", \"value\": %llu", &val) != 1)
			continue;
		for (tok = strtok_r(stack, ";", &save); tok && n < ARRAY_SIZE(fr);
		     tok = strtok_r(NULL, ";", &save)) {
			memset(&fr[n], 0, sizeof(fr[n]));
			fr[n].name = tok;
			fr[n].kind = n ? KS_FRAME_USER : KS_FRAME_PROCESS;
			n++;
		}
		if (n && ks_profile__add(p, 0, 0, fr, n, val)) {
			fclose(f);
			return -ENOMEM;
		}
	}
	fclose(f);
	return 0;
}

/* Differential on-CPU flame graph of NEW against BASE, format from @out's name. */
static int diff_flame(const char *bp, const char *np, const char *out)
{
	struct ks_profile *a = ks_profile__new("samples"), *b = ks_profile__new("samples");
	struct ks_export_opts o = { .sz = sizeof(o), .title = "On-CPU: NEW against BASE",
				    .hash = true };
	int fmt = ks_export_fmt_parse(out), err = -ENOMEM;
	FILE *f;

	if (fmt < 0 || fmt == KS_EXPORT_FOLDED)
		fmt = KS_EXPORT_HTML;
	if (!a || !b)
		goto out;
	err = load_stacks(bp, "oncpu_stacks", a);
	if (!err)
		err = load_stacks(np, "oncpu_stacks", b);
	if (err)
		goto out;
	o.base = a;
	f = fopen(out, "w");
	if (!f) {
		err = -errno;
		goto out;
	}
	err = ks_export(f, b, fmt, &o);
	if (fclose(f) && !err)
		err = -EIO;
out:
	if (err)
		ks_err("cannot write the differential flame graph %s: %s", out, strerror(-err));
	ks_profile__free(a);
	ks_profile__free(b);
	return err;
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

int ks_report_compare(FILE *f, const char *bp, const char *np, const char *rules,
		      const char *diff_out)
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
	if (diff_out) {
		err = diff_flame(bp, np, diff_out);
		if (err)
			goto out;
		fprintf(f, "differential flame graph: %s\n", diff_out);
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
