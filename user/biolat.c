// SPDX-License-Identifier: GPL-2.0
/* Loader of the block I/O latency collector (bpf/biolat.bpf.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_biolat.h"
#include "ks_collect.h"
#include "ks_features.h"
#include "ks_hist.h"
#include "ks_util.h"
#include "biolat.skel.h"

struct ks_biolat {
	struct biolat_bpf *skel;
	enum ks_tp_kind kind;
	bool have_insert;
	int ncpus;
	struct ks_bio_row *rows;
	size_t nrows, rcap;
	uint64_t prev_drops[KS_DROP__COUNT];
};

#define STRIDE(t) ((sizeof(t) + 7) & ~7UL)

static void pick_programs(struct biolat_bpf *s, enum ks_tp_kind k, bool insert)
{
	bpf_program__set_autoload(s->progs.btf_insert, insert && k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.btf_issue, k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.btf_complete, k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.raw_insert, insert && k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.raw_issue, k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.raw_complete, k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.tp_insert, insert && k == KS_TP_CLASSIC);
	bpf_program__set_autoload(s->progs.tp_issue, k == KS_TP_CLASSIC);
	bpf_program__set_autoload(s->progs.tp_complete, k == KS_TP_CLASSIC);
}

struct ks_biolat *ks_biolat__open(const struct ks_biolat_opts *o)
{
	struct ks_biolat *c;
	int err;

	if (ks_bpf_prepare())
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ncpus = ks_nr_cpus();
	c->kind = ks_collect_tp_kind();
	if (c->kind == KS_TP_NONE) {
		err = -EOPNOTSUPP;
		goto err;
	}
	if (!ks_tracepoint_exists("block", "block_rq_issue") ||
	    !ks_tracepoint_exists("block", "block_rq_complete")) {
		ks_err("this kernel has no block:block_rq_issue/block_rq_complete tracepoints "
		       "(CONFIG_BLOCK / tracing off): no block I/O latency");
		err = -EOPNOTSUPP;
		goto err;
	}
	c->have_insert = ks_tracepoint_exists("block", "block_rq_insert");
	c->skel = biolat_bpf__open();
	if (!c->skel) {
		err = -errno;
		ks_err("cannot open the biolat BPF object: %s", strerror(errno));
		goto err;
	}
	pick_programs(c->skel, c->kind, c->have_insert);
	c->skel->rodata->ks_filter_pid = o->npids > 0;
	c->skel->rodata->ks_filter_cgroup = o->cgroup_id;
	err = biolat_bpf__load(c->skel);
	if (err) {
		ks_err("cannot load the biolat BPF programs (%s): %s",
		       ks_tp_kind_name(c->kind), strerror(-err));
		goto err;
	}
	err = ks_collect_attach(c->skel->skeleton, "biolat", c->kind,
				bpf_map__fd(c->skel->maps.ks_pids), o->pids, o->npids, "");
	if (err)
		goto err;
	return c;
err:
	ks_biolat__free(c);
	errno = -err;
	return NULL;
}

static void merge_max(struct ks_hist *dst, const struct ks_hist *src)
{
	ks_hist_merge(dst, src);
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
}

/* "vda" from /sys/dev/block/MAJ:MIN/uevent; "MAJ:MIN" if not found */
static void disk_name(uint32_t dev, char *out, size_t len)
{
	char path[64], *txt, *p;

	snprintf(out, len, "%u:%u", dev >> 20, dev & 0xfffff);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", dev >> 20, dev & 0xfffff);
	txt = ks_read_file(path, NULL);
	if (!txt)
		return;
	p = strstr(txt, "DEVNAME=");
	if (p) {
		p += 8;
		p[strcspn(p, "\n")] = 0;
		snprintf(out, len, "%s", p);
	}
	free(txt);
}

/* Take every row out of a map; @fn gets each key and its per-CPU values. */
static int drain(struct ks_biolat *c, int fd, size_t ksz, size_t stride,
		 int (*fn)(struct ks_biolat *c, struct ks_model *m, const void *key,
			   const void *vals),
		 struct ks_model *m)
{
	size_t vsz = stride * c->ncpus, n, i;
	char *keys, *vals;
	int err;

	err = ks_map_drain(fd, ksz, vsz, (void **)&keys, (void **)&vals, &n);
	for (i = 0; i < n && !err; i++)
		err = fn(c, m, keys + i * ksz, vals + i * vsz);
	free(keys);
	free(vals);
	return err;
}

