// SPDX-License-Identifier: GPL-2.0
/* Raw stack aggregation and symbolization (include/ks_stacks.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "ks_stacks.h"
#include "ks_util.h"

struct raw {
	uint64_t hash;
	uint32_t tgid, pid;
	char comm[KS_COMM_LEN];
	const char *marker;
	uint16_t nk, nu;
	uint8_t ucomplete, has_user;
	uint64_t value;
	uint64_t samples;
	uint64_t ips[];		/* nk kernel ips then nu user ips, leaf first */
};

struct ks_stacks {
	struct ks_symbolizer *syms;
	struct ks_ptab tab;		/* of struct raw */
	uint64_t samples, user_stacks, user_complete;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h;
}

struct ks_stacks *ks_stacks__new(struct ks_symbolizer *syms)
{
	struct ks_stacks *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->syms = syms;
	return st;
}

void ks_stacks__clear(struct ks_stacks *st)
{
	if (!st)
		return;
	ks_ptab_clear(&st->tab);
	st->samples = st->user_stacks = st->user_complete = 0;
}

void ks_stacks__free(struct ks_stacks *st)
{
	if (!st)
		return;
	ks_stacks__clear(st);
	ks_ptab_free(&st->tab);
	free(st);
}

size_t ks_stacks__count(const struct ks_stacks *st)
{
	return st->tab.n;
}

static uint64_t raw_hash(const void *r)
{
	return ((const struct raw *)r)->hash;
}

int ks_stacks__add(struct ks_stacks *st, uint32_t tgid, uint32_t pid, const char *comm,
		   const uint64_t *kips, int nk, const uint64_t *uips, int nu, bool ucomplete,
		   const char *marker, uint64_t value)
{
	uint64_t h = mix(mix(tgid, pid), (uintptr_t)marker);
	char c[KS_COMM_LEN] = {};
	struct raw *r;
	size_t i;
	int k;

	if (nk < 0)
		nk = 0;
	if (nu < 0)
		nu = 0;
	strncpy(c, comm ? comm : "", sizeof(c) - 1);
	for (k = 0; k < (int)sizeof(c); k++)
		h = mix(h, (unsigned char)c[k]);
	h = mix(h, (uint64_t)nk << 16 | nu);
	for (k = 0; k < nk; k++)
		h = mix(h, kips[k]);
	for (k = 0; k < nu; k++)
		h = mix(h, uips[k]);

	st->samples++;
	if (nu) {
		st->user_stacks++;
		st->user_complete += ucomplete;
	}
	if (ks_ptab_reserve(&st->tab, raw_hash))
		return -ENOMEM;
	for (i = h & (st->tab.cap - 1); (r = st->tab.slot[i]); i = (i + 1) & (st->tab.cap - 1)) {
		if (r->hash == h && r->tgid == tgid && r->pid == pid && r->marker == marker &&
		    r->nk == nk && r->nu == nu && !memcmp(r->comm, c, sizeof(c)) &&
		    !memcmp(r->ips, kips, nk * sizeof(*kips)) &&
		    !memcmp(r->ips + nk, uips, nu * sizeof(*uips))) {
			r->value += value;
			r->samples++;
			return 0;
		}
	}
	r = malloc(sizeof(*r) + (nk + nu) * sizeof(uint64_t));
	if (!r)
		return -ENOMEM;
	r->hash = h;
	r->tgid = tgid;
	r->pid = pid;
	memcpy(r->comm, c, sizeof(c));
	r->marker = marker;
	r->nk = nk;
	r->nu = nu;
	r->ucomplete = ucomplete;
	r->has_user = nu > 0;
	r->value = value;
	r->samples = 1;
	if (nk)
		memcpy(r->ips, kips, nk * sizeof(*kips));
	if (nu)
		memcpy(r->ips + nk, uips, nu * sizeof(*uips));
	st->tab.slot[i] = r;
	st->tab.n++;
	return 0;
}

