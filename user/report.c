// SPDX-License-Identifier: GPL-2.0
/*
 * The report analyzer (include/ks_report.h): time budgets per process and
 * for the whole target (Brendan Gregg's TSA method), USE per resource,
 * findings ranked by the target time they explain, and the coverage
 * ledger. Pure functions over the model and two /proc snapshots.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ks_capture.h"
#include "ks_hist.h"
#include "ks_offcpu.h"
#include "ks_report.h"
#include "ks_util.h"

static const char *const class_names[KS_F__COUNT] = {
	[KS_F_CPU_BOUND] = "cpu-bound",
	[KS_F_CPU_SATURATION] = "cpu-saturation",
	[KS_F_DISK_IO] = "disk-io",
	[KS_F_LOCK_CONTENTION] = "lock-contention",
	[KS_F_MEMORY_PRESSURE] = "memory-pressure",
	[KS_F_SYSCALL_OVERHEAD] = "syscall-overhead",
	[KS_F_IDLE] = "idle",
};

static const char *const state_names[KS_B__COUNT] = {
	"on-cpu", "cpu-wait", "io-wait", "lock-wait", "sleep", "other",
};

const char *ks_finding_class_name(enum ks_finding_class c)
{
	return c < KS_F__COUNT ? class_names[c] : "?";
}

const char *ks_budget_state_name(enum ks_budget_state s)
{
	return s < KS_B__COUNT ? state_names[s] : "?";
}

/* Thresholds: shares of a process's observed time (documented in --help). */
#define TH_CPU_BOUND	0.50
#define TH_RUNQ		0.20
#define TH_IO		0.20
#define TH_LOCK		0.20
#define TH_SYSCALL	0.30
#define TH_IDLE		0.80
#define TH_PSI_MEM	5.0	/* % some avg10 */

static struct ks_budget *budget(struct ks_report *r, size_t *cap, uint32_t pid, uint32_t tgid,
				const char *comm)
{
	size_t i;

	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return &r->procs[i];
	if (ks_grow((void **)&r->procs, cap, r->nprocs + 1, sizeof(*r->procs), 64))
		return NULL;
	memset(&r->procs[r->nprocs], 0, sizeof(r->procs[0]));
	r->procs[r->nprocs].pid = pid;
	r->procs[r->nprocs].tgid = tgid;
	snprintf(r->procs[r->nprocs].comm, sizeof(r->procs[0].comm), "%s", comm ? comm : "");
	return &r->procs[r->nprocs++];
}

/* The off-CPU reason marker of a stack, or -1. */
static int stack_reason(const struct ks_stack *s)
{
	int k;

	if (s->nframes < 2 || s->frames[1].kind != KS_FRAME_OFFCPU)
		return -1;
	for (k = 0; k < KS_OFF__COUNT; k++)
		if (!strcmp(s->frames[1].name, ks_offcpu_reason_name(k)))
			return k;
	return -1;
}

static bool stack_has(const struct ks_stack *s, const char *needle)
{
	uint32_t k;

	for (k = 0; k < s->nframes; k++)
		if (strstr(s->frames[k].name, needle))
			return true;
	return false;
}

/* A sleep stack that is a lock wait: futex in the kernel or a mutex in libc. */
static bool lock_stack(const struct ks_stack *s)
{
	if (stack_has(s, "mutex_lock") || stack_has(s, "__lll_lock_wait") ||
	    stack_has(s, "rwlock") || stack_has(s, "Mutex"))
		return true;
	/* futex waits that are condition variables, channels or parking: not locks */
	return stack_has(s, "futex") && !stack_has(s, "cond_") && !stack_has(s, "Condvar") &&
	       !stack_has(s, "recv") && !stack_has(s, "park") && !stack_has(s, "_wait_for");
}

static int cmp_budget(const void *a, const void *b)
{
	const struct ks_budget *x = a, *y = b;

	return x->total < y->total ? 1 : x->total > y->total ? -1 : (int)x->pid - (int)y->pid;
}

