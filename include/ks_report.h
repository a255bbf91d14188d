/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report analyzer (user/report.c): pure functions over a struct
 * ks_model (+ /proc snapshots for USE) that give time budgets (TSA method),
 * USE per resource, ranked findings and the coverage ledger. The writers
 * (report_json.c, report_md.c, report_html.c) only render a struct ks_report.
 * JSON schema: docs/report-format.md.
 */
#ifndef KS_REPORT_H
#define KS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "ks_model.h"

#define KS_REPORT_SCHEMA	"kscope-report/1"

enum ks_budget_state {
	KS_B_ONCPU = 0,
	KS_B_RUNQ,		/* waiting for a CPU */
	KS_B_IO,		/* I/O wait (uninterruptible) */
	KS_B_LOCK,		/* lock wait (futex stacks) */
	KS_B_SLEEP,		/* voluntary sleep */
	KS_B_OTHER,
	KS_B__COUNT,
};

struct ks_budget {
	uint32_t pid, tgid;
	char comm[16];
	double s[KS_B__COUNT];	/* seconds in each state */
	double total;
};

/* /proc snapshot for the USE method, taken at the start and at the end. */
struct ks_proc_snap {
	uint64_t cpu_busy, cpu_total;	/* jiffies, all CPUs */
	double psi_cpu_some, psi_mem_some, psi_mem_full, psi_io_some;	/* avg10 */
	bool have_psi;
	uint64_t mem_total_kb, mem_avail_kb, swap_total_kb, swap_free_kb;
	uint64_t pswpin, pswpout, pgmajfault, pgscan;	/* /proc/vmstat */
	uint64_t disk_io_ms, disk_weighted_ms, disk_ios;	/* all whole disks */
	uint64_t net_bytes, net_errs, net_drops;
	double loadavg1;
	int ncpus;
};
/* Read /proc; fields the kernel does not give stay 0 (and are noted). */
void ks_proc_snap_read(struct ks_proc_snap *s);

struct ks_use {
	const char *resource;		/* "cpu", "memory", "disk", "network" */
	double util;			/* 0..1, < 0: unknown */
	double saturation;		/* resource-specific, < 0: unknown */
	const char *sat_unit;		/* "runq p99 ms", "psi some %" ... */
	double errors;			/* < 0: unknown */
	char note[128];
};

enum ks_finding_class {
	KS_F_CPU_BOUND = 0,
	KS_F_CPU_SATURATION,
	KS_F_DISK_IO,
	KS_F_LOCK_CONTENTION,
	KS_F_MEMORY_PRESSURE,
	KS_F_SYSCALL_OVERHEAD,
	KS_F_IDLE,
	KS_F__COUNT,
};

#define KS_FINDING_STACKS 3

struct ks_finding {
	enum ks_finding_class cls;
	double score;			/* rank key: seconds of target time explained */
	const char *severity;		/* "critical", "warning", "info" */
	uint32_t pid;
	char comm[16];
	char statement[256];
	char evidence[512];
	char threshold[160];
	char next[256];
	double share;			/* of the process's observed time */
	char stacks[KS_FINDING_STACKS][1024];	/* folded, root first */
	uint64_t stack_vals[KS_FINDING_STACKS];
	int nstacks;
};

struct ks_coverage {
	char signal[48];
	char reason[160];
	char impact[160];
};

struct ks_report {
	double duration_s;
	char target[128];		/* "whole system", "pid 1234", "cgroup /x" */
	struct ks_budget total;		/* the whole target */
	struct ks_budget *procs;	/* by total time, descending */
	size_t nprocs;
	struct ks_use use[4];
	size_t nuse;
	struct ks_finding *findings;	/* by score, descending */
	size_t nfindings;
	struct ks_coverage coverage[40];
	size_t ncoverage;
	uint64_t lost;
	const struct ks_model *model;	/* for stacks and histograms */
};

const char *ks_finding_class_name(enum ks_finding_class c);
const char *ks_budget_state_name(enum ks_budget_state s);

/*
 * Analyze @m (one merged model of the run) with the /proc snapshots
 * @before/@after (NULL: USE from the model alone). 0 or -ENOMEM.
 */
int ks_report_analyze(struct ks_report *r, const struct ks_model *m,
		      const struct ks_proc_snap *before, const struct ks_proc_snap *after);
void ks_report_free(struct ks_report *r);
/*
 * The report `kscope report -i @path` gives: the capture merged into @m (a
 * new, empty model that @r then points to) and analyzed, profiles sorted
 * heaviest first. 0 or -errno (message printed; a truncated capture is
 * read to its last complete chunk with a warning).
 */
int ks_report_from_capture(struct ks_report *r, struct ks_model *m, const char *path);

int ks_report_write_json(FILE *f, const struct ks_report *r);
int ks_report_write_md(FILE *f, const struct ks_report *r);
int ks_report_write_html(FILE *f, const struct ks_report *r);

/*
 * Compare two reports. Each of @base and @new_path is a JSON report
 * (ks_report_write_json output) or a capture (told by its magic), which is
 * turned into the JSON report `kscope report -i` writes and then read the
 * same way. Writes the comparison (text) to @f; returns the number of
 * --fail-on rules broken, -EINVAL for a bad rule, or another -errno for an
 * input that cannot be read (message printed). @rules: see kscope report
 * --help. @out: also write the comparison there, by its extension: .md,
 * .json (schema kscope-compare/1), or .html/.svg for the differential on-CPU
 * flame graph (from the captures' own stacks when both are captures).
 */
int ks_report_compare(FILE *f, const char *base, const char *new_path, const char *rules,
		      const char *out);

#endif /* KS_REPORT_H */
