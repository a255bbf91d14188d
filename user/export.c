// SPDX-License-Identifier: GPL-2.0
/*
 * The export entry point (include/ks_export.h) and the data formats:
 * folded text, pprof (profile.proto, gzip), speedscope JSON, kscope JSON.
 * The flame graph SVG and HTML live in user/flamegraph.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "stackset.h"
#include "ks_util.h"

static const char *const fmt_names[KS_EXPORT__COUNT] = {
	[KS_EXPORT_FOLDED] = "folded",
	[KS_EXPORT_SVG] = "svg",
	[KS_EXPORT_HTML] = "html",
	[KS_EXPORT_PPROF] = "pprof",
	[KS_EXPORT_SPEEDSCOPE] = "speedscope",
	[KS_EXPORT_JSON] = "json",
};

const char *ks_export_fmt_name(enum ks_export_fmt fmt)
{
	return (unsigned)fmt < KS_EXPORT__COUNT ? fmt_names[fmt] : "?";
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcasecmp(s + n - m, suffix);
}

int ks_export_fmt_parse(const char *s)
{
	static const struct {
		const char *ext;
		enum ks_export_fmt fmt;
	} exts[] = {
		{ ".svg", KS_EXPORT_SVG }, { ".html", KS_EXPORT_HTML }, { ".htm", KS_EXPORT_HTML },
		{ ".pb.gz", KS_EXPORT_PPROF }, { ".pprof", KS_EXPORT_PPROF },
		{ ".pb", KS_EXPORT_PPROF }, { ".speedscope.json", KS_EXPORT_SPEEDSCOPE },
		{ ".speedscope", KS_EXPORT_SPEEDSCOPE }, { ".json", KS_EXPORT_JSON },
		{ ".folded", KS_EXPORT_FOLDED }, { ".collapsed", KS_EXPORT_FOLDED },
		{ ".txt", KS_EXPORT_FOLDED },
	};
	size_t i;

	if (!s || !*s)
		return -EINVAL;
	for (i = 0; i < KS_EXPORT__COUNT; i++)
		if (!strcasecmp(s, fmt_names[i]))
			return i;
	for (i = 0; i < ARRAY_SIZE(exts); i++)
		if (ends_with(s, exts[i].ext))
			return exts[i].fmt;
	return -EINVAL;
}

void ks_json_str_utf8(FILE *f, const char *s)
{
	int n;

	fputc('"', f);
	for (; *s; s += n) {
		n = ks_utf8_len(s);
		if (!n) {
			fputs("\\ufffd", f);
			n = 1;
		} else if (n > 1) {
			fwrite(s, 1, n, f);
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s);
		} else if ((unsigned char)*s < 0x20) {
			fprintf(f, "\\u%04x", (unsigned char)*s);
		} else {
			fputc(*s, f);
		}
	}
	fputc('"', f);
}

int ks_export_resolve(const char *name, const char *path)
{
	int fmt;

	if (name) {
		fmt = ks_export_fmt_parse(name);
		return fmt < 0 || strchr(name, '.') || strchr(name, '/') ? -EINVAL : fmt;
	}
	if (path && strcmp(path, "-")) {
		fmt = ks_export_fmt_parse(path);
		return fmt < 0 ? -ENOENT : fmt;
	}
	return -ENOENT;
}

static const char *const kind_names[] = {
	"user", "kernel", "jit", "inline", "process", "offcpu", "unknown",
};

static const char *kind_name(uint8_t k)
{
	return k < ARRAY_SIZE(kind_names) ? kind_names[k] : "unknown";
}

static bool same_stack(const struct ks_stackset *s, const struct ks_sstack *a,
		       const struct ks_sstack *b)
{
	return a->depth == b->depth &&
	       !memcmp(s->ids + a->off, s->ids + b->off, a->depth * sizeof(*s->ids));
}

static int write_folded(FILE *f, struct ks_stackset *s)
{
	size_t i, j;
	uint32_t k;
	int err;

	/* sorted, so that equal stacks (two pids, or both sides of a diff) become one line */
	err = ks_stackset__sort(s);
	if (err)
		return err;
	for (i = 0; i < s->nstacks; i = j) {
		const struct ks_sstack *st = &s->stacks[i];
		uint64_t value = 0, base = 0;

		for (j = i; j < s->nstacks && same_stack(s, st, &s->stacks[j]); j++) {
			value += s->stacks[j].value;
			base += s->stacks[j].base;
		}
		if (!st->depth || (!value && !base))
			continue;
		for (k = 0; k < st->depth; k++) {
			const struct ks_sfunc *fn = &s->funcs[s->ids[st->off + k]];

			if (k)
				fputc(';', f);
			ks_folded_name(f, fn->name);
			fputs(ks_frame_suffix(fn->kind), f);
		}
		/* a differential set is written as difffolded.pl writes it */
		if (s->has_base)
			fprintf(f, " %llu", (unsigned long long)base);
		fprintf(f, " %llu\n", (unsigned long long)value);
	}
	return 0;
}