static int budgets(struct ks_report *r, const struct ks_model *m)
{
	double hz = m->oncpu && m->oncpu->hz ? m->oncpu->hz : 99;
	size_t cap = 0, i;
	struct ks_budget *b;
	int k;

	for (i = 0; i < m->ntasks; i++) {
		const struct ks_task *t = &m->tasks[i];

		b = budget(r, &cap, t->pid, t->tgid, t->comm);
		if (!b)
			return -ENOMEM;
		b->s[KS_B_ONCPU] += t->oncpu_ns / 1e9;
		/*
		 * CPU wait: the run-queue collector's measured waits when it ran
		 * (wakeup/preemption to running); off-CPU time the offcpu
		 * collector put on "waiting for CPU" beyond that is "other".
		 */
		if (t->runq.count && t->runq.sum_ns < t->offcpu_ns[KS_OFF_RUNQ]) {
			b->s[KS_B_RUNQ] += t->runq.sum_ns / 1e9;
			b->s[KS_B_OTHER] += (t->offcpu_ns[KS_OFF_RUNQ] - t->runq.sum_ns) / 1e9;
		} else {
			b->s[KS_B_RUNQ] += t->offcpu_ns[KS_OFF_RUNQ] / 1e9;
		}
		b->s[KS_B_IO] += t->offcpu_ns[KS_OFF_IO] / 1e9;
		b->s[KS_B_LOCK] += t->offcpu_ns[KS_OFF_LOCK] / 1e9;
		b->s[KS_B_SLEEP] += t->offcpu_ns[KS_OFF_SLEEP] / 1e9;
		b->s[KS_B_OTHER] += t->offcpu_ns[KS_OFF_OTHER] / 1e9;
	}
	/* On-CPU time from samples, for tasks the collectors gave no oncpu_ns. */
	if (m->oncpu) {
		for (i = 0; i < m->oncpu->nstacks; i++) {
			const struct ks_stack *s = &m->oncpu->stacks[i];
			uint32_t pid = m->threads ? s->tid : s->pid;
			const struct ks_task *t = ks_model__find(m, pid);

			if (t && t->oncpu_ns)
				continue;
			b = budget(r, &cap, pid, s->pid,
				   s->nframes ? s->frames[0].name : "");
			if (!b)
				return -ENOMEM;
			b->s[KS_B_ONCPU] += s->value / hz;
		}
	}
	/* Lock waits: interruptible sleeps in futex/mutex stacks. */
	if (m->offcpu) {
		for (i = 0; i < m->offcpu->nstacks; i++) {
			const struct ks_stack *s = &m->offcpu->stacks[i];
			uint32_t pid = m->threads ? s->tid : s->pid;
			double v = s->value / 1e6;

			if (stack_reason(s) != KS_OFF_SLEEP || !lock_stack(s))
				continue;
			b = budget(r, &cap, pid, s->pid, s->nframes ? s->frames[0].name : "");
			if (!b)
				return -ENOMEM;
			if (v > b->s[KS_B_SLEEP])
				v = b->s[KS_B_SLEEP];
			b->s[KS_B_SLEEP] -= v;
			b->s[KS_B_LOCK] += v;
		}
	}
	memset(&r->total, 0, sizeof(r->total));
	snprintf(r->total.comm, sizeof(r->total.comm), "(target)");
	for (i = 0; i < r->nprocs; i++) {
		b = &r->procs[i];
		for (k = 0; k < KS_B__COUNT; k++) {
			b->total += b->s[k];
			r->total.s[k] += b->s[k];
		}
		r->total.total += b->total;
	}
	if (r->nprocs)
		qsort(r->procs, r->nprocs, sizeof(*r->procs), cmp_budget);
	return 0;
}

/* ---- evidence ---- */

static void folded(char *dst, size_t size, const struct ks_stack *s)
{
	size_t n = 0;
	uint32_t k;

	dst[0] = 0;
	for (k = 0; k < s->nframes && n + 1 < size; k++)
		n += snprintf(dst + n, size - n, "%s%s", k ? ";" : "", s->frames[k].name);
}

