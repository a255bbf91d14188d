// SPDX-License-Identifier: GPL-2.0
/* A set of collectors read into one model per interval (include/ks_collectors.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ks_biolat.h"
#include "ks_collectors.h"
#include "ks_locks.h"
#include "ks_offcpu.h"
#include "ks_profiler.h"
#include "ks_runqlat.h"
#include "ks_syscalls.h"
#include "ks_syms.h"
#include "ks_util.h"

static const char *const known[] = { "profile", "offcpu", "runqlat", "biolat", "syscalls",
				      "locks" };
#define NCOLL 6

struct ks_collectors {
	struct ks_symbolizer *syms;
	struct ks_profiler *prof;
	struct ks_offcpu *off;
	struct ks_runqlat *rq;
	struct ks_biolat *bio;
	struct ks_syscalls *sys;
	struct ks_locks *lk;
	bool want[NCOLL];
	char failed[NCOLL][160];
	char names[96];
	uint64_t t_last;
	bool threads;
};

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p && *p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

int ks_collectors_check(const char *list, char *bad, size_t bad_sz)
{
	const char *p = list;

	while (p && *p) {
		size_t n = strcspn(p, ","), i;
		bool ok = false;

		for (i = 0; i < ARRAY_SIZE(known); i++)
			ok |= strlen(known[i]) == n && !strncmp(p, known[i], n);
		if (!ok) {
			if (bad)
				snprintf(bad, bad_sz, "%.*s", (int)n, p);
			return -EINVAL;
		}
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

struct ks_collectors *ks_collectors__open(const struct ks_collectors_opts *o)
{
	const char *list = o->list ? o->list : KS_COLLECTORS_DEFAULT;
	struct ks_collectors *c = calloc(1, sizeof(*c));
	size_t i;

	if (!c)
		return NULL;
	c->threads = o->threads;
	for (i = 0; i < ARRAY_SIZE(known); i++)
		c->want[i] = in_list(list, known[i]);
	c->syms = ks_symbolizer__new();
	if (c->want[0]) {
		struct ks_profiler_opts po = { .sz = sizeof(po), .pids = o->pids,
			.npids = o->npids, .cgroup_id = o->cgroup_id, .freq = o->freq,
			.per_thread = o->threads, .syms = c->syms };

		c->prof = ks_profiler__open(&po);
		if (!c->prof)
			snprintf(c->failed[0], sizeof(c->failed[0]), "profiler did not load: %s",
				 strerror(errno));
	}
	if (c->want[1]) {
		struct ks_offcpu_opts oo = { .sz = sizeof(oo), .pids = o->pids,
			.npids = o->npids, .cgroup_id = o->cgroup_id, .threads = o->threads,
			.syms = c->syms, .stack_min_us = KS_OFFCPU_STACK_MIN_US,
			.no_preempt_ustacks = true };

		c->off = ks_offcpu__open(&oo);
		if (!c->off)
			snprintf(c->failed[1], sizeof(c->failed[1]), "offcpu did not load: %s",
				 strerror(errno));
	}
	if (c->want[2]) {
		struct ks_runqlat_opts ro = { .sz = sizeof(ro), .pids = o->pids,
			.npids = o->npids, .cgroup_id = o->cgroup_id,
			.group = o->threads ? KS_RUNQ_BY_THREAD : KS_RUNQ_BY_PROCESS };

		c->rq = ks_runqlat__open(&ro);
		if (!c->rq)
			snprintf(c->failed[2], sizeof(c->failed[2]), "runqlat did not load: %s",
				 strerror(errno));
	}
	if (c->want[3]) {
		struct ks_biolat_opts bo = { .sz = sizeof(bo), .pids = o->pids,
			.npids = o->npids, .cgroup_id = o->cgroup_id };

		c->bio = ks_biolat__open(&bo);
		if (!c->bio)
			snprintf(c->failed[3], sizeof(c->failed[3]), "biolat did not load: %s",
				 strerror(errno));
	}
	if (c->want[4]) {
		struct ks_syscalls_opts so = { .sz = sizeof(so), .pids = o->pids,
			.npids = o->npids, .cgroup_id = o->cgroup_id, .per_thread = o->threads };

		c->sys = ks_syscalls__open(&so);
		if (!c->sys)
			snprintf(c->failed[4], sizeof(c->failed[4]), "syscalls did not load: %s",
				 strerror(errno));
	}
	if (c->want[5]) {
		struct ks_locks_opts lo = { .sz = sizeof(lo), .pids = o->pids,
			.npids = o->npids, .cgroup_id = o->cgroup_id, .threads = o->threads };

		/* its own symbolizer: sharing one made the profiler's frames unnamed */
		c->lk = ks_locks__open(&lo);
		if (!c->lk)
			snprintf(c->failed[5], sizeof(c->failed[5]), "locks did not load: %s",
				 strerror(errno));
	}
	if (!c->prof && !c->off && !c->rq && !c->bio && !c->sys && !c->lk) {
		ks_collectors__free(c);
		errno = ENODEV;
		return NULL;
	}
	snprintf(c->names, sizeof(c->names), "%s%s%s%s%s%s", c->prof ? "profile," : "",
		 c->off ? "offcpu," : "", c->rq ? "runqlat," : "", c->bio ? "biolat," : "",
		 c->sys ? "syscalls," : "", c->lk ? "locks," : "");
	if (c->names[0])
		c->names[strlen(c->names) - 1] = 0;
	c->t_last = ks_now_ns();
	return c;
}

