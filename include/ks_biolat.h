/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Block I/O latency collector (bpf/biolat.bpf.c + user/biolat.c): per device,
 * queued time (block_rq_insert -> block_rq_issue) and device time (issue ->
 * block_rq_complete), request sizes, reads/writes; per process (the task
 * that inserted, or issued when there was no insert) and direction.
 */
#ifndef KS_BIOLAT_H
#define KS_BIOLAT_H

#include "ks_types.h"

/* OTHER: flushes, discards and the like (shown as "flush") */
enum ks_bio_op { KS_BIO_READ = 0, KS_BIO_WRITE, KS_BIO_OTHER, KS_BIO__COUNT };

struct ks_bio_disk {
	struct ks_hist queued;		/* insert -> issue */
	struct ks_hist device;		/* issue -> complete */
	struct ks_hist size;		/* bytes, in the ns field */
	__u64 ops[KS_BIO__COUNT];
	__u64 bytes[KS_BIO__COUNT];
	__u64 no_insert;		/* issued without block_rq_insert: no queued time */
};

struct ks_bio_pkey {
	__u32 tgid;
	__u32 dev;
	__u32 op;			/* enum ks_bio_op */
	__u32 pad;
};

struct ks_bio_proc {
	struct ks_hist lat;		/* queued + device */
	__u64 bytes;
	char comm[KS_COMM_LEN];
};

#ifndef __VMLINUX_H__
#include <stdbool.h>
#include <stddef.h>
#include "ks_model.h"

struct ks_biolat_opts {
	size_t sz;			/* sizeof(struct ks_biolat_opts) */
	const __u32 *pids;		/* -p (NULL: all) */
	int npids;
	__u64 cgroup_id;		/* --cgroup (0: any) */
};

/* A per-process, per-device, per-direction row of the last read. */
struct ks_bio_row {
	__u32 tgid, dev, op;
	char comm[KS_COMM_LEN];
	struct ks_hist lat;
	__u64 bytes;
};

struct ks_biolat;

/* Open, load, attach (tp_btf, else raw_tp, else classic). NULL + errno. */
struct ks_biolat *ks_biolat__open(const struct ks_biolat_opts *opts);
/*
 * Move what was seen since the last read into @m: disks rows, io_all,
 * per-task io hist/bytes/ops, lost counts and gaps (queued time missing).
 */
int ks_biolat__read(struct ks_biolat *c, struct ks_model *m);
/* Per process/device/direction rows of the last read (valid until the next). */
const struct ks_bio_row *ks_biolat__rows(const struct ks_biolat *c, size_t *n);
const char *ks_biolat__attach_kind(const struct ks_biolat *c);
void ks_biolat__free(struct ks_biolat *c);
#endif

#endif /* KS_BIOLAT_H */
