/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kscope top -i FILE (user/top_replay.c): a capture as the top view's
 * source. Opening reads the capture once and remembers where each interval
 * starts; showing interval k then feeds struct ks_top exactly as a live
 * interval does (ks_top__update), after interval k-1 (or, for the first,
 * the /proc reading taken when recording started) so that CPU% and faults/s
 * have their deltas. Nothing comes from this machine: no BPF, no /proc.
 *
 *	r = ks_top_replay__open(path, msg, sizeof(msg));
 *	ks_top_replay__show(r, t, 1);		(t->cursor says where we are)
 *	ks_top_replay__step(r, t, +1);		(-ERANGE at the end: nothing moves)
 */
#ifndef KS_TOP_REPLAY_H
#define KS_TOP_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include "ks_capture.h"
#include "ks_model.h"
#include "ks_top.h"

struct ks_top_replay;

/*
 * Open and index @path. NULL + errno on failure, with the reason in @msg
 * (one line); on success @msg holds a warning, "" when there is none (a
 * truncated capture replays up to its last complete interval).
 */
struct ks_top_replay *ks_top_replay__open(const char *path, char *msg, size_t msg_sz);
void ks_top_replay__free(struct ks_top_replay *r);

const struct ks_capture_meta *ks_top_replay__meta(const struct ks_top_replay *r);
size_t ks_top_replay__count(const struct ks_top_replay *r);
/* What the capture is: file, host, kernel, count, threads, cgroups. */
const struct ks_top_cursor *ks_top_replay__cursor(const struct ks_top_replay *r);
/* The shown interval, 1-based; 0 before the first __show(). */
size_t ks_top_replay__pos(const struct ks_top_replay *r);

/*
 * Show interval @pos (1 .. count) in @t: rows, header and t->cursor.
 * 0, -ERANGE outside the capture (nothing changes), or a read error
 * (-EBADMSG, -EIO, -ENOMEM: the message is in __error()).
 */
int ks_top_replay__show(struct ks_top_replay *r, struct ks_top *t, size_t pos);
/* Move by @delta intervals (0: show the same one again). As __show(). */
int ks_top_replay__step(struct ks_top_replay *r, struct ks_top *t, long delta);
const char *ks_top_replay__error(const struct ks_top_replay *r);

/* The collectors' model of the shown interval (histograms and stacks). */
const struct ks_model *ks_top_replay__model(const struct ks_top_replay *r);
/*
 * The process view of @pid in the shown interval: its on-CPU and off-CPU
 * stacks (of thread @pid when @threads) into @dm, which is reset first.
 * 0 or -ENOMEM.
 */
int ks_top_replay__detail(const struct ks_top_replay *r, uint32_t pid, bool threads,
			  struct ks_model *dm);

#endif /* KS_TOP_REPLAY_H */
