// SPDX-License-Identifier: GPL-2.0
/*
 * `kscope report --compare BASE NEW`: reads the "metrics" object of two JSON
 * reports (one "key": value per line, as report_json.c writes it), prints
 * them side by side with the change, and checks --fail-on rules. A capture
 * given instead of a JSON report is first turned into the JSON report
 * `kscope report -i` writes (in memory), so both kinds compare the same way.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ks_capture.h"
#include "ks_export.h"
#include "ks_report.h"
#include "ks_util.h"

#define MAX_METRICS	4096
#define MAX_RULES	64
#define COMPARE_SCHEMA	"kscope-compare/1"

struct metric {
	char key[96];
	double v;
};

/* One side of the comparison: a JSON report, or a capture turned into one. */
struct side {
	const char *path;
	FILE *f;		/* the JSON report: the file, or the capture's in memory */
	char *buf;		/* capture: the JSON report written from it */
	size_t len;
	struct ks_model *m;	/* capture: its merged model (stacks for the diff) */
	struct ks_report r;
	struct metric *ms;
	size_t n;
};

struct rule {
	char metric[96];
	bool gt, rel;		/* METRIC>..., limit a relative change in % */
	double lim;
	bool missing, broken;	/* the outcome */
	double val;
};

/* One line of the comparison: a metric both reports have. */
struct row {
	const struct metric *a, *b;
	double change;		/* % of |base|; 0 when base is 0 */
	bool noise;
};

struct cmp {
	struct side a, b;
	struct row *rows;
	size_t nrows;
	struct rule rules[MAX_RULES];
	size_t nrules;
	int broken;
	const char *flame;	/* the differential flame graph written, or NULL */
};

/* 1: @path starts with the capture magic, 0: it does not, -errno. */
static int is_capture(const char *path)
{
	char magic[sizeof(KS_CAPTURE_MAGIC) - 1];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f) {
		int e = errno;

		ks_err("%s: %s", path, strerror(e));
		return -e;
	}
	n = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	return n == sizeof(magic) && !memcmp(magic, KS_CAPTURE_MAGIC, sizeof(magic));
}

/* The capture at s->path as the JSON report `kscope report -i` writes, in memory. */
static int capture_report(struct side *s)
{
	FILE *mf;
	int err;

	s->m = ks_model__new();
	if (!s->m)
		return -ENOMEM;
	err = ks_report_from_capture(&s->r, s->m, s->path);
	if (err)
		return err;
	mf = open_memstream(&s->buf, &s->len);
	if (!mf)
		return -errno;
	err = ks_report_write_json(mf, &s->r);
	if (fclose(mf) && !err)
		err = -EIO;
	if (err)
		return err;
	s->f = fmemopen(s->buf, s->len, "r");
	return s->f ? 0 : -errno;
}

/* The "metrics" object of the side's JSON report into s->ms. */
static int load_metrics(struct side *s)
{
	char line[512];
	bool in = false, schema = false;

	s->n = 0;
	while (fgets(line, sizeof(line), s->f)) {
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
		if (sscanf(line, " \"%95[^\"]\": %lf", key, &v) == 2 && s->n < MAX_METRICS) {
			snprintf(s->ms[s->n].key, sizeof(s->ms[s->n].key), "%s", key);
			s->ms[s->n++].v = v;
		}
	}
	if (!schema || !in) {
		ks_err("%s: neither a kscope capture nor a kscope JSON report (%s)", s->path,
		       KS_REPORT_SCHEMA);
		return -EBADMSG;
	}
	return 0;
}

static int side_open(struct side *s, const char *path)
{
	int err;

	s->path = path;
	s->ms = calloc(MAX_METRICS, sizeof(*s->ms));
	if (!s->ms)
		return -ENOMEM;
	err = is_capture(path);
	if (err < 0)
		return err;
	if (err) {
		err = capture_report(s);
		if (err == -EINVAL)	/* reserved for a bad rule: usage */
			err = -EBADMSG;
		if (err == -ENOMEM || err == -EIO)
			ks_err("%s: cannot make a report of the capture: %s", path,
			       strerror(-err));
		if (err)
			return err;
	} else {
		s->f = fopen(path, "re");
		if (!s->f) {
			err = -errno;
			ks_err("%s: %s", path, strerror(-err));
			return err;
		}
	}
	return load_metrics(s);
}

