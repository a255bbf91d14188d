// SPDX-License-Identifier: GPL-2.0
/*
 * Loader of the off-CPU collector (bpf/offcpu.bpf.c).
 *
 * The kernel side sums off-CPU nanoseconds by {tgid, pid, reason, kernel
 * stack id, user frame-pointer stack id (, waker)}. Periods whose user
 * stack was copied for CFI unwinding (tp_btf) come through the "events"
 * ring buffer instead, drained by ks_offcpu__poll() and at each read: the
 * stack is unwound as it arrives (the process may be gone by the read)
 * and the period summed here by the same key, the user stack id replaced
 * by the unwound addresses. Each read walks both once, adds per task
 * offcpu_ns by reason to the model and turns the stacks into m->offcpu
 * (value in microseconds). The reason is a KS_FRAME_OFFCPU frame right
 * after the process frame, so a flame graph splits first by reason, then
 * by code path. With --wakers, the waker's kernel then user frames follow
 * the sleeper's leaf after a "--" frame, the waker's leaf nearest to it
 * (bcc offwaketime's layout), ending with the waker's name.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_collect.h"
#include "ks_features.h"
#include "ks_offcpu.h"
#include "ks_stacks.h"
#include "ks_util.h"
#include "offcpu.skel.h"

static const char *const reason_names[KS_OFF__COUNT] = {
	[KS_OFF_RUNQ] = "waiting for CPU",
	[KS_OFF_IO] = "io",
	[KS_OFF_SLEEP] = "sleep",
	[KS_OFF_LOCK] = "lock",
	[KS_OFF_OTHER] = "other",
};

const char *ks_offcpu_reason_name(unsigned int reason)
{
	return reason < KS_OFF__COUNT ? reason_names[reason] : "other";
}

/* Periods with a copied user stack, summed by key and unwound stack. */
struct copied {
	struct ks_offcpu_key key;	/* key.ustack: KS_STACK_COPIED */
	struct ks_offcpu_val val;
	uint64_t hash;
	bool complete;
	int nu;
	uint64_t uips[];
};

struct ks_offcpu {
	struct offcpu_bpf *skel;
	struct ring_buffer *rb;
	enum ks_tp_kind kind;
	bool schedinfo;			/* waits from sched_info, no wakeup program */
	struct ks_offcpu_opts o;
	int ncpus;
	bool own_syms;
	bool copy;			/* user stacks copied and unwound with CFI */
	struct ks_symbolizer *syms;
	struct ks_stacks *stacks;
	struct ks_ptab copied;		/* of struct copied */
	uint64_t events_lost;		/* received, not summed: short record, no memory */
	uint64_t fp_periods;		/* periods with a frame-pointer user stack */
	uint64_t copied_periods;	/* ... with a CFI-unwound copy */
	uint64_t prev_drops[KS_DROP__COUNT];
	uint64_t prev_stats[KS_OFFCPU_STAT__COUNT];
};

static uint64_t period_hash(const struct ks_offcpu_key *k, const uint64_t *uips, int nu)
{
	const unsigned char *b = (const unsigned char *)k;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	for (i = 0; i < (size_t)nu; i++)
		h = (h ^ uips[i]) * 0x100000001b3ULL;
	return h ^ (h >> 31);
}

static uint64_t copied_hash(const void *e)
{
	return ((const struct copied *)e)->hash;
}

/* Sum one streamed period, as add() in the kernel would have. */
static int copied_add(struct ks_offcpu *c, const struct ks_offcpu_event *ev,
		      const uint64_t *uips, int nu, bool complete)
{
	unsigned int r = ev->key.reason < KS_OFF__COUNT ? ev->key.reason : KS_OFF_OTHER;
	uint64_t h = period_hash(&ev->key, uips, nu);
	struct ks_ptab *t = &c->copied;
	struct copied *e;
	size_t i;

	if (ks_ptab_reserve(t, copied_hash))
		return -ENOMEM;
	for (i = h & (t->cap - 1); (e = t->slot[i]); i = (i + 1) & (t->cap - 1))
		if (e->hash == h && e->nu == nu && !memcmp(&e->key, &ev->key, sizeof(e->key)) &&
		    !memcmp(e->uips, uips, nu * sizeof(*uips)))
			break;
	if (!e) {
		e = calloc(1, sizeof(*e) + nu * sizeof(*uips));
		if (!e)
			return -ENOMEM;
		e->key = ev->key;
		e->hash = h;
		e->nu = nu;
		e->complete = complete;
		memcpy(e->uips, uips, nu * sizeof(*uips));
		t->slot[i] = e;
		t->n++;
	}
	e->val.ns[r] += ev->blocked_ns;
	e->val.ns[KS_OFF_RUNQ] += ev->waited_ns;
	e->val.count++;
	return 0;
}

