// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the stack set, flame graph layout and the exporters
 * (user/stackset.c, user/flamegraph.c, user/export.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "stackset.h"

static struct ks_stackset *set_from(const char *text, int *err)
{
	struct ks_stackset *s = ks_stackset__new("samples");
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(s);
	assert_non_null(f);
	*err = ks_stackset__read_folded(s, f, "t.folded", false);
	fclose(f);
	return s;
}

static char *export_str(struct ks_stackset *s, enum ks_export_fmt fmt,
			const struct ks_export_opts *o, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	assert_int_equal(ks_stackset__export(f, s, fmt, o), 0);
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

/* "depth name value" per box: the structure of a graph, not its bytes. */
static char *layout_str(struct ks_stackset *s, uint64_t min_w)
{
	struct ks_box *b = NULL;
	uint32_t maxd;
	long n, i;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	n = ks_stackset__layout(s, min_w, false, &b, &maxd);
	assert_true(n > 0);
	for (i = 0; i < n; i++)
		fprintf(f, "%u %s %llu x%llu\n", b[i].depth,
			!b[i].depth ? "all" : b[i].func == KS_BOX_REST ? "REST" : s->funcs[b[i].func].name,
			(unsigned long long)b[i].value, (unsigned long long)b[i].x);
	fclose(f);
	free(b);
	return buf;
}

static void fmt_parse__names_and_paths__mapped(void **state)
{
	assert_int_equal(ks_export_fmt_parse("svg"), KS_EXPORT_SVG);
	assert_int_equal(ks_export_fmt_parse("HTML"), KS_EXPORT_HTML);
	assert_int_equal(ks_export_fmt_parse("out/cpu.svg"), KS_EXPORT_SVG);
	assert_int_equal(ks_export_fmt_parse("cpu.htm"), KS_EXPORT_HTML);
	assert_int_equal(ks_export_fmt_parse("cpu.pb.gz"), KS_EXPORT_PPROF);
	assert_int_equal(ks_export_fmt_parse("cpu.speedscope.json"), KS_EXPORT_SPEEDSCOPE);
	assert_int_equal(ks_export_fmt_parse("cpu.json"), KS_EXPORT_JSON);
	assert_int_equal(ks_export_fmt_parse("cpu.folded"), KS_EXPORT_FOLDED);
	assert_int_equal(ks_export_fmt_parse("cpu.png"), -EINVAL);
	assert_int_equal(ks_export_fmt_parse(""), -EINVAL);
	assert_int_equal(ks_export_fmt_parse(NULL), -EINVAL);
}

static void export_resolve__name_then_extension__chosen(void **state)
{
	assert_int_equal(ks_export_resolve("html", "x.svg"), KS_EXPORT_HTML);
	assert_int_equal(ks_export_resolve(NULL, "x.svg"), KS_EXPORT_SVG);
	assert_int_equal(ks_export_resolve(NULL, "report"), -ENOENT);
	assert_int_equal(ks_export_resolve(NULL, "-"), -ENOENT);
	assert_int_equal(ks_export_resolve(NULL, NULL), -ENOENT);
	assert_int_equal(ks_export_resolve("x.svg", NULL), -EINVAL);
	assert_int_equal(ks_export_resolve("png", NULL), -EINVAL);
}

/* Golden structure: sorted siblings, duplicates merged, x offsets. */
static void layout__small_input__golden_structure(void **state)
{
	int err;
	struct ks_stackset *s = set_from("a;c 2\nb;x 4\na;b 3\na;c 5\na 1\n", &err);
	char *out;

	assert_int_equal(err, 0);
	out = layout_str(s, 1);
	assert_string_equal(out,
			    "0 all 15 x0\n"
			    "1 a 11 x0\n"
			    "2 b 3 x0\n"
			    "2 c 7 x3\n"
			    "1 b 4 x11\n"
			    "2 x 4 x11\n");
	free(out);
	ks_stackset__free(s);
}

static void layout__narrow_siblings__one_remainder_per_parent(void **state)
{
	int err;
	struct ks_stackset *s = set_from("m;big 100\nm;t1 1\nm;t2 2\nm;t3;deep 1\nn;u1 1\n", &err);
	struct ks_box *b = NULL;
	uint32_t maxd;
	long n, i, rest = 0;

	assert_int_equal(err, 0);
	n = ks_stackset__layout(s, 10, false, &b, &maxd);
	/* all, m, big, REST(m: t1 t2 t3), REST(root: n) */
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++) {
		if (b[i].func != KS_BOX_REST || !b[i].depth)
			continue;
		rest++;
		if (b[i].depth == 2) {
			assert_int_equal(b[i].nmerged, 3);
			assert_int_equal(b[i].value, 4);
			assert_int_equal(b[i].x, 100);	/* after the drawn sibling */
		} else {
			assert_int_equal(b[i].depth, 1);
			assert_int_equal(b[i].nmerged, 1);
			assert_int_equal(b[i].value, 1);
		}
	}
	assert_int_equal(rest, 2);
	assert_int_equal(maxd, 2);	/* "deep" is not drawn: merged into its parent's rest */
	free(b);
	ks_stackset__free(s);
}

static void read_folded__two_counts__differential(void **state)
{
	int err;
	struct ks_stackset *s = set_from("a;b 10 30\na;c 5 0\n", &err);

	assert_int_equal(err, 0);
	assert_true(s->has_base);
	assert_int_equal(ks_stackset__total(s, false), 30);
	assert_int_equal(ks_stackset__total(s, true), 15);
	ks_stackset__free(s);
}

static void read_folded__bad_line__einval(void **state)
{
	int err;
	struct ks_stackset *s = set_from("a;b 1\na;b\n", &err);

	assert_int_equal(err, -EINVAL);
	ks_stackset__free(s);
	s = set_from("a;b 1\n;;; x\n", &err);
	assert_int_equal(err, -EINVAL);
	ks_stackset__free(s);
}

static void read_folded__long_line_over_buffer__read(void **state)
{
	size_t n = 3 << 20, i;	/* the line below is 6 MB: longer than the 4 MB chunk */
	char *text = malloc(2 * n + 64);
	struct ks_stackset *s;
	int err;

	/* a short line, then a line of ~6 MB (one huge name) that must straddle the buffer */
	strcpy(text, "x;y 1\n");
	memset(text + 6, 'f', 2 * n);
	strcpy(text + 6 + 2 * n - 1, " 7\n");
	(void)i;
	s = set_from(text, &err);
	assert_int_equal(err, 0);
	assert_int_equal(ks_stackset__nstacks(s), 2);
	assert_int_equal(ks_stackset__total(s, false), 8);
	free(text);
	ks_stackset__free(s);
}

static void functions__recursion__total_counted_once(void **state)
{
	int err;
	struct ks_stackset *s = set_from("a;r;r;r 5\na;b 1\n", &err);
	struct ks_fstat *st = NULL;
	long n, i;
	bool seen = false;

	assert_int_equal(err, 0);
	n = ks_stackset__functions(s, &st);
	for (i = 0; i < n; i++) {
		if (strcmp(s->funcs[st[i].func].name, "r"))
			continue;
		seen = true;
		assert_int_equal(st[i].total, 5);
		assert_int_equal(st[i].self, 5);
	}
	assert_true(seen);
	free(st);
	ks_stackset__free(s);
}

static void svg__long_name__cut_visibly_full_in_title(void **state)
{
	int err;
	struct ks_stackset *s = set_from("app;std::vector<int>::a_function_name_far_too_long_to_fit_in_"
					 "a_narrow_box_of_a_few_hundred_pixels_aaaaaaaaaaaaaaaaaaaaaaaa"
					 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1\n"
					 "app;short 1\n", &err);
	struct ks_export_opts o = { .sz = sizeof(o), .width = 400 };
	char *svg;

	assert_int_equal(err, 0);
	svg = export_str(s, KS_EXPORT_SVG, &o, NULL);
	/* the full name, escaped for a script, is in the viewer's data */
	assert_non_null(strstr(svg, "\"std::vector\\u003cint\\u003e::a_function_name_far_too_long"));
	assert_non_null(strstr(svg, "..</text>"));
	assert_non_null(strstr(svg, "<![CDATA["));
	free(svg);
	ks_stackset__free(s);
}

/* The fill of the frame labelled @name (short names: labels are whole). */
static const char *fill_of(const char *svg, const char *name, char *out, size_t len)
{
	char key[128];
	const char *p, *q;

	snprintf(key, sizeof(key), "\">%s</text>", name);
	p = strstr(svg, key);
	assert_non_null(p);
	while (p > svg && strncmp(p, "fill=\"", 6))
		p--;
	assert_true(p > svg);
	p += 6;
	q = strchr(p, '"');
	snprintf(out, len, "%.*s", (int)(q - p), p);
	return out;
}

static void svg__hash__colour_stable_across_graphs(void **state)
{
	int err;
	struct ks_stackset *a = set_from("app;zzz 5\napp;foo 3\n", &err);
	struct ks_stackset *b = set_from("other;x;y;foo 9\nother;aaa 1\napp;m 4\n", &err);
	struct ks_export_opts o = { .sz = sizeof(o), .hash = true };
	char *sa, *sb, ca[32], cb[32];

	sa = export_str(a, KS_EXPORT_SVG, &o, NULL);
	sb = export_str(b, KS_EXPORT_SVG, &o, NULL);
	assert_string_equal(fill_of(sa, "foo", ca, sizeof(ca)), fill_of(sb, "foo", cb, sizeof(cb)));
	free(sa);
	free(sb);
	ks_stackset__free(a);
	ks_stackset__free(b);
}

static void svg__kinds__different_hues(void **state)
{
	int err;
	struct ks_stackset *s = set_from("app;f;k_[k] 5\napp;f;j_[j] 5\n", &err);
	struct ks_export_opts o = { .sz = sizeof(o), .hash = true };
	char *svg, ck[32], cj[32], cu[32];
	int r, g, b;

	svg = export_str(s, KS_EXPORT_SVG, &o, NULL);
	fill_of(svg, "k", ck, sizeof(ck));
	fill_of(svg, "j", cj, sizeof(cj));
	fill_of(svg, "f", cu, sizeof(cu));
	/* kernel: orange (green channel mid), JIT: green dominant, user: red dominant */
	assert_int_equal(sscanf(ck, "rgb(%d,%d,%d)", &r, &g, &b), 3);
	assert_true(r > 200 && g >= 120 && b < 30);
	assert_int_equal(sscanf(cj, "rgb(%d,%d,%d)", &r, &g, &b), 3);
	assert_true(g > r && g > b);
	assert_int_equal(sscanf(cu, "rgb(%d,%d,%d)", &r, &g, &b), 3);
	assert_true(r > 200 && g < 100);
	free(svg);
	ks_stackset__free(s);
}

static void svg__diff__red_grew_blue_shrank(void **state)
{
	int err;
	struct ks_stackset *s = set_from("a;grew 10 30\na;shrank 30 10\n", &err);
	char *svg, cg[32], cs[32];
	int r, g, b;

	svg = export_str(s, KS_EXPORT_SVG, NULL, NULL);
	fill_of(svg, "grew", cg, sizeof(cg));
	fill_of(svg, "shrank", cs, sizeof(cs));
	assert_int_equal(sscanf(cg, "rgb(%d,%d,%d)", &r, &g, &b), 3);
	assert_true(r == 255 && b < 255);
	assert_int_equal(sscanf(cs, "rgb(%d,%d,%d)", &r, &g, &b), 3);
	assert_true(b == 255 && r < 255);
	assert_non_null(strstr(svg, "diff:1"));
	free(svg);
	ks_stackset__free(s);
}

/* Walk a protobuf message's top-level fields. */
static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	int shift = 0;

	while (*p < end) {
		uint8_t c = *(*p)++;

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			break;
		shift += 7;
	}
	return v;
}