/* Top stacks of @pid in @p (reason @reason, -1: any; @lock: lock stacks only). */
static void top_stacks(struct ks_finding *f, const struct ks_profile *p, uint32_t pid,
		       bool threads, int reason, int lock)
{
	size_t i;
	int k;

	f->nstacks = 0;
	if (!p)
		return;
	for (i = 0; i < p->nstacks; i++) {
		const struct ks_stack *s = &p->stacks[i];

		if ((threads ? s->tid : s->pid) != pid)
			continue;
		if (reason >= 0 && stack_reason(s) != reason)
			continue;
		if (lock >= 0 && lock_stack(s) != lock)
			continue;
		/* insertion into the top-N by value */
		for (k = f->nstacks; k > 0 && f->stack_vals[k - 1] < s->value; k--) {
			if (k < KS_FINDING_STACKS) {
				f->stack_vals[k] = f->stack_vals[k - 1];
				memcpy(f->stacks[k], f->stacks[k - 1], sizeof(f->stacks[k]));
			}
		}
		if (k < KS_FINDING_STACKS) {
			f->stack_vals[k] = s->value;
			folded(f->stacks[k], sizeof(f->stacks[k]), s);
			if (f->nstacks < KS_FINDING_STACKS)
				f->nstacks++;
		}
	}
}

/* ---- findings ---- */

static struct ks_finding *add_finding(struct ks_report *r, size_t *cap,
				      enum ks_finding_class cls, double score,
				      const struct ks_budget *b)
{
	struct ks_finding *f;

	if (ks_grow((void **)&r->findings, cap, r->nfindings + 1, sizeof(*r->findings), 16))
		return NULL;
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->cls = cls;
	f->score = score;
	if (b) {
		f->pid = b->pid;
		memcpy(f->comm, b->comm, sizeof(f->comm));
		f->share = b->total > 0 ? score / b->total : 0;
	}
	return f;
}

static const char *sev(double share, double warn, double crit)
{
	return share >= crit ? "critical" : share >= warn ? "warning" : "info";
}

static void pct_line(char *dst, size_t n, const struct ks_budget *b)
{
	double t = b->total > 0 ? b->total : 1;

	snprintf(dst, n, "on-CPU %.1f%%, CPU wait %.1f%%, I/O wait %.1f%%, lock wait %.1f%%, "
		 "sleep %.1f%% of %.2f s observed",
		 100 * b->s[KS_B_ONCPU] / t, 100 * b->s[KS_B_RUNQ] / t, 100 * b->s[KS_B_IO] / t,
		 100 * b->s[KS_B_LOCK] / t, 100 * b->s[KS_B_SLEEP] / t, b->total);
}

