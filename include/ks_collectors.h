/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A set of collectors loaded together (one load of the BPF programs) and
 * read into one struct ks_model per interval: what `kscope record` and
 * `kscope report` run. Names: "profile" (on-CPU stacks), "offcpu" (off-CPU
 * time by reason and stack), "runqlat" (run-queue latency, switch counts),
 * "biolat" (block I/O), "syscalls" (counts, errors, latency), "locks"
 * (lock wait stacks). record defaults to KS_COLLECTORS_DEFAULT, report to
 * KS_COLLECTORS_ALL.
 * A collector that fails to load becomes a gap in every interval's model,
 * not a failure of the whole run.
 */
#ifndef KS_COLLECTORS_H
#define KS_COLLECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include "ks_model.h"
#include "ks_types.h"

#define KS_COLLECTORS_DEFAULT	"profile,offcpu,runqlat,biolat"
#define KS_COLLECTORS_ALL	"profile,offcpu,runqlat,biolat,syscalls,locks"

struct ks_collectors_opts {
	size_t sz;			/* sizeof(struct ks_collectors_opts) */
	const char *list;		/* comma-separated names; NULL: default */
	const __u32 *pids;
	int npids;
	__u64 cgroup_id;
	bool threads;
	unsigned int freq;		/* profile Hz (default 99) */
};

struct ks_collectors;
/* Check @list: 0, or -EINVAL with the bad name in @bad (may be NULL). */
int ks_collectors_check(const char *list, char *bad, size_t bad_sz);
/* NULL + errno when none of the collectors could be opened. */
struct ks_collectors *ks_collectors__open(const struct ks_collectors_opts *o);
/* The names actually running, "profile,offcpu". */
const char *ks_collectors__names(const struct ks_collectors *c);
/*
 * Reset @m (profiles dropped) and fill it with what every collector saw
 * since the last read; sets t_start/t_end/wall_start/ncpus. 0 or -errno.
 */
int ks_collectors__read(struct ks_collectors *c, struct ks_model *m);
/*
 * Between reads (ks_collect_loop_poll): wait @timeout_ms, then drain the
 * ring buffers of the streaming collectors (profile, offcpu) so that a
 * second-long interval does not fill them and stacks are unwound while
 * their processes live. Returns records drained or -errno.
 */
int ks_collectors__poll(struct ks_collectors *c, int timeout_ms);
void ks_collectors__free(struct ks_collectors *c);

#endif /* KS_COLLECTORS_H */
