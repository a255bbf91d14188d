// SPDX-License-Identifier: GPL-2.0
/*
 * The top view's data side (include/ks_top.h): /proc samples and the
 * collectors' model become rows; deltas against the previous interval;
 * processes gone since the last scan, or seen only by BPF, are shown once;
 * sorting, filtering, tree order and cgroup grouping. No drawing here.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ks_hist.h"
#include "ks_top.h"
#include "ks_util.h"

struct col_info {
	const char *name;	/* header text */
	const char *key;	/* JSON/CSV key */
	bool ascending;		/* default order (names and ids go up) */
	unsigned int need;	/* enum ks_top_have bit, 0 = always there */
};

static const struct col_info cols[KS_COL__COUNT] = {
	[KS_COL_PID]       = { "PID", "pid", true, 0 },
	[KS_COL_USER]      = { "USER", "user", true, KS_HAVE_PROCS },
	[KS_COL_STATE]     = { "S", "state", true, KS_HAVE_PROCS },
	[KS_COL_CPU]       = { "CPU%", "cpu_pct", false, KS_HAVE_PROCS },
	[KS_COL_RUNQ_AVG]  = { "RQavg", "runq_avg_us", false, KS_HAVE_RUNQ },
	[KS_COL_RUNQ_P99]  = { "RQp99", "runq_p99_us", false, KS_HAVE_RUNQ },
	[KS_COL_OFF]       = { "OFF%", "offcpu_pct", false, KS_HAVE_OFFCPU },
	[KS_COL_OFF_RUNQ]  = { "oCPU", "offcpu_runq_pct", false, KS_HAVE_OFFCPU },
	[KS_COL_OFF_IO]    = { "oIO", "offcpu_io_pct", false, KS_HAVE_OFFCPU },
	[KS_COL_OFF_SLEEP] = { "oSLP", "offcpu_sleep_pct", false, KS_HAVE_OFFCPU },
	[KS_COL_OFF_LOCK]  = { "oLCK", "offcpu_lock_pct", false, KS_HAVE_LOCK },
	[KS_COL_IO_P99]    = { "IOp99", "io_p99_us", false, KS_HAVE_IO },
	[KS_COL_SYSC]      = { "SYSC/s", "syscalls_s", false, KS_HAVE_SYSC },
	[KS_COL_FAULTS]    = { "FLT/s", "faults_s", false, KS_HAVE_PROCS },
	[KS_COL_CSW]       = { "CSW/s", "ctxsw_s", false, KS_HAVE_RUNQ },
	[KS_COL_RSS]       = { "RSS", "rss_kb", false, KS_HAVE_PROCS },
	[KS_COL_THREADS]   = { "THR", "threads", false, KS_HAVE_PROCS },
	[KS_COL_COMM]      = { "COMMAND", "comm", true, 0 },
};

const char *ks_top_col_name(enum ks_top_col c)
{
	return c < KS_COL__COUNT ? cols[c].name : "?";
}

const char *ks_top_col_key(enum ks_top_col c)
{
	return c < KS_COL__COUNT ? cols[c].key : "?";
}

bool ks_top_col_available(const struct ks_top *t, enum ks_top_col c)
{
	return c < KS_COL__COUNT && (!cols[c].need || (t->have & cols[c].need));
}

struct ks_top *ks_top__new(void)
{
	struct ks_top *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sort = KS_COL_CPU;
	return t;
}

void ks_top__free(struct ks_top *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t->order);
	free(t->prev);
	free(t->cur);
	free(t);
}

void ks_top__begin(struct ks_top *t, uint64_t now_ns)
{
	t->t_now_ns = now_ns;
	t->ncur = 0;
}

int ks_top__add_proc(struct ks_top *t, const struct ks_proc *p)
{
	if (ks_grow((void **)&t->cur, &t->cur_cap, t->ncur + 1, sizeof(*t->cur), 64))
		return -ENOMEM;
	t->cur[t->ncur].p = *p;
	t->cur[t->ncur].seen_ns = t->t_now_ns;
	t->ncur++;
	return 0;
}