/* A period from the ring buffer: unwind its user stack now, sum it. */
static int on_event(void *ctx, void *data, size_t size)
{
	const size_t hdr = offsetof(struct ks_offcpu_event, s);
	const struct ks_offcpu_event *ev = data;
	uint64_t uips[KS_MAX_STACK_DEPTH];
	struct ks_offcpu *c = ctx;
	bool complete;
	int nu;

	if (size < hdr + KS_STACK_SAMPLE_HDR) {
		c->events_lost++;
		return 0;
	}
	nu = ks_stacks__unwind(c->stacks, &ev->s, size - hdr, uips, &complete);
	if (copied_add(c, ev, uips, nu, complete))
		c->events_lost++;
	return 0;
}

static void pick_programs(struct offcpu_bpf *s, enum ks_tp_kind k, bool schedinfo)
{
	bpf_program__set_autoload(s->progs.btf_switch, k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.btf_wakeup, k == KS_TP_BTF && !schedinfo);
	bpf_program__set_autoload(s->progs.raw_switch, k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.raw_wakeup, k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.tp_switch, k == KS_TP_CLASSIC);
	bpf_program__set_autoload(s->progs.tp_wakeup, k == KS_TP_CLASSIC);
}

/*
 * The ring buffer of copied periods. Each is ~1.2 KiB + the stack copy (up
 * to 8 KiB); user space drains it every 100 ms, or when a quarter of it is
 * unread (the BPF side then wakes it). 4 MiB per CPU, at least 8. A copy
 * that does not fit loses its stack, not its time (KS_STACK_LOST), and is
 * counted.
 */
static uint32_t events_size(const struct ks_offcpu *c)
{
	uint64_t want = (uint64_t)c->ncpus * (4 << 20);
	uint32_t sz = 8 << 20;

	if (!c->copy)
		return 4096;
	while (sz < want && sz < (64u << 20))
		sz <<= 1;
	return sz;
}

struct ks_offcpu *ks_offcpu__open(const struct ks_offcpu_opts *o)
{
	struct ks_offcpu *c;
	bool wakers = o->wakers && !o->no_stacks;
	int err;

