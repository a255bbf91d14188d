// SPDX-License-Identifier: GPL-2.0
/*
 * The interactive top screen. htop's split: collection (ops->collect)
 * updates the model once per interval; drawing only renders struct ks_top,
 * and only when something changed (new interval, key, resize). ncurses'
 * erase()+refresh() sends only the differences, so nothing flickers. Keys
 * live in one table mapping a key to an action and its help line; a few
 * differ between live data and a replay (ops->step set), by the table's
 * mode column.
 */
#include <errno.h>
#include <math.h>
#include <ncurses.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ks_hist.h"
#include "ks_top_ui.h"
#include "ks_util.h"

enum { C_HEAD = 1, C_SEL, C_BAR, C_HOT, C_WARN, C_DIM, C_KEY };

struct ui {
	struct ks_top *t;
	double *interval;
	const struct ks_top_ui_ops *ops;
	bool replay;			/* ops->step: a capture, not live data */
	bool quit, paused, help, color, dirty, need_refresh;
	bool stepped;			/* a key moved the replay: like a new interval */
	size_t sel, top;		/* selected position, first visible position */
	uint32_t sel_pid;
	char search[64];
	char status[160];		/* one-off message on the status line */
	uint32_t detail_pid;		/* process view open for this pid (0: none) */
	char detail_comm[KS_COMM_LEN];
	const struct ks_model *dm;
};

/* Display columns: width and keep-priority (0 = always, higher drops first). */
static const struct dcol {
	enum ks_top_col col;
	int width;
	int prio;
} dcols[] = {
	{ KS_COL_PID, 7, 0 },
	{ KS_COL_USER, 8, 3 },
	{ KS_COL_STATE, 1, 2 },
	{ KS_COL_CPU, 5, 0 },
	{ KS_COL_RUNQ_AVG, 6, 4 },
	{ KS_COL_RUNQ_P99, 6, 1 },
	{ KS_COL_OFF, 5, 2 },
	{ KS_COL_OFF_RUNQ, 5, 3 },
	{ KS_COL_OFF_IO, 5, 4 },
	{ KS_COL_OFF_SLEEP, 5, 4 },
	{ KS_COL_OFF_LOCK, 5, 7 },
	{ KS_COL_IO_P99, 6, 5 },
	{ KS_COL_SYSC, 6, 6 },
	{ KS_COL_FAULTS, 6, 6 },
	{ KS_COL_CSW, 6, 5 },
	{ KS_COL_RSS, 7, 3 },
	{ KS_COL_THREADS, 4, 4 },
};

#define COMM_MIN 16

static void attr(struct ui *u, int pair, int mono)
{
	if (u->color && pair)
		attron(COLOR_PAIR(pair));
	else if (mono)
		attron(mono);
}

static void unattr(struct ui *u, int pair, int mono)
{
	if (u->color && pair)
		attroff(COLOR_PAIR(pair));
	else if (mono)
		attroff(mono);
}

/* Which display columns fit in @width next to COMMAND. */
static void fit_cols(int width, bool shown[])
{
	int total = COMM_MIN, prio;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dcols); i++)
		shown[i] = false;
	for (prio = 0; prio <= 9; prio++)
		for (i = 0; i < ARRAY_SIZE(dcols); i++)
			if (dcols[i].prio == prio && total + dcols[i].width + 1 <= width) {
				shown[i] = true;
				total += dcols[i].width + 1;
			}
}

static void fmt_num(char *buf, size_t n, double v, int width)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else if (v >= 100 || v == 0)
		snprintf(buf, n, "%.0f", v);
	else if (v >= 10)
		snprintf(buf, n, "%.1f", v);
	else
		snprintf(buf, n, "%.2f", v);
	if ((int)strlen(buf) > width) {
		if (v >= 1e9)
			snprintf(buf, n, "%.0fG", v / 1e9);
		else if (v >= 1e6)
			snprintf(buf, n, "%.0fM", v / 1e6);
		else
			snprintf(buf, n, "%.0fk", v / 1e3);
	}
}

static void cell(const struct ks_top *t, const struct ks_top_row *r, enum ks_top_col c,
		 char *buf, size_t n, int width)
{
	double v;

	if (!ks_top_col_available(t, c)) {
		snprintf(buf, n, "n/a");
		return;
	}
	switch (c) {
	case KS_COL_PID:	snprintf(buf, n, "%u", r->pid); return;
	case KS_COL_USER:	snprintf(buf, n, "%.*s", width, r->user); return;
	case KS_COL_STATE:	snprintf(buf, n, "%c", r->state ? r->state : '?'); return;
	case KS_COL_CPU:	v = r->cpu_pct; break;
	case KS_COL_RUNQ_AVG:	v = r->runq_avg_ms; break;
	case KS_COL_RUNQ_P99:	v = r->runq_p99_ms; break;
	case KS_COL_OFF:	v = r->off_total_pct; break;
	case KS_COL_OFF_RUNQ:	v = r->off_pct[KS_OFF_RUNQ]; break;
	case KS_COL_OFF_IO:	v = r->off_pct[KS_OFF_IO]; break;
	case KS_COL_OFF_SLEEP:	v = r->off_pct[KS_OFF_SLEEP]; break;
	case KS_COL_OFF_LOCK:	v = r->off_pct[KS_OFF_LOCK]; break;
	case KS_COL_IO_P99:	v = r->io_p99_ms; break;
	case KS_COL_SYSC:	v = r->sysc_s; break;
	case KS_COL_FAULTS:	v = r->faults_s; break;
	case KS_COL_CSW:	v = r->csw_s; break;
	case KS_COL_RSS:
		if (r->rss_kb >= 10 * 1024 * 1024)
			snprintf(buf, n, "%.1fG", r->rss_kb / 1048576.0);
		else if (r->rss_kb >= 100 * 1024)
			snprintf(buf, n, "%lluM", (unsigned long long)r->rss_kb / 1024);
		else
			snprintf(buf, n, "%llu", (unsigned long long)r->rss_kb);
		return;
	case KS_COL_THREADS:	snprintf(buf, n, "%u", r->threads); return;
	default:		buf[0] = '\0'; return;
	}
	fmt_num(buf, n, v, width);
}

