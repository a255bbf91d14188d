// SPDX-License-Identifier: GPL-2.0
/*
 * Loader of bpf/funclat.bpf.c: resolve "TARGET:FUNC,..." or
 * "BINARY:PROVIDER:NAME[,END]" to file offsets, attach one program many
 * times (the cookie is the probe index), and read the per-(process, probe)
 * aggregates as deltas since the last read.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_funclat.h"
#include "ks_hist.h"
#include "ks_util.h"
#include "funclat.skel.h"

struct snap {
	struct ks_fl_key k;
	struct ks_fl_val v;
};

enum point_kind { PT_ENTRY, PT_COUNT, PT_BEGIN, PT_END };

struct point {
	uint64_t off;		/* file offset of the probed instruction */
	uint64_t ref_ctr;	/* USDT semaphore file offset, 0: none */
	uint32_t idx;
	enum point_kind kind;
};

struct ks_funclat {
	struct funclat_bpf *skel;
	enum ks_fl_mode mode;
	bool count_only, pair;
	char path[PATH_MAX];
	char **names;			/* by probe index */
	int nnames;
	struct point *pts;
	int npts;
	struct bpf_link **links;	/* one per uprobe (perf_event links) */
	int nlinks;
	int *mfds;			/* uprobe_multi link fds */
	int nmfds;
	int nprobes;			/* kernel uprobes in place */
	bool multi;
	__u32 pids[KS_MAX_PIDS];
	int npids;
	struct snap *prev;
	size_t nprev;
	uint64_t prev_ctr[KS_FL_CTR__COUNT];
	uint64_t t_last;
	char desc[PATH_MAX + 256];
	char notes[1024];
};

static const char *const ctr_names[KS_FL_CTR__COUNT] = {
	[KS_FL_MAP_FULL] = "stats map full (process not counted)",
	[KS_FL_NO_STORAGE] = "task storage allocation failed (call untimed)",
	[KS_FL_NO_ENTRY] = "return without a seen entry (call in flight at attach)",
	[KS_FL_SKIPPED_RET] = "entry whose return never came (longjmp/exception)",
	[KS_FL_OPEN_FULL] = "begin/end map full (pair untimed)",
	[KS_FL_END_NO_BEGIN] = "end without a begin on the same thread",
	[KS_FL_UNKNOWN_IP] = "hit at an address of no known probe (no cookies)",
};

const char *ks_fl_counter_name(enum ks_fl_counter c)
{
	return c < KS_FL_CTR__COUNT ? ctr_names[c] : "?";
}

static void note(struct ks_funclat *fl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct ks_funclat *fl, const char *fmt, ...)
{
	size_t n = strlen(fl->notes);
	va_list ap;

	if (n && n + 2 < sizeof(fl->notes))
		fl->notes[n++] = '\n', fl->notes[n] = 0;
	va_start(ap, fmt);
	vsnprintf(fl->notes + n, sizeof(fl->notes) - n, fmt, ap);
	va_end(ap);
}