	if (ks_bpf_prepare())
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->o = *o;
	c->ncpus = ks_nr_cpus();
	c->kind = ks_collect_tp_kind();
	if (c->kind == KS_TP_NONE) {
		err = -EOPNOTSUPP;
		goto err;
	}
	c->syms = o->syms;
	if (!c->syms && !o->no_stacks) {
		c->syms = ks_symbolizer__new();
		c->own_syms = true;
		if (!c->syms) {
			err = -errno;
			goto err;
		}
	}
	c->stacks = ks_stacks__new(c->syms);
	if (!c->stacks) {
		err = -ENOMEM;
		goto err;
	}
	/*
	 * tp_btf without --wakers: waits from the scheduler's sched_info
	 * (CONFIG_SCHED_INFO, FAIR_GROUP_SCHED for the run-queue clock); a
	 * kernel without them fails that load (CO-RE cannot relocate), then
	 * the wakeups are timed.
	 */
	c->schedinfo = c->kind == KS_TP_BTF && !wakers;
again:
	c->skel = offcpu_bpf__open();
	if (!c->skel) {
		err = -ENOMEM;
		ks_err("cannot open the offcpu BPF object");
		goto err;
	}
	pick_programs(c->skel, c->kind, c->schedinfo);
	c->skel->rodata->schedinfo = c->schedinfo;
	c->skel->rodata->want_stacks = !o->no_stacks;
	c->skel->rodata->want_user = !o->no_user;
	c->skel->rodata->wakers = wakers;
	c->skel->rodata->per_thread = o->threads;
	c->skel->rodata->self_tgid = getpid();
	/* the BPF program and the tracepoint glue are not the task's stack */
	c->skel->rodata->kskip = c->kind == KS_TP_CLASSIC ? 0 : 2;
	c->skel->rodata->kstack_deferred = c->kind == KS_TP_BTF;
	c->skel->rodata->ustack_deferred = c->kind == KS_TP_BTF && !o->no_stacks && !o->no_user;
	c->copy = c->skel->rodata->ustack_deferred && !o->fp_only;
	c->skel->rodata->ustack_copy = c->copy;
	c->skel->rodata->preempt_ustacks = !o->no_preempt_ustacks;
	bpf_program__set_autoload(c->skel->progs.btf_sys_exit,
				  c->skel->rodata->ustack_deferred);
	c->skel->rodata->kstack_min_ns = o->stack_min_us * 1000;
	c->skel->rodata->min_ns = o->min_us * 1000;
	c->skel->rodata->max_ns = o->max_us * 1000;
	c->skel->rodata->ks_filter_pid = o->npids > 0;
	c->skel->rodata->ks_filter_cgroup = o->cgroup_id;
	if (c->kind == KS_TP_BTF)	/* per-task state in task local storage */
		bpf_map__set_max_entries(c->skel->maps.start, 1);
	if (o->no_stacks) {
		bpf_map__set_max_entries(c->skel->maps.stacks, 1);
		bpf_map__set_max_entries(c->skel->maps.kstacks, 1);
	} else if (c->kind == KS_TP_BTF) {
		bpf_map__set_max_entries(c->skel->maps.kstacks, 16384);
	} else {
		bpf_map__set_max_entries(c->skel->maps.kstacks, 1);
	}
	bpf_map__set_max_entries(c->skel->maps.events, events_size(c));
	c->skel->rodata->wake_bytes = events_size(c) / 4;
	err = offcpu_bpf__load(c->skel);
	if (err && c->schedinfo) {
		ks_info("offcpu: the scheduler's run-queue accounting is not usable here (%s): "
			"timing wakeups instead", strerror(-err));
		offcpu_bpf__destroy(c->skel);
		c->skel = NULL;
		c->schedinfo = false;
		goto again;
	}
	if (err) {
		ks_err("cannot load the offcpu BPF programs (%s): %s", ks_tp_kind_name(c->kind),
		       strerror(-err));
		goto err;
	}
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_event, c, NULL);
	if (!c->rb) {
		err = -errno;
		ks_err("cannot open the offcpu ring buffer: %s", strerror(errno));
		goto err;
	}
	err = ks_collect_attach(c->skel->skeleton, "offcpu", c->kind,
				bpf_map__fd(c->skel->maps.ks_pids), o->pids, o->npids,
				c->schedinfo ? " (sched_info)" : "");
	if (err)
		goto err;
	return c;
err:
	ks_offcpu__free(c);
	errno = -err;
	return NULL;
}

/* ids in the stack trace map, or in the content-keyed kstacks map (deferred) */
/*
 * Each stack read once: rows share stacks, and an id keeps its stack for
 * the collector's life (bpf_get_stackid without BPF_F_REUSE_STACKID, kstacks
 * inserted with BPF_NOEXIST, no id deleted), so what was read stays right
 * across reads (~3/4 of a busy machine's stacks come back). Deleting ids
 * would need ks_stackids__reset() after.
 */
static struct ks_stackids *stack_ids;

static int read_stack(int fd, __s32 id, uint64_t *ips)
{
	if (id < 0)
		return 0;
	if (!stack_ids)
		stack_ids = ks_stackids__new();
	return ks_stackids__read(stack_ids, fd, id, ips);
}

/* A frame that stands for a user stack we do not have, and why. */
static const char *missing_ustack(const struct ks_offcpu_key *k)
{
	if (k->ustack == KS_STACK_GONE)
		return "[user stack gone: task ran before it was read]";
	if (k->ustack == KS_STACK_LOST)
		return "[user stack lost: ring buffer full]";
	if (k->ustack == KS_STACK_PREEMPTED)
		return "[preempted: user stack not taken]";
	return NULL;
}

static void marker_frame(struct ks_frame *f, const char *name, uint8_t kind)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->kind = kind;
}

/*
 * Build the folded frames of one aggregated key: process, reason, user
 * frames (outermost first), kernel frames, then with --wakers "--", the
 * waker's kernel and user frames (leaf first) and the waker's name.
 * @periods: count them in the user stack accounting (once per key).
 */