/* The recording's kernel release: "6.18.0-1-amd64 #1 SMP ..." -> "6.18.0-1-amd64". */
static const char *kernel_release(const struct ks_top_cursor *c, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s", (int)strcspn(c->kernel, " "), c->kernel);
	return buf;
}

/* Replay: one line nobody can take for live data, with the time cursor. */
static void draw_replay_bar(struct ui *u, int cols, int *y)
{
	const struct ks_top_cursor *c = &u->t->cursor;
	char when[64], kernel[48], buf[320];
	int x;

	ks_top__time_str(u->t, when, sizeof(when), false);
	kernel_release(c, kernel, sizeof(kernel));
	move(*y, 0);
	attr(u, C_WARN, A_REVERSE);
	attron(A_BOLD | A_REVERSE);
	printw(" REPLAY ");
	attroff(A_BOLD | A_REVERSE);
	unattr(u, C_WARN, A_REVERSE);
	snprintf(buf, sizeof(buf), " %s  %s  host %s  kernel %s", when,
		 c->end ? "end of capture" : u->paused ? "paused" : "playing", c->host, kernel);
	x = getcurx(stdscr);
	if (c->end)
		attr(u, C_WARN, A_BOLD);
	if (x < cols)
		addnstr(buf, cols - x);
	if (c->end)
		unattr(u, C_WARN, A_BOLD);
	(*y)++;
}

/* "  kscope cpu 1.2% bpf 0.30% (9 progs)" into @buf; its length. */
static int self_cost_str(const struct ks_top_sys *s, char *buf, size_t n)
{
	int x = snprintf(buf, n, "  kscope cpu ");

	x += isnan(s->self_cpu_pct) ? snprintf(buf + x, n - x, "...") :
	     snprintf(buf + x, n - x, "%.1f%%", s->self_cpu_pct);
	if (!s->self_bpf_stats)
		x += snprintf(buf + x, n - x, " bpf n/a (stats off)");
	else if (isnan(s->self_bpf_pct))
		x += snprintf(buf + x, n - x, " bpf ...");
	else
		x += snprintf(buf + x, n - x, " bpf %.2f%% (%d progs)", s->self_bpf_pct,
			      s->self_nprogs);
	return x;
}