/* ---- pprof: a hand-written protobuf encoder, it is small ---- */

struct pb {
	uint8_t *buf;
	size_t len, cap;
	bool oom;
};

static void pb_raw(struct pb *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *nb;

		while (cap < b->len + n)
			cap *= 2;
		nb = realloc(b->buf, cap);
		if (!nb) {
			b->oom = true;
			return;
		}
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void pb_varint(struct pb *b, uint64_t v)
{
	uint8_t tmp[10];
	int n = 0;

	do {
		tmp[n] = v & 0x7f;
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	pb_raw(b, tmp, n);
}

static void pb_uint(struct pb *b, int field, uint64_t v)
{
	if (!v)
		return;		/* proto3 default */
	pb_varint(b, (uint64_t)field << 3);
	pb_varint(b, v);
}

static void pb_bytes(struct pb *b, int field, const void *p, size_t n)
{
	pb_varint(b, (uint64_t)field << 3 | 2);
	pb_varint(b, n);
	pb_raw(b, p, n);
}

static void pb_msg(struct pb *b, int field, struct pb *m)
{
	if (m->oom)
		b->oom = true;
	pb_bytes(b, field, m->buf, m->len);
	m->len = 0;
}

/* String table: index by interned pointer (names and modules are interned). */
struct strtab {
	const char **keys;
	uint32_t *idx;
	size_t cap, n;
	struct pb *out;
};

static int64_t str_index(struct strtab *t, const char *s)
{
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = ((uintptr_t)s >> 3) * 0x9e3779b97f4a7c15ULL >> 20 & (t->cap - 1); t->keys[i];
	     i = (i + 1) & (t->cap - 1))
		if (t->keys[i] == s)
			return t->idx[i];
	t->keys[i] = s;
	t->idx[i] = ++t->n;
	pb_bytes(t->out, 6, s, strlen(s));
	return t->n;
}

static void value_type(const char *unit, const char **type, const char **u)
{
	if (!strcmp(unit, "samples")) {
		*type = "samples";
		*u = "count";
	} else if (!strcmp(unit, "us")) {
		*type = "time";
		*u = "microseconds";
	} else if (!strcmp(unit, "ns")) {
		*type = "time";
		*u = "nanoseconds";
	} else if (!strcmp(unit, "bytes")) {
		*type = "space";
		*u = "bytes";
	} else {
		*type = unit;
		*u = unit;
	}
}

static int gzip_out(FILE *f, const struct pb *b)
{
	uint8_t out[65536];
	z_stream z = {};
	int ret;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	z.next_in = b->buf;
	z.avail_in = b->len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		ret = deflate(&z, Z_FINISH);
		if (ret == Z_STREAM_ERROR) {
			deflateEnd(&z);
			return -EIO;
		}
		fwrite(out, 1, sizeof(out) - z.avail_out, f);
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
	return ferror(f) ? -EIO : 0;
}

int ks_export_pprof(FILE *f, struct ks_stackset *s)
{
	struct pb prof = {}, m = {}, line = {}, ids = {};
	struct strtab st = { .out = &prof };
	struct ks_profile *pool = s->pool;
	const char *type, *unit, *comm_key, *pid_key;
	uint32_t *mapping = NULL, nmap = 0;
	size_t i;
	uint32_t j;
	int err = -ENOMEM;
	char note[700];

	st.cap = 1024;
	while (st.cap < 4 * (s->nfuncs + 64))
		st.cap *= 2;
	st.keys = calloc(st.cap, sizeof(*st.keys));
	st.idx = calloc(st.cap, sizeof(*st.idx));
	mapping = calloc(s->nfuncs + 1, sizeof(*mapping));
	if (!st.keys || !st.idx || !mapping)
		goto out;
	pb_bytes(&prof, 6, "", 0);	/* string_table[0] must be "" */
	value_type(pool->unit, &type, &unit);
	type = ks_profile__intern(pool, type);
	unit = ks_profile__intern(pool, unit);
	comm_key = ks_profile__intern(pool, "comm");
	pid_key = ks_profile__intern(pool, "pid");
	/* sample_type */
	pb_uint(&m, 1, str_index(&st, type));
	pb_uint(&m, 2, str_index(&st, unit));
	pb_msg(&prof, 1, &m);

	/* mappings: one per binary */
	for (i = 0; i < s->nfuncs; i++) {
		const char *mod = s->funcs[i].module;
		size_t k;

		if (!mod)
			continue;
		for (k = 0; k < i; k++)
			if (s->funcs[k].module == mod) {
				mapping[i] = mapping[k];
				break;
			}
		if (mapping[i])
			continue;
		mapping[i] = ++nmap;
		pb_uint(&m, 1, nmap);
		pb_uint(&m, 5, str_index(&st, mod));
		pb_uint(&m, 7, 1);	/* has_functions */
		pb_msg(&prof, 3, &m);
	}
	/* one function and one location per (name, kind, module) */
	for (i = 0; i < s->nfuncs; i++) {
		const struct ks_sfunc *fn = &s->funcs[i];
		int64_t name = str_index(&st, fn->name);

		pb_uint(&m, 1, i + 1);
		pb_uint(&m, 2, name);
		pb_uint(&m, 3, name);
		pb_uint(&m, 4, str_index(&st, fn->module));
		pb_msg(&prof, 5, &m);

		pb_uint(&m, 1, i + 1);
		pb_uint(&m, 2, mapping[i]);
		pb_uint(&line, 1, i + 1);
		pb_msg(&m, 4, &line);
		pb_msg(&prof, 4, &m);
	}
	/* samples: locations leaf first; the process frame becomes a label */
	for (i = 0; i < s->nstacks; i++) {
		const struct ks_sstack *k = &s->stacks[i];
		const uint32_t *fr = s->ids + k->off;
		uint32_t first = 0;

		if (!k->value)
			continue;
		if (k->depth > 1 && s->funcs[fr[0]].kind == KS_FRAME_PROCESS)
			first = 1;
		for (j = k->depth; j > first; j--)
			pb_varint(&ids, fr[j - 1] + 1);
		pb_msg(&m, 1, &ids);
		pb_varint(&ids, k->value);
		pb_msg(&m, 2, &ids);
		if (first) {
			struct pb lab = {};

			pb_uint(&lab, 1, str_index(&st, comm_key));
			pb_uint(&lab, 2, str_index(&st, s->funcs[fr[0]].name));
			pb_msg(&m, 3, &lab);
			if (k->pid) {
				pb_uint(&lab, 1, str_index(&st, pid_key));
				pb_uint(&lab, 3, k->pid);
				pb_msg(&m, 3, &lab);
			}
			free(lab.buf);
		}
		pb_msg(&prof, 2, &m);
	}
	pb_uint(&prof, 9, (uint64_t)time(NULL) * 1000000000ULL);
	pb_uint(&prof, 10, (uint64_t)(pool->duration_s * 1e9));
	if (pool->hz && !strcmp(pool->unit, "samples")) {
		pb_uint(&m, 1, str_index(&st, ks_profile__intern(pool, "cpu")));
		pb_uint(&m, 2, str_index(&st, ks_profile__intern(pool, "nanoseconds")));
		pb_msg(&prof, 11, &m);
		pb_uint(&prof, 12, 1000000000ULL / pool->hz);
	}
	/* what the profile could not see travels with it */
	if (s->has_acct) {
		const struct ks_accounting *a = &pool->acct;

		snprintf(note, sizeof(note), "kscope: lost %llu, stack errors %llu, "
			 "frames unnamed %llu of %llu%s%s",
			 (unsigned long long)a->lost, (unsigned long long)a->stack_errors,
			 (unsigned long long)a->frames_unnamed, (unsigned long long)a->frames,
			 a->notes[0] ? "; " : "", a->notes);
		pb_uint(&prof, 13, str_index(&st, ks_profile__intern(pool, note)));
	}
	if (prof.oom || m.oom || ids.oom || line.oom)
		goto out;
	err = gzip_out(f, &prof);
out:
	free(prof.buf);
	free(m.buf);
	free(line.buf);
	free(ids.buf);
	free(st.keys);
	free(st.idx);
	free(mapping);
	return err;
}

/* ---- speedscope: https://www.speedscope.app/file-format-schema.json ---- */

static const char *speedscope_unit(const char *unit)
{
	if (!strcmp(unit, "us"))
		return "microseconds";
	if (!strcmp(unit, "ns"))
		return "nanoseconds";
	if (!strcmp(unit, "bytes"))
		return "bytes";
	return "none";
}

static void json_name(FILE *f, const struct ks_sfunc *fn)
{
	char buf[1024];

	/* same kind suffixes as folded text: speedscope has no frame kinds */
	snprintf(buf, sizeof(buf), "%s%s", fn->name, ks_frame_suffix(fn->kind));
	ks_json_str_utf8(f, buf);
}

int ks_export_speedscope(FILE *f, struct ks_stackset *s)
{
	const char *title = s->pool->title ? s->pool->title : "kscope profile";
	size_t i;
	uint32_t j;
	bool first = true;

	fprintf(f, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n"
		"\"exporter\":\"kscope %s\",\"name\":", KSCOPE_VERSION);
	ks_json_str_utf8(f, title);
	fprintf(f, ",\"activeProfileIndex\":0,\n\"shared\":{\"frames\":[");
	for (i = 0; i < s->nfuncs; i++) {
		fprintf(f, "%s\n{\"name\":", i ? "," : "");
		json_name(f, &s->funcs[i]);
		if (s->funcs[i].module) {
			fprintf(f, ",\"file\":");
			ks_json_str_utf8(f, s->funcs[i].module);
		}
		fputc('}', f);
	}
	fprintf(f, "]},\n\"profiles\":[{\"type\":\"sampled\",\"name\":");
	ks_json_str_utf8(f, title);
	fprintf(f, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%llu,\n\"samples\":[",
		speedscope_unit(s->pool->unit),
		(unsigned long long)ks_stackset__total(s, false));
	for (i = 0; i < s->nstacks; i++) {
		const struct ks_sstack *k = &s->stacks[i];

		if (!k->value)
			continue;
		fprintf(f, "%s\n[", first ? "" : ",");
		first = false;
		for (j = 0; j < k->depth; j++)
			fprintf(f, "%s%u", j ? "," : "", s->ids[k->off + j]);
		fputc(']', f);
	}
	fprintf(f, "],\n\"weights\":[");
	first = true;
	for (i = 0; i < s->nstacks; i++) {
		if (!s->stacks[i].value)
			continue;
		fprintf(f, "%s%llu", first ? "" : ",", (unsigned long long)s->stacks[i].value);
		first = false;
	}
	fprintf(f, "]}]}\n");
	return ferror(f) ? -EIO : 0;
}

/* ---- kscope's JSON: documented in docs/formats.md ---- */

int ks_export_json(FILE *f, struct ks_stackset *s)
{
	const struct ks_profile *p = s->pool;
	const struct ks_accounting *a = &p->acct;
	size_t i;
	uint32_t j;

	fprintf(f, "{\"format\":\"kscope-profile\",\"version\":1,\"generator\":\"kscope %s\",\n"
		"\"title\":", KSCOPE_VERSION);
	if (p->title)
		ks_json_str_utf8(f, p->title);
	else
		fputs("null", f);
	fprintf(f, ",\"unit\":");
	ks_json_str_utf8(f, p->unit);
	fprintf(f, ",\"hz\":%llu,\"duration_s\":%.6f,\"total\":%llu",
		(unsigned long long)p->hz, p->duration_s,
		(unsigned long long)ks_stackset__total(s, false));
	if (s->has_base)
		fprintf(f, ",\"base_total\":%llu", (unsigned long long)ks_stackset__total(s, true));
	if (s->has_acct) {
		fputs(",\n\"accounting\":", f);
		ks_accounting_json(f, a, "samples");
	} else {
		fputs(",\n\"accounting\":null", f);
	}
	fputs(",\n\"functions\":[", f);
	for (i = 0; i < s->nfuncs; i++) {
		fprintf(f, "%s\n{\"name\":", i ? "," : "");
		ks_json_str_utf8(f, s->funcs[i].name);
		fprintf(f, ",\"kind\":\"%s\",\"module\":", kind_name(s->funcs[i].kind));
		if (s->funcs[i].module)
			ks_json_str_utf8(f, s->funcs[i].module);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fputs("],\n\"stacks\":[", f);
	for (i = 0; i < s->nstacks; i++) {
		const struct ks_sstack *k = &s->stacks[i];

		fprintf(f, "%s\n{\"pid\":%u,\"value\":%llu", i ? "," : "", k->pid,
			(unsigned long long)k->value);
		if (s->has_base)
			fprintf(f, ",\"base\":%llu", (unsigned long long)k->base);
		fputs(",\"frames\":[", f);
		for (j = 0; j < k->depth; j++)
			fprintf(f, "%s%u", j ? "," : "", s->ids[k->off + j]);
		fputs("]}", f);
	}
	fputs("]}\n", f);
	return ferror(f) ? -EIO : 0;
}

void ks_accounting_json(FILE *f, const struct ks_accounting *a, const char *events)
{
	fprintf(f, "{\"%s\":%llu,\"lost\":%llu,\"stack_errors\":%llu,\"frames\":%llu,"
		"\"frames_unnamed\":%llu,\"user_stacks\":%llu,\"user_complete\":%llu,"
		"\"notes\":", events, (unsigned long long)a->samples, (unsigned long long)a->lost,
		(unsigned long long)a->stack_errors, (unsigned long long)a->frames,
		(unsigned long long)a->frames_unnamed, (unsigned long long)a->user_stacks,
		(unsigned long long)a->user_complete);
	ks_json_str_utf8(f, a->notes);
	fputc('}', f);
}

void ks_stack_frames_json(FILE *f, const struct ks_stack *s)
{
	uint32_t i;

	fputc('[', f);
	for (i = 0; i < s->nframes; i++) {
		if (i)
			fputc(',', f);
		ks_json_str_utf8(f, s->frames[i].name);
	}
	fputc(']', f);
}

static struct ks_export_opts fill_opts(const struct ks_export_opts *o)
{
	struct ks_export_opts d = { .sz = sizeof(d) };

	if (o)
		memcpy(&d, o, o->sz && o->sz < sizeof(d) ? o->sz : sizeof(d));
	d.sz = sizeof(d);
	if (!d.width)
		d.width = 1200;
	if (d.minwidth_pct <= 0)
		d.minwidth_pct = 0.01;
	return d;
}

int ks_stackset__export(FILE *f, struct ks_stackset *s, enum ks_export_fmt fmt,
			const struct ks_export_opts *opts)
{
	struct ks_export_opts o = fill_opts(opts);
	int err;

	switch (fmt) {
	case KS_EXPORT_FOLDED:
		err = write_folded(f, s);
		break;
	case KS_EXPORT_SVG:
	case KS_EXPORT_HTML:
		err = ks_export_flame(f, s, &o, fmt == KS_EXPORT_HTML,
				      !opts || opts->minwidth_pct <= 0);
		break;
	case KS_EXPORT_PPROF:
		err = ks_export_pprof(f, s);
		break;
	case KS_EXPORT_SPEEDSCOPE:
		err = ks_export_speedscope(f, s);
		break;
	case KS_EXPORT_JSON:
		err = ks_export_json(f, s);
		break;
	default:
		return -EINVAL;
	}
	if (!err && (fflush(f) || ferror(f)))
		err = -EIO;
	return err;
}

int ks_export(FILE *f, const struct ks_profile *p, enum ks_export_fmt fmt,
	      const struct ks_export_opts *opts)
{
	struct ks_stackset *s;
	int err;

	if (fmt == KS_EXPORT_FOLDED && !(opts && opts->base))
		return ks_folded_write(f, p);
	s = ks_stackset__new(p->unit);
	if (!s)
		return -ENOMEM;
	err = ks_stackset__add_profile(s, p, false);
	if (!err && opts && opts->base)
		err = ks_stackset__add_profile(s, opts->base, true);
	if (!err)
		err = ks_stackset__export(f, s, fmt, opts);
	ks_stackset__free(s);
	return err;
}