static int add_stack(struct ks_offcpu *c, struct ks_profile *p,
		     const struct ks_offcpu_key *k, const uint64_t *kips, int nk,
		     const uint64_t *uips, int nu, bool ucomplete, const uint64_t *wk, int nwk,
		     const uint64_t *wu, int nwu, uint64_t us, uint64_t periods)
{
	static struct ks_frame fr[4 * KS_MAX_STACK_DEPTH + 8];
	static char short_name[64];
	char comm[KS_COMM_LEN + 1] = {}, wcomm[KS_COMM_LEN + 1] = {};
	const char *missing = missing_ustack(k);
	int n = 0, i;

	memcpy(comm, k->comm, KS_COMM_LEN);
	memcpy(wcomm, k->wcomm, KS_COMM_LEN);
	if (nu)
		ks_symbolizer__add_pid(c->syms, k->tgid, false);
	if (nwu)
		ks_symbolizer__add_pid(c->syms, k->wtgid, false);
	marker_frame(&fr[n++], comm[0] ? comm : "[unknown]", KS_FRAME_PROCESS);
	marker_frame(&fr[n++], ks_offcpu_reason_name(k->reason), KS_FRAME_OFFCPU);
	if (missing)
		marker_frame(&fr[n++], missing, KS_FRAME_UNKNOWN);
	for (i = nu - 1; i >= 0; i--)
		ks_stacks__name_frame(c->stacks, p, &fr[n++], k->tgid, uips[i], false, i == 0);
	if (nu && periods) {
		p->acct.user_stacks += periods;
		if (ucomplete || ks_stacks_entry_frame(fr[n - nu].name))
			p->acct.user_complete += periods;
	}
	for (i = nk - 1; i >= 0; i--)
		ks_stacks__name_frame(c->stacks, p, &fr[n++], k->tgid, kips[i], true, i == 0);
	if (k->kstack == KS_KSTACK_SHORT || k->ustack == KS_KSTACK_SHORT) {
		snprintf(short_name, sizeof(short_name), "[stack not taken: period < %llu us]",
			 (unsigned long long)c->o.stack_min_us);
		marker_frame(&fr[n++], short_name, KS_FRAME_UNKNOWN);
	}
	if (!c->o.wakers)
		return ks_profile__add(p, k->tgid, c->o.threads ? k->pid : k->tgid, fr, n, us);
	marker_frame(&fr[n++], "--", KS_FRAME_OFFCPU);
	for (i = 0; i < nwk; i++)
		ks_stacks__name_frame(c->stacks, p, &fr[n++], k->wtgid, wk[i], true, i == 0);
	for (i = 0; i < nwu; i++)
		ks_stacks__name_frame(c->stacks, p, &fr[n++], k->wtgid, wu[i], false, i == 0);
	marker_frame(&fr[n++], wcomm[0] ? wcomm : "[unknown]", KS_FRAME_PROCESS);
	return ks_profile__add(p, k->tgid, c->o.threads ? k->pid : k->tgid, fr, n, us);
}

/*
 * One aggregated key into the model: from the kernel's map (@uips NULL:
 * the user stack is k->ustack in the stack map) or summed here from the
 * ring buffer (@uips: the unwound user stack).
 */
static int add_entry(struct ks_offcpu *c, struct ks_model *m, const struct ks_offcpu_key *k,
		     const struct ks_offcpu_val *vp, const uint64_t *uips, int nu,
		     bool ucomplete)
{
	static uint64_t kips[KS_MAX_STACK_DEPTH], ubuf[KS_MAX_STACK_DEPTH];
	static uint64_t wk[KS_MAX_STACK_DEPTH], wu[KS_MAX_STACK_DEPTH];
	int sfd = bpf_map__fd(c->skel->maps.stacks);
	int kfd = c->kind == KS_TP_BTF ? bpf_map__fd(c->skel->maps.kstacks) : sfd;
	char comm[KS_COMM_LEN + 1] = {};
	uint64_t periods = vp->count;
	int err = 0, nk, nwk = 0, nwu = 0, r;
	struct ks_task *t;

	if (!vp->count)
		return 0;
	memcpy(comm, k->comm, KS_COMM_LEN);
	t = ks_model__task(m, k->pid, k->tgid, comm);
	if (!t)
		return -ENOMEM;
	for (r = 0; r < KS_OFF__COUNT; r++)
		t->offcpu_ns[r] += vp->ns[r];
	nk = read_stack(kfd, k->kstack, kips);
	if (uips) {
		c->copied_periods += vp->count;
	} else {
		uips = ubuf;
		nu = read_stack(sfd, k->ustack, ubuf);
		if (k->ustack >= 0)
			c->fp_periods += vp->count;
	}
	if (nk < 0 || nu < 0) {
		/* the id was evicted or reused: the stack is gone */
		m->offcpu->acct.stack_errors++;
		nk = nk < 0 ? 0 : nk;
		nu = nu < 0 ? 0 : nu;
	}
	if (c->o.wakers) {
		nwk = read_stack(sfd, k->wkstack, wk);
		nwu = read_stack(sfd, k->wustack, wu);
	}
	/* one profile stack per reason seen under these stacks */
	for (r = 0; r < KS_OFF__COUNT && !err; r++) {
		struct ks_offcpu_key kr = *k;
		uint64_t us = (vp->ns[r] + 500) / 1000;

		if (!us)
			continue;
		kr.reason = r;
		if (c->o.no_stacks)	/* no frames (non-NULL: memcmp'd) */
			err = ks_stacks__add(c->stacks, k->tgid, k->pid, comm, kips, 0, ubuf, 0,
					     false, ks_offcpu_reason_name(r), us);
		else
			err = add_stack(c, m->offcpu, &kr, kips, nk, uips, nu, ucomplete, wk,
					nwk < 0 ? 0 : nwk, wu, nwu < 0 ? 0 : nwu, us, periods);
		periods = 0;
	}
	return err;
}