static void draw_header(struct ui *u, int cols, int *y)
{
	const struct ks_top_sys *s = &u->t->sys;
	int i, x = 0, barw, per_line, k;
	char buf[256];

	if (u->replay)
		draw_replay_bar(u, cols, y);

	/* per-CPU bars, as many per line as fit */
	per_line = s->ncpus > 1 && cols >= 80 ? 2 : 1;
	if (s->ncpus > 8 && cols >= 120)
		per_line = 4;
	barw = cols / per_line - 16;
	if (barw < 4)
		barw = 4;
	for (i = 1; i <= s->ncpus && *y < LINES - 6; i++) {
		double p = s->cpu_pct[i];
		int fill = isnan(p) ? 0 : (int)(p * barw / 100 + 0.5);

		x = ((i - 1) % per_line) * (cols / per_line);
		move(*y, x);
		attr(u, C_KEY, A_BOLD);
		printw("%3d", i - 1);
		unattr(u, C_KEY, A_BOLD);
		addch('[');
		attr(u, C_BAR, 0);
		for (k = 0; k < barw; k++)
			addch(k < fill ? '|' : ' ');
		unattr(u, C_BAR, 0);
		if (isnan(p))
			printw("]  ...  ");
		else
			printw("] %5.1f%%", p);
		if (i % per_line == 0 || i == s->ncpus)
			(*y)++;
	}
	snprintf(buf, sizeof(buf), "Load %.2f %.2f %.2f  Tasks %u, %u running  Mem %.1f/%.1fG",
		 s->load[0], s->load[1], s->load[2], s->nr_tasks, s->nr_running,
		 (s->mem_total_kb - s->mem_avail_kb) / 1048576.0, s->mem_total_kb / 1048576.0);
	mvaddnstr((*y)++, 0, buf, cols);
	x = snprintf(buf, sizeof(buf), "PSI avg10");
	for (i = 0; i < KS_PSI__COUNT; i++) {
		if (!s->psi[i].ok)
			x += snprintf(buf + x, sizeof(buf) - x, "  %s n/a", ks_psi_name(i));
		else if (s->psi[i].has_full)
			x += snprintf(buf + x, sizeof(buf) - x, "  %s %.1f/%.1f", ks_psi_name(i),
				      s->psi[i].some10, s->psi[i].full10);
		else
			x += snprintf(buf + x, sizeof(buf) - x, "  %s %.1f", ks_psi_name(i),
				      s->psi[i].some10);
		if (x >= (int)sizeof(buf))
			x = sizeof(buf) - 1;
	}
	if (s->psi_reason[0])
		snprintf(buf + x, sizeof(buf) - x, " (%s)", s->psi_reason);
	else
		snprintf(buf + x, sizeof(buf) - x, "  (some/full %%)");
	mvaddnstr((*y)++, 0, buf, cols);
	{
		char rq[24], io[24];

		if (isnan(s->runq_p99_ms))
			snprintf(rq, sizeof(rq), "n/a");
		else
			snprintf(rq, sizeof(rq), "%.2fms", s->runq_p99_ms);
		if (isnan(s->io_p99_ms))
			snprintf(io, sizeof(io), "n/a");
		else if (!s->io_count)
			snprintf(io, sizeof(io), "no I/O");
		else
			snprintf(io, sizeof(io), "%.2fms", s->io_p99_ms);
		x = snprintf(buf, sizeof(buf), "RunQ p99 %s  Disk p99 %s", rq, io);
		if (!u->replay)		/* our own cost: live only */
			x += self_cost_str(s, buf + x, sizeof(buf) - x);
		snprintf(buf + x, sizeof(buf) - x, "  Lost %llu", (unsigned long long)s->lost);
	}
	if (s->lost)
		attr(u, C_WARN, A_BOLD);
	mvaddnstr((*y)++, 0, buf, cols);
	if (s->lost)
		unattr(u, C_WARN, A_BOLD);
	if (s->ngaps) {
		x = snprintf(buf, sizeof(buf), "n/a:");
		for (i = 0; i < (int)s->ngaps && x < (int)sizeof(buf); i++)
			x += snprintf(buf + x, sizeof(buf) - x, "%s %s", i ? "," : "",
				      s->gaps[i].signal);
		if (x < (int)sizeof(buf))
			snprintf(buf + x, sizeof(buf) - x, "  (h: reasons)");
		attr(u, C_DIM, A_DIM);
		mvaddnstr((*y)++, 0, buf, cols);
		unattr(u, C_DIM, A_DIM);
	}
}

static void draw_table(struct ui *u, int cols, int y0, int y1)
{
	struct ks_top *t = u->t;
	bool shown[ARRAY_SIZE(dcols)];
	char buf[64];
	int x, y, rows = y1 - y0 - 1;
	size_t i, pos;

	fit_cols(cols, shown);
	move(y0, 0);
	attr(u, C_HEAD, A_REVERSE);
	for (x = 0; x < cols; x++)
		addch(' ');
	x = 0;
	for (i = 0; i < ARRAY_SIZE(dcols); i++) {
		const char *name = ks_top_col_name(dcols[i].col);

		if (!shown[i])
			continue;
		if (dcols[i].col == t->sort)
			attron(A_BOLD | A_UNDERLINE);
		if (dcols[i].col == KS_COL_USER)
			mvprintw(y0, x, "%-*s", dcols[i].width, name);
		else
			mvprintw(y0, x, "%*.*s", dcols[i].width, dcols[i].width, name);
		if (dcols[i].col == t->sort)
			attroff(A_BOLD | A_UNDERLINE);
		x += dcols[i].width + 1;
	}
	if (t->sort == KS_COL_COMM)
		attron(A_BOLD | A_UNDERLINE);
	mvprintw(y0, x, "%s", t->by_cgroup ? "CGROUP" : "COMMAND");
	if (t->sort == KS_COL_COMM)
		attroff(A_BOLD | A_UNDERLINE);
	unattr(u, C_HEAD, A_REVERSE);

	if (rows < 1)
		return;
	if (u->sel >= t->norder)
		u->sel = t->norder ? t->norder - 1 : 0;
	if (u->sel < u->top)
		u->top = u->sel;
	if (u->sel >= u->top + rows)
		u->top = u->sel - rows + 1;
	if (u->top + rows > t->norder)
		u->top = t->norder > (size_t)rows ? t->norder - rows : 0;
	for (y = y0 + 1, pos = u->top; y < y1 && pos < t->norder; y++, pos++) {
		const struct ks_top_row *r = ks_top__row(t, pos);
		bool sel = pos == u->sel;
		int pair = sel ? C_SEL : r->exited ? C_DIM : 0;
		int mono = sel ? A_REVERSE : r->exited ? A_DIM : 0;

		attr(u, pair, mono);
		if (sel) {
			move(y, 0);
			for (x = 0; x < cols; x++)
				addch(' ');
		}
		x = 0;
		for (i = 0; i < ARRAY_SIZE(dcols); i++) {
			enum ks_top_col c = dcols[i].col;
			bool hot;

			if (!shown[i])
				continue;
			cell(t, r, c, buf, sizeof(buf), dcols[i].width);
			/* high values stand out (CPU >= 90%, p99 >= 10 ms) */
			hot = !sel && !r->exited &&
			      ((c == KS_COL_CPU && r->cpu_pct >= 90) ||
			       (c == KS_COL_RUNQ_P99 && r->runq_p99_ms >= 10) ||
			       (c == KS_COL_IO_P99 && r->io_p99_ms >= 10));
			if (hot)
				attr(u, C_HOT, A_BOLD);
			if (c == KS_COL_USER)
				mvprintw(y, x, "%-*.*s", dcols[i].width, dcols[i].width, buf);
			else
				mvprintw(y, x, "%*.*s", dcols[i].width, dcols[i].width, buf);
			if (hot)
				unattr(u, C_HOT, A_BOLD);
			x += dcols[i].width + 1;
		}
		move(y, x);
		if (t->tree && r->depth) {
			int d;

			for (d = 1; d < r->depth && x + 3 < cols; d++, x += 2)
				addstr("  ");
			if (x + 3 < cols) {
				addstr(r->last_child ? "`-" : "|-");
				x += 2;
			}
		}
		if (x < cols) {
			char name[128];

			snprintf(name, sizeof(name), "%s%s", t->by_cgroup ? r->cgroup : r->comm,
				 r->exited ? " (exited)" : "");
			addnstr(name, cols - x);
		}
		unattr(u, pair, mono);
	}
}