static void side_close(struct side *s)
{
	if (s->f)
		fclose(s->f);
	free(s->buf);
	ks_report_free(&s->r);
	ks_model__free(s->m);
	free(s->ms);
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
static int load_stacks(FILE *f, const char *list, struct ks_profile *p)
{
	char line[16384], stack[8192], key[64];
	struct ks_frame fr[KS_MAX_STACK_DEPTH * 2 + 2];
	bool in = false;

	rewind(f);
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
		if (n && ks_profile__add(p, 0, 0, fr, n, val))
			return -ENOMEM;
	}
	return 0;
}

/*
 * Differential on-CPU flame graph of NEW against BASE into @f. Two captures:
 * their own stacks, every one with its frame kinds; otherwise the stacks the
 * JSON reports list (a capture's as its JSON report would), names only.
 */
static int diff_flame(FILE *f, const struct cmp *c, int fmt)
{
	struct ks_profile *pa = NULL, *pb = NULL, *ea, *eb;
	struct ks_export_opts o = { .sz = sizeof(o), .title = "On-CPU: NEW against BASE",
				    .hash = true };
	int err = -ENOMEM;

	ea = ks_profile__new("samples");
	eb = ks_profile__new("samples");
	if (!ea || !eb)
		goto out;
	if (c->a.m && c->b.m) {
		pa = c->a.m->oncpu;
		pb = c->b.m->oncpu;
		err = 0;
	} else {
		err = load_stacks(c->a.f, "oncpu_stacks", ea);
		if (!err)
			err = load_stacks(c->b.f, "oncpu_stacks", eb);
	}
	if (err)
		goto out;
	o.base = pa ? pa : ea;
	err = ks_export(f, pb ? pb : eb, fmt, &o);
out:
	ks_profile__free(ea);
	ks_profile__free(eb);
	return err;
}

static const struct metric *find(const struct side *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->ms[i].key, key))
			return &s->ms[i];
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