int ks_top__add_proc_cb(void *t, const struct ks_proc *p)
{
	return ks_top__add_proc(t, p);
}

static int cmp_prev_pid(const void *a, const void *b)
{
	const struct ks_top_prev *x = a, *y = b;

	return x->p.pid < y->p.pid ? -1 : x->p.pid > y->p.pid;
}

static int cmp_row_pid(const void *a, const void *b)
{
	const struct ks_top_row *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static struct ks_top_row *find_row(struct ks_top *t, uint32_t pid)
{
	struct ks_top_row key = { .pid = pid };

	return bsearch(&key, t->rows, t->nrows, sizeof(*t->rows), cmp_row_pid);
}

static struct ks_top_row *new_row(struct ks_top *t)
{
	struct ks_top_row *r;
	int i;

	if (ks_grow((void **)&t->rows, &t->rows_cap, t->nrows + 1, sizeof(*t->rows), 64))
		return NULL;
	r = &t->rows[t->nrows++];
	memset(r, 0, sizeof(*r));
	r->cpu_pct = r->runq_avg_ms = r->runq_p99_ms = r->io_p99_ms = NAN;
	r->sysc_s = r->faults_s = r->csw_s = r->off_total_pct = NAN;
	for (i = 0; i < KS_OFF__COUNT; i++)
		r->off_pct[i] = NAN;
	return r;
}

static void fill_from_proc(struct ks_top_row *r, const struct ks_proc *p)
{
	r->pid = p->pid;
	r->tgid = p->tgid;
	r->ppid = p->ppid;
	r->uid = p->uid;
	memcpy(r->comm, p->comm, sizeof(r->comm));
	/* a capture's processes are named as on the host that recorded them */
	snprintf(r->user, sizeof(r->user), "%s", p->user[0] ? p->user : ks_user_name(p->uid));
	r->state = p->state;
	r->rss_kb = p->rss_kb;
	r->threads = p->threads;
	memcpy(r->cgroup, p->cgroup, sizeof(r->cgroup));
}

/* Fill a row's collector columns from its model task (NULL: none seen). */
static void fill_from_task(const struct ks_top *t, struct ks_top_row *r, const struct ks_task *k)
{
	double iv_ns = t->interval_s * 1e9;
	uint64_t off = 0;
	int i;

	if (t->have & KS_HAVE_RUNQ) {
		r->runq_count = k ? k->runq.count : 0;
		r->runq_avg_ms = r->runq_count ? k->runq.sum_ns / (double)r->runq_count / 1e6 : 0;
		r->runq_p99_ms = r->runq_count ? ks_hist_pct(&k->runq, 99) / 1e6 : 0;
		r->csw_s = iv_ns > 0 && k ? (k->ctxsw + k->preempt) / t->interval_s : 0;
	}
	if ((t->have & KS_HAVE_OFFCPU) && iv_ns > 0) {
		for (i = 0; i < KS_OFF__COUNT; i++) {
			if (i == KS_OFF_LOCK && !(t->have & KS_HAVE_LOCK))
				continue;
			r->off_pct[i] = k ? k->offcpu_ns[i] * 100.0 / iv_ns : 0;
			off += k ? k->offcpu_ns[i] : 0;
		}
		r->off_total_pct = off * 100.0 / iv_ns;
	}
	if (t->have & KS_HAVE_IO)
		r->io_p99_ms = k && k->io.count ? ks_hist_pct(&k->io, 99) / 1e6 : 0;
	if ((t->have & KS_HAVE_SYSC) && iv_ns > 0)
		r->sysc_s = k ? k->syscalls / t->interval_s : 0;
}

/*
 * Lock waits come as stacks (value in us) from the locks collector. A futex
 * wait is also an interruptible sleep to the offcpu collector: move it from
 * sleep to lock so that the reasons still add up to the off-CPU total.
 */
static void add_locks(struct ks_top *t, const struct ks_profile *p)
{
	double iv_ns = t->interval_s * 1e9;
	size_t i;

	if (iv_ns <= 0)
		return;
	for (i = 0; i < p->nstacks; i++) {
		const struct ks_stack *s = &p->stacks[i];
		struct ks_top_row *r = find_row(t, t->threads && s->tid ? s->tid : s->pid);
		double pct = s->value * 1e3 * 100 / iv_ns, mv;

		if (!r || isnan(r->off_pct[KS_OFF_SLEEP]))
			continue;
		r->off_pct[KS_OFF_LOCK] += pct;
		mv = pct < r->off_pct[KS_OFF_SLEEP] ? pct : r->off_pct[KS_OFF_SLEEP];
		r->off_pct[KS_OFF_SLEEP] -= mv;
		r->off_total_pct += pct - mv;
	}
}

/* Sum rows into one per cgroup (the cgroup path stands in for comm). */
static int group_cgroups(struct ks_top *t, const struct ks_model *m)
{
	struct ks_top_row *rows = t->rows, *g;
	size_t n = t->nrows, i, j;
	int err = 0;

	t->rows = NULL;
	t->rows_cap = t->nrows = 0;
	for (i = 0; i < n; i++) {
		const struct ks_top_row *r = &rows[i];
		const char *cg = r->cgroup[0] ? r->cgroup : "?";

		for (j = 0; j < t->nrows && strcmp(t->rows[j].cgroup, cg); j++)
			;
		if (j == t->nrows) {
			g = new_row(t);
			if (!g) {
				err = -ENOMEM;
				break;
			}
			*g = *r;
			g->pid = (uint32_t)(j + 1);
			g->tgid = g->ppid = 0;
			snprintf(g->cgroup, sizeof(g->cgroup), "%s", cg);
			/* tail of the path: the most telling part */
			snprintf(g->comm, sizeof(g->comm), "%s",
				 strrchr(cg, '/') && strrchr(cg, '/')[1] ? strrchr(cg, '/') + 1 : cg);
			g->state = ' ';
			g->exited = false;
			continue;
		}
		g = &t->rows[j];
#define ADD(f) do { if (!isnan(r->f)) g->f = isnan(g->f) ? r->f : g->f + r->f; } while (0)
		ADD(cpu_pct); ADD(off_total_pct); ADD(sysc_s); ADD(faults_s); ADD(csw_s);
		for (int k = 0; k < KS_OFF__COUNT; k++)
			ADD(off_pct[k]);
#undef ADD
		/* the group's latency is its worst member's: p99s do not add */
		if (r->runq_p99_ms > g->runq_p99_ms)
			g->runq_p99_ms = r->runq_p99_ms;
		if (r->io_p99_ms > g->io_p99_ms)
			g->io_p99_ms = r->io_p99_ms;
		if (r->runq_count) {
			double sum = g->runq_avg_ms * g->runq_count + r->runq_avg_ms * r->runq_count;

			g->runq_count += r->runq_count;
			g->runq_avg_ms = sum / g->runq_count;
		}
		g->rss_kb += r->rss_kb;
		g->threads += r->threads;
	}
	free(rows);
	(void)m;
	return err;
}

int ks_top__end(struct ks_top *t, const struct ks_model *m)
{
	size_t i = 0, j = 0;
	double hz = t->hz ? (double)t->hz : (double)ks_clock_ticks();
	bool first = t->generation == 0;
	struct ks_top_prev *swap;
	size_t swapcap;

	t->interval_s = first ? 0 : (t->t_now_ns - t->t_prev_ns) / 1e9;
	/* without /proc readings the collectors' own interval is the only one */
	if (t->tasks_only && m && m->t_end_ns > m->t_start_ns)
		t->interval_s = (m->t_end_ns - m->t_start_ns) / 1e9;
	qsort(t->cur, t->ncur, sizeof(*t->cur), cmp_prev_pid);
	t->nrows = 0;

	/* merge-join current and previous scans, both sorted by pid */
	while (i < t->ncur || j < t->nprev) {
		const struct ks_top_prev *c = i < t->ncur ? &t->cur[i] : NULL;
		const struct ks_top_prev *p = j < t->nprev ? &t->prev[j] : NULL;
		struct ks_top_row *r = new_row(t);

		if (!r)
			return -ENOMEM;
		if (c && p && c->p.pid == p->p.pid && c->p.start_ticks == p->p.start_ticks) {
			fill_from_proc(r, &c->p);
			if (t->interval_s > 0) {
				r->cpu_pct = (c->p.cpu_ticks - p->p.cpu_ticks) * 100.0 / hz /
					     t->interval_s;
				r->faults_s = (c->p.faults - p->p.faults) / t->interval_s;
			}
			i++, j++;
		} else if (c && (!p || c->p.pid <= p->p.pid)) {
			/* new since the last scan (or a reused pid): all its life is ours */
			fill_from_proc(r, &c->p);
			if (!first && t->interval_s > 0) {
				r->cpu_pct = c->p.cpu_ticks * 100.0 / hz / t->interval_s;
				r->faults_s = c->p.faults / t->interval_s;
			}
			if (p && c->p.pid == p->p.pid) {
				/* the old holder of this pid exited: show it once too */
				r = new_row(t);
				if (!r)
					return -ENOMEM;
				fill_from_proc(r, &p->p);
				r->state = 'X';
				r->exited = true;
				j++;
			}
			i++;
		} else {
			/* in the last scan, gone now: exited during the interval */
			fill_from_proc(r, &p->p);
			r->state = 'X';
			r->exited = true;
			j++;
		}
	}
	qsort(t->rows, t->nrows, sizeof(*t->rows), cmp_row_pid);

	/* the collectors' rows: columns of known rows, and tasks /proc never saw */
	for (i = 0; m && i < m->ntasks; i++) {
		const struct ks_task *k = &m->tasks[i];
		struct ks_top_row *r;

		if (!k->pid || t->by_cgroup)
			continue;
		if (find_row(t, k->pid))
			continue;
		r = new_row(t);
		if (!r)
			return -ENOMEM;
		r->pid = k->pid;
		r->tgid = k->tgid;
		memcpy(r->comm, k->comm, sizeof(r->comm));
		r->comm[sizeof(r->comm) - 1] = '\0';
		snprintf(r->user, sizeof(r->user), "?");
		if (t->tasks_only) {
			/* no /proc to miss it from: it is only gone if BPF saw it go */
			r->state = k->exited ? 'X' : '?';
			r->exited = k->exited;
			continue;
		}
		r->state = 'X';
		r->exited = true;
		r->from_bpf_only = true;
	}
	qsort(t->rows, t->nrows, sizeof(*t->rows), cmp_row_pid);
	for (i = 0; i < t->nrows; i++)
		fill_from_task(t, &t->rows[i], m ? ks_model__find(m, t->rows[i].pid) : NULL);
	if ((t->have & KS_HAVE_LOCK) && (t->have & KS_HAVE_OFFCPU) && m && m->locks)
		add_locks(t, m->locks);
	if (t->by_cgroup && group_cgroups(t, m))
		return -ENOMEM;

	/* this scan becomes the previous one; exited processes are dropped */
	swap = t->prev;
	swapcap = t->prev_cap;
	t->prev = t->cur;
	t->prev_cap = t->cur_cap;
	t->nprev = t->ncur;
	t->cur = swap;
	t->cur_cap = swapcap;
	t->ncur = 0;
	t->t_prev_ns = t->t_now_ns;
	t->generation++;
	return 0;
}

void ks_top__set_sys(struct ks_top *t, const struct ks_sys *s, const struct ks_model *m,
		     const struct ks_self_cost *self)
{
	struct ks_top_sys *y = &t->sys;
	int i;

	y->ncpus = s->ncpus;
	for (i = 0; i <= s->ncpus && i <= KS_SYS_MAX_CPUS; i++) {
		uint64_t dt = t->sys_have_prev ? s->total[i] - t->sys_prev.total[i] : 0;
		uint64_t db = t->sys_have_prev ? s->busy[i] - t->sys_prev.busy[i] : 0;

		y->cpu_pct[i] = dt ? db * 100.0 / dt : NAN;
	}
	memcpy(y->load, s->load, sizeof(y->load));
	y->nr_running = s->nr_running;
	y->nr_tasks = s->nr_tasks;
	y->mem_total_kb = s->mem_total_kb;
	y->mem_avail_kb = s->mem_avail_kb;
	memcpy(y->psi, s->psi, sizeof(y->psi));
	memcpy(y->psi_reason, s->psi_reason, sizeof(y->psi_reason));
	t->sys_prev = *s;
	t->sys_have_prev = true;

	y->runq_p99_ms = y->io_p99_ms = NAN;
	y->runq_count = y->io_count = 0;
	y->lost = 0;
	y->ngaps = 0;
	if (m) {
		if (t->have & KS_HAVE_RUNQ) {
			y->runq_count = m->runq_all.count;
			y->runq_p99_ms = y->runq_count ? ks_hist_pct(&m->runq_all, 99) / 1e6 : 0;
		}
		if (t->have & KS_HAVE_IO) {
			y->io_count = m->io_all.count;
			y->io_p99_ms = y->io_count ? ks_hist_pct(&m->io_all, 99) / 1e6 : 0;
		}
		y->lost = m->lost;
		y->ngaps = m->ngaps < ARRAY_SIZE(y->gaps) ? m->ngaps : ARRAY_SIZE(y->gaps);
		memcpy(y->gaps, m->gaps, y->ngaps * sizeof(y->gaps[0]));
	}
	y->self_cpu_pct = y->self_bpf_pct = NAN;
	y->self_bpf_events = 0;
	if (self) {
		if (t->self_have_prev && t->interval_s > 0) {
			y->self_cpu_pct = (self->cpu_ns - t->self_prev.cpu_ns) / 1e7 / t->interval_s;
			if (self->bpf_stats && self->bpf_run_ns >= t->self_prev.bpf_run_ns) {
				y->self_bpf_pct = (self->bpf_run_ns - t->self_prev.bpf_run_ns) /
						  1e7 / t->interval_s;
				y->self_bpf_events = self->bpf_run_cnt - t->self_prev.bpf_run_cnt;
			}
		}
		y->self_nprogs = self->nprogs;
		y->self_bpf_stats = self->bpf_stats;
		t->self_prev = *self;
		t->self_have_prev = true;
	}
}

void ks_top__forget(struct ks_top *t)
{
	t->nprev = 0;
	t->generation = 0;
	t->sys_have_prev = false;
	t->self_have_prev = false;
}

int ks_top__update(struct ks_top *t, const struct ks_procs_sample *s, const struct ks_model *m,
		   const struct ks_self_cost *self)
{
	static const struct ks_sys none;
	size_t i;
	int err;

	if (s && t->tasks_only && t->generation)
		ks_top__forget(t);	/* no earlier reading to take deltas from */
	t->tasks_only = !s;
	if (s)
		t->have |= KS_HAVE_PROCS;
	else
		t->have &= ~KS_HAVE_PROCS;
	t->hz = s ? s->hz : 0;
	ks_top__begin(t, s ? s->t_ns : m ? m->t_end_ns : 0);
	if (s)
		t->wall = s->wall;
	else if (m)
		t->wall = m->wall_start + (m->t_end_ns - m->t_start_ns) / 1e9;
	for (i = 0; s && i < s->n; i++) {
		err = ks_top__add_proc(t, &s->procs[i]);
		if (err)
			return err;
	}
	err = ks_top__end(t, m);
	if (err)
		return err;
	ks_top__set_sys(t, s ? &s->sys : &none, m, self);
	ks_top__arrange(t);
	return 0;
}

/* Sorting: NAN (n/a) always last; ties by pid. */
static const struct ks_top *sort_ctx;

static double col_value(const struct ks_top_row *r, enum ks_top_col c)
{
	switch (c) {
	case KS_COL_PID:	return r->pid;
	case KS_COL_CPU:	return r->cpu_pct;
	case KS_COL_RUNQ_AVG:	return r->runq_avg_ms;
	case KS_COL_RUNQ_P99:	return r->runq_p99_ms;
	case KS_COL_OFF:	return r->off_total_pct;
	case KS_COL_OFF_RUNQ:	return r->off_pct[KS_OFF_RUNQ];
	case KS_COL_OFF_IO:	return r->off_pct[KS_OFF_IO];
	case KS_COL_OFF_SLEEP:	return r->off_pct[KS_OFF_SLEEP];
	case KS_COL_OFF_LOCK:	return r->off_pct[KS_OFF_LOCK];
	case KS_COL_IO_P99:	return r->io_p99_ms;
	case KS_COL_SYSC:	return r->sysc_s;
	case KS_COL_FAULTS:	return r->faults_s;
	case KS_COL_CSW:	return r->csw_s;
	case KS_COL_RSS:	return (double)r->rss_kb;
	case KS_COL_THREADS:	return r->threads;
	default:		return 0;
	}
}

static int cmp_rows(const struct ks_top *t, const struct ks_top_row *a,
		    const struct ks_top_row *b)
{
	enum ks_top_col c = t->sort;
	bool asc = cols[c].ascending != t->invert;
	int d = 0;

	switch (c) {
	case KS_COL_USER:
		d = strcmp(a->user, b->user);
		break;
	case KS_COL_COMM:
		d = strcasecmp(a->comm, b->comm);
		break;
	case KS_COL_STATE:
		d = a->state - b->state;
		break;
	default: {
		double x = col_value(a, c), y = col_value(b, c);

		if (isnan(x) || isnan(y)) {
			if (isnan(x) != isnan(y))
				return isnan(x) ? 1 : -1;	/* n/a last either way */
			d = 0;
		} else {
			d = x < y ? -1 : x > y;
		}
	}
	}
	if (!asc)
		d = -d;
	if (!d)
		d = a->pid < b->pid ? -1 : a->pid > b->pid;
	return d;
}

static int cmp_order(const void *a, const void *b)
{
	const struct ks_top *t = sort_ctx;

	return cmp_rows(t, &t->rows[*(const uint32_t *)a], &t->rows[*(const uint32_t *)b]);
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	for (; *hay; hay++) {
		for (i = 0; i < n && hay[i] &&
		     tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]); i++)
			;
		if (i == n)
			return true;
	}
	return !n;
}