/* The key table: one row per key, an action and its help text. */
enum key_mode { KM_ALL, KM_LIVE, KM_REPLAY };

struct key_action {
	int key;
	const char *label;
	const char *help;
	void (*fn)(struct ui *u, int key);
	enum key_mode mode;
};

static bool key_for(const struct ui *u, const struct key_action *k)
{
	return k->mode == KM_ALL || (k->mode == KM_REPLAY) == u->replay;
}

static void draw_status(struct ui *u, int cols);

static bool prompt(struct ui *u, const char *label, char *buf, size_t n, bool live_filter)
{
	size_t len = strlen(buf);
	int ch;

	for (;;) {
		move(LINES - 1, 0);
		clrtoeol();
		attr(u, C_KEY, A_BOLD);
		printw("%s", label);
		unattr(u, C_KEY, A_BOLD);
		printw("%s", buf);
		refresh();
		timeout(-1);
		ch = getch();
		if (ch == '\n' || ch == KEY_ENTER)
			return true;
		if (ch == 27 || ch == ERR)
			return false;
		if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len)
			buf[--len] = '\0';
		else if (ch >= 32 && ch < 127 && len + 1 < n) {
			buf[len++] = (char)ch;
			buf[len] = '\0';
		} else if (ch == KEY_RESIZE) {
			continue;
		}
		if (live_filter) {
			ks_top__arrange(u->t);
			erase();
			u->dirty = true;
		}
	}
}

static void k_quit(struct ui *u, int key) { u->quit = true; }
static void k_help(struct ui *u, int key) { u->help = !u->help; }
static void k_invert(struct ui *u, int key) { u->t->invert = !u->t->invert; }
static void k_tree(struct ui *u, int key) { u->t->tree = !u->t->tree; }
static void k_pause(struct ui *u, int key) { u->paused = !u->paused; }

static void k_sort(struct ui *u, int key)
{
	int c = u->t->sort;

	/* < and > walk the columns; F6 and > go right */
	do {
		c = key == '<' ? (c + KS_COL__COUNT - 1) % KS_COL__COUNT : (c + 1) % KS_COL__COUNT;
	} while (!ks_top_col_available(u->t, c) && c != (int)u->t->sort);
	u->t->sort = c;
	snprintf(u->status, sizeof(u->status), "sorted by %s", ks_top_col_name(c));
}

static void k_threads(struct ui *u, int key)
{
	int err = u->ops->set_threads(u->ops->ctx, !u->t->threads);

	if (err == -EOPNOTSUPP && u->replay)
		snprintf(u->status, sizeof(u->status), "H: rows are per %s, as recorded "
			 "(record -T records threads)", u->t->threads ? "thread" : "process");
	else if (err)
		snprintf(u->status, sizeof(u->status), "thread mode: %s", strerror(-err));
	else
		u->need_refresh = true;
}

static void k_cgroup(struct ui *u, int key)
{
	if (u->replay && !u->t->cursor.cgroups && !u->t->by_cgroup) {
		snprintf(u->status, sizeof(u->status), "C: this capture has no cgroup paths");
		return;
	}
	/* the next scan reads /proc/PID/cgroup; rows change meaning now */
	u->t->by_cgroup = !u->t->by_cgroup;
	u->sel = 0;
	u->need_refresh = true;
}

/* Replay: t / T show the next / previous interval; playback stops. */
static void k_step(struct ui *u, int key)
{
	int err;

	u->paused = true;
	err = u->ops->step(u->ops->ctx, key == 'T' ? -1 : 1);
	if (err == -ERANGE)
		snprintf(u->status, sizeof(u->status), "%s of capture",
			 key == 'T' ? "start" : "end");
	else if (err)
		snprintf(u->status, sizeof(u->status), "replay: %s", strerror(-err));
	else
		u->stepped = true;
}

static void k_play(struct ui *u, int key)
{
	if (u->paused && u->t->cursor.end) {
		snprintf(u->status, sizeof(u->status), "end of capture (T steps back)");
		return;
	}
	u->paused = !u->paused;
}

static void k_refuse(struct ui *u, int key)
{
	snprintf(u->status, sizeof(u->status),
		 "replay: these processes were recorded, there is nothing to signal");
}

