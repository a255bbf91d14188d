// SPDX-License-Identifier: GPL-2.0
/* Loader of the on-CPU profiler (bpf/profile.bpf.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_features.h"
#include "ks_profiler.h"
#include "ks_stacks.h"
#include "ks_util.h"
#include "profile.skel.h"

#define MAX_CPUS 1024

struct ks_profiler {
	struct profile_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	int *pfds;
	int ncpus;
	bool hw;
	bool own_syms;
	bool per_thread;
	struct ks_symbolizer *syms;
	struct ks_stacks *stacks;
	uint64_t prev_samples, prev_drops[KS_DROP__COUNT];
	uint64_t hz;
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ks_profiler *p = ctx;

	ks_stacks__add_sample(p->stacks, data, size, NULL, 1.0);
	return 0;
}

static int open_events(struct ks_profiler *p, unsigned int freq)
{
	uint64_t online[MAX_CPUS / 64];
	int cpu, n = 0, i;

	if (ks_online_cpus(online, MAX_CPUS) <= 0)
		return -ENODEV;
	p->ncpus = ks_nr_cpus();
	p->pfds = calloc(p->ncpus, sizeof(*p->pfds));
	p->links = calloc(p->ncpus, sizeof(*p->links));
	if (!p->pfds || !p->links)
		return -ENOMEM;
	for (i = 0; i < p->ncpus; i++)
		p->pfds[i] = -1;
	p->hw = ks_feature(KS_FEAT_PERF_CYCLES);
	if (!p->hw && !ks_feature(KS_FEAT_PERF_CPU_CLOCK)) {
		ks_err("no perf event to sample with: hardware cycles: %s; software cpu-clock: %s",
		       ks_feature_reason(KS_FEAT_PERF_CYCLES),
		       ks_feature_reason(KS_FEAT_PERF_CPU_CLOCK));
		return -EOPNOTSUPP;
	}
	for (cpu = 0; cpu < p->ncpus && cpu < MAX_CPUS; cpu++) {
		struct perf_event_attr a = {
			.size = sizeof(a),
			.type = p->hw ? PERF_TYPE_HARDWARE : PERF_TYPE_SOFTWARE,
			.config = p->hw ? PERF_COUNT_HW_CPU_CYCLES : PERF_COUNT_SW_CPU_CLOCK,
			.sample_freq = freq,
			.freq = 1,
		};
		int fd;

		if (!(online[cpu / 64] & (1ULL << (cpu % 64))))
			continue;
		fd = syscall(SYS_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			ks_err("perf_event_open on CPU %d: %s", cpu, strerror(errno));
			return -errno;
		}
		p->pfds[cpu] = fd;
		p->links[cpu] = bpf_program__attach_perf_event(p->skel->progs.ks_profile, fd);
		if (!p->links[cpu]) {
			ks_err("attach to perf event on CPU %d: %s", cpu, strerror(errno));
			return -errno;
		}
		n++;
	}
	return n ? 0 : -ENODEV;
}

struct ks_profiler *ks_profiler__open(const struct ks_profiler_opts *o)
{
	struct ks_profiler *p;
	int err, i;
	__u8 one = 1;

	if (ks_bpf_prepare())
		return NULL;
	if (!ks_feature(KS_FEAT_BTF)) {
		ks_err("profile unavailable: %s", ks_feature_reason(KS_FEAT_BTF));
		errno = EOPNOTSUPP;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->hz = o->freq ? o->freq : 99;
	p->per_thread = o->per_thread;
	p->syms = o->syms;
	if (!p->syms) {
		p->syms = ks_symbolizer__new();
		p->own_syms = true;
		if (!p->syms) {
			err = -errno;
			goto err;
		}
	}
	p->stacks = ks_stacks__new(p->syms);
	p->skel = profile_bpf__open();
	if (!p->stacks || !p->skel) {
		err = -ENOMEM;
		ks_err("cannot open the profile BPF object");
		goto err;
	}
	p->skel->rodata->want_user = !o->no_user;
	p->skel->rodata->want_kernel = !o->no_kernel;
	p->skel->rodata->stream_user = !o->fp_only;
	p->skel->rodata->ks_filter_pid = o->npids > 0;
	p->skel->rodata->ks_filter_cgroup = o->cgroup_id;
	p->skel->rodata->self_tgid = getpid();
	if (o->fp_only || o->no_user) {
		bpf_map__set_max_entries(p->skel->maps.samples, 4096);
	} else {
		/*
		 * Streaming: nothing is aggregated in the kernel, so the count
		 * and stack maps shrink to nothing, and the ring buffer holds
		 * about a second of full-size samples (user space drains it
		 * every 100 ms): 2 MiB at 99 Hz on 2 CPUs. Its pages are mapped
		 * into kscope, so this is most of kscope's own RSS.
		 */
		uint64_t want = (uint64_t)p->hz * ks_nr_cpus() * sizeof(struct ks_stack_sample);
		uint32_t rb = 1 << 20;

		while (rb < want && rb < (64u << 20))
			rb <<= 1;
		bpf_map__set_max_entries(p->skel->maps.samples, rb);
		bpf_map__set_max_entries(p->skel->maps.counts, 1);
		bpf_map__set_max_entries(p->skel->maps.stacks, 1);
	}
	err = profile_bpf__load(p->skel);
	if (err) {
		ks_err("cannot load the profile BPF program: %s", strerror(-err));
		goto err;
	}
	for (i = 0; i < o->npids; i++)
		bpf_map__update_elem(p->skel->maps.ks_pids, &o->pids[i], sizeof(__u32),
				     &one, 1, BPF_ANY);
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.samples), on_sample, p, NULL);
	if (!p->rb) {
		err = -errno;
		ks_err("cannot open the sample ring buffer: %s", strerror(errno));
		goto err;
	}
	err = open_events(p, p->hz);
	if (err)
		goto err;
	return p;
