/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stack model: a set of distinct, symbolized stacks with a value each
 * (samples for on-CPU, microseconds for off-CPU and lock waits), plus the
 * accounting every view prints. Produced by collectors (profile, offcpu,
 * locks), by the folded reader and by the capture reader; consumed by the
 * folded/SVG/HTML/pprof/speedscope/JSON writers, the text printers, the top
 * view and the report. It knows nothing of BPF or files.
 */
#ifndef KS_PROFILE_H
#define KS_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum ks_frame_kind {
	KS_FRAME_USER = 0,
	KS_FRAME_KERNEL,	/* folded: "_[k]" suffix */
	KS_FRAME_JIT,		/* perf-PID.map, interpreted: "_[j]" */
	KS_FRAME_INLINE,	/* "_[i]" */
	KS_FRAME_PROCESS,	/* the root frame: process (comm) name */
	KS_FRAME_OFFCPU,	/* an off-CPU reason marker frame */
	KS_FRAME_UNKNOWN,	/* could not be named: "binary+0xoff" / "[unknown]" */
};

struct ks_frame {
	const char *name;	/* interned in the profile's string pool */
	const char *module;	/* binary path or "[kernel]"/"[mod]"; may be NULL */
	uint64_t addr;		/* runtime address (0 when read from folded) */
	uint64_t offset;	/* file offset inside module (pprof mapping) */
	uint8_t kind;		/* enum ks_frame_kind */
};

struct ks_stack {
	uint32_t pid, tid;
	uint32_t nframes;
	struct ks_frame *frames;	/* root first: frames[0] is the process */
	uint64_t value;
};

/* What a profile could not see; printed by every view. */
struct ks_accounting {
	uint64_t samples;		/* events seen in the kernel */
	uint64_t lost;			/* dropped: full maps, ring buffer */
	uint64_t stack_errors;		/* failed or colliding stack reads */
	uint64_t frames;		/* frames in kept stacks */
	uint64_t frames_unnamed;	/* of those, without a symbol */
	uint64_t user_stacks;		/* samples with a user stack */
	uint64_t user_complete;		/* ... unwound to the thread entry */
	char notes[512];		/* free text: unavailable signals etc. */
};

struct ks_profile {
	const char *unit;		/* "samples", "us", "ns", "bytes" */
	const char *title;
	uint64_t hz;			/* sampling rate, 0 if not sampled */
	double duration_s;
	size_t nstacks, cap;
	struct ks_stack *stacks;
	struct ks_accounting acct;
	struct ks_strpool *pool;
};

struct ks_profile *ks_profile__new(const char *unit);
void ks_profile__free(struct ks_profile *p);
/* Intern a string in the profile's pool (stable pointer, deduplicated). */
const char *ks_profile__intern(struct ks_profile *p, const char *s);
/*
 * Add a stack (frames root first, names already interned or not: they are
 * interned here). Identical stacks (same pid filter applied by caller, same
 * frame names and kinds) are merged and their values summed.
 */
int ks_profile__add(struct ks_profile *p, uint32_t pid, uint32_t tid,
		    const struct ks_frame *frames, uint32_t nframes, uint64_t value);
uint64_t ks_profile__total(const struct ks_profile *p);
/* Sort stacks by value, descending (ties by folded text). */
void ks_profile__sort(struct ks_profile *p);

/* Folded stacks (flamegraph.pl / inferno): "a;b;c 123\n". */
int ks_folded_write(FILE *f, const struct ks_profile *p);
/* Read folded text; kinds from _[k]/_[j]/_[i] suffixes. -EINVAL on bad line. */
int ks_folded_read(FILE *f, struct ks_profile *p, const char *name_for_errors);
/* The folded suffix of a frame kind: "_[k]", "_[j]", "_[i]" or "". */
const char *ks_frame_suffix(uint8_t kind);
/* A frame name for folded text: ';' becomes ':', line breaks spaces. */
void ks_folded_name(FILE *f, const char *name);
/*
 * Parse one folded line in place (names point into @line, kinds from the
 * suffixes, counts may be floats). 0: a stack; 1: blank or '#' comment;
 * -EINVAL: bad line, *@why says why.
 */
int ks_folded_parse_line(char *line, struct ks_frame *fr, uint32_t max, uint32_t *n,
			 double *value, const char **why);
/* The accounting summary, one block, for stderr or the text report. */
void ks_accounting_print(FILE *f, const struct ks_profile *p);

#endif /* KS_PROFILE_H */
