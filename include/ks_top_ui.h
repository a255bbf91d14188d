/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interactive top screen (user/top_ui.c): ncurses drawing of struct
 * ks_top and a key table. Collection stays with the caller, behind @ops:
 * the UI asks for a new interval when one is due and only draws. The same
 * screen replays a capture when @ops has a step(): REPLAY and the time
 * cursor in the header, t / T step, playback instead of refresh.
 */
#ifndef KS_TOP_UI_H
#define KS_TOP_UI_H

#include <stdbool.h>
#include <stdint.h>
#include "ks_model.h"
#include "ks_top.h"

struct ks_top_ui_ops {
	void *ctx;
	/*
	 * Collect one interval into the ks_top (scan, read collectors, arrange);
	 * in a replay, show the next one (-ERANGE past the end).
	 */
	int (*collect)(void *ctx);
	/*
	 * Replay only (NULL: live): show the interval @delta away from the
	 * shown one, 0 for the same one again; -ERANGE past either end.
	 */
	int (*step)(void *ctx, long delta);
	/* Rows per thread or per process: collectors may need reopening. */
	int (*set_threads)(void *ctx, bool threads);
	/* Process view: start per-process stack collection; read it; stop. */
	int (*detail_open)(void *ctx, uint32_t pid);
	const struct ks_model *(*detail_read)(void *ctx);
	void (*detail_close)(void *ctx);
	/* The collectors' model of the last interval (histograms of a task). */
	const struct ks_model *(*model)(void *ctx);
};

/* Run until q/F10 or a signal. @interval in seconds, changed by +/-. 0 or -errno. */
int ks_top_ui_run(struct ks_top *t, double *interval, const struct ks_top_ui_ops *ops);

#endif /* KS_TOP_UI_H */