static void pprof__gzip_protobuf__samples_sum_to_total(void **state)
{
	int err;
	struct ks_stackset *s = set_from("app;main;f 7\napp;main;g_[k] 5\n", &err);
	size_t len, nsamples = 0, nfuncs = 0, nstrings = 0;
	uint8_t out[1 << 16];
	const uint8_t *p, *end;
	uint64_t sum = 0;
	uLongf outlen;
	z_stream z = {};
	char *gz;

	gz = export_str(s, KS_EXPORT_PPROF, NULL, &len);
	assert_true((uint8_t)gz[0] == 0x1f && (uint8_t)gz[1] == 0x8b);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (uint8_t *)gz;
	z.avail_in = len;
	z.next_out = out;
	z.avail_out = sizeof(out);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	outlen = sizeof(out) - z.avail_out;
	inflateEnd(&z);
	for (p = out, end = out + outlen; p < end;) {
		uint64_t key = varint(&p, end), field = key >> 3, n;
		const uint8_t *m, *mend;

		if ((key & 7) == 0) {
			varint(&p, end);
			continue;
		}
		assert_int_equal(key & 7, 2);
		n = varint(&p, end);
		m = p;
		mend = p + n;
		p += n;
		if (field == 5)
			nfuncs++;
		if (field == 6)
			nstrings++;
		if (field != 2)
			continue;
		nsamples++;
		while (m < mend) {	/* Sample: 2 = packed values */
			uint64_t k = varint(&m, mend), l = varint(&m, mend);
			const uint8_t *v = m;

			m += l;
			if (k >> 3 == 2)
				sum += varint(&v, m);
		}
	}
	assert_int_equal(nsamples, 2);
	assert_int_equal(sum, 12);
	assert_int_equal(nfuncs, 4);
	assert_true(nstrings >= 6);
	free(gz);
	ks_stackset__free(s);
}