static void k_interval(struct ui *u, int key)
{
	double *iv = u->interval;

	if (key == '+' || key == '=')
		*iv = *iv < 1 ? *iv + 0.1 : *iv + 0.5;
	else
		*iv = *iv <= 1 ? *iv - 0.1 : *iv - 0.5;
	if (*iv < 0.1)
		*iv = 0.1;
	if (*iv > 3600)
		*iv = 3600;
	snprintf(u->status, sizeof(u->status), "interval %.1fs", *iv);
}

static void k_search(struct ui *u, int key)
{
	long pos;

	if (!prompt(u, "Search: ", u->search, sizeof(u->search), false))
		return;
	pos = ks_top__search(u->t, u->search, u->sel + (key == KEY_F(3) ? 1 : 0));
	if (pos < 0)
		pos = ks_top__search(u->t, u->search, 0);
	if (pos < 0)
		snprintf(u->status, sizeof(u->status), "not found: %s", u->search);
	else
		u->sel = (size_t)pos;
}

static void k_filter(struct ui *u, int key)
{
	char old[sizeof(u->t->filter)];

	memcpy(old, u->t->filter, sizeof(old));
	if (!prompt(u, "Filter: ", u->t->filter, sizeof(u->t->filter), true))
		memcpy(u->t->filter, old, sizeof(old));
	u->sel = 0;
}

static void k_kill(struct ui *u, int key)
{
	const struct ks_top_row *r = ks_top__row(u->t, u->sel);
	char label[64], buf[16] = "15";
	unsigned long sig;
	char *end;

	if (!r || r->exited || u->t->by_cgroup)
		return;
	snprintf(label, sizeof(label), "Send signal to %u (%s): ", r->pid, r->comm);
	if (!prompt(u, label, buf, sizeof(buf), false))
		return;
	sig = strtoul(buf, &end, 10);
	if (*end || !sig || sig >= 65) {
		snprintf(u->status, sizeof(u->status), "bad signal number '%s'", buf);
		return;
	}
	if (kill((pid_t)r->pid, (int)sig))
		snprintf(u->status, sizeof(u->status), "kill %u: %s", r->pid, strerror(errno));
	else
		snprintf(u->status, sizeof(u->status), "sent signal %lu to %u", sig, r->pid);
}

static void k_move(struct ui *u, int key)
{
	size_t page = LINES > 12 ? (size_t)LINES - 10 : 1;

	switch (key) {
	case KEY_UP:	if (u->sel) u->sel--; break;
	case KEY_DOWN:	u->sel++; break;
	case KEY_PPAGE:	u->sel = u->sel > page ? u->sel - page : 0; break;
	case KEY_NPAGE:	u->sel += page; break;
	case KEY_HOME:	u->sel = 0; break;
	case KEY_END:	u->sel = u->t->norder ? u->t->norder - 1 : 0; break;
	}
	if (u->t->norder && u->sel >= u->t->norder)
		u->sel = u->t->norder - 1;
}

static void k_detail(struct ui *u, int key)
{
	const struct ks_top_row *r = ks_top__row(u->t, u->sel);
	int err;

	if (!r || u->t->by_cgroup)
		return;
	err = u->ops->detail_open(u->ops->ctx, r->pid);
	if (err) {
		snprintf(u->status, sizeof(u->status), "process view: %s", err == -EPERM ?
			 "needs the BPF collectors (not root, or --no-bpf)" : strerror(-err));
		return;
	}
	u->detail_pid = r->pid;
	memcpy(u->detail_comm, r->comm, sizeof(u->detail_comm));
	/* a recording has the interval's stacks already; live needs one to pass */
	u->dm = u->replay ? u->ops->detail_read(u->ops->ctx) : NULL;
}

