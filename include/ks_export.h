/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exporters of a stack profile: folded text, flame graph SVG, one-page
 * HTML (flame graph + sortable function table), pprof (gzipped
 * profile.proto), speedscope JSON and kscope's own JSON (docs/formats.md).
 *
 * Every profiling command writes its output through ks_export(); `kscope
 * flame` reads folded files into a struct ks_stackset (a compact form that
 * renders a 100 MB folded file in a fraction of its size) and exports that.
 */
#ifndef KS_EXPORT_H
#define KS_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "ks_profile.h"

enum ks_export_fmt {
	KS_EXPORT_FOLDED = 0,
	KS_EXPORT_SVG,
	KS_EXPORT_HTML,
	KS_EXPORT_PPROF,
	KS_EXPORT_SPEEDSCOPE,
	KS_EXPORT_JSON,
	KS_EXPORT__COUNT,
};

struct ks_export_opts {
	size_t sz;			/* sizeof(struct ks_export_opts) */
	const char *title;		/* default: profile title or "Flame Graph" */
	const char *subtitle;		/* optional second line */
	unsigned int width;		/* SVG width in px (default 1200) */
	double minwidth_pct;		/* merge frames narrower than this share
					 * of the total into one remainder per
					 * parent; 0: 0.01%, raised as needed to
					 * keep the graph under 30000 frames */
	bool inverted;			/* icicle graph: roots at the top */
	bool hash;			/* colour by function name: stable across graphs */
	bool negate;			/* differential: widths from the base */
	const struct ks_profile *base;	/* differential graph against this */
};

/*
 * A format from a name ("svg", "pprof", ...) or from a path's extension
 * (".svg", ".html"/".htm", ".pb.gz"/".pprof", ".speedscope.json", ".json",
 * ".folded"/".txt"). Returns the enum value, or -EINVAL.
 */
int ks_export_fmt_parse(const char *name_or_path);
const char *ks_export_fmt_name(enum ks_export_fmt fmt);
/*
 * A front end's --format/-o pair: the named format if @name is given,
 * else the one @path's extension says; -ENOENT when neither tells (the
 * caller's default applies, e.g. text), -EINVAL for an unknown name.
 * "kscope profile -o cpu.svg" and "--format html -o report" both work.
 */
int ks_export_resolve(const char *name, const char *path);

/* Write @p to @f in @fmt. @opts may be NULL. 0 or -errno. */
int ks_export(FILE *f, const struct ks_profile *p, enum ks_export_fmt fmt,
	      const struct ks_export_opts *opts);

/*
 * A profile's accounting as a JSON object, its event count under @events
 * ("samples", "waits", "periods"): {"samples":N,"lost":N,...,"notes":".."}.
 */
void ks_accounting_json(FILE *f, const struct ks_accounting *a, const char *events);
/* A stack's frame names as a JSON array, root (the process) first: ["app","main",..] */
void ks_stack_frames_json(FILE *f, const struct ks_stack *s);

/*
 * The compact stack set: functions (name, kind, module) numbered once,
 * stacks as arrays of function ids, each with a value and, for
 * differential graphs, a base value.
 */
struct ks_stackset;

struct ks_stackset *ks_stackset__new(const char *unit);
void ks_stackset__free(struct ks_stackset *s);
/* Add a profile's stacks (as base values when @as_base). */
int ks_stackset__add_profile(struct ks_stackset *s, const struct ks_profile *p, bool as_base);
/*
 * Read folded text (flamegraph.pl/inferno compatible; also difffolded.pl's
 * "stack before after" lines, which make a differential set). Values go to
 * the base when @as_base. Bad line: "NAME:LINE: reason" via ks_err, -EINVAL.
 */
int ks_stackset__read_folded(struct ks_stackset *s, FILE *f, const char *name, bool as_base);
/* Totals of values and of base values. */
uint64_t ks_stackset__total(const struct ks_stackset *s, bool base);
size_t ks_stackset__nstacks(const struct ks_stackset *s);
void ks_stackset__set_meta(struct ks_stackset *s, const char *title, uint64_t hz,
			   double duration_s, const struct ks_accounting *acct);
/* Export a stack set; opts->base is ignored (add base stacks to the set). */
int ks_stackset__export(FILE *f, struct ks_stackset *s, enum ks_export_fmt fmt,
			const struct ks_export_opts *opts);

#endif /* KS_EXPORT_H */