static bool row_matches(const struct ks_top_row *r, const char *s)
{
	char pid[16];

	if (!s[0])
		return true;
	snprintf(pid, sizeof(pid), "%u", r->pid);
	return contains_ci(r->comm, s) || contains_ci(r->user, s) || !strcmp(pid, s) ||
	       (r->cgroup[0] && contains_ci(r->cgroup, s));
}

/* Tree order: depth-first from the roots, siblings in sort order. */
static void arrange_tree(struct ks_top *t, uint32_t *sorted, size_t n)
{
	int32_t *first = malloc(t->nrows * sizeof(int32_t));
	int32_t *last = malloc(t->nrows * sizeof(int32_t));
	int32_t *next = malloc(t->nrows * sizeof(int32_t));
	int32_t *stack = malloc(t->nrows * sizeof(int32_t));
	int32_t *parent = malloc(t->nrows * sizeof(int32_t));
	size_t i, sp;

	if (!first || !last || !next || !stack || !parent) {
		memcpy(t->order, sorted, n * sizeof(*sorted));
		t->norder = n;
		goto out;
	}
	for (i = 0; i < t->nrows; i++) {
		const struct ks_top_row *r = &t->rows[i];
		uint32_t up = r->ppid;
		struct ks_top_row *p;

		/* a thread hangs under its process's main thread */
		if (t->threads && r->tgid && r->pid != r->tgid)
			up = r->tgid;
		first[i] = last[i] = next[i] = -1;
		p = up && up != r->pid ? find_row(t, up) : NULL;
		parent[i] = p ? (int32_t)(p - t->rows) : -1;
	}
	for (i = 0; i < n; i++) {
		int32_t k = (int32_t)sorted[i], p = parent[k];

		if (p < 0)
			continue;
		if (last[p] < 0)
			first[p] = k;
		else
			next[last[p]] = k;
		last[p] = k;
	}
	t->norder = 0;
	for (i = 0; i < n; i++) {
		int32_t root = (int32_t)sorted[i];

		if (parent[root] >= 0)
			continue;
		sp = 0;
		stack[sp++] = root;
		t->rows[root].depth = 0;
		while (sp && t->norder < t->nrows) {
			int32_t k = stack[--sp], c;
			size_t mark = sp;

			t->order[t->norder++] = (uint32_t)k;
			t->rows[k].last_child = next[k] < 0;
			/* push children reversed so the first pops first */
			for (c = first[k]; c >= 0 && sp < t->nrows; c = next[c]) {
				stack[sp++] = c;
				t->rows[c].depth = t->rows[k].depth + 1;
			}
			for (size_t a = mark, b = sp ? sp - 1 : 0; a < b; a++, b--) {
				int32_t tmp = stack[a];

				stack[a] = stack[b];
				stack[b] = tmp;
			}
		}
	}
	/* rows caught in a parent cycle (pid reuse races): flat at the end */
	if (t->norder < n) {
		bool *seen = calloc(t->nrows, 1);

		for (i = 0; seen && i < t->norder; i++)
			seen[t->order[i]] = true;
		for (i = 0; seen && i < n; i++)
			if (!seen[sorted[i]]) {
				t->rows[sorted[i]].depth = 0;
				t->order[t->norder++] = sorted[i];
			}
		free(seen);
	}
out:
	free(first);
	free(last);
	free(next);
	free(stack);
	free(parent);
}

