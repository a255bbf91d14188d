// SPDX-License-Identifier: GPL-2.0
/*
 * Block I/O latency from block_rq_insert / block_rq_issue / block_rq_complete.
 * In-flight requests are keyed by their struct request pointer (tp_btf,
 * raw_tp) or by dev + sector (classic tracepoints, which give no pointer).
 * The owner (tgid, comm) is taken at insert, or at issue when the request
 * was dispatched without an insert; completion runs in irq context.
 */
#include "ks_core.bpf.h"
#include "ks_biolat.h"

char LICENSE[] SEC("license") = "GPL";

#define REQ_OP_MASK	0xff

KS_DEFINE_FILTERS
KS_DEFINE_DROPS

struct rq_key {
	__u64 a;			/* request pointer, or dev */
	__u64 b;			/* 0, or sector */
};

struct rq_state {
	__u64 insert_ns;
	__u64 issue_ns;
	__u32 tgid;
	__u32 pad;
	char comm[KS_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct rq_key);
	__type(value, struct rq_state);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct ks_bio_disk);
} disks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ks_bio_pkey);
	__type(value, struct ks_bio_proc);
} procs SEC(".maps");

struct zeroes {
	struct ks_bio_disk d;
	struct ks_bio_proc p;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zeroes);
} zero SEC(".maps");

/* before 5.17 the disk hung off the request */
struct request___old {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline __u32 rq_dev(struct request *rq)
{
	struct gendisk *d;