static const struct key_action keys[] = {
	{ KEY_F(6), "F6", "next sort column (also >)", k_sort },
	{ '>', NULL, NULL, k_sort },
	{ '.', NULL, NULL, k_sort },
	{ '<', "< >", "previous / next sort column", k_sort },
	{ ',', NULL, NULL, k_sort },
	{ 'I', "I", "invert the sort order", k_invert },
	{ '/', "/ F3", "search (command, user, pid); F3 finds the next", k_search },
	{ KEY_F(3), NULL, NULL, k_search },
	{ '\\', "\\ F4", "filter rows (command, user, pid, cgroup)", k_filter },
	{ KEY_F(4), NULL, NULL, k_filter },
	{ 't', "t F5", "tree view", k_tree, KM_LIVE },
	{ KEY_F(5), NULL, NULL, k_tree, KM_LIVE },
	{ KEY_F(5), "F5", "tree view", k_tree, KM_REPLAY },
	{ 't', "t T", "next / previous interval of the capture (pauses)", k_step, KM_REPLAY },
	{ 'T', NULL, NULL, k_step, KM_REPLAY },
	{ 'H', "H", "threads instead of processes", k_threads },
	{ 'C', "C", "one row per cgroup (sums; latency p99: worst member)", k_cgroup },
	{ ' ', "space Z", "pause / resume updates", k_pause, KM_LIVE },
	{ 'Z', NULL, NULL, k_pause, KM_LIVE },
	{ ' ', "space Z", "play / pause the replay, one interval per refresh", k_play, KM_REPLAY },
	{ 'Z', NULL, NULL, k_play, KM_REPLAY },
	{ 'k', "k F9", "send a signal to the selected process", k_kill, KM_LIVE },
	{ KEY_F(9), NULL, NULL, k_kill, KM_LIVE },
	{ 'k', NULL, NULL, k_refuse, KM_REPLAY },
	{ KEY_F(9), NULL, NULL, k_refuse, KM_REPLAY },
	{ '+', "+ -", "longer / shorter refresh interval", k_interval, KM_LIVE },
	{ '+', "+ -", "slower / faster playback (the refresh interval)", k_interval, KM_REPLAY },
	{ '=', NULL, NULL, k_interval },
	{ '-', NULL, NULL, k_interval },
	{ '\n', "Enter", "process view: stacks and histograms, live", k_detail, KM_LIVE },
	{ '\n', "Enter", "process view: stacks and histograms of the interval", k_detail,
	  KM_REPLAY },
	{ KEY_ENTER, NULL, NULL, k_detail },
	{ KEY_UP, "arrows", "move (PgUp PgDn Home End)", k_move },
	{ KEY_DOWN, NULL, NULL, k_move },
	{ KEY_PPAGE, NULL, NULL, k_move },
	{ KEY_NPAGE, NULL, NULL, k_move },
	{ KEY_HOME, NULL, NULL, k_move },
	{ KEY_END, NULL, NULL, k_move },
	{ 'h', "h ? F1", "this help", k_help },
	{ '?', NULL, NULL, k_help },
	{ KEY_F(1), NULL, NULL, k_help },
	{ 'q', "q F10", "quit", k_quit },
	{ KEY_F(10), NULL, NULL, k_quit },
};

static void draw_help(struct ui *u, int cols)
{
	const struct ks_top_sys *s = &u->t->sys;
	int y = 0;
	size_t i;

	attr(u, C_HEAD, A_REVERSE);
	mvaddnstr(y++, 0, "kscope top help -- any key closes", cols);
	unattr(u, C_HEAD, A_REVERSE);
	y++;
	if (u->replay) {
		char buf[512], kernel[48];

		snprintf(buf, sizeof(buf), "REPLAY of %s, recorded on %s (kernel %s): nothing "
			 "here is live", u->t->cursor.file, u->t->cursor.host,
			 kernel_release(&u->t->cursor, kernel, sizeof(kernel)));
		mvaddnstr(y++, 1, buf, cols - 1);
	}
	for (i = 0; i < ARRAY_SIZE(keys) && y < LINES - 2; i++) {
		if (!keys[i].label || !key_for(u, &keys[i]))
			continue;
		attr(u, C_KEY, A_BOLD);
		mvprintw(y, 1, "%-8s", keys[i].label);
		unattr(u, C_KEY, A_BOLD);
		mvaddnstr(y++, 10, keys[i].help, cols - 10);
	}
	if (y < LINES - 2)
		mvaddnstr(y++, 1, "Columns: RQ run-queue latency avg/p99 (ms); OFF% off-CPU time "
			  "(oCPU waiting for CPU, oIO, oSLP, oLCK)", cols - 1);
	if (y < LINES - 2)
		mvaddnstr(y++, 1, "Unavailable signals (n/a):", cols - 1);
	for (i = 0; i < s->ngaps && y < LINES - 1; i++) {
		char buf[256];

		snprintf(buf, sizeof(buf), "  %s: %s", s->gaps[i].signal, s->gaps[i].reason);
		mvaddnstr(y++, 1, buf, cols - 1);
	}
	if (s->psi_reason[0] && y < LINES - 1) {
		char buf[256];

		snprintf(buf, sizeof(buf), "  PSI: %s", s->psi_reason);
		mvaddnstr(y++, 1, buf, cols - 1);
	}
}

/* Power-of-two rows of a histogram, drawn as bars. */
static int draw_hist(struct ui *u, int y, int cols, const char *title, const struct ks_hist *h)
{
	uint64_t rows[64] = { 0 }, maxc = 0;
	int lo = 64, hi = -1, i, barw = cols - 32;
	char buf[160];

	snprintf(buf, sizeof(buf), "%s: %llu events", title, (unsigned long long)(h ? h->count : 0));
	if (h && h->count)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 ", avg %.3f ms, p50 %.3f ms, p99 %.3f ms, max %.3f ms",
			 h->sum_ns / (double)h->count / 1e6, ks_hist_pct(h, 50) / 1e6,
			 ks_hist_pct(h, 99) / 1e6, h->max_ns / 1e6);
	attr(u, C_KEY, A_BOLD);
	mvaddnstr(y++, 0, buf, cols);
	unattr(u, C_KEY, A_BOLD);
	if (!h || !h->count)
		return y;
	for (i = 0; i < KS_HIST_SLOTS; i++) {
		uint64_t us = ks_hist_slot_lo(i) / 1000;
		int r = us ? (int)ks_log2_u64(us) + 1 : 0;

		if (!h->slots[i])
			continue;
		rows[r] += h->slots[i];
		if (r < lo)
			lo = r;
		if (r > hi)
			hi = r;
	}
	for (i = lo; i <= hi; i++)
		if (rows[i] > maxc)
			maxc = rows[i];
	for (i = lo; i <= hi && y < LINES - 2; i++) {
		unsigned long long a = i ? 1ULL << (i - 1) : 0, b = 1ULL << i;
		int w = barw > 0 && maxc ? (int)(rows[i] * barw / maxc) : 0, k;

		mvprintw(y, 0, "%10llu -> %-10llu us %8llu |", a, b, (unsigned long long)rows[i]);
		attr(u, C_BAR, 0);
		for (k = 0; k < w; k++)
			addch('*');
		unattr(u, C_BAR, 0);
		y++;
	}
	return y;
}