static int proc_findings(struct ks_report *r, size_t *cap, const struct ks_model *m,
			 const struct ks_budget *b, bool idle_ok)
{
	const struct ks_task *t = ks_model__find(m, b->pid);
	double tot = b->total, sh, sys_s;
	struct ks_finding *f;
	char base[200];

	if (tot <= 0)
		return 0;
	pct_line(base, sizeof(base), b);
	/*
	 * CPU-bound: of the time it was not waiting for a CPU, it ran. Judged
	 * without the CPU wait, so that a CPU-hungry process on a busy machine
	 * still shows as CPU-bound (and as saturated, ranked by the seconds).
	 */
	sh = tot - b->s[KS_B_RUNQ] > 0 ? b->s[KS_B_ONCPU] / (tot - b->s[KS_B_RUNQ]) : 0;
	if (sh >= TH_CPU_BOUND) {
		f = add_finding(r, cap, KS_F_CPU_BOUND, b->s[KS_B_ONCPU], b);
		if (!f)
			return -ENOMEM;
		f->severity = sev(sh, 0.5, 0.8);
		top_stacks(f, m->oncpu, b->pid, m->threads, -1, -1);
		{
			const char *leaf = "";

			if (f->nstacks)
				leaf = strrchr(f->stacks[0], ';') ? strrchr(f->stacks[0], ';') + 1
								  : f->stacks[0];
			snprintf(f->statement, sizeof(f->statement),
				 "%s (%u) is CPU-bound: on-CPU %.0f%% of the time it was not "
				 "waiting for a CPU%s%.120s",
				 b->comm, b->pid, 100 * sh,
				 *leaf ? ", hottest path ends in " : "", leaf);
		}
		snprintf(f->evidence, sizeof(f->evidence), "%s", base);
		snprintf(f->threshold, sizeof(f->threshold),
			 "on-CPU >= %.0f%% of the observed time minus CPU wait (critical >= 80%%)",
			 100 * TH_CPU_BOUND);
		snprintf(f->next, sizeof(f->next),
			 "kscope profile -p %u -o cpu.svg: the hot code paths; consider the "
			 "algorithm, then per-instruction costs (perf annotate)", b->pid);
	}
	sh = b->s[KS_B_RUNQ] / tot;
	if (sh >= TH_RUNQ) {
		f = add_finding(r, cap, KS_F_CPU_SATURATION, b->s[KS_B_RUNQ], b);
		if (!f)
			return -ENOMEM;
		f->severity = sev(sh, 0.2, 0.5);
		top_stacks(f, m->offcpu, b->pid, m->threads, KS_OFF_RUNQ, -1);
		snprintf(f->statement, sizeof(f->statement),
			 "%s (%u) waits for a CPU %.0f%% of its time: runnable but not running",
			 b->comm, b->pid, 100 * sh);
		if (t && t->runq.count)
			snprintf(f->evidence, sizeof(f->evidence),
				 "%s; run-queue latency p50 %.2f ms, p99 %.2f ms over %llu "
				 "waits; %llu preemptions", base, ks_hist_pct(&t->runq, 50) / 1e6,
				 ks_hist_pct(&t->runq, 99) / 1e6, (unsigned long long)t->runq.count,
				 (unsigned long long)t->preempt);
		else
			snprintf(f->evidence, sizeof(f->evidence), "%s", base);
		snprintf(f->threshold, sizeof(f->threshold),
			 "CPU wait >= %.0f%% of the process's observed time (critical >= 50%%)",
			 100 * TH_RUNQ);
		snprintf(f->next, sizeof(f->next),
			 "kscope runqlat -p %u; check CPU affinity (taskset -p %u), cgroup cpu.max "
			 "throttling, and what else runs on its CPUs", b->pid, b->pid);
	}
	sh = b->s[KS_B_IO] / tot;
	if (sh >= TH_IO) {
		f = add_finding(r, cap, KS_F_DISK_IO, b->s[KS_B_IO], b);
		if (!f)
			return -ENOMEM;
		f->severity = sev(sh, 0.2, 0.5);
		top_stacks(f, m->offcpu, b->pid, m->threads, KS_OFF_IO, -1);
		snprintf(f->statement, sizeof(f->statement),
			 "%s (%u) spends %.0f%% of its time in uninterruptible (I/O) waits",
			 b->comm, b->pid, 100 * sh);
		snprintf(f->evidence, sizeof(f->evidence), "%s", base);
		if (m->io_all.count) {
			size_t n = strlen(f->evidence);

			snprintf(f->evidence + n, sizeof(f->evidence) - n,
				 "; block I/O p50 %.2f ms, p99 %.2f ms", ks_hist_pct(&m->io_all, 50) / 1e6,
				 ks_hist_pct(&m->io_all, 99) / 1e6);
		}
		snprintf(f->threshold, sizeof(f->threshold),
			 "I/O wait >= %.0f%% of the process's observed time (critical >= 50%%)",
			 100 * TH_IO);
		snprintf(f->next, sizeof(f->next),
			 "kscope offcpu -p %u (the waiting stacks: fsync? read?), biolatency for "
			 "device latency; batch syncs, use O_DIRECT/async I/O or faster storage",
			 b->pid);
	}
	sh = b->s[KS_B_LOCK] / tot;
	if (sh >= TH_LOCK) {
		f = add_finding(r, cap, KS_F_LOCK_CONTENTION, b->s[KS_B_LOCK], b);
		if (!f)
			return -ENOMEM;
		f->severity = sev(sh, 0.2, 0.5);
		top_stacks(f, m->offcpu, b->pid, m->threads, KS_OFF_SLEEP, 1);
		snprintf(f->statement, sizeof(f->statement),
			 "%s (%u) waits on locks %.0f%% of its time", b->comm, b->pid, 100 * sh);
		snprintf(f->evidence, sizeof(f->evidence), "%s (lock wait: sleeps in "
			 "futex/mutex stacks)", base);
		snprintf(f->threshold, sizeof(f->threshold),
			 "lock wait >= %.0f%% of the process's observed time (critical >= 50%%)",
			 100 * TH_LOCK);
		snprintf(f->next, sizeof(f->next),
			 "kscope offcpu -p %u -o locks.svg: which lock, from where; shorten the "
			 "critical section or shard the lock", b->pid);
	}
	/*
	 * Syscall overhead: time inside system calls that was not spent
	 * blocked (off-CPU time is judged by the classes above), i.e. the CPU
	 * cost of the calls themselves.
	 */
	sys_s = t ? t->syscall_ns / 1e9 - (tot - b->s[KS_B_ONCPU]) : 0;
	if (sys_s > b->s[KS_B_ONCPU])
		sys_s = b->s[KS_B_ONCPU];
	if (t && t->syscalls && sys_s / tot >= TH_SYSCALL) {
		sh = sys_s / tot;
		f = add_finding(r, cap, KS_F_SYSCALL_OVERHEAD, sys_s, b);
		if (!f)
			return -ENOMEM;
		f->severity = sev(sh, 0.3, 0.6);
		snprintf(f->statement, sizeof(f->statement),
			 "%s (%u) spends %.0f%% of its time running %llu system calls", b->comm, b->pid,
			 100 * sh, (unsigned long long)t->syscalls);
		snprintf(f->evidence, sizeof(f->evidence), "%s; %llu syscalls, %llu errors", base,
			 (unsigned long long)t->syscalls, (unsigned long long)t->syscall_errors);
		snprintf(f->threshold, sizeof(f->threshold),
			 "syscall time not blocked >= %.0f%% of the process's observed time",
			 100 * TH_SYSCALL);
		snprintf(f->next, sizeof(f->next), "kscope syscount -p %u: which calls; batch "
			 "them (readv/writev, larger buffers)", b->pid);
	}
	sh = b->s[KS_B_SLEEP] / tot;
	if (idle_ok && sh >= TH_IDLE && b->s[KS_B_ONCPU] / tot < 0.1) {
		/* sleeping is not a problem: rank it below any real one */
		f = add_finding(r, cap, KS_F_IDLE, 0.01 * b->s[KS_B_SLEEP], b);
		if (!f)
			return -ENOMEM;
		f->share = sh;
		f->severity = "info";
		top_stacks(f, m->offcpu, b->pid, m->threads, KS_OFF_SLEEP, -1);
		snprintf(f->statement, sizeof(f->statement),
			 "%s (%u) mostly sleeps by choice (%.0f%% of its time): it is not "
			 "short of CPU, disk or locks", b->comm, b->pid, 100 * sh);
		snprintf(f->evidence, sizeof(f->evidence), "%s", base);
		snprintf(f->threshold, sizeof(f->threshold),
			 "voluntary sleep >= %.0f%% and on-CPU < 10%% of the observed time",
			 100 * TH_IDLE);
		snprintf(f->next, sizeof(f->next),
			 "if it should be busy, look upstream: what it waits for (kscope offcpu "
			 "-p %u --wakers), timers, or the client load", b->pid);
	}
	return 0;
}