static int name_idx(struct ks_funclat *fl, const char *name)
{
	char **t;
	int i;

	for (i = 0; i < fl->nnames; i++)
		if (!strcmp(fl->names[i], name))
			return i;
	if (fl->nnames >= KS_FL_MAX_PROBES)
		return -E2BIG;
	t = realloc(fl->names, (fl->nnames + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	fl->names = t;
	fl->names[fl->nnames] = strdup(name);
	if (!fl->names[fl->nnames])
		return -ENOMEM;
	return fl->nnames++;
}

static int add_point(struct ks_funclat *fl, uint64_t off, uint64_t ref_ctr, int idx,
		     enum point_kind kind)
{
	struct point *t = realloc(fl->pts, (fl->npts + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	fl->pts = t;
	t[fl->npts++] = (struct point){ off, ref_ctr, idx, kind };
	return 0;
}

/* "did you mean": names within a small edit distance, or containing the pattern. */
struct near {
	const char *name;
	int score;
};

static int cmp_near(const void *a, const void *b)
{
	const struct near *x = a, *y = b;

	if (x->score != y->score)
		return x->score - y->score;
	return strcmp(x->name, y->name);
}

static void print_near(const char *what, const char *pat, const char *in,
		       const char *const *names, int n)
{
	struct near best[8];
	char core[256], list[1024] = "";
	int nb = 0, i, j, cap;
	size_t p = 0;

	/* The pattern without glob characters, for substring matches. */
	for (i = 0, j = 0; pat[i] && j < (int)sizeof(core) - 1; i++)
		if (!strchr("*?[]", pat[i]))
			core[j++] = pat[i];
	core[j] = 0;
	cap = strlen(core) / 3 + 2;
	for (i = 0; i < n; i++) {
		int d = ks_edit_distance(core, names[i], cap);

		if (d >= cap && (strlen(core) < 3 || !strstr(names[i], core)))
			continue;
		if (d >= cap)
			d = cap + (int)strlen(names[i]) - (int)strlen(core);
		if (i && !strcmp(names[i], names[i - 1]))
			continue;
		if (nb < (int)ARRAY_SIZE(best)) {
			best[nb++] = (struct near){ names[i], d };
		} else if (d < best[nb - 1].score) {
			best[nb - 1] = (struct near){ names[i], d };
		} else {
			continue;
		}
		qsort(best, nb, sizeof(best[0]), cmp_near);
	}
	for (i = 0; i < nb && p < sizeof(list) - 2; i++)
		p += snprintf(list + p, sizeof(list) - p, "%s%s", i ? ", " : "", best[i].name);
	if (nb)
		ks_err("no %s matching '%s' in %s; near matches: %s", what, pat, in, list);
	else
		ks_err("no %s matching '%s' in %s (and nothing close)", what, pat, in);
}

/* Display name for functions sharing an address: the one asked for, else the plainest. */
static bool better_name(const char *a, const char *b, const char *const *pats, int npats)
{
	int i, ua = 0, ub = 0;

	for (i = 0; i < npats; i++) {
		if (!strcmp(pats[i], a))
			return true;
		if (!strcmp(pats[i], b))
			return false;
	}
	while (a[ua] == '_')
		ua++;
	while (b[ub] == '_')
		ub++;
	if (ua != ub)
		return ua < ub;
	if (strlen(a) != strlen(b))
		return strlen(a) < strlen(b);
	return strcmp(a, b) < 0;
}

struct pick {
	const struct ks_elf_func *f;
	const char *name;
};

static int cmp_pick_addr(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	return x->f->addr < y->f->addr ? -1 : x->f->addr > y->f->addr;
}

static int split_list(char *s, const char **v, int max)
{
	char *save = NULL, *t;
	int n = 0;

	for (t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!*t)
			continue;
		if (n == max)
			return -E2BIG;
		v[n++] = t;
	}
	return n;
}

/*
 * A pattern matches the symbol, or for C++ its demangled name with or
 * without the parameters ("Server::handle*" and "Server::handle(int)");
 * *shown is the name to print.
 */
static bool func_match(const char *pat, const struct ks_elf_func *f, const char **shown)
{
	const char *p;
	char base[512];

	*shown = f->name;
	if (!fnmatch(pat, f->name, 0))
		return true;
	if (!f->demangled)
		return false;
	*shown = f->demangled;
	if (!fnmatch(pat, f->demangled, 0))
		return true;
	p = strchr(f->demangled, '(');
	if (!p || p == f->demangled || (size_t)(p - f->demangled) >= sizeof(base))
		return false;
	memcpy(base, f->demangled, p - f->demangled);
	base[p - f->demangled] = 0;
	return !fnmatch(pat, base, 0);
}

static int resolve_funcs(struct ks_funclat *fl, const char *funcs_spec)
{
	struct ks_elf_func *fs = NULL;
	const char *pats[64], **names = NULL;
	struct pick *picks = NULL;
	int nf = 0, np, i, j, k, npick = 0, err = 0;
	char *spec = strdup(funcs_spec);

	if (!spec)
		return -ENOMEM;
	np = split_list(spec, pats, ARRAY_SIZE(pats));
	if (np <= 0) {
		ks_err(np ? "too many functions (at most %zu patterns)" :
		       "no function given: expected TARGET:FUNC[,FUNC...]", ARRAY_SIZE(pats));
		err = -EINVAL;
		goto out;
	}
	nf = ks_elf_funcs(fl->path, &fs);
	if (nf < 0) {
		ks_err("cannot read symbols of %s: %s", fl->path, strerror(-nf));
		err = nf;
		goto out;
	}
	picks = calloc(nf + 1, sizeof(*picks));
	names = calloc(nf + 1, sizeof(*names));
	if (!picks || !names) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nf; i++)
		names[i] = fs[i].demangled ? fs[i].demangled : fs[i].name;
	for (k = 0; k < np; k++) {
		int hit = 0, ifuncs = 0;

		for (i = 0; i < nf; i++) {
			const char *shown;

			if (!func_match(pats[k], &fs[i], &shown))
				continue;
			if (fs[i].ifunc) {
				ifuncs++;
				continue;
			}
			hit++;
			for (j = 0; j < npick; j++)
				if (picks[j].f == &fs[i])
					break;
			if (j == npick)
				picks[npick++] = (struct pick){ &fs[i], shown };
		}
		if (ifuncs && !hit) {
			char impl[512] = "";
			size_t p = 0;
			int m = 0;

			for (i = 0; i < nf && m < 6; i++) {
				if (fs[i].ifunc || !strstr(fs[i].name, pats[k]))
					continue;
				p += snprintf(impl + p, sizeof(impl) - p, "%s%s", m++ ? ", " : "",
					      fs[i].name);
				if (p >= sizeof(impl))
					break;
			}
			ks_err("'%s' in %s is an IFUNC (its symbol is the resolver, run once "
			       "at load): probe its implementations instead%s%s", pats[k], fl->path,
			       m ? ": " : "", m ? impl : "");
			err = -EINVAL;
			goto out;
		}
		if (ifuncs)
			note(fl, "skipped %d IFUNC resolver(s) matching '%s'", ifuncs, pats[k]);
		if (!hit) {
			print_near("function", pats[k], fl->path, names, nf);
			err = -ENOENT;
			goto out;
		}
	}
	/* Aliases (same address) are one function: one probe, the best name. */
	qsort(picks, npick, sizeof(*picks), cmp_pick_addr);
	for (i = 0; i < npick; i = j) {
		const char *best = picks[i].name;
		int idx;

		for (j = i + 1; j < npick && picks[j].f->addr == picks[i].f->addr; j++)
			if (better_name(picks[j].name, best, pats, np))
				best = picks[j].name;
		idx = name_idx(fl, best);
		if (idx < 0) {
			ks_err("too many functions: at most %d", KS_FL_MAX_PROBES);
			err = idx;
			goto out;
		}
		err = add_point(fl, picks[i].f->off, 0, idx, fl->count_only ? PT_COUNT : PT_ENTRY);
		if (err)
			goto out;
	}
out:
	free(spec);
	free(picks);
	free(names);
	ks_elf_funcs_free(fs, nf > 0 ? nf : 0);
	return err;
}

static int resolve_usdt(struct ks_funclat *fl, const char *prov, const char *names_spec)
{
	struct ks_usdt_note *ns = NULL;
	const char *nm[4], **all = NULL;
	char *spec = strdup(names_spec), buf[512];
	int n = 0, nn, i, k, err = 0;

	if (!spec)
		return -ENOMEM;
	nn = split_list(spec, nm, ARRAY_SIZE(nm));
	if (nn < 1 || nn > 2) {
		ks_err("expected BINARY:PROVIDER:NAME or BINARY:PROVIDER:BEGIN,END");
		err = -EINVAL;
		goto out;
	}
	fl->pair = nn == 2;
	n = ks_usdt_notes(fl->path, &ns);
	if (n < 0) {
		ks_err("cannot read %s: %s", fl->path, strerror(-n));
		err = n;
		goto out;
	}
	if (!n) {
		ks_err("%s has no USDT probes (no .note.stapsdt section)", fl->path);
		err = -ENOENT;
		goto out;
	}
	all = calloc(n, sizeof(*all));
	if (!all) {
		err = -ENOMEM;
		goto out;
	}
	for (k = 0; k < nn; k++) {
		int hits = 0, idx;

		for (i = 0; i < n; i++) {
			if (fnmatch(prov, ns[i].provider, 0) || fnmatch(nm[k], ns[i].name, 0))
				continue;
			if (ns[i].sem && !ns[i].sem_off) {
				ks_err("%s:%s: cannot place its semaphore in %s", ns[i].provider,
				       ns[i].name, fl->path);
				err = -EINVAL;
				goto out;
			}
			if (fl->pair)
				snprintf(buf, sizeof(buf), "%s:%s,%s", prov, nm[0], nm[1]);
			else
				snprintf(buf, sizeof(buf), "%s:%s", ns[i].provider, ns[i].name);
			idx = name_idx(fl, buf);
			if (idx < 0) {
				err = idx;
				goto out;
			}
			err = add_point(fl, ns[i].pc_off, ns[i].sem ? ns[i].sem_off : 0, idx,
					!fl->pair ? PT_COUNT : k == 0 ? PT_BEGIN : PT_END);
			if (err)
				goto out;
			hits++;
		}
		if (!hits) {
			for (i = 0; i < n; i++) {
				char *s = malloc(strlen(ns[i].provider) + strlen(ns[i].name) + 2);

				if (s)
					sprintf(s, "%s:%s", ns[i].provider, ns[i].name);
				all[i] = s ? s : "";
			}
			snprintf(buf, sizeof(buf), "%s:%s", prov, nm[k]);
			print_near("USDT probe", buf, fl->path, all, n);
			for (i = 0; i < n; i++)
				if (all[i][0])
					free((char *)all[i]);
			err = -ENOENT;
			goto out;
		}
	}
out:
	free(all);
	free(spec);
	ks_usdt_notes_free(ns, n > 0 ? n : 0);
	return err;
}

/*
 * Without attach cookies a hit is identified by its address modulo the page
 * size (mmap keeps a file offset's place in its page): the probes of
 * different indexes must differ there.
 */
static int check_page_offsets(struct ks_funclat *fl)
{
	int i, j;

	for (i = 0; i < fl->npts; i++) {
		for (j = 0; j < i; j++) {
			if (fl->pts[i].idx == fl->pts[j].idx ||
			    (fl->pts[i].off & KS_FL_PAGE_MASK) != (fl->pts[j].off & KS_FL_PAGE_MASK))
				continue;
			ks_err("without bpf_get_attach_cookie (kernel < 5.15) probes are told apart "
			       "by their address in the page: %s and %s collide; probe them in "
			       "separate runs", fl->names[fl->pts[i].idx], fl->names[fl->pts[j].idx]);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int fill_ip_idx(struct ks_funclat *fl)
{
	int fd = bpf_map__fd(fl->skel->maps.ip_idx), i;

	for (i = 0; i < fl->npts; i++) {
		__u32 k = fl->pts[i].off & KS_FL_PAGE_MASK, v = fl->pts[i].idx + 1;

		if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* Does @pid map the file at @path (same inode)? -1 when unknown. */
static int pid_maps_file(uint32_t pid, const char *path)
{
	char mp[64], line[PATH_MAX + 128];
	unsigned long long ino;
	struct stat st;
	int found = 0;
	FILE *f;

	if (stat(path, &st))
		return -1;
	snprintf(mp, sizeof(mp), "/proc/%u/maps", pid);
	f = fopen(mp, "r");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %llu", &ino) == 1 && ino == st.st_ino;
	fclose(f);
	return found;
}

static int attach_all(struct ks_funclat *fl)
{
	int npid = fl->npids ? fl->npids : 1, i, p, r, nret, failed = 0, err = 0;
	struct bpf_program *prog;

	fl->links = calloc((size_t)fl->npts * npid * 2, sizeof(*fl->links));
	if (!fl->links)
		return -ENOMEM;
	for (i = 0; i < fl->npts; i++) {
		const struct point *pt = &fl->pts[i];

		nret = pt->kind == PT_ENTRY ? 2 : 1;
		for (p = 0; p < npid; p++) {
			/*
			 * Return probe first: a call entered between the two
			 * attachments then shows as a counted "return without
			 * entry", instead of leaving a frame that never pops.
			 */
			for (r = nret - 1; r >= 0; r--) {
				LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = pt->idx,
					    .retprobe = r == 1, .ref_ctr_offset = pt->ref_ctr);
				struct bpf_link *l;

				switch (pt->kind) {
				case PT_ENTRY:
					prog = r ? fl->skel->progs.fl_exit :
						   fl->skel->progs.fl_entry;
					break;
				case PT_COUNT:
					prog = fl->skel->progs.fl_count;
					break;
				case PT_BEGIN:
					prog = fl->skel->progs.fl_begin;
					break;
				default:
					prog = fl->skel->progs.fl_end;
					break;
				}
				l = bpf_program__attach_uprobe_opts(prog,
						fl->npids ? (int)fl->pids[p] : -1,
						fl->path, pt->off, &uo);
				if (!l) {
					err = -errno;
					if (!failed++)
						note(fl, "cannot attach %s at %s+0x%llx: %s",
						     fl->names[pt->idx], fl->path,
						     (unsigned long long)pt->off, strerror(-err));
					continue;
				}
				fl->links[fl->nlinks++] = l;
				fl->nprobes++;
			}
		}
	}
	if (!fl->nlinks) {
		ks_err("cannot attach any uprobe to %s: %s", fl->path, strerror(-err));
		return err ? err : -EINVAL;
	}
	if (failed)
		note(fl, "%d of %d attachments failed: their calls are not counted",
		     failed, failed + fl->nlinks);
	return 0;
}

/*
 * uprobe_multi (kernel >= 6.6): one link attaches a program at many offsets
 * in one syscall and detaches with one RCU grace period. A perf_event uprobe
 * costs ~0.1 s to close (an RCU grace period under a global mutex): 134
 * probes took 13 s to detach one by one. libbpf 1.1 has no API for it, so
 * the link is created here; layout of union bpf_attr's link_create.
 */
#define KS_BPF_TRACE_UPROBE_MULTI	48
#define KS_BPF_F_UPROBE_MULTI_RETURN	1

struct ks_link_create_uprobe_multi {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 mflags;
	__u32 pid;
	__u32 pad;
};

static int attach_multi_one(struct ks_funclat *fl, struct bpf_program *prog,
			    enum point_kind kind, bool ret, int pid)
{
	struct ks_link_create_uprobe_multi a = {};
	unsigned long *offs, *refs;
	__u64 *cookies;
	int i, n = 0, fd, err = 0, *t;
	bool any_ref = false;

	offs = calloc(fl->npts, sizeof(*offs));
	refs = calloc(fl->npts, sizeof(*refs));
	cookies = calloc(fl->npts, sizeof(*cookies));
	if (!offs || !refs || !cookies) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < fl->npts; i++) {
		if (fl->pts[i].kind != kind)
			continue;
		offs[n] = fl->pts[i].off;
		refs[n] = fl->pts[i].ref_ctr;
		any_ref |= refs[n] != 0;
		cookies[n++] = fl->pts[i].idx;
	}
	if (!n)
		goto out;
	a.prog_fd = bpf_program__fd(prog);
	a.attach_type = KS_BPF_TRACE_UPROBE_MULTI;
	a.path = (unsigned long)fl->path;
	a.offsets = (unsigned long)offs;
	a.ref_ctr_offsets = any_ref ? (unsigned long)refs : 0;
	a.cookies = (unsigned long)cookies;
	a.cnt = n;
	a.mflags = ret ? KS_BPF_F_UPROBE_MULTI_RETURN : 0;
	a.pid = pid > 0 ? pid : 0;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	t = realloc(fl->mfds, (fl->nmfds + 1) * sizeof(*t));
	if (!t) {
		close(fd);
		err = -ENOMEM;
		goto out;
	}
	fl->mfds = t;
	fl->mfds[fl->nmfds++] = fd;
	fl->nprobes += n;
out:
	free(offs);
	free(refs);
	free(cookies);
	return err;
}

static int attach_all_multi(struct ks_funclat *fl)
{
	struct funclat_bpf_progs_s {
		enum point_kind kind;
		bool ret;
		struct bpf_program *prog;
	} order[] = {
		/* returns before entries, ends after begins (see attach_all) */
		{ PT_ENTRY, true, fl->skel->progs.fl_exit },
		{ PT_ENTRY, false, fl->skel->progs.fl_entry },
		{ PT_COUNT, false, fl->skel->progs.fl_count },
		{ PT_BEGIN, false, fl->skel->progs.fl_begin },
		{ PT_END, false, fl->skel->progs.fl_end },
	};
	int npid = fl->npids ? fl->npids : 1, p, err;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		for (p = 0; p < npid; p++) {
			err = attach_multi_one(fl, order[i].prog, order[i].kind, order[i].ret,
					       fl->npids ? (int)fl->pids[p] : -1);
			if (err)
				return err;
		}
	}
	return 0;
}

static void detach_multi(struct ks_funclat *fl)
{
	int i;

	for (i = 0; i < fl->nmfds; i++)
		close(fl->mfds[i]);
	free(fl->mfds);
	fl->mfds = NULL;
	fl->nmfds = 0;
}

struct ks_funclat *ks_funclat__open(const struct ks_funclat_opts *opts)
{
	struct ks_funclat *fl;
	char *spec = NULL, *sep, *target, *rest, *prov = NULL;
	bool cookies;
	int err, i;

	if (!opts || opts->sz < sizeof(*opts) || !opts->spec) {
		errno = EINVAL;
		return NULL;
	}
	fl = calloc(1, sizeof(*fl));
	spec = strdup(opts->spec);
	if (!fl || !spec) {
		err = -ENOMEM;
		goto err_free;
	}
	fl->mode = opts->mode;
	fl->count_only = opts->count_only;
	fl->npids = opts->npids < KS_MAX_PIDS ? opts->npids : KS_MAX_PIDS;
	for (i = 0; i < fl->npids; i++)
		fl->pids[i] = opts->pids[i];

	/*
	 * BINARY:PROVIDER:NAMES splits from the right; TARGET:FUNCS at the first
	 * lone ':' (C++ functions have "::" in them).
	 */
	if (fl->mode == KS_FL_MODE_USDT) {
		sep = strrchr(spec, ':');
	} else {
		for (sep = strchr(spec, ':'); sep && sep[1] == ':'; )
			sep = strchr(sep + 2, ':');
	}
	if (!sep || sep == spec) {
		ks_err("bad probe '%s': expected %s", opts->spec, fl->mode == KS_FL_MODE_USDT ?
		       "BINARY:PROVIDER:NAME[,END]" : "TARGET:FUNC[,FUNC...]");
		err = -EINVAL;
		goto err_free;
	}
	*sep = 0;
	rest = sep + 1;
	target = spec;
	if (fl->mode == KS_FL_MODE_USDT) {
		sep = strrchr(spec, ':');
		if (!sep || sep == spec) {
			ks_err("bad probe '%s': expected BINARY:PROVIDER:NAME[,END]", opts->spec);
			err = -EINVAL;
			goto err_free;
		}
		*sep = 0;
		prov = sep + 1;
	}
	err = ks_resolve_target(target, fl->npids ? (int)fl->pids[0] : 0, fl->path,
				sizeof(fl->path));
	if (err) {
		ks_err("cannot find '%s'%s: not a file, a program in $PATH or a library "
		       "(ldconfig -p, /proc/PID/maps)", target,
		       fl->npids ? " (nor in the process's maps)" : "");
		goto err_free;
	}
	err = fl->mode == KS_FL_MODE_USDT ? resolve_usdt(fl, prov, rest) :
					    resolve_funcs(fl, rest);
	if (err)
		goto err_free;

	cookies = !getenv("KSCOPE_NO_COOKIE") &&
		  libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie,
					  NULL) == 1;
	if (!cookies) {
		err = check_page_offsets(fl);
		if (err)
			goto err_free;
		note(fl, "no bpf_get_attach_cookie: probes told apart by their address in the page");
	}
	fl->multi = !getenv("KSCOPE_NO_UPROBE_MULTI");
retry:
	fl->skel = funclat_bpf__open();
	if (!fl->skel) {
		err = -errno;
		ks_err("cannot open the funclat BPF object: %s", strerror(-err));
		goto err_free;
	}
	fl->skel->rodata->use_cookie = cookies;
	fl->skel->rodata->self_tgid = getpid();
	bpf_map__set_max_entries(fl->skel->maps.stats,
				 opts->max_entries ? opts->max_entries : 8192);
	if (fl->multi) {
		struct bpf_program *prog;

		bpf_object__for_each_program(prog, fl->skel->obj)
			bpf_program__set_expected_attach_type(prog, KS_BPF_TRACE_UPROBE_MULTI);
	}
	err = funclat_bpf__load(fl->skel);
	if (err && fl->multi) {
		ks_info("uprobe_multi programs do not load (%s): one uprobe per probe",
			strerror(-err));
		goto fallback;
	}
	if (err) {
		ks_err("cannot load the funclat BPF programs: %s (kscope -v -v shows "
		       "the verifier log)", strerror(-err));
		goto err_free;
	}
	if (!cookies) {
		err = fill_ip_idx(fl);
		if (err) {
			ks_err("cannot fill the probe address map: %s", strerror(-err));
			goto err_free;
		}
	}
	if (fl->multi) {
		err = attach_all_multi(fl);
		if (err) {
			ks_info("uprobe_multi link failed (%s): one uprobe per probe",
				strerror(-err));
			goto fallback;
		}
	} else {
		err = attach_all(fl);
		if (err)
			goto err_free;
	}
	if (fl->mode == KS_FL_MODE_USDT)
		snprintf(fl->desc, sizeof(fl->desc), "%d USDT probe%s%s in %s (%d uprobes%s)",
			 fl->nnames, fl->nnames == 1 ? "" : "s",
			 fl->pair ? " (begin/end pair)" : "",
			 fl->path, fl->nprobes, fl->multi ? ", uprobe_multi" : "");
	else
		snprintf(fl->desc, sizeof(fl->desc), "%d function%s in %s (%d %s%s)", fl->nnames,
			 fl->nnames == 1 ? "" : "s", fl->path, fl->nprobes,
			 fl->count_only ? "uprobes, counting only" : "uprobes and uretprobes",
			 fl->multi ? ", uprobe_multi" : "");
	for (i = 0; i < fl->npids; i++)
		if (!pid_maps_file(fl->pids[i], fl->path))
			note(fl, "process %u does not map %s (yet): its calls are seen only "
			     "if it loads it", fl->pids[i], fl->path);
	fl->t_last = ks_now_ns();
	free(spec);
	return fl;

fallback:
	detach_multi(fl);
	fl->nprobes = 0;
	funclat_bpf__destroy(fl->skel);
	fl->skel = NULL;
	fl->multi = false;
	goto retry;

err_free:
	free(spec);
	ks_funclat__free(fl);
	errno = -err;
	return NULL;
}

static int cmp_snap(const void *a, const void *b)
{
	const struct ks_fl_key *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool pid_gone(uint32_t pid)
{
	char path[64], *s, *p;
	bool gone;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	s = ks_read_file(path, NULL);
	if (!s)
		return true;
	p = strrchr(s, ')');
	gone = !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
	free(s);
	return gone;
}

bool ks_funclat__done(struct ks_funclat *fl)
{
	int i;

	if (!fl || !fl->npids)
		return false;
	for (i = 0; i < fl->npids; i++)
		if (!pid_gone(fl->pids[i]))
			return false;
	return true;
}

static int add_row(struct ks_funclat_result *res, struct ks_funclat_row **row)
{
	if (ks_grow((void **)&res->rows, &res->cap, res->n + 1, sizeof(*res->rows), 16))
		return -ENOMEM;
	*row = &res->rows[res->n++];
	memset(*row, 0, sizeof(**row));
	return 0;
}

/* cur - prev; the interval's max is exact when it rose, else bounded by its top slot. */
static void hist_delta(struct ks_hist *d, const struct ks_hist *cur, const struct ks_hist *prev)
{
	int i, top = -1, low = -1;

	for (i = 0; i < KS_HIST_SLOTS; i++) {
		d->slots[i] = cur->slots[i] - (prev ? prev->slots[i] : 0);
		if (d->slots[i]) {
			top = i;
			if (low < 0)
				low = i;
		}
	}
	d->count = cur->count - (prev ? prev->count : 0);
	d->sum_ns = cur->sum_ns - (prev ? prev->sum_ns : 0);
	if (!prev || cur->max_ns > prev->max_ns)
		d->max_ns = cur->max_ns;
	else if (top >= 0)
		d->max_ns = ks_hist_slot_hi(top) - 1 < cur->max_ns ?
			    ks_hist_slot_hi(top) - 1 : cur->max_ns;
	/* Likewise the min: exact when it fell, else a lower bound. */
	if (!prev || (cur->min_ns && cur->min_ns < prev->min_ns))
		d->min_ns = cur->min_ns;
	else if (low >= 0)
		d->min_ns = ks_hist_slot_lo(low) > cur->min_ns ? ks_hist_slot_lo(low) : cur->min_ns;
}

int ks_funclat__read(struct ks_funclat *fl, struct ks_funclat_result *res)
{
	int map = bpf_map__fd(fl->skel->maps.stats), ctr = bpf_map__fd(fl->skel->maps.counters);
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct snap *cur = NULL;
	size_t n = 0, cap = 0, i, keep;
	struct ks_fl_key k, nk, *kp = NULL;
	uint64_t *pc;
	__u32 c;

	res->n = 0;
	memset(res->drops, 0, sizeof(res->drops));
	res->t_start_ns = fl->t_last;
	res->t_end_ns = fl->t_last = ks_now_ns();
	while (!bpf_map_get_next_key(map, kp, &nk)) {
		k = nk;
		kp = &k;
		if (ks_grow((void **)&cur, &cap, n + 1, sizeof(*cur), 64)) {
			err = -ENOMEM;
			goto out;
		}
		cur[n].k = k;
		if (!bpf_map_lookup_elem(map, &k, &cur[n].v))
			n++;
	}
	if (n)
		qsort(cur, n, sizeof(*cur), cmp_snap);
	for (i = 0; i < n; i++) {
		const struct snap *p = fl->nprev ? bsearch(&cur[i].k, fl->prev, fl->nprev,
							   sizeof(*fl->prev), cmp_snap) : NULL;
		const struct ks_fl_val *v = &cur[i].v;
		struct ks_funclat_row *row;
		uint64_t calls = v->calls - (p ? p->v.calls : 0);

		if (!calls && v->lat.count == (p ? p->v.lat.count : 0) &&
		    v->unmatched == (p ? p->v.unmatched : 0))
			continue;
		err = add_row(res, &row);
		if (err)
			goto out;
		row->name = cur[i].k.idx < (__u32)fl->nnames ? fl->names[cur[i].k.idx] : "?";
		row->target = fl->path;
		row->pid = cur[i].k.tgid;
		memcpy(row->comm, v->comm, sizeof(row->comm));
		row->comm[sizeof(row->comm) - 1] = 0;
		row->timed = !fl->count_only && (fl->mode == KS_FL_MODE_FUNC || fl->pair);
		row->calls = calls;
		row->unmatched = v->unmatched - (p ? p->v.unmatched : 0);
		row->untimed = v->untimed - (p ? p->v.untimed : 0);
		hist_delta(&row->lat, &v->lat, p ? &p->v.lat : NULL);
	}
	/* Rows of processes that are gone are final: drop them from the kernel. */
	for (i = 0, keep = 0; i < n; i++) {
		if (pid_gone(cur[i].k.tgid)) {
			bpf_map_delete_elem(map, &cur[i].k);
			continue;
		}
		cur[keep++] = cur[i];
	}
	free(fl->prev);
	fl->prev = cur;
	fl->nprev = keep;
	cur = NULL;

	pc = calloc(ncpu > 0 ? ncpu : 1, sizeof(*pc));
	if (!pc) {
		err = -ENOMEM;
		goto out;
	}
	for (c = 0; c < KS_FL_CTR__COUNT; c++) {
		uint64_t sum = 0;
		int cpu;

		if (bpf_map_lookup_elem(ctr, &c, pc))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			sum += pc[cpu];
		res->drops[c] = sum - fl->prev_ctr[c];
		fl->prev_ctr[c] = sum;
	}
	free(pc);
out:
	free(cur);
	return err;
}

const char *ks_funclat__describe(const struct ks_funclat *fl)
{
	return fl ? fl->desc : "";
}

const char *ks_funclat__target(const struct ks_funclat *fl)
{
	return fl ? fl->path : "";
}

const char *ks_funclat__notes(const struct ks_funclat *fl)
{
	return fl ? fl->notes : "";
}

void ks_funclat__free(struct ks_funclat *fl)
{
	int i;

	if (!fl)
		return;
	detach_multi(fl);
	for (i = 0; i < fl->nlinks; i++)
		bpf_link__destroy(fl->links[i]);
	free(fl->links);
	funclat_bpf__destroy(fl->skel);
	for (i = 0; i < fl->nnames; i++)
		free(fl->names[i]);
	free(fl->names);
	free(fl->pts);
	free(fl->prev);
	free(fl);
}

int ks_funclat_result__totals(const struct ks_funclat_result *res, struct ks_funclat_result *out)
{
	struct ks_funclat_row *t;
	size_t i, j;
	int err;

	out->n = 0;
	memcpy(out->drops, res->drops, sizeof(out->drops));
	out->t_start_ns = res->t_start_ns;
	out->t_end_ns = res->t_end_ns;
	for (i = 0; i < res->n; i++) {
		const struct ks_funclat_row *r = &res->rows[i];

		for (j = 0; j < out->n; j++)
			if (!strcmp(out->rows[j].name, r->name))
				break;
		if (j == out->n) {
			err = add_row(out, &t);
			if (err)
				return err;
			t->name = r->name;
			t->target = r->target;
			t->timed = r->timed;
			snprintf(t->comm, sizeof(t->comm), "(all)");
		}
		t = &out->rows[j];
		t->calls += r->calls;
		t->unmatched += r->unmatched;
		t->untimed += r->untimed;
		ks_hist_merge(&t->lat, &r->lat);
	}
	return 0;
}

void ks_funclat_result__free(struct ks_funclat_result *res)
{
	if (!res)
		return;
	free(res->rows);
	res->rows = NULL;
	res->n = res->cap = 0;
}