/* --fail-on RULES into c->rules; -EINVAL (message printed) for a bad one. */
static int parse_rules(struct cmp *c, const char *rules)
{
	char *rs, *tok, *save;
	int err = 0;

	if (!rules || !*rules)
		return 0;
	rs = strdup(rules);
	if (!rs)
		return -ENOMEM;
	for (tok = strtok_r(rs, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
		char *op = strpbrk(tok, "><"), *end;
		struct rule *r = &c->rules[c->nrules];

		if (!op || op == tok || op - tok >= (long)sizeof(r->metric)) {
			ks_err("--fail-on: bad rule '%s' (expected METRIC>+N%% or METRIC>VALUE)",
			       tok);
			err = -EINVAL;
			break;
		}
		if (c->nrules == MAX_RULES) {
			ks_err("--fail-on: more than %d rules", MAX_RULES);
			err = -EINVAL;
			break;
		}
		r->gt = *op == '>';
		*op = 0;
		snprintf(r->metric, sizeof(r->metric), "%s", tok);
		r->lim = strtod(op + 1, &end);
		r->rel = *end == '%';
		if (end == op + 1 || (*end && strcmp(end, "%"))) {
			ks_err("--fail-on: bad limit in rule '%s'", op + 1);
			err = -EINVAL;
			break;
		}
		c->nrules++;
	}
	free(rs);
	return err;
}

static void check_rules(struct cmp *c)
{
	size_t i;

	for (i = 0; i < c->nrules; i++) {
		struct rule *r = &c->rules[i];
		const struct metric *x = find(&c->a, r->metric), *y = find(&c->b, r->metric);

		r->missing = !y || (r->rel && !x);
		if (r->missing) {
			r->broken = true;
		} else {
			r->val = r->rel ? (x->v ? (y->v - x->v) / fabs(x->v) * 100 :
					   (y->v ? INFINITY : 0)) : y->v;
			r->broken = r->gt ? r->val > r->lim : r->val < r->lim;
		}
		c->broken += r->broken;
	}
}

static int make_rows(struct cmp *c)
{
	size_t i;

	c->rows = calloc(c->a.n ? c->a.n : 1, sizeof(*c->rows));
	if (!c->rows)
		return -ENOMEM;
	for (i = 0; i < c->a.n; i++) {
		const struct metric *a = &c->a.ms[i], *b = find(&c->b, a->key);
		struct row *w = &c->rows[c->nrows];

		if (!b)
			continue;
		w->a = a;
		w->b = b;
		w->change = a->v ? (b->v - a->v) / fabs(a->v) * 100 : 0;
		w->noise = noise(a->key, a->v, b->v);
		c->nrows++;
	}
	return 0;
}

static const char *kind(const struct side *s)
{
	return s->m ? "capture" : "JSON report";
}

static void print_text(FILE *f, const struct cmp *c)
{
	size_t i;

	fprintf(f, "base: %s (%s)\nnew:  %s (%s)\n", c->a.path, kind(&c->a), c->b.path,
		kind(&c->b));
	fprintf(f, "%-40s %14s %14s %9s\n", "metric", "base", "new", "change");
	for (i = 0; i < c->nrows; i++) {
		const struct row *w = &c->rows[i];

		fprintf(f, "%-40s %14.4g %14.4g %+8.1f%%%s\n", w->a->key, w->a->v, w->b->v,
			w->change, w->noise ? "  (within run-to-run noise)" : "");
	}
	if (c->flame)
		fprintf(f, "differential flame graph: %s\n", c->flame);
	for (i = 0; i < c->nrules; i++) {
		const struct rule *r = &c->rules[i];

		if (r->missing) {
			fprintf(f, "RULE %s: metric not in both reports: broken\n", r->metric);
			continue;
		}
		fprintf(f, "RULE %s %c %g%s: %s is %.4g%s: %s\n", r->metric, r->gt ? '>' : '<',
			r->lim, r->rel ? "%" : "", r->rel ? "change" : "value", r->val,
			r->rel ? "%" : "", r->broken ? "BROKEN" : "ok");
	}
}

static void print_md(FILE *f, const struct cmp *c)
{
	size_t i;

	fprintf(f, "# kscope report comparison\n\n- base: `%s` (%s)\n- new: `%s` (%s)\n\n",
		c->a.path, kind(&c->a), c->b.path, kind(&c->b));
	if (c->nrules) {
		fputs("## Rules\n\n| rule | seen | result |\n|---|---|---|\n", f);
		for (i = 0; i < c->nrules; i++) {
			const struct rule *r = &c->rules[i];

			fprintf(f, "| `%s %c %g%s` | ", r->metric, r->gt ? '>' : '<', r->lim,
				r->rel ? "%" : "");
			if (r->missing)
				fputs("not in both reports", f);
			else
				fprintf(f, "%s %.4g%s", r->rel ? "change" : "value", r->val,
					r->rel ? "%" : "");
			fprintf(f, " | %s |\n", r->broken ? "**BROKEN**" : "ok");
		}
		fputc('\n', f);
	}
	fputs("## Metrics\n\nChanges under 10% (or under 0.05 s / 0.05 ms) are within "
	      "run-to-run noise.\n\n| metric | base | new | change | |\n|---|---:|---:|---:|---|\n",
	      f);
	for (i = 0; i < c->nrows; i++) {
		const struct row *w = &c->rows[i];

		fprintf(f, "| `%s` | %.4g | %.4g | %+.1f%% | %s |\n", w->a->key, w->a->v,
			w->b->v, w->change, w->noise ? "noise" : "");
	}
}

static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fputs("null", f);
}