static int cmp_finding(const void *a, const void *b)
{
	const struct ks_finding *x = a, *y = b;

	return x->score < y->score ? 1 : x->score > y->score ? -1 : (int)x->cls - (int)y->cls;
}

static void use_and_memory(struct ks_report *r, size_t *cap, const struct ks_model *m,
			   const struct ks_proc_snap *a, const struct ks_proc_snap *z)
{
	double dur = r->duration_s > 0 ? r->duration_s : 1;
	struct ks_use *u;

	u = &r->use[r->nuse++];
	u->resource = "cpu";
	u->util = a && z && z->cpu_total > a->cpu_total ?
		(double)(z->cpu_busy - a->cpu_busy) / (z->cpu_total - a->cpu_total) : -1;
	u->saturation = m->runq_all.count ? ks_hist_pct(&m->runq_all, 99) / 1e6 : -1;
	u->sat_unit = "run-queue latency p99, ms";
	u->errors = -1;
	snprintf(u->note, sizeof(u->note), "load average %.2f on %d CPUs%s",
		 z ? z->loadavg1 : 0, z ? z->ncpus : m->ncpus,
		 z && z->have_psi ? "" : "; no /proc/pressure");
	if (z && z->have_psi) {
		size_t n = strlen(u->note);

		snprintf(u->note + n, sizeof(u->note) - n, "; PSI cpu some %.1f%%",
			 z->psi_cpu_some);
	}

	u = &r->use[r->nuse++];
	u->resource = "memory";
	u->util = z && z->mem_total_kb ? 1.0 - (double)z->mem_avail_kb / z->mem_total_kb : -1;
	u->saturation = z && z->have_psi ? z->psi_mem_some : -1;
	u->sat_unit = "PSI memory some avg10, %";
	u->errors = -1;
	snprintf(u->note, sizeof(u->note), "swap in/out %llu/%llu pages, %llu major faults",
		 a && z ? (unsigned long long)(z->pswpin - a->pswpin) : 0,
		 a && z ? (unsigned long long)(z->pswpout - a->pswpout) : 0,
		 a && z ? (unsigned long long)(z->pgmajfault - a->pgmajfault) : 0);

	u = &r->use[r->nuse++];
	u->resource = "disk";
	u->util = a && z ? (double)(z->disk_io_ms - a->disk_io_ms) / (dur * 1000) : -1;
	if (u->util > 1)
		u->util = 1;	/* several disks: the busiest would be better */
	u->saturation = a && z ? (double)(z->disk_weighted_ms - a->disk_weighted_ms) /
				 (dur * 1000) : -1;
	u->sat_unit = "average queue length";
	u->errors = -1;
	snprintf(u->note, sizeof(u->note), "%llu I/Os; errors not exposed by /proc/diskstats",
		 a && z ? (unsigned long long)(z->disk_ios - a->disk_ios) : 0);

	u = &r->use[r->nuse++];
	u->resource = "network";
	u->util = -1;
	u->saturation = a && z ? (double)(z->net_drops - a->net_drops) : -1;
	u->sat_unit = "dropped packets";
	u->errors = a && z ? (double)(z->net_errs - a->net_errs) : -1;
	snprintf(u->note, sizeof(u->note), "%.1f KiB/s; utilization needs the link speed",
		 a && z ? (z->net_bytes - a->net_bytes) / 1024.0 / dur : 0);

	if (z && z->have_psi && z->psi_mem_some >= TH_PSI_MEM) {
		struct ks_finding *f = add_finding(r, cap, KS_F_MEMORY_PRESSURE,
						   z->psi_mem_some / 100 * dur * z->ncpus, NULL);

		if (!f)
			return;
		f->severity = sev(z->psi_mem_some / 100, 0.05, 0.2);
		snprintf(f->comm, sizeof(f->comm), "(system)");
		snprintf(f->statement, sizeof(f->statement),
			 "memory pressure: tasks stalled on memory %.1f%% of the time",
			 z->psi_mem_some);
		snprintf(f->evidence, sizeof(f->evidence),
			 "PSI memory some %.1f%%, full %.1f%%; available %llu of %llu MiB; %s",
			 z->psi_mem_some, z->psi_mem_full,
			 (unsigned long long)z->mem_avail_kb / 1024,
			 (unsigned long long)z->mem_total_kb / 1024, r->use[1].note);
		snprintf(f->threshold, sizeof(f->threshold), "PSI memory some avg10 >= %.0f%%",
			 TH_PSI_MEM);
		snprintf(f->next, sizeof(f->next), "which processes grow (RSS over time), page "
			 "cache vs anon, cgroup memory.max; vmstat 1 for reclaim");
	}
}