/* The heaviest stacks of a profile, leaf-most frames first, one per line. */
static int draw_stacks(struct ui *u, int y, int ymax, int cols, const char *title,
		       struct ks_profile *p)
{
	uint64_t total;
	size_t i;

	attr(u, C_KEY, A_BOLD);
	mvprintw(y++, 0, "%s", title);
	unattr(u, C_KEY, A_BOLD);
	if (!p || !p->nstacks) {
		mvaddnstr(y++, 2, "(nothing seen yet)", cols - 2);
		return y;
	}
	ks_profile__sort(p);
	total = ks_profile__total(p);
	for (i = 0; i < p->nstacks && y < ymax; i++) {
		const struct ks_stack *s = &p->stacks[i];
		char line[512];
		int x, f;

		bool first = true;

		x = snprintf(line, sizeof(line), "%5.1f%% ", total ? s->value * 100.0 / total : 0);
		/* the off-CPU reason first, then leaf first: the frame that ran (or blocked) */
		for (f = 1; f < (int)s->nframes; f++)
			if (s->frames[f].kind == KS_FRAME_OFFCPU && x < (int)sizeof(line) - 8)
				x += snprintf(line + x, sizeof(line) - x, "[%s] ",
					      s->frames[f].name ? s->frames[f].name : "?");
		for (f = (int)s->nframes - 1; f >= 1 && x < (int)sizeof(line) - 8; f--) {
			if (s->frames[f].kind == KS_FRAME_OFFCPU)
				continue;
			x += snprintf(line + x, sizeof(line) - x, "%s%s", first ? "" : " < ",
				      s->frames[f].name ? s->frames[f].name : "?");
			first = false;
		}
		mvaddnstr(y++, 1, line, cols - 1);
	}
	return y;
}

static void draw_detail(struct ui *u, int cols)
{
	const struct ks_model *m = u->ops->model(u->ops->ctx);
	const struct ks_task *k = m ? ks_model__find(m, u->detail_pid) : NULL;
	int y = 0, mid;
	char buf[160];

	if (u->replay)
		snprintf(buf, sizeof(buf), "Process %u (%s) -- Esc/q/Enter returns; REPLAY, "
			 "interval %zu/%zu (t T step)", u->detail_pid, u->detail_comm,
			 u->t->cursor.pos, u->t->cursor.count);
	else
		snprintf(buf, sizeof(buf), "Process %u (%s) -- Esc/q/Enter returns; live, "
			 "per interval", u->detail_pid, u->detail_comm);
	attr(u, C_HEAD, A_REVERSE);
	mvaddnstr(y++, 0, buf, cols);
	unattr(u, C_HEAD, A_REVERSE);
	y = draw_hist(u, y, cols, "Run-queue latency",
		      (u->t->have & KS_HAVE_RUNQ) && k ? &k->runq : NULL);
	if (u->t->have & KS_HAVE_IO)
		y = draw_hist(u, y, cols, "Block I/O latency", k ? &k->io : NULL);
	else if (y < LINES - 1)
		mvaddnstr(y++, 0, "Block I/O latency: n/a (no block I/O collector)", cols);
	mid = y + (LINES - y) / 2;
	if (!u->dm) {
		mvaddnstr(y, 0, "collecting stacks for one interval...", cols);
		return;
	}
	y = draw_stacks(u, y, mid, cols, "Top on-CPU stacks (leaf < caller)", u->dm->oncpu);
	y = draw_stacks(u, y, LINES - 1, cols, "Top off-CPU stacks ([reason] leaf < caller)",
			u->dm->offcpu);
	(void)y;
}

static void draw_status(struct ui *u, int cols)
{
	static const char *const fkeys[] = { "F1", "Help", "F3", "Search", "F4", "Filter",
					     "F5", "Tree", "F6", "SortBy", "F9", "Kill",
					     "F10", "Quit" };
	char right[200];
	size_t i;
	int x;

	move(LINES - 1, 0);
	clrtoeol();
	if (u->status[0]) {
		attr(u, C_WARN, A_BOLD);
		mvaddnstr(LINES - 1, 0, u->status, cols);
		unattr(u, C_WARN, A_BOLD);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(fkeys) && getcurx(stdscr) < cols - 12; i += 2) {
		if (u->replay && !strcmp(fkeys[i], "F9"))
			continue;	/* nothing to kill in a recording */
		attr(u, C_KEY, A_BOLD);
		addstr(fkeys[i]);
		unattr(u, C_KEY, A_BOLD);
		attr(u, C_HEAD, A_REVERSE);
		addstr(fkeys[i + 1]);
		unattr(u, C_HEAD, A_REVERSE);
		addch(' ');
	}
	x = snprintf(right, sizeof(right), "%s%s%s%s %.1fs",
		     u->replay ? (u->paused ? "PAUSED " : "PLAYING ") : u->paused ? "PAUSED " : "",
		     u->t->threads ? "threads " : "", u->t->tree ? "tree " : "",
		     u->t->filter[0] ? "filtered " : "", *u->interval);
	if (x < cols - getcurx(stdscr))
		mvaddstr(LINES - 1, cols - x, right);
}