static void print_json(FILE *f, const struct cmp *c)
{
	size_t i;

	fprintf(f, "{\n  \"schema\": \"%s\",\n  \"kscope\": \"%s\",\n  \"base\": ",
		COMPARE_SCHEMA, KSCOPE_VERSION);
	ks_json_str(f, c->a.path);
	fprintf(f, ",\n  \"base_kind\": \"%s\",\n  \"new\": ", c->a.m ? "capture" : "json");
	ks_json_str(f, c->b.path);
	fprintf(f, ",\n  \"new_kind\": \"%s\",\n  \"broken\": %d,\n  \"rules\": [",
		c->b.m ? "capture" : "json", c->broken);
	for (i = 0; i < c->nrules; i++) {
		const struct rule *r = &c->rules[i];

		fprintf(f, "%s\n    {\"metric\": ", i ? "," : "");
		ks_json_str(f, r->metric);
		fprintf(f, ", \"op\": \"%c\", \"limit\": ", r->gt ? '>' : '<');
		json_num(f, r->lim);
		fprintf(f, ", \"relative\": %s, \"value\": ", r->rel ? "true" : "false");
		if (r->missing)
			fputs("null", f);
		else
			json_num(f, r->val);
		fprintf(f, ", \"broken\": %s}", r->broken ? "true" : "false");
	}
	fputs(c->nrules ? "\n  ],\n  \"metrics\": [" : "],\n  \"metrics\": [", f);
	for (i = 0; i < c->nrows; i++) {
		const struct row *w = &c->rows[i];

		fprintf(f, "%s\n    {\"metric\": ", i ? "," : "");
		ks_json_str(f, w->a->key);
		fputs(", \"base\": ", f);
		json_num(f, w->a->v);
		fputs(", \"new\": ", f);
		json_num(f, w->b->v);
		fputs(", \"change_pct\": ", f);
		json_num(f, w->change);
		fprintf(f, ", \"noise\": %s}", w->noise ? "true" : "false");
	}
	fputs(c->nrows ? "\n  ]\n}\n" : "]\n}\n", f);
}

enum { OUT_FLAME, OUT_MD, OUT_JSON };

static int out_kind(const char *path)
{
	size_t n = strlen(path);

	if ((n > 3 && !strcmp(path + n - 3, ".md")) ||
	    (n > 9 && !strcmp(path + n - 9, ".markdown")))
		return OUT_MD;
	if (n > 5 && !strcmp(path + n - 5, ".json"))
		return OUT_JSON;
	return OUT_FLAME;
}

/* -o FILE: the comparison (.md, .json) or the differential flame graph. */
static int write_out(struct cmp *c, const char *path)
{
	struct ks_output out;
	int kind = out_kind(path), fmt = ks_export_fmt_parse(path), err;

	if (fmt != KS_EXPORT_SVG)
		fmt = KS_EXPORT_HTML;
	err = ks_output_open(&out, path);
	if (err)
		return err;
	if (kind == OUT_MD)
		print_md(out.f, c);
	else if (kind == OUT_JSON)
		print_json(out.f, c);
	else
		err = diff_flame(out.f, c, fmt);
	if (!err && ferror(out.f))
		err = -EIO;
	if (ks_output_close(&out, !err) && !err)
		err = -EIO;
	if (err)
		ks_err("cannot write %s: %s", path, strerror(-err));
	else if (kind == OUT_FLAME)
		c->flame = path;
	return err;
}

int ks_report_compare(FILE *f, const char *bp, const char *np, const char *rules,
		      const char *out)
{
	struct cmp c = {};
	int err;

	err = parse_rules(&c, rules);
	if (!err)
		err = side_open(&c.a, bp);
	if (!err)
		err = side_open(&c.b, np);
	if (!err)
		err = make_rows(&c);
	if (err)
		goto out;
	check_rules(&c);
	if (out)
		err = write_out(&c, out);
	if (!err)
		print_text(f, &c);
out:
	side_close(&c.a);
	side_close(&c.b);
	free(c.rows);
	return err ? err : c.broken;
}