static const char *impact(const char *signal)
{
	if (strstr(signal, "user stacks") || strstr(signal, "symbol"))
		return "stacks in the evidence may be cut short or unnamed; budgets unaffected";
	if (strstr(signal, "(some)"))
		return "partial: the figures of this signal undercount";
	if (strstr(signal, "on-CPU"))
		return "no on-CPU time or hot stacks: cpu-bound findings cannot be made";
	if (strstr(signal, "off-CPU"))
		return "no I/O, lock, sleep or CPU-wait budgets: most findings cannot be made";
	if (strstr(signal, "run-queue"))
		return "CPU saturation judged from off-CPU time only, without latency percentiles";
	if (strstr(signal, "block"))
		return "disk-io findings rest on uninterruptible waits, not device latency";
	if (strstr(signal, "syscall"))
		return "syscall-overhead cannot be judged";
	if (strstr(signal, "lock"))
		return "lock waits inferred from futex/mutex stacks in sleeps (condition "
		       "variables count too)";
	if (strstr(signal, "paging"))
		return "reclaim time is counted as I/O wait or sleep; memory judged from PSI";
	return "lowers confidence in the findings that use it";
}

static void coverage(struct ks_report *r, const struct ks_model *m,
		     const struct ks_proc_snap *z)
{
	struct ks_coverage *c;
	size_t i;

	for (i = 0; i < m->ngaps && r->ncoverage < ARRAY_SIZE(r->coverage); i++) {
		c = &r->coverage[r->ncoverage++];
		snprintf(c->signal, sizeof(c->signal), "%s", m->gaps[i].signal);
		snprintf(c->reason, sizeof(c->reason), "%s", m->gaps[i].reason);
		snprintf(c->impact, sizeof(c->impact), "%s", impact(c->signal));
	}
#define COV(sig, ...) do {							\
		if (r->ncoverage < ARRAY_SIZE(r->coverage)) {			\
			c = &r->coverage[r->ncoverage++];			\
			snprintf(c->signal, sizeof(c->signal), "%s", sig);	\
			snprintf(c->reason, sizeof(c->reason), __VA_ARGS__);	\
			snprintf(c->impact, sizeof(c->impact), "%s", impact(sig)); \
		}								\
	} while (0)
	COV("paging/reclaim time", "no tracepoint-based reclaim collector (vmscan) in this "
	    "build; /proc/vmstat counts only");
	if (z && !z->have_psi)
		COV("pressure stall information", "/proc/pressure is not available "
		    "(CONFIG_PSI off or psi=0)");
	if (m->lost)
		COV("lost events", "%llu events were dropped (full maps or ring buffers)",
		    (unsigned long long)m->lost);
	if (m->oncpu && m->oncpu->acct.stack_errors)
		COV("on-CPU stacks (some)", "%llu of %llu samples without a stack",
		    (unsigned long long)m->oncpu->acct.stack_errors,
		    (unsigned long long)m->oncpu->acct.samples);
	if (m->oncpu && m->oncpu->acct.frames_unnamed)
		COV("symbol names", "%llu of %llu frames without a symbol",
		    (unsigned long long)m->oncpu->acct.frames_unnamed,
		    (unsigned long long)m->oncpu->acct.frames);
