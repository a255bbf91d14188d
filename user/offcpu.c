// SPDX-License-Identifier: GPL-2.0
/*
 * Loader of the off-CPU collector (bpf/offcpu.bpf.c).
 *
 * The kernel side sums off-CPU nanoseconds by {tgid, pid, reason, kernel
 * stack id, user frame-pointer stack id (, waker)}; each read walks that
 * map once, adds per task offcpu_ns by reason to the model and turns the
 * stacks into m->offcpu (value in microseconds). The reason is a
 * KS_FRAME_OFFCPU frame right after the process frame, so a flame graph
 * splits first by reason, then by code path. With --wakers, the waker's
 * kernel then user frames follow the sleeper's leaf after a "--" frame,
 * the waker's leaf nearest to it (bcc offwaketime's layout), ending with
 * the waker's name.
 */
#include <errno.h>
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

struct ks_offcpu {
	struct offcpu_bpf *skel;
	enum ks_tp_kind kind;
	struct ks_offcpu_opts o;
	int ncpus;
	bool own_syms;
	struct ks_symbolizer *syms;
	struct ks_stacks *stacks;
	uint64_t prev_drops[KS_DROP__COUNT];
	uint64_t prev_stats[KS_OFFCPU_STAT__COUNT];
};

static void pick_programs(struct offcpu_bpf *s, enum ks_tp_kind k)
{
	bpf_program__set_autoload(s->progs.btf_switch, k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.btf_wakeup, k == KS_TP_BTF);
	bpf_program__set_autoload(s->progs.raw_switch, k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.raw_wakeup, k == KS_TP_RAW);
	bpf_program__set_autoload(s->progs.tp_switch, k == KS_TP_CLASSIC);
	bpf_program__set_autoload(s->progs.tp_wakeup, k == KS_TP_CLASSIC);
}

struct ks_offcpu *ks_offcpu__open(const struct ks_offcpu_opts *o)
{
	struct ks_collect_opts co = { .sz = sizeof(co) };
	struct ks_offcpu *c;
	int err, i;