const char *ks_collectors__names(const struct ks_collectors *c)
{
	return c->names;
}

int ks_collectors__read(struct ks_collectors *c, struct ks_model *m)
{
	static const char *const sig[] = { "on-CPU stacks", "off-CPU time", "run-queue latency",
					    "block I/O latency", "syscall latency",
					    "lock wait stacks" };
	uint64_t now = ks_now_ns();
	double secs;
	size_t i;
	int err = 0;

	ks_model__reset(m);
	m->t_start_ns = c->t_last;
	m->t_end_ns = now;
	secs = (now - c->t_last) / 1e9;
	m->wall_start = (double)time(NULL) - secs;
	m->ncpus = ks_nr_cpus();
	m->threads = c->threads;
	c->t_last = now;
	if (c->prof && !err)
		err = ks_profiler__read_model(c->prof, m);
	if (c->off && !err)
		err = ks_offcpu__read(c->off, m);
	if (c->rq && !err)
		err = ks_runqlat__read(c->rq, m);
	if (c->bio && !err)
		err = ks_biolat__read(c->bio, m);
	if (c->sys && !err)
		err = ks_syscalls__read(c->sys, m);
	if (c->lk && !err)
		err = ks_locks__read(c->lk, m);
	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (c->want[i] && c->failed[i][0])
			ks_model__gap(m, sig[i], "%s", c->failed[i]);
	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (!c->want[i])
			ks_model__gap(m, sig[i], "collector '%s' not selected", known[i]);
	if (m->oncpu)
		m->oncpu->duration_s = secs;
	if (m->offcpu)
		m->offcpu->duration_s = secs;
	return err;
}

int ks_collectors__poll(struct ks_collectors *c, int timeout_ms)
{
	int n = 0, err;

	/*
	 * The profiler never wakes its reader; offcpu does when its buffer
	 * fills up: wait on offcpu's (or sleep), then drain both.
	 */
	if (c->off) {
		err = ks_offcpu__poll(c->off, timeout_ms);
		if (err < 0)
			return err;
		n += err;
	} else {
		ks_sleep(timeout_ms / 1000.0);
	}
	if (c->prof) {
		err = ks_profiler__poll(c->prof, 0);
		if (err < 0)
			return err;
		n += err;
	}
	return n;
}

void ks_collectors__free(struct ks_collectors *c)
{
	if (!c)
		return;
	ks_profiler__free(c->prof);
	ks_offcpu__free(c->off);
	ks_runqlat__free(c->rq);
	ks_biolat__free(c->bio);
	ks_syscalls__free(c->sys);
	ks_locks__free(c->lk);
	ks_symbolizer__free(c->syms);
	free(c);
}
