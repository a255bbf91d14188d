/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-interval model every collector fills and every view reads
 * (top, report, record/replay, one-shot printers). Plain structs: no BPF,
 * no ncurses, no files.
 *
 * A collector's loader adds what it saw since its last read into a
 * struct ks_model: per-task rows (keyed by tgid, or by tid in thread mode),
 * system-wide histograms and counters, per-device block I/O, per-syscall
 * rows, stack profiles, and the signals it could not give.
 */
#ifndef KS_MODEL_H
#define KS_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "ks_types.h"
#include "ks_procs.h"
#include "ks_profile.h"

struct ks_task {
	uint32_t pid;			/* tgid (process mode) or tid (thread mode) */
	uint32_t tgid;
	char comm[KS_COMM_LEN];
	uint64_t oncpu_ns;
	uint64_t offcpu_ns[KS_OFF__COUNT];	/* by enum ks_offcpu_reason */
	struct ks_hist runq;		/* run-queue latency of its threads */
	struct ks_hist io;		/* block I/O latency of requests it issued */
	uint64_t preempt;		/* involuntary switches */
	uint64_t ctxsw;			/* voluntary switches */
	uint64_t syscalls, syscall_errors, syscall_ns;
	uint64_t faults;		/* page faults (user), when the kernel gives them */
	uint64_t io_bytes, io_ops;
	bool exited;			/* seen exiting during the interval */
};

struct ks_syscall_row {
	uint32_t pid;			/* 0: all processes */
	uint32_t nr;
	uint64_t count, errors;
	struct ks_hist lat;
};

struct ks_disk_row {
	uint32_t dev;			/* MKDEV-style: major << 20 | minor (kernel's dev_t) */
	char name[32];			/* "vda", "nvme0n1" */
	struct ks_hist queued;		/* insert -> issue */
	struct ks_hist device;		/* issue -> complete */
	uint64_t reads, writes, read_bytes, write_bytes;
	struct ks_hist size;		/* request sizes, bytes (in the ns field's stead) */
};

/* A signal a collector could not give: "runq latency: tp_btf missing (...)". */
struct ks_gap {
	char signal[48];
	char reason[160];
};

/*
 * One /proc reading (include/ks_procs.h): every process or thread with its
 * metadata and cumulative tick counters, and the system counters. The top
 * view turns two of them into CPU% and faults/s; a capture keeps one per
 * interval so that `top -i FILE` replays without this machine's /proc.
 */
struct ks_procs_sample {
	uint64_t t_ns;			/* CLOCK_MONOTONIC of the reading */
	double wall;			/* the same instant, time(2) seconds */
	uint32_t hz;			/* clock ticks per second of the tick counters */
	bool threads;			/* rows are threads (KS_PROCS_THREADS) */
	bool cgroups;			/* ks_proc.cgroup filled (KS_PROCS_CGROUP) */
	size_t n, cap;
	struct ks_proc *procs;
	struct ks_sys sys;
};

struct ks_procs_sample *ks_procs_sample__new(void);
void ks_procs_sample__free(struct ks_procs_sample *s);
/* Empty it (keeps the allocation). */
void ks_procs_sample__reset(struct ks_procs_sample *s);
/* Append a copy of @p. 0 or -ENOMEM. */
int ks_procs_sample__add(struct ks_procs_sample *s, const struct ks_proc *p);

struct ks_model {
	uint64_t t_start_ns, t_end_ns;	/* CLOCK_MONOTONIC interval bounds */
	double wall_start;		/* time(2) of t_start, for captures */
	int ncpus;
	bool threads;			/* rows are threads, not processes */

	size_t ntasks, tasks_cap;
	struct ks_task *tasks;		/* unordered; ks_model__task() finds/creates */

	struct ks_hist runq_all;	/* system-wide run-queue latency */
	struct ks_hist io_all;		/* system-wide block I/O latency */
	size_t nsyscalls, syscalls_cap;
	struct ks_syscall_row *syscalls;
	size_t ndisks, disks_cap;
	struct ks_disk_row *disks;

	struct ks_profile *oncpu;	/* may be NULL */
	struct ks_profile *offcpu;	/* value in us; may be NULL */
	struct ks_profile *locks;	/* value in us; may be NULL */

	/*
	 * /proc at the end of the interval, and at its start when no earlier
	 * interval holds that (a capture's first): what `top -i` needs. NULL
	 * when not taken; owned by the model, dropped by ks_model__reset().
	 */
	struct ks_procs_sample *procs, *procs_start;

	uint64_t lost;			/* events lost by any collector this interval */
	size_t ngaps;
	struct ks_gap gaps[32];
};

struct ks_model *ks_model__new(void);
void ks_model__free(struct ks_model *m);
/* Empty the per-interval data (keeps the row arrays; drops the profiles and /proc samples). */
void ks_model__reset(struct ks_model *m);
struct ks_task *ks_model__task(struct ks_model *m, uint32_t pid, uint32_t tgid, const char *comm);
struct ks_task *ks_model__find(const struct ks_model *m, uint32_t pid);
struct ks_syscall_row *ks_model__syscall(struct ks_model *m, uint32_t pid, uint32_t nr);
struct ks_disk_row *ks_model__disk(struct ks_model *m, uint32_t dev);
/*
 * Stamp the interval that ends now: [*tlast, now]; *tlast moves to now.
 * Returns the interval's length in seconds.
 */
double ks_model__close_interval(struct ks_model *m, uint64_t *tlast);
/* Unavailable signals, one "unavailable: SIGNAL: REASON" line each */
void ks_gaps_text(FILE *f, const struct ks_gap *gaps, size_t n);
/* The same as a JSON array: [{"signal":..,"reason":..},...] */
void ks_gaps_json(FILE *f, const struct ks_gap *gaps, size_t n);
/* Record an unavailable signal (deduplicated by name). */
void ks_model__gap(struct ks_model *m, const char *signal, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* KS_MODEL_H */