static void draw(struct ui *u)
{
	int cols = COLS, y = 0;

	erase();
	if (u->help) {
		draw_help(u, cols);
	} else if (u->detail_pid) {
		draw_detail(u, cols);
	} else {
		draw_header(u, cols, &y);
		draw_table(u, cols, y, LINES - 1);
	}
	draw_status(u, cols);
	refresh();
	u->dirty = false;
}

static void track_selection(struct ui *u)
{
	size_t i;

	if (!u->sel_pid)
		return;
	for (i = 0; i < u->t->norder; i++)
		if (ks_top__row(u->t, i)->pid == u->sel_pid) {
			u->sel = i;
			return;
		}
}

static void handle_key(struct ui *u, int ch)
{
	size_t i;

	if (u->help) {
		u->help = false;
		return;
	}
	if (u->detail_pid) {
		if (ch == 27 || ch == 'q' || ch == '\n' || ch == KEY_ENTER || ch == KEY_F(10) ||
		    ch == KEY_LEFT) {
			u->ops->detail_close(u->ops->ctx);
			u->detail_pid = 0;
			u->dm = NULL;
		} else if (u->replay && (ch == 't' || ch == 'T')) {
			k_step(u, ch);		/* the same process, one interval on */
		} else if (u->replay && (ch == ' ' || ch == 'Z')) {
			k_play(u, ch);
		}
		return;
	}
	u->status[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].key == ch && key_for(u, &keys[i])) {
			keys[i].fn(u, ch);
			break;
		}
	ks_top__arrange(u->t);
	if (ch != '/' && ch != KEY_F(3) && ch != '\\' && ch != KEY_F(4) && !(ch >= KEY_UP &&
	    ch <= KEY_RIGHT) && ch != KEY_PPAGE && ch != KEY_NPAGE && ch != KEY_HOME &&
	    ch != KEY_END)
		track_selection(u);
	if (ks_top__row(u->t, u->sel))
		u->sel_pid = ks_top__row(u->t, u->sel)->pid;
}

/* A new interval is in the model: the process view and the selection follow. */
static void shown(struct ui *u)
{
	if (u->detail_pid)
		u->dm = u->ops->detail_read(u->ops->ctx);
	track_selection(u);
	u->stepped = false;
	u->dirty = true;
}

/*
 * The interval due: live, a new one; in a replay the next one (its end
 * pauses playback), or the same again after a setting changed.
 */
static int next_interval(struct ui *u)
{
	int err;

	if (u->replay && u->need_refresh)
		err = u->ops->step(u->ops->ctx, 0);
	else
		err = u->ops->collect(u->ops->ctx);
	u->need_refresh = false;
	if (u->replay && err == -ERANGE) {
		u->paused = true;
		u->dirty = true;
		return 0;
	}
	if (!err)
		shown(u);
	return err;
}

int ks_top_ui_run(struct ks_top *t, double *interval, const struct ks_top_ui_ops *ops)
{
	struct ui u = { .t = t, .interval = interval, .ops = ops, .replay = ops->step };
	uint64_t next, now;
	int err, ch;

	err = ops->collect(ops->ctx);
	if (err)
		return err;
	if (!initscr())
		return -ENOTTY;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (has_colors() && !getenv("NO_COLOR")) {
		start_color();
		use_default_colors();
		u.color = true;
		init_pair(C_HEAD, COLOR_BLACK, COLOR_GREEN);
		init_pair(C_SEL, COLOR_BLACK, COLOR_CYAN);
		init_pair(C_BAR, COLOR_GREEN, -1);
		init_pair(C_HOT, COLOR_RED, -1);
		init_pair(C_WARN, COLOR_YELLOW, -1);
		init_pair(C_DIM, COLOR_BLUE, -1);
		init_pair(C_KEY, COLOR_CYAN, -1);
	}
	/* live, the first interval is short: CPU% needs two samples */
	next = ks_now_ns() + (uint64_t)((*interval < 0.5 || u.replay ? *interval : 0.5) * 1e9);
	u.dirty = true;
	while (!u.quit && !ks_exiting) {
		if (u.dirty)
			draw(&u);
		now = ks_now_ns();
		timeout(next > now ? (int)((next - now) / 1000000) + 1 : 0);
		ch = getch();
		if (ks_exiting)
			break;
		if (ch == ERR || u.need_refresh) {
			now = ks_now_ns();
			if (now < next && !u.need_refresh)
				continue;
			next = now + (uint64_t)(*interval * 1e9);
			if (u.paused && !u.need_refresh)
				continue;
			err = next_interval(&u);
			if (err)
				break;
			if (ch == ERR)
				continue;
		}
		if (ch == KEY_RESIZE) {
			u.dirty = true;
			continue;
		}
		handle_key(&u, ch);
		if (u.stepped)
			shown(&u);
		if (u.need_refresh)
			next = ks_now_ns();
		u.dirty = true;
	}
	if (u.detail_pid)
		ops->detail_close(ops->ctx);
	endwin();
	return err;
}