	if (bpf_core_field_exists(((struct request___old *)rq)->rq_disk))
		d = BPF_CORE_READ((struct request___old *)rq, rq_disk);
	else
		d = BPF_CORE_READ(rq, q, disk);
	if (!d)
		return 0;
	return BPF_CORE_READ(d, major) << 20 | BPF_CORE_READ(d, first_minor);
}

static __always_inline void own(struct rq_state *s)
{
	s->tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(s->comm, sizeof(s->comm));
}

static __always_inline bool cur_wanted(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	return ks_current_wanted(tgid);
}

static __always_inline int on_insert(struct rq_key *k)
{
	struct rq_state s = {};

	if (!cur_wanted())
		return 0;
	s.insert_ns = bpf_ktime_get_ns();
	own(&s);
	if (bpf_map_update_elem(&inflight, k, &s, BPF_ANY))
		ks_drop(KS_DROP_MAP_FULL);
	return 0;
}

static __always_inline int on_issue(struct rq_key *k)
{
	struct rq_state *sp, s = {};

	sp = bpf_map_lookup_elem(&inflight, k);
	if (sp) {
		sp->issue_ns = bpf_ktime_get_ns();
		return 0;
	}
	/* no insert: direct dispatch; the issuer is the owner */
	if (!cur_wanted())
		return 0;
	s.issue_ns = bpf_ktime_get_ns();
	own(&s);
	if (bpf_map_update_elem(&inflight, k, &s, BPF_ANY))
		ks_drop(KS_DROP_MAP_FULL);
	return 0;
}

static __always_inline void *row(void *map, void *key, void *zv)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	if (bpf_map_update_elem(map, key, zv, BPF_NOEXIST) && !bpf_map_lookup_elem(map, key)) {
		ks_drop(KS_DROP_MAP_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

static __always_inline int on_complete(struct rq_key *k, __u32 dev, __u32 op, __u64 bytes)
{
	struct ks_bio_pkey pk = {};
	struct ks_bio_disk *d;
	struct ks_bio_proc *p;
	struct rq_state *sp;
	struct zeroes *z;
	__u64 now, qns = 0, dns;
	__u32 zk = 0;

	sp = bpf_map_lookup_elem(&inflight, k);
	if (!sp)
		return 0;
	if (!sp->issue_ns) {
		/* completed without an issue we saw (attached mid-flight) */
		ks_drop(KS_DROP_START_MISS);
		bpf_map_delete_elem(&inflight, k);
		return 0;
	}
	now = bpf_ktime_get_ns();
	dns = now - sp->issue_ns;
	z = bpf_map_lookup_elem(&zero, &zk);
	if (!z)
		goto out;
	if (op > KS_BIO_OTHER)
		op = KS_BIO_OTHER;
	d = row(&disks, &dev, &z->d);
	if (d) {
		if (sp->insert_ns) {
			qns = sp->issue_ns - sp->insert_ns;
			ks_hist_add_pcpu(&d->queued, qns);
		} else {
			d->no_insert++;
		}
		ks_hist_add_pcpu(&d->device, dns);
		ks_hist_add_pcpu(&d->size, bytes);
		if (op < KS_BIO__COUNT) {
			d->ops[op]++;
			d->bytes[op] += bytes;
		}
	}
	pk.tgid = sp->tgid;
	pk.dev = dev;
	pk.op = op;
	__builtin_memcpy(z->p.comm, sp->comm, sizeof(z->p.comm));
	p = row(&procs, &pk, &z->p);
	if (p) {
		ks_hist_add_pcpu(&p->lat, qns + dns);
		p->bytes += bytes;
	}
out:
	bpf_map_delete_elem(&inflight, k);
	return 0;
}

static __always_inline __u32 op_of(__u32 flags)
{
	switch (flags & REQ_OP_MASK) {
	case 0:
		return KS_BIO_READ;
	case 1:
		return KS_BIO_WRITE;
	default:
		return KS_BIO_OTHER;
	}
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(btf_insert, struct request *rq)
{
	struct rq_key k = { .a = (__u64)rq };

	return on_insert(&k);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(btf_issue, struct request *rq)
{
	struct rq_key k = { .a = (__u64)rq };

	return on_issue(&k);
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(btf_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	struct rq_key k = { .a = (__u64)rq };

	return on_complete(&k, rq_dev(rq), op_of(rq->cmd_flags), rq->__data_len);
}

SEC("raw_tp/block_rq_insert")
int BPF_PROG(raw_insert, struct request *rq)
{
	struct rq_key k = { .a = (__u64)rq };

	return on_insert(&k);
}

SEC("raw_tp/block_rq_issue")
int BPF_PROG(raw_issue, struct request *rq)
{
	struct rq_key k = { .a = (__u64)rq };

	return on_issue(&k);
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(raw_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	struct rq_key k = { .a = (__u64)rq };

	return on_complete(&k, rq_dev(rq), op_of(BPF_CORE_READ(rq, cmd_flags)),
			   BPF_CORE_READ(rq, __data_len));
}

/* classic: rwbs "W", "WS", "R", "FWS", "D"...: the first of R/W after an F flush */
static __always_inline __u32 op_rwbs(const char *rwbs)
{
	char c0 = rwbs[0], c1 = rwbs[1];

	if (c0 == 'F')
		c0 = c1;
	return c0 == 'R' ? KS_BIO_READ : c0 == 'W' ? KS_BIO_WRITE : KS_BIO_OTHER;
}

SEC("tracepoint/block/block_rq_insert")
int tp_insert(struct trace_event_raw_block_rq *ctx)
{
	struct rq_key k = { .a = ctx->dev, .b = ctx->sector };

	return on_insert(&k);
}

SEC("tracepoint/block/block_rq_issue")
int tp_issue(struct trace_event_raw_block_rq *ctx)
{
	struct rq_key k = { .a = ctx->dev, .b = ctx->sector };

	return on_issue(&k);
}

SEC("tracepoint/block/block_rq_complete")
int tp_complete(struct trace_event_raw_block_rq_completion *ctx)
{
	struct rq_key k = { .a = ctx->dev, .b = ctx->sector };
	char rwbs[4];

	/* a copy: the verifier refuses variable-offset reads of the context */
	bpf_probe_read_kernel(rwbs, sizeof(rwbs), ctx->rwbs);
	return on_complete(&k, ctx->dev, op_rwbs(rwbs), (__u64)ctx->nr_sector << 9);
}