void ks_top__arrange(struct ks_top *t)
{
	uint32_t *sorted;
	size_t i, n = 0, k;

	t->norder = 0;
	free(t->order);
	t->order = malloc((t->nrows + 1) * sizeof(*t->order));
	sorted = malloc((t->nrows + 1) * sizeof(*sorted));
	if (!t->order || !sorted) {
		free(sorted);
		return;
	}
	for (i = 0; i < t->nrows; i++) {
		t->rows[i].depth = 0;
		sorted[n++] = (uint32_t)i;
	}
	sort_ctx = t;
	qsort(sorted, n, sizeof(*sorted), cmp_order);
	sort_ctx = NULL;
	if (t->tree && !t->by_cgroup)
		arrange_tree(t, sorted, n);
	else {
		memcpy(t->order, sorted, n * sizeof(*sorted));
		t->norder = n;
	}
	/* the filter keeps order and depth of the rows it lets through */
	for (i = 0, k = 0; i < t->norder; i++)
		if (row_matches(&t->rows[t->order[i]], t->filter))
			t->order[k++] = t->order[i];
	t->norder = k;
	free(sorted);
}

const struct ks_top_row *ks_top__row(const struct ks_top *t, size_t pos)
{
	return pos < t->norder ? &t->rows[t->order[pos]] : NULL;
}

long ks_top__search(const struct ks_top *t, const char *s, size_t from)
{
	size_t i;

	if (!s[0])
		return -1;
	for (i = from; i < t->norder; i++)
		if (row_matches(&t->rows[t->order[i]], s))
			return (long)i;
	return -1;
}