#undef COV
}

int ks_report_analyze(struct ks_report *r, const struct ks_model *m,
		      const struct ks_proc_snap *a, const struct ks_proc_snap *z)
{
	size_t cap = 0, i;
	int err;

	r->model = m;
	r->lost = m->lost;
	if (!r->duration_s)
		r->duration_s = (m->t_end_ns - m->t_start_ns) / 1e9;
	if (!r->target[0])
		snprintf(r->target, sizeof(r->target), "whole system");
	err = budgets(r, m);
	if (err)
		return err;
	for (i = 0; i < r->nprocs && !err; i++)
		err = proc_findings(r, &cap, m, &r->procs[i], i < 5);
	if (err)
		return err;
	use_and_memory(r, &cap, m, a, z);
	coverage(r, m, z);
	if (r->nfindings)
		qsort(r->findings, r->nfindings, sizeof(*r->findings), cmp_finding);
	if (r->nfindings > 20)
		r->nfindings = 20;
	return 0;
}

int ks_report_from_capture(struct ks_report *r, struct ks_model *m, const char *path)
{
	struct ks_capture_meta meta;
	int n = ks_capture_load(path, 0, -1, m, &meta);

	if (n < 0)
		return n;
	if (!n) {
		ks_err("%s: no complete interval in the capture", path);
		return -ENODATA;
	}
	snprintf(r->target, sizeof(r->target), "capture %.60s (%.40s)", path, meta.host);
	r->duration_s = (m->t_end_ns - m->t_start_ns) / 1e9;
	n = ks_report_analyze(r, m, NULL, NULL);
	if (n)
		return n;
	/* the writers list the heaviest stacks first */
	if (m->oncpu)
		ks_profile__sort(m->oncpu);
	if (m->offcpu)
		ks_profile__sort(m->offcpu);
	return 0;
}

void ks_report_free(struct ks_report *r)
{
	if (!r)
		return;
	free(r->procs);
	free(r->findings);
	r->procs = NULL;
	r->findings = NULL;
}