/* The kernel's sums: every key taken out, then named (the kernel keeps adding). */
static int read_map(struct ks_offcpu *c, struct ks_model *m)
{
	int fd = bpf_map__fd(c->skel->maps.offcpu);
	struct ks_offcpu_key *keys;
	struct ks_offcpu_val *vals;
	size_t n, i;
	int err;

	/*
	 * Take every value out first, then name the stacks: symbolization is
	 * slow, and the kernel keeps adding while it runs.
	 */
	err = ks_map_drain(fd, sizeof(*keys), sizeof(*vals), (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++)
		err = add_entry(c, m, &keys[i], &vals[i], NULL, 0, false);
	free(vals);
	free(keys);
	return err;
}

/* The periods summed from the ring buffer (drained) since the last read. */
static int read_copied(struct ks_offcpu *c, struct ks_model *m)
{
	const struct copied *e;
	size_t i;
	int err = 0;

	for (i = 0; i < c->copied.cap && !err; i++)
		if ((e = c->copied.slot[i]))
			err = add_entry(c, m, &e->key, &e->val, e->uips, e->nu, e->complete);
	ks_ptab_clear(&c->copied);
	return err;
}

int ks_offcpu__poll(struct ks_offcpu *c, int timeout_ms)
{
	/* woken only when the buffer fills up: drain what is there */
	return ks_ringbuf_drain(c->rb, timeout_ms);
}

/* Append a note to the accounting once (@key: a phrase of it). */
static void note(struct ks_accounting *a, const char *key, const char *fmt, ...)
{
	size_t len = strlen(a->notes);
	va_list ap;

	if (strstr(a->notes, key) || len + 3 >= sizeof(a->notes))
		return;
	if (len)
		len += snprintf(a->notes + len, sizeof(a->notes) - len, "; ");
	va_start(ap, fmt);
	vsnprintf(a->notes + len, sizeof(a->notes) - len, fmt, ap);
	va_end(ap);
}

/* What the user stacks are: CFI-unwound copies, frame-pointer walks, or both. */
static void account_ustacks(struct ks_offcpu *c, struct ks_model *m)
{
	struct ks_accounting *a = &m->offcpu->acct;

	if (c->o.no_stacks || c->o.no_user)
		return;
	if (!c->copy) {
		note(a, "frame-pointer walks", "user stacks: frame-pointer walks in the kernel (%s): "
		     "code built without frame pointers shows truncated user stacks",
		     c->o.fp_only ? "--unwind fp" : "the CFI copies need tp_btf");
		ks_model__gap(m, "off-CPU user stacks (CFI)", "frame-pointer walks only (%s): "
			      "stacks through code without frame pointers are truncated",
			      c->o.fp_only ? "--unwind fp" : ks_tp_kind_name(c->kind));
		return;
	}
	note(a, "unwound with CFI", "user stacks: copied at the return from the blocking "
	     "system call and unwound with CFI; periods %s outside a system call get "
	     "frame-pointer walks at the switch-out (truncated in code without frame "
	     "pointers)%s", c->o.no_preempt_ustacks ? "blocked" : "preempted or blocked",
	     c->o.no_preempt_ustacks ? "; periods preempted outside a system call: none taken" :
	     "");
	if (c->fp_periods)
		ks_model__gap(m, "off-CPU user stacks (some by frame pointers)",
			      "%llu of %llu periods with a user stack: frame-pointer walks at the "
			      "switch-out (preempted, or blocked outside a system call)",
			      (unsigned long long)c->fp_periods,
			      (unsigned long long)(c->fp_periods + c->copied_periods));
}

int ks_offcpu__read(struct ks_offcpu *c, struct ks_model *m)
{
	int dfd = bpf_map__fd(c->skel->maps.ks_drops), sfd = bpf_map__fd(c->skel->maps.stats);
	uint64_t d[KS_DROP__COUNT], s[KS_OFFCPU_STAT__COUNT], dd[KS_DROP__COUNT], ev_lost;
	struct ks_accounting *a;
	int err, i;

	if (!m->offcpu) {
		m->offcpu = ks_profile__new("us");
		if (!m->offcpu)
			return -ENOMEM;
		m->offcpu->title = "Off-CPU time";
	}
	m->threads = c->o.threads;
	c->fp_periods = c->copied_periods = 0;
	/*
	 * The interval ends here: the ring buffer drained, the counters read.
	 * Naming the stacks takes a while (the first time, kallsyms and symbol
	 * tables), and the copies that do not fit meanwhile belong to the next.
	 */
	while (ring_buffer__consume(c->rb) > 0)
		;
	for (i = 0; i < KS_DROP__COUNT; i++) {
		d[i] = ks_percpu_sum(dfd, i, c->ncpus);
		dd[i] = d[i] - c->prev_drops[i];
	}
	for (i = 0; i < KS_OFFCPU_STAT__COUNT; i++)
		s[i] = ks_percpu_sum(sfd, i, c->ncpus);
	ev_lost = c->events_lost;
	c->events_lost = 0;
	err = read_copied(c, m);
	if (!err)
		err = read_map(c, m);
	if (!err)	/* without stacks: "process;reason" rows, nothing to name */
		err = ks_stacks__build(c->stacks, m->offcpu, c->o.threads);
	ks_stacks__clear(c->stacks);
	a = &m->offcpu->acct;
	a->samples += s[KS_OFFCPU_PERIODS] - c->prev_stats[KS_OFFCPU_PERIODS];
	/* a copy the ring buffer had no room for lost its stack, not its time */
	a->lost += dd[KS_DROP_MAP_FULL] + dd[KS_DROP_RINGBUF] + ev_lost;
	m->lost += dd[KS_DROP_MAP_FULL] + dd[KS_DROP_RINGBUF] + ev_lost;
	a->stack_errors += dd[KS_DROP_KSTACK] + dd[KS_DROP_USTACK];
	if (dd[KS_DROP_MAP_FULL] || ev_lost)
		ks_model__gap(m, "off-CPU time (some)", "%llu periods dropped: %s",
			      (unsigned long long)(dd[KS_DROP_MAP_FULL] + ev_lost),
			      ev_lost ? "BPF map full, or out of memory reading the ring buffer" :
			      "BPF map full");
	if (dd[KS_DROP_RINGBUF])
		ks_model__gap(m, "off-CPU user stacks (some lost)",
			      "%llu user stack copies did not fit in the ring buffer: their time is "
			      "under \"[user stack lost: ring buffer full]\"",
			      (unsigned long long)dd[KS_DROP_RINGBUF]);
	account_ustacks(c, m);
	if (!c->o.no_stacks && c->kind == KS_TP_BTF && c->o.stack_min_us)
		note(a, "stack not taken", "periods under %llu us: time counted, stack not taken "
		     "(--stack-min-us 0 takes all)", (unsigned long long)c->o.stack_min_us);
	if (s[KS_OFFCPU_FILTERED] != c->prev_stats[KS_OFFCPU_FILTERED])
		note(a, "-m/-M", "%llu periods outside -m/-M not counted",
		     (unsigned long long)(s[KS_OFFCPU_FILTERED] -
					  c->prev_stats[KS_OFFCPU_FILTERED]));
	memcpy(c->prev_drops, d, sizeof(d));
	memcpy(c->prev_stats, s, sizeof(s));
	return err;
}

const char *ks_offcpu__attach_kind(const struct ks_offcpu *c)
{
	return ks_tp_kind_name(c->kind);
}

const char *ks_offcpu__clock(const struct ks_offcpu *c)
{
	return c->schedinfo ? "sched_info" : "wakeup";
}

void ks_offcpu__free(struct ks_offcpu *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	offcpu_bpf__destroy(c->skel);
	ks_ptab_free(&c->copied);
	ks_stackids__reset(stack_ids);	/* the next collector's maps may reuse the fds */
	ks_stacks__free(c->stacks);
	if (c->own_syms)
		ks_symbolizer__free(c->syms);
	free(c);
}