int ks_stacks__unwind(struct ks_stacks *st, const struct ks_stack_sample *s, size_t size,
		      uint64_t *uips, bool *complete)
{
	size_t ulen;
	int nu;

	*complete = false;
	if (size < KS_STACK_SAMPLE_HDR || !(s->flags & KS_SAMPLE_USER))
		return 0;
	ulen = s->ustack_len;
	if (ulen > size - KS_STACK_SAMPLE_HDR)
		ulen = size - KS_STACK_SAMPLE_HDR;
	ks_symbolizer__add_pid(st->syms, s->tgid, false);
	nu = ks_symbolizer__unwind(st->syms, s->tgid, &s->regs, s->ustack, ulen, uips,
				   KS_MAX_STACK_DEPTH, complete);
	if (nu <= 0) {
		uips[0] = s->regs.ip;
		nu = 1;
		*complete = false;
	}
	return nu;
}

int ks_stacks__add_sample(struct ks_stacks *st, const struct ks_stack_sample *s,
			  size_t size, const char *marker, double scale)
{
	uint64_t uips[KS_MAX_STACK_DEPTH];
	bool complete;
	int nu, nk;

	if (size < KS_STACK_SAMPLE_HDR)
		return -EINVAL;
	nk = s->nkips > KS_MAX_STACK_DEPTH ? KS_MAX_STACK_DEPTH : s->nkips;
	nu = ks_stacks__unwind(st, s, size, uips, &complete);
	return ks_stacks__add(st, s->tgid, s->pid, s->comm, (const uint64_t *)s->kips, nk, uips,
			      nu, complete,
			      marker, scale == 1.0 ? s->value : (uint64_t)(s->value * scale + 0.5));
}

bool ks_stacks_entry_frame(const char *name)
{
	static const char *const entries[] = {
		"_start", "__libc_start_main", "__libc_start_call_main", "start_thread",
		"clone", "clone3", "__clone", "__clone3", "__GI___clone3", "__GI___clone",
		"thread_start", "_dl_start_user",
	};
	size_t i;

	if (!name)
		return false;
	for (i = 0; i < ARRAY_SIZE(entries); i++)
		if (!strcmp(name, entries[i]))
			return true;
	return false;
}

void ks_stacks__name_frame(struct ks_stacks *st, struct ks_profile *p, struct ks_frame *f,
			   uint32_t tgid, uint64_t addr, bool kernel, bool leaf)
{
	struct ks_sym sym = {};
	char buf[512];
	int err;

	/* a return address points after the call: look up the call itself */
	uint64_t look = leaf || !addr ? addr : addr - 1;

	f->addr = addr;
	err = kernel ? ks_symbolizer__kernel(st->syms, look, &sym)
		     : ks_symbolizer__user(st->syms, tgid, look, &sym);
	if (err) {
		memset(&sym, 0, sizeof(sym));
		sym.kind = kernel ? KS_FRAME_KERNEL : KS_FRAME_UNKNOWN;
	}
	f->name = ks_profile__intern(p, ks_sym_format(&sym, buf, sizeof(buf)));
	f->module = sym.module ? ks_profile__intern(p, sym.module) : NULL;
	f->offset = sym.file_off;
	f->kind = kernel ? KS_FRAME_KERNEL : (sym.name ? sym.kind : KS_FRAME_UNKNOWN);
	if (!sym.name)
		p->acct.frames_unnamed++;
	p->acct.frames++;
}

int ks_stacks__build(struct ks_stacks *st, struct ks_profile *p, bool per_thread)
{
	struct ks_frame fr[2 * KS_MAX_STACK_DEPTH + 2];
	size_t i;
	int k, n, err;

	for (i = 0; i < st->tab.cap; i++) {
		struct raw *r = st->tab.slot[i];
		bool complete;

		if (!r)
			continue;
		n = 0;
		memset(&fr[n], 0, sizeof(fr[n]));
		fr[n].name = r->comm[0] ? r->comm : "[unknown]";
		fr[n++].kind = KS_FRAME_PROCESS;
		if (r->marker) {
			memset(&fr[n], 0, sizeof(fr[n]));
			fr[n].name = r->marker;
			fr[n++].kind = KS_FRAME_OFFCPU;
		}
		/* root first: user frames outermost first, then kernel frames */
		for (k = r->nu - 1; k >= 0; k--, n++)
			ks_stacks__name_frame(st, p, &fr[n], r->tgid, r->ips[r->nk + k], false,
					      k == 0);
		complete = r->ucomplete ||
			   (r->nu && ks_stacks_entry_frame(fr[r->marker ? 2 : 1].name));
		if (r->nu) {
			p->acct.user_stacks += r->samples;
			if (complete)
				p->acct.user_complete += r->samples;
		}
		for (k = r->nk - 1; k >= 0; k--, n++)
			ks_stacks__name_frame(st, p, &fr[n], r->tgid, r->ips[k], true, k == 0);
		err = ks_profile__add(p, r->tgid, per_thread ? r->pid : r->tgid, fr, n, r->value);
		if (err)
			return err;
	}
	return 0;
}

