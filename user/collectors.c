// SPDX-License-Identifier: GPL-2.0
/* A set of collectors read into one model per interval (include/ks_collectors.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ks_collectors.h"
#include "ks_offcpu.h"
#include "ks_profiler.h"
#include "ks_runqlat.h"
#include "ks_syms.h"
#include "ks_util.h"

static const char *const known[] = { "profile", "offcpu", "runqlat" };

struct ks_collectors {
	struct ks_symbolizer *syms;
	struct ks_profiler *prof;
	struct ks_offcpu *off;
	struct ks_runqlat *rq;
	bool want[3];
	char failed[3][160];
	char names[64];
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
			.syms = c->syms };

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
	if (!c->prof && !c->off && !c->rq) {
		ks_collectors__free(c);
		errno = ENODEV;
		return NULL;
	}
	snprintf(c->names, sizeof(c->names), "%s%s%s", c->prof ? "profile," : "",
		 c->off ? "offcpu," : "", c->rq ? "runqlat," : "");
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
	static const char *const sig[] = { "on-CPU stacks", "off-CPU time", "run-queue latency" };
	uint64_t now = ks_now_ns();
	double secs;
	size_t i;
	int err = 0;

	ks_model__reset(m);
	ks_profile__free(m->oncpu);
	ks_profile__free(m->offcpu);
	ks_profile__free(m->locks);
	m->oncpu = m->offcpu = m->locks = NULL;
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
	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (c->want[i] && c->failed[i][0])
			ks_model__gap(m, sig[i], "%s", c->failed[i]);
	if (!c->want[0])
		ks_model__gap(m, sig[0], "collector 'profile' not selected");
	if (!c->want[1])
		ks_model__gap(m, sig[1], "collector 'offcpu' not selected");
	if (!c->want[2])
		ks_model__gap(m, sig[2], "collector 'runqlat' not selected");
	/* signals no collector in this build gives yet */
	ks_model__gap(m, "block I/O latency", "no biolat collector in this build");
	ks_model__gap(m, "syscall latency", "no syscall collector in this build");
	ks_model__gap(m, "lock wait stacks", "no lock collector in this build");
	if (m->oncpu)
		m->oncpu->duration_s = secs;
	if (m->offcpu)
		m->offcpu->duration_s = secs;
	return err;
}

void ks_collectors__free(struct ks_collectors *c)
{
	if (!c)
		return;
	ks_profiler__free(c->prof);
	ks_offcpu__free(c->off);
	ks_runqlat__free(c->rq);
	ks_symbolizer__free(c->syms);
	free(c);
}