err:
	ks_profiler__free(p);
	errno = -err;
	return NULL;
}

int ks_profiler__poll(struct ks_profiler *p, int timeout_ms)
{
	/* samples are sent without wakeups (cheaper): drain what is there */
	return ks_ringbuf_drain(p->rb, timeout_ms);
}

/* In-kernel aggregated samples (kernel-only or frame-pointer mode). */
static int drain_counts(struct ks_profiler *p)
{
	int cfd = bpf_map__fd(p->skel->maps.counts), sfd = bpf_map__fd(p->skel->maps.stacks);
	struct ks_profile_key key, next, *prev = NULL;
	uint64_t kips[KS_MAX_STACK_DEPTH], uips[KS_MAX_STACK_DEPTH], val;
	int nk, nu, err;

	while (!bpf_map_get_next_key(cfd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(cfd, &key, &val))
			continue;
		nk = nu = 0;
		memset(kips, 0, sizeof(kips));
		memset(uips, 0, sizeof(uips));
		if (key.kstack >= 0 && !bpf_map_lookup_elem(sfd, &key.kstack, kips))
			while (nk < KS_MAX_STACK_DEPTH && kips[nk])
				nk++;
		if (key.ustack >= 0 && !bpf_map_lookup_elem(sfd, &key.ustack, uips))
			while (nu < KS_MAX_STACK_DEPTH && uips[nu])
				nu++;
		if (nu)
			ks_symbolizer__add_pid(p->syms, key.tgid, false);
		err = ks_stacks__add(p->stacks, key.tgid, key.pid, key.comm, kips, nk,
				     uips, nu, false, NULL, val);
		if (err)
			return err;
	}
	/* interval semantics: start the next one empty */
	prev = NULL;
	while (!bpf_map_get_next_key(cfd, NULL, &next))
		bpf_map_delete_elem(cfd, &next);
	return 0;
}

int ks_profiler__read(struct ks_profiler *p, struct ks_profile *out)
{
	int zero_fd = bpf_map__fd(p->skel->maps.nsamples), dfd, err, i;
	uint64_t samples, d[KS_DROP__COUNT];

	while (ring_buffer__consume(p->rb) > 0)
		;
	err = drain_counts(p);
	if (err)
		return err;
	samples = ks_percpu_sum(zero_fd, 0, p->ncpus);
	dfd = bpf_map__fd(p->skel->maps.ks_drops);
	for (i = 0; i < KS_DROP__COUNT; i++)
		d[i] = ks_percpu_sum(dfd, i, p->ncpus);
	err = ks_stacks__build(p->stacks, out, p->per_thread);
	ks_stacks__clear(p->stacks);
	out->hz = p->hz;
	out->acct.samples += samples - p->prev_samples;
	out->acct.lost += d[KS_DROP_RINGBUF] - p->prev_drops[KS_DROP_RINGBUF] +
			  d[KS_DROP_MAP_FULL] - p->prev_drops[KS_DROP_MAP_FULL];
	out->acct.stack_errors += d[KS_DROP_KSTACK] - p->prev_drops[KS_DROP_KSTACK] +
				  d[KS_DROP_USTACK] - p->prev_drops[KS_DROP_USTACK];
	p->prev_samples = samples;
	memcpy(p->prev_drops, d, sizeof(d));
	if (!p->hw && !strstr(out->acct.notes, "cpu-clock"))
		snprintf(out->acct.notes + strlen(out->acct.notes),
			 sizeof(out->acct.notes) - strlen(out->acct.notes),
			 "%ssampled with the software cpu-clock (hardware cycles: %s)",
			 out->acct.notes[0] ? "; " : "", ks_feature_reason(KS_FEAT_PERF_CYCLES));
	return err;
}

int ks_profiler__read_model(struct ks_profiler *p, struct ks_model *m)
{
	if (!m->oncpu) {
		m->oncpu = ks_profile__new("samples");
		if (!m->oncpu)
			return -ENOMEM;
	}
	return ks_profiler__read(p, m->oncpu);
}

uint64_t ks_profiler__samples(struct ks_profiler *p)
{
	return ks_percpu_sum(bpf_map__fd(p->skel->maps.nsamples), 0, p->ncpus);
}

const char *ks_profiler__event(const struct ks_profiler *p)
{
	return p->hw ? "cycles" : "cpu-clock";
}

struct ks_symbolizer *ks_profiler__symbolizer(struct ks_profiler *p)
{
	return p->syms;
}

void ks_profiler__free(struct ks_profiler *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; p->links && i < p->ncpus; i++)
		bpf_link__destroy(p->links[i]);
	for (i = 0; p->pfds && i < p->ncpus; i++)
		if (p->pfds[i] >= 0)
			close(p->pfds[i]);
	ring_buffer__free(p->rb);
	profile_bpf__destroy(p->skel);
	ks_stacks__free(p->stacks);
	if (p->own_syms)
		ks_symbolizer__free(p->syms);
	free(p->links);
	free(p->pfds);
	free(p);
}