/* ---- /proc ---- */

void ks_proc_snap_read(struct ks_proc_snap *s)
{
	char *d, *p, name[64];
	unsigned long long v[10];
	int n;

	memset(s, 0, sizeof(*s));
	s->ncpus = ks_nr_cpus();
	if ((d = ks_read_file("/proc/stat", NULL))) {
		if (sscanf(d, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
			s->cpu_busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
			s->cpu_total = s->cpu_busy + v[3] + v[4];
		}
		free(d);
	}
	if ((d = ks_read_file("/proc/loadavg", NULL))) {
		s->loadavg1 = strtod(d, NULL);
		free(d);
	}
	if ((d = ks_read_file("/proc/pressure/cpu", NULL))) {
		s->have_psi = sscanf(d, "some avg10=%lf", &s->psi_cpu_some) == 1;
		free(d);
	}
	if ((d = ks_read_file("/proc/pressure/memory", NULL))) {
		sscanf(d, "some avg10=%lf", &s->psi_mem_some);
		p = strstr(d, "full avg10=");
		if (p)
			sscanf(p, "full avg10=%lf", &s->psi_mem_full);
		free(d);
	}
	if ((d = ks_read_file("/proc/pressure/io", NULL))) {
		sscanf(d, "some avg10=%lf", &s->psi_io_some);
		free(d);
	}
	if ((d = ks_read_file("/proc/meminfo", NULL))) {
		for (p = d; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			if (sscanf(p, "%63[^:]: %llu", name, &v[0]) != 2)
				continue;
			if (!strcmp(name, "MemTotal"))
				s->mem_total_kb = v[0];
			else if (!strcmp(name, "MemAvailable"))
				s->mem_avail_kb = v[0];
			else if (!strcmp(name, "SwapTotal"))
				s->swap_total_kb = v[0];
			else if (!strcmp(name, "SwapFree"))
				s->swap_free_kb = v[0];
		}
		free(d);
	}
	if ((d = ks_read_file("/proc/vmstat", NULL))) {
		for (p = d; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			if (sscanf(p, "%63s %llu", name, &v[0]) != 2)
				continue;
			if (!strcmp(name, "pswpin"))
				s->pswpin = v[0];
			else if (!strcmp(name, "pswpout"))
				s->pswpout = v[0];
			else if (!strcmp(name, "pgmajfault"))
				s->pgmajfault = v[0];
			else if (!strncmp(name, "pgscan_", 7))
				s->pgscan += v[0];
		}
		free(d);
	}
	if ((d = ks_read_file("/proc/diskstats", NULL))) {
		for (p = d; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			unsigned int maj, min;

			n = sscanf(p, "%u %u %63s %llu %*u %*u %*u %llu %*u %*u %*u %*u %llu %llu",
				   &maj, &min, name, &v[0], &v[1], &v[2], &v[3]);
			if (n != 7 || !strncmp(name, "loop", 4) || !strncmp(name, "ram", 3) ||
			    !strncmp(name, "dm-", 3))
				continue;
			/* whole disks only: partitions end in a digit after a letter+digit */
			if (min % 16 && (!strncmp(name, "sd", 2) || !strncmp(name, "vd", 2)))
				continue;
			if (strstr(name, "p") && strncmp(name, "nvme", 4) == 0 && strchr(name + 5, 'p'))
				continue;
			s->disk_ios += v[0] + v[1];
			s->disk_io_ms += v[2];
			s->disk_weighted_ms += v[3];
		}
		free(d);
	}
	if ((d = ks_read_file("/proc/net/dev", NULL))) {
		for (p = d; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			char *c = strchr(p, ':');

			if (!c || (strchr(p, '\n') && c > strchr(p, '\n')))
				continue;
			sscanf(p, " %63[^:]", name);
			if (!strcmp(name, "lo"))
				continue;
			if (sscanf(c + 1, "%llu %*u %llu %llu %*u %*u %*u %*u %llu %*u %llu %llu",
				   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6) {
				s->net_bytes += v[0] + v[3];
				s->net_errs += v[1] + v[4];
				s->net_drops += v[2] + v[5];
			}
		}
		free(d);
	}
}
