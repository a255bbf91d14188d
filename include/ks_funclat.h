/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Application probes: latency of user functions (uprobe + uretprobe) and
 * USDT probes (counts, begin/end latency), aggregated in the kernel per
 * (process, probe) into struct ks_hist. Shared by bpf/funclat.bpf.c and the
 * loader user/funclat.c; front ends: tools/funclat.c, tools/usdt.c, and
 * `kscope report --probe`.
 *
 * Library use (what `report --probe TARGET:FUNC` does):
 *
 *	struct ks_funclat_opts o = { .sz = sizeof(o), .mode = KS_FL_MODE_FUNC,
 *				     .spec = "libc:malloc,free", .pids = pids, .npids = n };
 *	struct ks_funclat *fl = ks_funclat__open(&o);	// NULL + errno; error printed
 *	struct ks_funclat_result r = {}, tot = {};
 *	ks_funclat__read(fl, &r);		// rows seen since open / the last read
 *	ks_funclat_result__totals(&r, &tot);	// optional: one row per function
 *	for (i = 0; i < r.n; i++)		// name, pid, comm, calls, timed, lat
 *		ks_hist_pct(&r.rows[i].lat, 99) ...;
 *	r.drops[]: what the kernel side lost (ks_fl_counter_name());
 *	ks_funclat__notes(fl): skipped IFUNCs, failed attachments, unmapped files
 *	ks_funclat_result__free(&r); ks_funclat_result__free(&tot);
 *	ks_funclat__free(fl);
 *
 * Needs task local storage (5.11). Uses attach cookies (5.15) to tell probes
 * apart, else their address in the page; uprobe_multi links (6.6) when the
 * kernel has them, else one perf_event uprobe per probe. KSCOPE_NO_COOKIE=1
 * and KSCOPE_NO_UPROBE_MULTI=1 force the fallbacks (tests).
 */
#ifndef KS_FUNCLAT_H
#define KS_FUNCLAT_H

#include "ks_types.h"

#define KS_FL_MAX_PROBES	4096	/* distinct probe indexes (cookies) */
#define KS_FL_DEPTH		32	/* timed nesting per thread; a power of 2 */
#define KS_FL_PAGE_MASK		0xfff	/* no cookies: probes told apart by IP & this */

/* Per (process, probe) aggregate, the value of the "stats" hash map. */
struct ks_fl_key {
	__u32 tgid;
	__u32 idx;		/* probe index (the attach cookie) */
};

struct ks_fl_val {
	__u64 calls;		/* exact: counted on every entry / hit */
	__u64 unmatched;	/* entries whose return was never seen */
	__u64 untimed;		/* entries not timed (nesting past KS_FL_DEPTH) */
	char comm[KS_COMM_LEN];
	struct ks_hist lat;	/* timed calls; lat.count = returns seen */
};

/* Per-thread stack of open calls (task local storage). */
struct ks_fl_frame {
	__u64 ts;
	__u64 sp;		/* stack pointer at entry: detects skipped returns */
	__u32 idx;
	__u32 tgid;
};

struct ks_fl_stack {
	__u32 depth;		/* may exceed KS_FL_DEPTH: deeper calls are untimed */
	__u32 pad;
	struct ks_fl_frame f[KS_FL_DEPTH];
};

/* USDT begin/end pairs: open begin per (thread, pair). */
struct ks_fl_open_key {
	__u32 tid;
	__u32 idx;
};

/* Drop counters (per-CPU array): nothing is lost silently. */
enum ks_fl_counter {
	KS_FL_MAP_FULL,		/* stats map full: calls of a new process not counted */
	KS_FL_NO_STORAGE,	/* task storage allocation failed: call untimed */
	KS_FL_NO_ENTRY,		/* a return without its entry (probe attached mid-call) */
	KS_FL_SKIPPED_RET,	/* an entry whose return never came (longjmp, exception) */
	KS_FL_OPEN_FULL,	/* begin/end map full: a pair untimed */
	KS_FL_END_NO_BEGIN,	/* an end without a begin on the same thread */
	KS_FL_UNKNOWN_IP,	/* no cookies: a hit whose address is no known probe */
	KS_FL_CTR__COUNT,
};

#ifndef __VMLINUX_H__	/* user-space API */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ks_syms.h"

struct ks_funclat;

enum ks_fl_mode {
	KS_FL_MODE_FUNC,	/* spec "TARGET:FUNC[,FUNC...]": entry + return, timed */
	KS_FL_MODE_USDT,	/* spec "BINARY:PROVIDER:NAME[,END]": hits, or begin/end latency */
};

