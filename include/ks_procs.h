/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /proc side of the top view: a per-process (or per-thread) scanner
 * filling the non-BPF fields (name, user, state, memory, threads, CPU and
 * fault tick counters), the system header (per-CPU times, load, PSI), and
 * kscope's own cost (its CPU time, its BPF programs' run time as the
 * kernel's BPF stats count it). No BPF maps, no ncurses.
 */
#ifndef KS_PROCS_H
#define KS_PROCS_H

#include <stdbool.h>
#include <stdint.h>
#include "ks_types.h"

struct ks_proc {
	uint32_t pid;			/* tgid, or tid when scanning threads */
	uint32_t tgid;
	uint32_t ppid;
	uint32_t uid;
	char user[16];			/* name of uid where it was read; "": look it up here */
	char comm[KS_COMM_LEN];
	char state;			/* R S D Z T t X I ... */
	uint64_t cpu_ticks;		/* utime + stime, clock ticks */
	uint64_t faults;		/* minflt + majflt */
	uint64_t rss_kb;
	uint32_t threads;
	uint64_t start_ticks;		/* starttime: tells a reused pid apart */
	char cgroup[96];		/* cgroup v2 path, only when asked */
};

enum ks_procs_flags {
	KS_PROCS_THREADS = 1 << 0,	/* one row per thread (/proc/PID/task/TID) */
	KS_PROCS_CGROUP = 1 << 1,	/* fill ks_proc.cgroup */
};

/* Parse one /proc/PID/stat line (comm may hold spaces and ')'). 0 or -EINVAL. */
int ks_proc_parse_stat(const char *buf, struct ks_proc *p);
/*
 * Walk /proc, calling @cb for every process (or thread). Processes that
 * vanish while being read are skipped. Returns the number of rows or -errno.
 */
int ks_procs_scan(unsigned int flags, int (*cb)(void *ctx, const struct ks_proc *p), void *ctx);
struct ks_procs_sample;
/*
 * Take a reading (include/ks_model.h): ks_procs_scan() with @flags, user
 * names resolved, the system counters (ks_sys_read; left empty when they
 * cannot be read). 0 or the scan's -errno.
 */
int ks_procs_sample__take(struct ks_procs_sample *s, unsigned int flags);
/*
 * Keep only the rows of the processes in @pids (npids 0: all) and of the
 * cgroup @cgroup_id (0: any; needs a sample taken with KS_PROCS_CGROUP).
 */
void ks_procs_sample__filter(struct ks_procs_sample *s, const uint32_t *pids, int npids,
			     uint64_t cgroup_id);
/* A user name for @uid (cached; the number when there is no name). */
const char *ks_user_name(uint32_t uid);
long ks_clock_ticks(void);		/* sysconf(_SC_CLK_TCK) */

#define KS_SYS_MAX_CPUS	256

struct ks_psi {
	bool ok;			/* the file exists and parsed */
	bool has_full;			/* cpu "full" is absent before 5.13 */
	double some10, full10;		/* avg10, percent */
};

enum { KS_PSI_CPU, KS_PSI_MEM, KS_PSI_IO, KS_PSI__COUNT };

struct ks_sys {
	int ncpus;			/* cpu lines in /proc/stat */
	uint64_t busy[KS_SYS_MAX_CPUS + 1];	/* [0]: all CPUs, [1 + i]: cpu i; ticks */
	uint64_t total[KS_SYS_MAX_CPUS + 1];
	double load[3];
	uint32_t nr_running, nr_tasks;
	uint64_t mem_total_kb, mem_avail_kb;
	struct ks_psi psi[KS_PSI__COUNT];
	char psi_reason[160];		/* why PSI is missing, "" when present */
};

/* Read /proc/stat, /proc/loadavg, /proc/meminfo, /proc/pressure/. 0 or -errno. */
int ks_sys_read(struct ks_sys *s);
/* Parse the text of one /proc/pressure/<x> file. 0 or -EINVAL. */
int ks_psi_parse(const char *buf, struct ks_psi *psi);
const char *ks_psi_name(int i);		/* "cpu", "memory", "io" */

/* kscope's own cost so far: CPU time (getrusage) and its BPF programs. */
struct ks_self_cost {
	uint64_t cpu_ns;		/* user + system time of this process */
	uint64_t bpf_run_ns;		/* sum of run_time_ns over our programs */
	uint64_t bpf_run_cnt;
	int nprogs;			/* BPF programs this process holds */
	bool bpf_stats;			/* run time counted (stats enabled) */
};

/*
 * Turn on the kernel's BPF run-time statistics for as long as the returned
 * fd stays open (bpf_enable_stats(BPF_STATS_RUN_TIME)). -errno on failure.
 */
int ks_bpf_stats_enable(void);
/* Sum over the BPF programs whose fds this process holds (/proc/self/fdinfo). */
int ks_self_cost_read(struct ks_self_cost *c, bool stats_on);

#endif /* KS_PROCS_H */