static int add_disk(struct ks_biolat *c, struct ks_model *m, const void *key, const void *vals)
{
	uint32_t dev = *(const uint32_t *)key;
	struct ks_disk_row *r = ks_model__disk(m, dev);
	uint64_t no_insert = 0, n = 0;
	int i;

	if (!r)
		return -ENOMEM;
	if (!r->name[0])
		disk_name(dev, r->name, sizeof(r->name));
	for (i = 0; i < c->ncpus; i++) {
		const struct ks_bio_disk *d = (void *)((char *)vals +
						       i * STRIDE(struct ks_bio_disk));

		merge_max(&r->queued, &d->queued);
		merge_max(&r->device, &d->device);
		merge_max(&r->size, &d->size);
		r->reads += d->ops[KS_BIO_READ];
		r->writes += d->ops[KS_BIO_WRITE];
		r->read_bytes += d->bytes[KS_BIO_READ];
		r->write_bytes += d->bytes[KS_BIO_WRITE];
		no_insert += d->no_insert;
		n += d->device.count;
	}
	if (no_insert && c->have_insert)
		ks_model__gap(m, "queued time (some)",
			      "%s: %llu of %llu requests were dispatched without block_rq_insert "
			      "(no scheduler queue path): queued time unavailable for those",
			      r->name, (unsigned long long)no_insert, (unsigned long long)n);
	return 0;
}

static int add_proc(struct ks_biolat *c, struct ks_model *m, const void *key, const void *vals)
{
	const struct ks_bio_pkey *k = key;
	struct ks_bio_row *r;
	struct ks_task *t;
	int i;

	if (ks_grow((void **)&c->rows, &c->rcap, c->nrows + 1, sizeof(*c->rows), 64))
		return -ENOMEM;
	r = &c->rows[c->nrows++];
	memset(r, 0, sizeof(*r));
	r->tgid = k->tgid;
	r->dev = k->dev;
	r->op = k->op;
	for (i = 0; i < c->ncpus; i++) {
		const struct ks_bio_proc *p = (void *)((char *)vals +
						       i * STRIDE(struct ks_bio_proc));

		if (!r->comm[0] && p->comm[0])
			memcpy(r->comm, p->comm, KS_COMM_LEN);
		merge_max(&r->lat, &p->lat);
		r->bytes += p->bytes;
	}
	r->comm[KS_COMM_LEN - 1] = 0;
	t = ks_model__task(m, k->tgid, k->tgid, r->comm);
	if (!t)
		return -ENOMEM;
	merge_max(&t->io, &r->lat);
	t->io_bytes += r->bytes;
	t->io_ops += r->lat.count;
	merge_max(&m->io_all, &r->lat);
	return 0;
}

int ks_biolat__read(struct ks_biolat *c, struct ks_model *m)
{
	int dfd = bpf_map__fd(c->skel->maps.ks_drops), err;
	uint64_t d[KS_DROP__COUNT], n;
	int i;

	c->nrows = 0;
	err = drain(c, bpf_map__fd(c->skel->maps.disks), sizeof(__u32),
		    STRIDE(struct ks_bio_disk), add_disk, m);
	if (!err)
		err = drain(c, bpf_map__fd(c->skel->maps.procs), sizeof(struct ks_bio_pkey),
			    STRIDE(struct ks_bio_proc), add_proc, m);
	for (i = 0; i < KS_DROP__COUNT; i++)
		d[i] = ks_percpu_sum(dfd, i, c->ncpus);
	n = d[KS_DROP_MAP_FULL] - c->prev_drops[KS_DROP_MAP_FULL];
	if (n) {
		m->lost += n;
		ks_model__gap(m, "block I/O (some)", "%llu requests not counted: BPF map full "
			      "(in-flight requests, devices or process rows)",
			      (unsigned long long)n);
	}
	n = d[KS_DROP_START_MISS] - c->prev_drops[KS_DROP_START_MISS];
	if (n)
		ks_model__gap(m, "block I/O latency (some)", "%llu requests completed without "
			      "an issue seen (in flight when tracing started)",
			      (unsigned long long)n);
	if (!c->have_insert)
		ks_model__gap(m, "queued time", "tracepoint block:block_rq_insert absent on "
			      "this kernel: only device time (issue -> complete)");
	memcpy(c->prev_drops, d, sizeof(d));
	return err;
}

const struct ks_bio_row *ks_biolat__rows(const struct ks_biolat *c, size_t *n)
{
	*n = c->nrows;
	return c->rows;
}

const char *ks_biolat__attach_kind(const struct ks_biolat *c)
{
	return ks_tp_kind_name(c->kind);
}

void ks_biolat__free(struct ks_biolat *c)
{
	if (!c)
		return;
	biolat_bpf__destroy(c->skel);
	free(c->rows);
	free(c);
}