/* ---- stack map reads, once per (map, id) and pass ---- */

struct stackid_ent {
	int fd;			/* -1: empty slot */
	int32_t id;
	int n;			/* frames; < 0: the read failed */
	size_t off;		/* into ips */
};

#define STACKIDS_MAX		(64u << 10)	/* twice the collectors' stack maps */
#define STACKIDS_MAX_IPS	(2u << 20)	/* 16 MiB of addresses */

struct ks_stackids {
	struct stackid_ent *slots;	/* open addressing */
	size_t nslots, used;
	uint64_t *ips;			/* every stack read, frames only */
	size_t nips, ips_cap;
};

struct ks_stackids *ks_stackids__new(void)
{
	return calloc(1, sizeof(struct ks_stackids));
}

void ks_stackids__free(struct ks_stackids *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c->ips);
	free(c);
}

void ks_stackids__reset(struct ks_stackids *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nslots; i++)
		c->slots[i].fd = -1;
	c->used = 0;
	c->nips = 0;
}

static size_t stackid_slot(const struct ks_stackids *c, int fd, int32_t id)
{
	size_t i = ((uint32_t)id * 2654435761u ^ (uint32_t)fd) & (c->nslots - 1);

	while (c->slots[i].fd >= 0 && (c->slots[i].fd != fd || c->slots[i].id != id))
		i = (i + 1) & (c->nslots - 1);
	return i;
}

static int stackids_grow(struct ks_stackids *c)
{
	struct ks_stackids old = *c;
	size_t i, n = c->nslots ? c->nslots * 2 : 1024;

	c->slots = malloc(n * sizeof(*c->slots));
	if (!c->slots) {
		c->slots = old.slots;
		return -ENOMEM;
	}
	c->nslots = n;
	for (i = 0; i < n; i++)
		c->slots[i].fd = -1;
	for (i = 0; i < old.nslots; i++)
		if (old.slots[i].fd >= 0)
			c->slots[stackid_slot(c, old.slots[i].fd, old.slots[i].id)] = old.slots[i];
	free(old.slots);
	return 0;
}

int ks_stackids__read(struct ks_stackids *c, int fd, int32_t id, uint64_t *ips)
{
	struct stackid_ent *e;
	int n = 0;

	memset(ips, 0, KS_MAX_STACK_DEPTH * sizeof(*ips));
	if (!c) {	/* no cache: read it */
		if (bpf_map_lookup_elem(fd, &id, ips))
			return -ENOENT;
		while (n < KS_MAX_STACK_DEPTH && ips[n])
			n++;
		return n;
	}
	if (c->used >= STACKIDS_MAX || c->nips >= STACKIDS_MAX_IPS)
		ks_stackids__reset(c);	/* bounded: start over */
	if ((c->used + 1) * 2 > c->nslots && stackids_grow(c))
		return -ENOMEM;
	e = &c->slots[stackid_slot(c, fd, id)];
	if (e->fd >= 0) {
		if (e->n > 0)
			memcpy(ips, c->ips + e->off, e->n * sizeof(*ips));
		return e->n;
	}
	if (bpf_map_lookup_elem(fd, &id, ips)) {
		n = -ENOENT;
	} else {
		while (n < KS_MAX_STACK_DEPTH && ips[n])
			n++;
	}
	if (n > 0 && ks_grow((void **)&c->ips, &c->ips_cap, c->nips + n, sizeof(*c->ips), 16384))
		return n;	/* read, not remembered */
	*e = (struct stackid_ent){ .fd = fd, .id = id, .n = n, .off = c->nips };
	if (n > 0) {
		memcpy(c->ips + c->nips, ips, n * sizeof(*ips));
		c->nips += n;
	}
	c->used++;
	return n;
}