	if (ks_check_privileges()) {
		errno = EPERM;
		return NULL;
	}
	ks_libbpf_setup();
	ks_bump_memlock();
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
	c->skel = offcpu_bpf__open();
	if (!c->stacks || !c->skel) {
		err = -ENOMEM;
		ks_err("cannot open the offcpu BPF object");
		goto err;
	}
	pick_programs(c->skel, c->kind);
	c->skel->rodata->want_stacks = !o->no_stacks;
	c->skel->rodata->want_user = !o->no_user;
	c->skel->rodata->wakers = o->wakers && !o->no_stacks;
	c->skel->rodata->per_thread = o->threads;
	c->skel->rodata->self_tgid = getpid();
	/* the BPF program and the tracepoint glue are not the task's stack */
	c->skel->rodata->kskip = c->kind == KS_TP_CLASSIC ? 0 : 2;
	c->skel->rodata->kstack_deferred = c->kind == KS_TP_BTF;
	c->skel->rodata->ustack_deferred = c->kind == KS_TP_BTF && !o->no_stacks && !o->no_user;
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
	err = offcpu_bpf__load(c->skel);
	if (err) {
		ks_err("cannot load the offcpu BPF programs (%s): %s", ks_tp_kind_name(c->kind),
		       strerror(-err));
		goto err;
	}
	for (i = 0; i < o->npids && i < KS_MAX_PIDS; i++)
		co.pids[i] = o->pids[i];
	co.npids = o->npids;
	err = ks_collect_set_pids(bpf_map__fd(c->skel->maps.ks_pids), &co);
	if (err) {
		ks_err("cannot set the pid filter: %s", strerror(-err));
		goto err;
	}
	err = offcpu_bpf__attach(c->skel);
	if (err) {
		ks_err("cannot attach to sched tracepoints (%s): %s", ks_tp_kind_name(c->kind),
		       strerror(-err));
		goto err;
	}
	ks_info("offcpu: attached with %s", ks_tp_kind_name(c->kind));
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

static void name_frame(struct ks_offcpu *c, struct ks_profile *p, struct ks_frame *f,
		       uint32_t tgid, uint64_t addr, bool kernel, bool leaf)
{
	struct ks_sym sym = {};
	char buf[512];
	int err;

	memset(f, 0, sizeof(*f));
	f->addr = addr;
	err = kernel ? ks_symbolizer__kernel(c->syms, leaf ? addr : addr - 1, &sym)
		     : ks_symbolizer__user(c->syms, tgid, leaf ? addr : addr - 1, &sym);
	if (err) {
		memset(&sym, 0, sizeof(sym));
		sym.kind = kernel ? KS_FRAME_KERNEL : KS_FRAME_UNKNOWN;
	}
	f->name = ks_profile__intern(p, ks_sym_format(&sym, buf, sizeof(buf)));
	f->module = sym.module ? ks_profile__intern(p, sym.module) : NULL;
	f->offset = sym.file_off;
	f->kind = kernel ? KS_FRAME_KERNEL : (sym.name ? sym.kind : KS_FRAME_UNKNOWN);
	p->acct.frames++;
	if (!sym.name)
		p->acct.frames_unnamed++;
}

/*
 * Build the folded frames of one aggregated key: process, reason, user
 * frames (outermost first), kernel frames, then with --wakers "--", the
 * waker's kernel and user frames (leaf first) and the waker's name.
 */
static int add_stack(struct ks_offcpu *c, struct ks_profile *p,
		     const struct ks_offcpu_key *k, const uint64_t *kips, int nk,
		     const uint64_t *uips, int nu, const uint64_t *wk, int nwk,
		     const uint64_t *wu, int nwu, uint64_t us)
{
	static struct ks_frame fr[4 * KS_MAX_STACK_DEPTH + 8];
	static char short_name[64];
	char comm[KS_COMM_LEN + 1] = {}, wcomm[KS_COMM_LEN + 1] = {};
	int n = 0, i;

	memcpy(comm, k->comm, KS_COMM_LEN);
	memcpy(wcomm, k->wcomm, KS_COMM_LEN);
	if (nu)
		ks_symbolizer__add_pid(c->syms, k->tgid, false);
	if (nwu)
		ks_symbolizer__add_pid(c->syms, k->wtgid, false);
	memset(fr, 0, 3 * sizeof(*fr));
	fr[n].name = comm[0] ? comm : "[unknown]";
	fr[n++].kind = KS_FRAME_PROCESS;
	fr[n].name = ks_offcpu_reason_name(k->reason);
	fr[n++].kind = KS_FRAME_OFFCPU;
	if (k->ustack == KS_STACK_GONE) {
		memset(&fr[n], 0, sizeof(fr[n]));
		fr[n].name = "[user stack gone: task ran before it was read]";
		fr[n++].kind = KS_FRAME_UNKNOWN;
	}
	for (i = nu - 1; i >= 0; i--)
		name_frame(c, p, &fr[n++], k->tgid, uips[i], false, i == 0);
	for (i = nk - 1; i >= 0; i--)
		name_frame(c, p, &fr[n++], k->tgid, kips[i], true, i == 0);
	if (k->kstack == KS_KSTACK_SHORT || k->ustack == KS_KSTACK_SHORT) {
		snprintf(short_name, sizeof(short_name), "[stack not taken: period < %llu us]",
			 (unsigned long long)c->o.stack_min_us);
		memset(&fr[n], 0, sizeof(fr[n]));
		fr[n].name = short_name;
		fr[n++].kind = KS_FRAME_UNKNOWN;
	}
	if (nu)
		p->acct.user_stacks++;
	if (!c->o.wakers)
		return ks_profile__add(p, k->tgid, c->o.threads ? k->pid : k->tgid, fr, n, us);
	memset(&fr[n], 0, sizeof(fr[n]));
	fr[n].name = "--";
	fr[n++].kind = KS_FRAME_OFFCPU;
	for (i = 0; i < nwk; i++)
		name_frame(c, p, &fr[n++], k->wtgid, wk[i], true, i == 0);
	for (i = 0; i < nwu; i++)
		name_frame(c, p, &fr[n++], k->wtgid, wu[i], false, i == 0);
	memset(&fr[n], 0, sizeof(fr[n]));
	fr[n].name = wcomm[0] ? wcomm : "[unknown]";
	fr[n++].kind = KS_FRAME_PROCESS;
	return ks_profile__add(p, k->tgid, c->o.threads ? k->pid : k->tgid, fr, n, us);
}

static int read_map(struct ks_offcpu *c, struct ks_model *m)
{
	int fd = bpf_map__fd(c->skel->maps.offcpu), sfd = bpf_map__fd(c->skel->maps.stacks);
	int kfd = c->kind == KS_TP_BTF ? bpf_map__fd(c->skel->maps.kstacks) : sfd;
	static uint64_t kips[KS_MAX_STACK_DEPTH], uips[KS_MAX_STACK_DEPTH];
	static uint64_t wk[KS_MAX_STACK_DEPTH], wu[KS_MAX_STACK_DEPTH];
	struct ks_offcpu_key *keys;
	struct ks_offcpu_val *vals;
	size_t n, i;
	int err, nk, nu, nwk, nwu, r;

	/*
	 * Take every value out first, then name the stacks: symbolization is
	 * slow, and the kernel keeps adding while it runs.
	 */
	err = ks_map_drain(fd, sizeof(*keys), sizeof(*vals), (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		const struct ks_offcpu_key *k = &keys[i];
		const struct ks_offcpu_val *vp = &vals[i];
		char comm[KS_COMM_LEN + 1] = {};
		struct ks_task *t;

		if (!vp->count)
			continue;
		memcpy(comm, k->comm, KS_COMM_LEN);
		t = ks_model__task(m, k->pid, k->tgid, comm);
		if (!t) {
			err = -ENOMEM;
			break;
		}
		for (r = 0; r < KS_OFF__COUNT; r++)
			t->offcpu_ns[r] += vp->ns[r];
		nk = read_stack(kfd, k->kstack, kips);
		nu = read_stack(sfd, k->ustack, uips);
		if (nk < 0 || nu < 0) {
			/* the id was evicted or reused: the stack is gone */
			m->offcpu->acct.stack_errors++;
			nk = nk < 0 ? 0 : nk;
			nu = nu < 0 ? 0 : nu;
		}
		nwk = nwu = 0;
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
				err = ks_stacks__add(c->stacks, k->tgid, k->pid, comm, kips, 0,
						     uips, 0, false, ks_offcpu_reason_name(r), us);
			else
				err = add_stack(c, m->offcpu, &kr, kips, nk, uips, nu, wk,
						nwk < 0 ? 0 : nwk, wu, nwu < 0 ? 0 : nwu, us);
		}
	}
	free(vals);
	free(keys);
	return err;
}

int ks_offcpu__read(struct ks_offcpu *c, struct ks_model *m)
{
	int dfd = bpf_map__fd(c->skel->maps.ks_drops), sfd = bpf_map__fd(c->skel->maps.stats);
	uint64_t d[KS_DROP__COUNT], s[KS_OFFCPU_STAT__COUNT], lost;
	struct ks_accounting *a;
	int err, i;

	if (!m->offcpu) {
		m->offcpu = ks_profile__new("us");
		if (!m->offcpu)
			return -ENOMEM;
		m->offcpu->title = "Off-CPU time";
	}
	m->threads = c->o.threads;
	err = read_map(c, m);
	if (!err)	/* without stacks: "process;reason" rows, nothing to name */
		err = ks_stacks__build(c->stacks, m->offcpu, c->o.threads);
	ks_stacks__clear(c->stacks);
	for (i = 0; i < KS_DROP__COUNT; i++)
		d[i] = ks_percpu_sum(dfd, i, c->ncpus);
	for (i = 0; i < KS_OFFCPU_STAT__COUNT; i++)
		s[i] = ks_percpu_sum(sfd, i, c->ncpus);
	a = &m->offcpu->acct;
	a->samples += s[KS_OFFCPU_PERIODS] - c->prev_stats[KS_OFFCPU_PERIODS];
	lost = d[KS_DROP_MAP_FULL] - c->prev_drops[KS_DROP_MAP_FULL] +
	       d[KS_DROP_RINGBUF] - c->prev_drops[KS_DROP_RINGBUF];
	a->lost += lost;
	m->lost += lost;
	a->stack_errors += d[KS_DROP_KSTACK] - c->prev_drops[KS_DROP_KSTACK] +
			   d[KS_DROP_USTACK] - c->prev_drops[KS_DROP_USTACK];
	if (lost)
		ks_model__gap(m, "off-CPU time (some)", "%llu periods dropped: BPF map full",
			      (unsigned long long)lost);
	if (!c->o.no_stacks && !c->o.no_user && !strstr(a->notes, "frame pointers")) {
		snprintf(a->notes + strlen(a->notes), sizeof(a->notes) - strlen(a->notes),
			 "%suser stacks: frame-pointer walks in the kernel (no CFI unwinding "
			 "for off-CPU yet): code built without frame pointers shows truncated "
			 "user stacks", a->notes[0] ? "; " : "");
		ks_model__gap(m, "off-CPU user stacks (CFI)",
			      "frame-pointer walks only: stacks through code without frame "
			      "pointers are truncated");
	}
	if (!c->o.no_stacks && c->kind == KS_TP_BTF && c->o.stack_min_us &&
	    !strstr(a->notes, "stack not taken")) {
		snprintf(a->notes + strlen(a->notes), sizeof(a->notes) - strlen(a->notes),
			 "%speriods under %llu us: time counted, stack not taken "
			 "(--stack-min-us 0 takes all)", a->notes[0] ? "; " : "",
			 (unsigned long long)c->o.stack_min_us);
	}
	if (s[KS_OFFCPU_FILTERED] != c->prev_stats[KS_OFFCPU_FILTERED] &&
	    !strstr(a->notes, "-m/-M")) {
		snprintf(a->notes + strlen(a->notes), sizeof(a->notes) - strlen(a->notes),
			 "%s%llu periods outside -m/-M not counted", a->notes[0] ? "; " : "",
			 (unsigned long long)(s[KS_OFFCPU_FILTERED] -
					      c->prev_stats[KS_OFFCPU_FILTERED]));
	}
	memcpy(c->prev_drops, d, sizeof(d));
	memcpy(c->prev_stats, s, sizeof(s));
	return err;
}

const char *ks_offcpu__attach_kind(const struct ks_offcpu *c)
{
	return ks_tp_kind_name(c->kind);
}

void ks_offcpu__free(struct ks_offcpu *c)
{
	if (!c)
		return;
	offcpu_bpf__destroy(c->skel);
	ks_stackids__reset(stack_ids);	/* the next collector's maps may reuse the fds */
	ks_stacks__free(c->stacks);
	if (c->own_syms)
		ks_symbolizer__free(c->syms);
	free(c);
}
