/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw stack aggregation, shared by every stack-taking collector (profile,
 * offcpu, locks). Samples arrive as addresses (kernel ips, and either user
 * frame-pointer ips or a struct ks_stack_sample with registers and a stack
 * copy to unwind); identical raw stacks are merged; symbolization happens
 * once per distinct stack when the profile is built.
 */
#ifndef KS_STACKS_H
#define KS_STACKS_H

#include <stdbool.h>
#include <stdint.h>
#include "ks_types.h"
#include "ks_profile.h"
#include "ks_syms.h"

struct ks_stacks;

struct ks_stacks *ks_stacks__new(struct ks_symbolizer *syms);
void ks_stacks__free(struct ks_stacks *st);

/*
 * Add raw stacks. @kips/@uips are leaf first. @marker, when not NULL, is a
 * frame name placed right after the process frame (e.g. an off-CPU reason),
 * kind KS_FRAME_OFFCPU. @ucomplete says the user stack reached the thread's
 * entry (counted for the accounting).
 */
int ks_stacks__add(struct ks_stacks *st, uint32_t tgid, uint32_t pid, const char *comm,
		   const uint64_t *kips, int nk, const uint64_t *uips, int nu, bool ucomplete,
		   const char *marker, uint64_t value);

/*
 * Add a ring-buffer sample: snapshot the process's maps if new, unwind its
 * user stack with CFI (falling back to frame pointers), then add it.
 * @marker as above; value from s->value scaled by @scale (e.g. 1e-3 for ns
 * to us).
 */
int ks_stacks__add_sample(struct ks_stacks *st, const struct ks_stack_sample *s,
			  size_t size, const char *marker, double scale);

/*
 * The user part of a ring-buffer sample alone, for a collector that keeps
 * its own aggregation (offcpu): the maps snapshot, the CFI unwind and the
 * frame-pointer fallback of ks_stacks__add_sample. Writes up to
 * KS_MAX_STACK_DEPTH ips, leaf first (just the ip when nothing unwinds);
 * returns their number, 0 without a user part. *@complete: the walk
 * reached the thread's entry.
 */
int ks_stacks__unwind(struct ks_stacks *st, const struct ks_stack_sample *s, size_t size,
		      uint64_t *uips, bool *complete);

/*
 * Name the frame at @addr of process @tgid into @f (strings interned in
 * @p; @leaf: the address is not a return address), counted in p->acct.
 */
void ks_stacks__name_frame(struct ks_stacks *st, struct ks_profile *p, struct ks_frame *f,
			   uint32_t tgid, uint64_t addr, bool kernel, bool leaf);
/* Is @name the outermost frame of a complete user stack (_start, clone3, ...)? */
bool ks_stacks_entry_frame(const char *name);

/* Symbolize everything into @p (stacks added, accounting filled). */
int ks_stacks__build(struct ks_stacks *st, struct ks_profile *p, bool per_thread);
/* Forget the stacks (keeps the symbolizer). */
void ks_stacks__clear(struct ks_stacks *st);

/*
 * A BPF stack map's stacks read once: rows share stacks (a recorded busy
 * machine: ~60% of one read's stack lookups were repeats), so each (map, id)
 * costs one system call until ks_stackids__reset() (which the owner calls
 * when ids may have changed; the cache also starts over past 64 Ki stacks).
 */
struct ks_stackids;
struct ks_stackids *ks_stackids__new(void);
void ks_stackids__free(struct ks_stackids *c);
/*
 * Stack @id of stack map @fd into @ips (KS_MAX_STACK_DEPTH entries, zero
 * after the last frame). The number of frames, or -ENOENT (the id was
 * evicted or reused) or -ENOMEM. @c NULL: read, nothing kept.
 */
int ks_stackids__read(struct ks_stackids *c, int fd, int32_t id, uint64_t *ips);
/* Forget what was read (the next pass reads the maps again). */
void ks_stackids__reset(struct ks_stackids *c);
size_t ks_stacks__count(const struct ks_stacks *st);

#endif /* KS_STACKS_H */