struct ks_funclat_opts {
	size_t sz;		/* sizeof(struct ks_funclat_opts) */
	enum ks_fl_mode mode;
	const char *spec;	/* see ks_fl_mode; FUNC and NAME may be globs */
	const __u32 *pids;	/* NULL: every process mapping the binary */
	int npids;
	bool count_only;	/* functions: count calls, no timing (cheaper) */
	unsigned int max_entries;	/* (process, probe) rows in the kernel; 0: 8192 */
};

struct ks_funclat_row {
	const char *name;	/* function, or "provider:name[,end]"; owned by the loader */
	const char *target;	/* resolved binary path; owned by the loader */
	uint32_t pid;		/* tgid */
	char comm[KS_COMM_LEN];
	bool timed;		/* lat is meaningful (not --count, not a lone USDT probe) */
	uint64_t calls;		/* exact calls / hits since the last read */
	uint64_t unmatched;	/* entries whose return was never seen */
	uint64_t untimed;	/* calls not timed (too deep) */
	struct ks_hist lat;	/* ns */
};

struct ks_funclat_result {
	size_t n, cap;
	struct ks_funclat_row *rows;
	uint64_t drops[KS_FL_CTR__COUNT];	/* since the last read */
	uint64_t t_start_ns, t_end_ns;		/* CLOCK_MONOTONIC interval */
};

/*
 * Resolve the spec (path or library name, globs against .symtab/.dynsym or
 * .note.stapsdt), load, attach. On failure print one clear error (with near
 * matches for an unknown symbol) and return NULL with errno set.
 */
struct ks_funclat *ks_funclat__open(const struct ks_funclat_opts *opts);
/* Fill @res (emptied first) with what was seen since the last read. */
int ks_funclat__read(struct ks_funclat *fl, struct ks_funclat_result *res);
/* True when every -p process has exited (always false system-wide). */
bool ks_funclat__done(struct ks_funclat *fl);
/* "3 functions in /lib/x86_64-linux-gnu/libc.so.6 (4 uprobes + 4 uretprobes)". */
const char *ks_funclat__describe(const struct ks_funclat *fl);
/* The resolved binary path. */
const char *ks_funclat__target(const struct ks_funclat *fl);
/* Things the user must know: skipped IFUNCs, attach failures, fallbacks. */
const char *ks_funclat__notes(const struct ks_funclat *fl);
/*
 * Totals per probe over all processes into @out (emptied first): one row per
 * name, pid 0, comm "(all)", histograms merged. For system-wide summaries
 * and the report.
 */
int ks_funclat_result__totals(const struct ks_funclat_result *res, struct ks_funclat_result *out);
void ks_funclat__free(struct ks_funclat *fl);
void ks_funclat_result__free(struct ks_funclat_result *res);
const char *ks_fl_counter_name(enum ks_fl_counter c);

/* ELF helpers (user/elfsym.c), exposed for `kscope usdt list` and unit tests. */

struct ks_usdt_note {
	char *provider, *name, *args;
	uint64_t pc;		/* ELF vaddr, prelink-adjusted */
	uint64_t pc_off;	/* file offset of pc */
	uint64_t sem;		/* semaphore vaddr, 0: none */
	uint64_t sem_off;	/* file offset of the semaphore */
};

/* Parse .note.stapsdt of @path: the count (>= 0) or -errno; free with ks_usdt_notes_free(). */
int ks_usdt_notes(const char *path, struct ks_usdt_note **out);
void ks_usdt_notes_free(struct ks_usdt_note *notes, int n);

/*
 * Resolve a probe target: a path (absolute or relative), a program in $PATH,
 * or a library name ("libc", "libpthread.so.0", "ssl") looked up in
 * /proc/PID/maps (when @pid > 0), `ldconfig -p`, then the standard library
 * directories. Writes the path into @buf; 0 or -ENOENT.
 */
int ks_resolve_target(const char *target, int pid, char *buf, size_t len);

struct ks_elf_func {
	char *name;
	char *demangled;	/* C++ "ns::f(int)", NULL if not mangled or no demangler */
	uint64_t addr;		/* ELF vaddr */
	uint64_t off;		/* file offset */
	bool ifunc;		/* STT_GNU_IFUNC: the address is the resolver */
};
/*
 * Functions of @path (.symtab, .dynsym, and the build-id debug file's .symtab
 * when one is installed), sorted by name, duplicates (name, addr) removed.
 */
int ks_elf_funcs(const char *path, struct ks_elf_func **out);
void ks_elf_funcs_free(struct ks_elf_func *f, int n);
/* Levenshtein distance, capped at @cap (for "did you mean"). */
int ks_edit_distance(const char *a, const char *b, int cap);
#endif

#endif /* KS_FUNCLAT_H */