static void json__own_schema__fields_present(void **state)
{
	int err;
	struct ks_stackset *s = set_from("app;main;f_[k] 7\n", &err);
	char *js = export_str(s, KS_EXPORT_JSON, NULL, NULL);

	assert_non_null(strstr(js, "\"format\":\"kscope-profile\",\"version\":1"));
	assert_non_null(strstr(js, "\"total\":7"));
	assert_non_null(strstr(js, "{\"name\":\"f\",\"kind\":\"kernel\",\"module\":null}"));
	assert_non_null(strstr(js, "\"frames\":[0,1,2]"));
	free(js);
	js = export_str(s, KS_EXPORT_SPEEDSCOPE, NULL, NULL);
	assert_non_null(strstr(js, "\"name\":\"f_[k]\""));
	assert_non_null(strstr(js, "\"weights\":[7]"));
	free(js);
	ks_stackset__free(s);
}

static void export__profile__process_frame_and_module_kept(void **state)
{
	struct ks_profile *p = ks_profile__new("samples");
	struct ks_frame fr[3] = {
		{ .name = "myapp", .kind = KS_FRAME_PROCESS },
		{ .name = "main", .module = "/usr/bin/myapp" },
		{ .name = "schedule", .kind = KS_FRAME_KERNEL, .module = "[kernel]" },
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(ks_profile__add(p, 42, 42, fr, 3, 9), 0);
	assert_int_equal(ks_export(f, p, KS_EXPORT_JSON, NULL), 0);
	fclose(f);
	assert_non_null(strstr(buf, "{\"name\":\"myapp\",\"kind\":\"process\""));
	assert_non_null(strstr(buf, "\"module\":\"/usr/bin/myapp\""));
	assert_non_null(strstr(buf, "\"pid\":42"));
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(ks_export(f, p, KS_EXPORT_FOLDED, NULL), 0);
	fclose(f);
	assert_string_equal(buf, "myapp;main;schedule_[k] 9\n");
	free(buf);
	ks_profile__free(p);
}

static void export__base_profile__differential_folded(void **state)
{
	struct ks_profile *now = ks_profile__new("us"), *before = ks_profile__new("us");
	struct ks_frame fr[2] = { { .name = "app", .kind = KS_FRAME_PROCESS }, { .name = "wait" } };
	struct ks_export_opts o = { .sz = sizeof(o), .base = before };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(ks_profile__add(now, 1, 1, fr, 2, 30), 0);
	assert_int_equal(ks_profile__add(before, 1, 1, fr, 2, 10), 0);
	/* difffolded.pl's layout: "stack before after" for every stack of either side */
	assert_int_equal(ks_export(f, now, KS_EXPORT_FOLDED, &o), 0);
	fclose(f);
	assert_string_equal(buf, "app;wait 10 30\n");
	free(buf);
	ks_profile__free(now);
	ks_profile__free(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fmt_parse__names_and_paths__mapped),
		cmocka_unit_test(export_resolve__name_then_extension__chosen),
		cmocka_unit_test(layout__small_input__golden_structure),
		cmocka_unit_test(layout__narrow_siblings__one_remainder_per_parent),
		cmocka_unit_test(read_folded__two_counts__differential),
		cmocka_unit_test(read_folded__bad_line__einval),
		cmocka_unit_test(read_folded__long_line_over_buffer__read),
		cmocka_unit_test(functions__recursion__total_counted_once),
		cmocka_unit_test(svg__long_name__cut_visibly_full_in_title),
		cmocka_unit_test(svg__hash__colour_stable_across_graphs),
		cmocka_unit_test(svg__kinds__different_hues),
		cmocka_unit_test(svg__diff__red_grew_blue_shrank),
		cmocka_unit_test(pprof__gzip_protobuf__samples_sum_to_total),
		cmocka_unit_test(json__own_schema__fields_present),
		cmocka_unit_test(export__profile__process_frame_and_module_kept),
		cmocka_unit_test(export__base_profile__differential_folded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
