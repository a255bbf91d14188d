// SPDX-License-Identifier: GPL-2.0
/*
 * The symbolizer: per-process snapshots of the executable mappings (taken
 * by ks_symbolizer__add_pid while the process lives), a cache of binaries
 * (struct ks_dso, one per build-id, else per dev+inode, shared by every
 * process that maps it, symbols loaded on first lookup), kallsyms, perf
 * maps for JIT code, and the glue that gives the CFI unwinder a module's
 * CFI and load bias for a runtime address.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include "ks_profile.h"
#include "ks_syms.h"
#include "ks_unwind.h"
#include "ks_util.h"
#include "syms_internal.h"

#define PROC_BUCKETS	1024
#define FILE_BUCKETS	1024

/* One executable mapping of a process. */
struct ks_map {
	uint64_t start, end, pgoff;
	struct ks_dso *dso;	/* NULL: anonymous or pseudo mapping */
	const char *name;	/* pseudo mappings ("[heap]", "[anon:x]"); NULL if anonymous */
};

struct ks_proc {
	int pid;
	struct ks_map *maps;
	int nmaps;
	char *pseudo;		/* names of pseudo mappings, NUL-separated */
	size_t pseudo_len;
	struct ks_symtab jit;
	bool jit_tried;
	bool other_ns;
	struct ks_proc *next;
};

/* dev+inode -> binary (several files may share one dso by build-id) */
struct ks_file {
	uint64_t dev, ino;
	struct ks_dso *dso;
	struct ks_file *next;
};

/* path -> binary, for ks_symbolizer__file() */
struct ks_pathent {
	char *path;
	struct ks_dso *dso;
	struct ks_pathent *next;
};

#define GONE_SLOTS	256	/* pids whose /proc/PID/maps could not be read */
#define GONE_NS		2000000000ULL	/* ... not tried again for 2 s */
#define KCACHE_SLOTS	4096	/* kernel addresses named lately */

/* A kernel address and what kallsyms said about it. */
struct kcache_ent {
	uint64_t addr;
	const char *name, *mod;
	uint64_t off;
};

struct ks_symbolizer {
	struct ks_proc *procs[PROC_BUCKETS];
	/*
	 * Exited processes: every frame of every stack they left would
	 * otherwise open /proc/PID/maps again (~100 failed opens a second
	 * when recording a busy machine).
	 */
	struct {
		int pid;
		uint64_t until_ns;
	} gone[GONE_SLOTS];
	/* direct-mapped: the same kernel frames come back every interval */
	struct kcache_ent *kcache;
	struct ks_file *files[FILE_BUCKETS];
	struct ks_dso **dsos;
	size_t ndsos, dsos_cap;
	struct ks_pathent *paths;
	struct ks_dso *vdso;		/* our own vDSO image (same kernel, same image) */
	bool vdso_tried;
	struct ks_ksyms *ksyms;
	bool ksyms_tried;
	char self_mntns[64];
	struct ks_proc *last;		/* lookups come in runs of one pid */
	size_t nfiles;
};

struct ks_symbolizer *ks_symbolizer__new(void)
{
	struct ks_symbolizer *s = calloc(1, sizeof(*s));
	ssize_t n;

	if (!s)
		return NULL;
	elf_version(EV_CURRENT);
	n = readlink("/proc/self/ns/mnt", s->self_mntns, sizeof(s->self_mntns) - 1);
	if (n > 0)
		s->self_mntns[n] = '\0';
	return s;
}

static void proc_free(struct ks_proc *p)
{
	if (!p)
		return;
	free(p->maps);
	free(p->pseudo);
	ks_symtab__release(&p->jit);
	free(p);
}

void ks_symbolizer__free(struct ks_symbolizer *s)
{
	struct ks_pathent *pe, *pn;
	struct ks_proc *p, *pnext;
	struct ks_file *f, *fn;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < PROC_BUCKETS; i++)
		for (p = s->procs[i]; p; p = pnext) {
			pnext = p->next;
			proc_free(p);
		}
	for (i = 0; i < FILE_BUCKETS; i++)
		for (f = s->files[i]; f; f = fn) {
			fn = f->next;
			free(f);
		}
	for (pe = s->paths; pe; pe = pn) {
		pn = pe->next;
		free(pe->path);
		free(pe);
	}
	for (i = 0; i < s->ndsos; i++) {
		ks_dso__release(s->dsos[i]);
		free(s->dsos[i]);
	}
	free(s->dsos);
	ks_ksyms__free(s->ksyms);
	free(s->kcache);
	free(s);
}

int ks_symbolizer__set_debug_root(struct ks_symbolizer *s, const char *dir)
{
	ks_dso__set_debug_root(dir);
	return 0;
}

/* ---- binaries ---- */

static struct ks_dso *dso_new(struct ks_symbolizer *s, const char *path, const char *name,
			      int fd)
{
	struct ks_dso *d;

	if (ks_grow((void **)&s->dsos, &s->dsos_cap, s->ndsos + 1, sizeof(*s->dsos), 64))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->fd = fd;
	d->path = path ? strdup(path) : NULL;
	d->name = strdup(name);
	if ((path && !d->path) || !d->name) {
		free(d->path);
		free(d->name);
		free(d);
		return NULL;
	}
	s->dsos[s->ndsos++] = d;
	return d;
}

/* A binary with the same build-id already known: share its tables. */
static struct ks_dso *dso_by_build_id(struct ks_symbolizer *s, const struct ks_dso *d)
{
	size_t i;

	if (!d->build_id_len)
		return NULL;
	for (i = 0; i < s->ndsos; i++) {
		struct ks_dso *o = s->dsos[i];

		if (o != d && o->build_id_len == d->build_id_len && !o->from_mem &&
		    !memcmp(o->build_id, d->build_id, d->build_id_len))
			return o;
	}
	return NULL;
}

/* Drop the most recently created dso (a duplicate by build-id). */
static void dso_drop_last(struct ks_symbolizer *s, struct ks_dso *d)
{
	if (s->ndsos && s->dsos[s->ndsos - 1] == d) {
		s->ndsos--;
		ks_dso__release(d);
		free(d);
	}
}

static bool same_inode(const char *path, uint64_t ino)
{
	struct stat st;

	return !stat(path, &st) && (uint64_t)st.st_ino == ino;
}

/*
 * How to open the file a process maps as @name: its own path when we see
 * the same inode there; else through /proc/PID/root (other mount namespace)
 * or /proc/PID/map_files (deleted or replaced), holding a descriptor so that
 * it still opens after the process exits.
 */
static struct ks_dso *dso_for_mapping(struct ks_symbolizer *s, struct ks_proc *p,
				      const char *name, bool deleted, uint64_t ino,
				      uint64_t start, uint64_t end)
{
	char path[PATH_MAX + 64];
	struct ks_dso *d, *o;
	int fd = -1;

	if (!deleted && !p->other_ns && same_inode(name, ino)) {
		d = dso_new(s, name, name, -1);
	} else {
		if (!deleted) {
			snprintf(path, sizeof(path), "/proc/%d/root%s", p->pid, name);
			if (same_inode(path, ino))
				fd = open(path, O_RDONLY | O_CLOEXEC);
		}
		if (fd < 0) {
			snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", p->pid,
				 (unsigned long)start, (unsigned long)end);
			fd = open(path, O_RDONLY | O_CLOEXEC);
		}
		if (fd >= 0) {
			d = dso_new(s, NULL, name, fd);
		} else {
			/* best effort: the path itself (may be another file by now) */
			d = dso_new(s, name, name, -1);
		}
	}
	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (ks_dso__load_headers(d) == 0 && (o = dso_by_build_id(s, d))) {
		dso_drop_last(s, d);
		return o;
	}
	return d;
}

static struct ks_dso *file_lookup(struct ks_symbolizer *s, uint64_t dev, uint64_t ino)
{
	struct ks_file *f;

	for (f = s->files[(dev * 31 + ino) % FILE_BUCKETS]; f; f = f->next)
		if (f->dev == dev && f->ino == ino)
			return f->dso;
	return NULL;
}

static int file_insert(struct ks_symbolizer *s, uint64_t dev, uint64_t ino, struct ks_dso *d)
{
	struct ks_file *f = calloc(1, sizeof(*f));
	size_t b = (dev * 31 + ino) % FILE_BUCKETS;

	if (!f)
		return -ENOMEM;
	f->dev = dev;
	f->ino = ino;
	f->dso = d;
	f->next = s->files[b];
	s->files[b] = f;
	s->nfiles++;
	return 0;
}

/* The vDSO: every process of this kernel maps the same image as we do. */
static struct ks_dso *vdso_self(struct ks_symbolizer *s)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	unsigned long start, end;
	char line[512];
	FILE *f;

	if (s->vdso_tried)
		return s->vdso;
	s->vdso_tried = true;
	if (!base)
		return NULL;
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "[vdso]") || sscanf(line, "%lx-%lx", &start, &end) != 2)
			continue;
		if (start != base)
			continue;
		s->vdso = dso_new(s, NULL, "[vdso]", -1);
		if (!s->vdso)
			break;
		s->vdso->image = malloc(end - start);
		if (!s->vdso->image)
			break;
		memcpy(s->vdso->image, (void *)start, end - start);
		s->vdso->image_len = end - start;
		s->vdso->from_mem = true;
		break;
	}
	fclose(f);
	if (s->vdso && !s->vdso->image) {
		dso_drop_last(s, s->vdso);
		s->vdso = NULL;
	}
	return s->vdso;
}

/* Another process's vDSO that differs from ours (32-bit, other kernel image): copy it. */
static struct ks_dso *vdso_of(struct ks_symbolizer *s, int pid, uint64_t start, uint64_t end)
{
	struct ks_dso *v = vdso_self(s), *d;
	char path[64];
	void *buf;
	int fd;

	if (v && v->image_len == end - start)
		return v;
	if (end - start > (1 << 20))
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(end - start);
	if (!buf || pread(fd, buf, end - start, start) != (ssize_t)(end - start)) {
		free(buf);
		close(fd);
		return NULL;
	}
	close(fd);
	d = dso_new(s, NULL, "[vdso]", -1);
	if (!d) {
		free(buf);
		return NULL;
	}
	d->image = buf;
	d->image_len = end - start;
	d->from_mem = true;
	return d;
}

/* ---- processes ---- */

static struct ks_proc *proc_find(struct ks_symbolizer *s, int pid)
{
	struct ks_proc *p;

	if (s->last && s->last->pid == pid)
		return s->last;
	for (p = s->procs[(unsigned int)pid % PROC_BUCKETS]; p; p = p->next)
		if (p->pid == pid)
			return s->last = p;
	return NULL;
}

static void proc_unlink(struct ks_symbolizer *s, int pid)
{
	struct ks_proc **pp = &s->procs[(unsigned int)pid % PROC_BUCKETS], *p;

	for (; (p = *pp); pp = &p->next) {
		if (p->pid == pid) {
			*pp = p->next;
			if (s->last == p)
				s->last = NULL;
			proc_free(p);
			return;
		}
	}
}

static int add_pseudo(struct ks_proc *p, const char *name, const char **out)
{
	size_t len = strlen(name) + 1;
	char *n = realloc(p->pseudo, p->pseudo_len + len);

	if (!n)
		return -ENOMEM;
	p->pseudo = n;
	memcpy(n + p->pseudo_len, name, len);
	/* store the offset for now; pointers are fixed once the buffer is final */
	*out = (const char *)(uintptr_t)(p->pseudo_len + 1);
	p->pseudo_len += len;
	return 0;
}

static int parse_maps(struct ks_symbolizer *s, struct ks_proc *p, FILE *f)
{
	char *line = NULL;
	size_t cap = 0, mcap = 0;
	int err = 0, i;

	while (getline(&line, &cap, f) > 0) {
		unsigned long start, end, pgoff, ino;
		unsigned int maj, min;
		char perms[8], *name;
		struct ks_map *m;
		int pos = 0;
		size_t len;
		bool deleted = false;

		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &start, &end, perms, &pgoff,
			   &maj, &min, &ino, &pos) < 7 || !pos)
			continue;
		if (perms[2] != 'x')
			continue;
		name = line + pos;
		len = strcspn(name, "\n");
		name[len] = '\0';
		if (len > 10 && !strcmp(name + len - 10, " (deleted)")) {
			name[len - 10] = '\0';
			deleted = true;
		}
		if (p->nmaps == (int)mcap) {
			size_t nc = mcap ? mcap * 2 : 32;
			void *q = realloc(p->maps, nc * sizeof(*p->maps));

			if (!q) {
				err = -ENOMEM;
				break;
			}
			p->maps = q;
			mcap = nc;
		}
		m = &p->maps[p->nmaps];
		memset(m, 0, sizeof(*m));
		m->start = start;
		m->end = end;
		m->pgoff = pgoff;
		if (ino && name[0] == '/') {
			uint64_t dev = makedev(maj, min);	/* as stat() reports it */

			m->dso = file_lookup(s, dev, ino);
			if (!m->dso) {
				m->dso = dso_for_mapping(s, p, name, deleted, ino, start, end);
				if (m->dso && file_insert(s, dev, ino, m->dso)) {
					err = -ENOMEM;
					break;
				}
			}
		} else if (!strcmp(name, "[vdso]")) {
			m->dso = vdso_of(s, p->pid, start, end);
			m->pgoff = 0;
		}
		if (!m->dso && name[0] && (err = add_pseudo(p, name, &m->name)))
			break;
		p->nmaps++;
	}
	free(line);
	/* offsets (+1) into the pseudo-name buffer become pointers */
	for (i = 0; i < p->nmaps; i++)
		if (p->maps[i].name)
			p->maps[i].name = p->pseudo + ((uintptr_t)p->maps[i].name - 1);
	return err;
}

int ks_symbolizer__add_pid(struct ks_symbolizer *s, int pid, bool refresh)
{
	char path[64], ns[64];
	struct ks_proc *p;
	size_t b;
	ssize_t n;
	FILE *f;
	int err;

	if (!s || pid <= 0)
		return -EINVAL;
	if (proc_find(s, pid)) {
		if (!refresh)
			return 0;
	}
	b = (unsigned int)pid % GONE_SLOTS;
	if (s->gone[b].pid == pid && ks_now_ns() < s->gone[b].until_ns)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f) {
		err = -errno;	/* keep the old snapshot, if any */
		if (err == -ENOENT || err == -ESRCH) {
			s->gone[b].pid = pid;
			s->gone[b].until_ns = ks_now_ns() + GONE_NS;
		}
		return err;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		fclose(f);
		return -ENOMEM;
	}
	p->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	n = readlink(path, ns, sizeof(ns) - 1);
	if (n > 0) {
		ns[n] = '\0';
		p->other_ns = s->self_mntns[0] && strcmp(ns, s->self_mntns);
	}
	err = parse_maps(s, p, f);
	fclose(f);
	if (err) {
		proc_free(p);
		return err;
	}
	/* maps are sorted by address already, as the kernel lists them */
	proc_unlink(s, pid);
	b = (unsigned int)pid % PROC_BUCKETS;
	p->next = s->procs[b];
	s->procs[b] = p;
	s->last = p;
	return 0;
}

void ks_symbolizer__drop_pid(struct ks_symbolizer *s, int pid)
{
	if (s)
		proc_unlink(s, pid);
}

static const struct ks_map *map_find(const struct ks_proc *p, uint64_t addr)
{
	int lo = 0, hi = p->nmaps;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		const struct ks_map *m = &p->maps[mid];

		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

/* perf-PID.map: in our /tmp, or in the process's own /tmp under its namespace pid. */
static void jit_load(struct ks_proc *p)
{
	char path[PATH_MAX], *status, *ns;
	int nspid = p->pid;

	p->jit_tried = true;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", p->pid);
	if (ks_perfmap__load(&p->jit, path) != -ENOENT)
		return;
	snprintf(path, sizeof(path), "/proc/%d/status", p->pid);
	status = ks_read_file(path, NULL);
	if (status && (ns = strstr(status, "NSpid:"))) {
		char *eol = strchr(ns, '\n'), *last = NULL, *q;

		if (eol)
			*eol = '\0';
		for (q = ns + 6; *q; q++)
			if ((*q == '\t' || *q == ' ') && q[1] && q[1] != '\t' && q[1] != ' ')
				last = q + 1;
		if (last)
			nspid = atoi(last);
	}
	free(status);
	snprintf(path, sizeof(path), "/proc/%d/root/tmp/perf-%d.map", p->pid, nspid);
	ks_perfmap__load(&p->jit, path);
}

static int sym_from_dso(struct ks_dso *d, uint64_t off, struct ks_sym *out)
{
	const struct ks_symtab_ent *e;
	uint64_t vaddr;

	out->module = d->name;
	out->file_off = off;
	out->kind = KS_FRAME_USER;
	out->name = NULL;
	out->sym_off = 0;
	if (ks_dso__load(d) || !ks_dso__off_to_vaddr(d, off, &vaddr))
		return 0;
	e = ks_symtab__find(&d->syms, vaddr);
	if (e) {
		out->name = ks_symtab__name(&d->syms, e);
		out->sym_off = vaddr - e->addr;
	}
	return 0;
}

int ks_symbolizer__user(struct ks_symbolizer *s, int pid, uint64_t addr, struct ks_sym *out)
{
	const struct ks_symtab_ent *e;
	const struct ks_map *m;
	struct ks_proc *p;

	memset(out, 0, sizeof(*out));
	out->kind = KS_FRAME_UNKNOWN;
	p = proc_find(s, pid);
	if (!p) {
		if (ks_symbolizer__add_pid(s, pid, false))
			return -ENOENT;
		p = proc_find(s, pid);
		if (!p)
			return -ENOENT;
	}
	m = map_find(p, addr);
	if (m && m->dso)
		return sym_from_dso(m->dso, addr - m->start + m->pgoff, out);
	/* anonymous executable memory, or mapped after the snapshot: JIT code? */
	if (!p->jit_tried)
		jit_load(p);
	e = ks_symtab__find(&p->jit, addr);
	if (e) {
		out->name = ks_symtab__name(&p->jit, e);
		out->module = "[jit]";
		out->sym_off = addr - e->addr;
		out->file_off = addr;
		out->kind = KS_FRAME_JIT;
		return 0;
	}
	if (m && m->name) {
		out->module = m->name;
		out->file_off = addr - m->start;
		out->kind = KS_FRAME_USER;
		return 0;
	}
	return -ENOENT;
}

int ks_symbolizer__file(struct ks_symbolizer *s, const char *path, uint64_t vaddr,
			struct ks_sym *out)
{
	const struct ks_symtab_ent *e;
	struct ks_pathent *pe;
	struct ks_dso *d = NULL;
	struct stat st;
	int i;

	memset(out, 0, sizeof(*out));
	out->kind = KS_FRAME_UNKNOWN;
	for (pe = s->paths; pe; pe = pe->next)
		if (!strcmp(pe->path, path)) {
			d = pe->dso;
			break;
		}
	if (!pe) {
		if (stat(path, &st))
			return -errno;
		d = file_lookup(s, st.st_dev, st.st_ino);
		if (!d) {
			d = dso_new(s, path, path, -1);
			if (!d)
				return -ENOMEM;
			if (file_insert(s, st.st_dev, st.st_ino, d))
				return -ENOMEM;
		}
		pe = calloc(1, sizeof(*pe));
		if (!pe || !(pe->path = strdup(path))) {
			free(pe);
			return -ENOMEM;
		}
		pe->dso = d;
		pe->next = s->paths;
		s->paths = pe;
	}
	if (ks_dso__load(d))
		return -ENOENT;
	out->module = d->name;
	out->kind = KS_FRAME_USER;
	out->file_off = vaddr;
	for (i = 0; i < d->nsegs; i++)
		if (vaddr >= d->segs[i].vaddr && vaddr < d->segs[i].vaddr + d->segs[i].filesz)
			out->file_off = vaddr - d->segs[i].vaddr + d->segs[i].off;
	e = ks_symtab__find(&d->syms, vaddr);
	if (e) {
		out->name = ks_symtab__name(&d->syms, e);
		out->sym_off = vaddr - e->addr;
	}
	return 0;
}

int ks_symbolizer__kernel(struct ks_symbolizer *s, uint64_t addr, struct ks_sym *out)
{
	const char *name, *mod;
	uint64_t off;

	struct kcache_ent *e;

	memset(out, 0, sizeof(*out));
	out->kind = KS_FRAME_KERNEL;
	if (!s->ksyms_tried) {
		s->ksyms_tried = true;
		s->ksyms = ks_ksyms__load(NULL);
		s->kcache = calloc(KCACHE_SLOTS, sizeof(*s->kcache));
	}
	if (!s->ksyms)
		return -ENOENT;
	e = s->kcache ? &s->kcache[(addr ^ addr >> 12) % KCACHE_SLOTS] : NULL;
	if (e && e->addr == addr && e->name) {
		name = e->name;
		mod = e->mod;
		off = e->off;
	} else {
		if (ks_ksyms__find(s->ksyms, addr, &name, &mod, &off))
			return -ENOENT;
		if (e)
			*e = (struct kcache_ent){ addr, name, mod, off };
	}
	out->name = name;
	out->module = mod;
	out->sym_off = off;
	out->file_off = off;
	return 0;
}

/* ---- unwinding ---- */

static int unwind_find(void *ctx, uint64_t addr, struct ks_cfi **cfi, uint64_t *bias)
{
	struct ks_proc *p = ctx;
	const struct ks_map *m = map_find(p, addr);
	uint64_t off, vaddr;

	*cfi = NULL;
	*bias = 0;
	if (!m)
		return -ENOENT;
	if (!m->dso)
		return 0;	/* JIT or anonymous code: frame pointers */
	if (ks_dso__load_headers(m->dso))
		return 0;
	off = addr - m->start + m->pgoff;
	if (!ks_dso__off_to_vaddr(m->dso, off, &vaddr))
		return 0;
	*bias = addr - vaddr;
	*cfi = ks_dso__cfi(m->dso);
	return 0;
}

int ks_symbolizer__unwind(struct ks_symbolizer *s, int pid, const struct ks_uregs *regs,
			  const void *stack, size_t stack_len, uint64_t *ips, int max,
			  bool *complete)
{
	struct ks_proc *p;

	if (complete)
		*complete = false;
	if (!s || !regs || max <= 0)
		return -EINVAL;
	p = proc_find(s, pid);
	if (!p) {
		int err = ks_symbolizer__add_pid(s, pid, false);

		if (err)
			return err;
		p = proc_find(s, pid);
		if (!p)
			return -ESRCH;
	}
	return ks_unwind(regs, stack, stack_len, unwind_find, p, ips, max, complete);
}

/* ---- output ---- */

const char *ks_sym_format(const struct ks_sym *sym, char *buf, size_t len)
{
	if (!len)
		return buf;
	if (sym && sym->name) {
		size_t n = strnlen(sym->name, len - 1);	/* every frame of every stack */

		memcpy(buf, sym->name, n);
		buf[n] = 0;
	} else if (sym && sym->module) {
		ks_module_off_name(buf, len, sym->module, sym->file_off);
	} else {
		snprintf(buf, len, "[unknown]");
	}
	return buf;
}

size_t ks_symbolizer__memory(const struct ks_symbolizer *s)
{
	const struct ks_proc *p;
	size_t m, i;

	if (!s)
		return 0;
	m = sizeof(*s) + s->dsos_cap * sizeof(*s->dsos) + s->nfiles * sizeof(struct ks_file);
	for (i = 0; i < s->ndsos; i++)
		m += ks_dso__memory(s->dsos[i]);
	for (i = 0; i < PROC_BUCKETS; i++)
		for (p = s->procs[i]; p; p = p->next)
			m += sizeof(*p) + p->nmaps * sizeof(*p->maps) + p->pseudo_len +
			     ks_symtab__memory(&p->jit);
	if (s->ksyms)
		m += ks_ksyms__memory(s->ksyms) + KCACHE_SLOTS * sizeof(*s->kcache);
	return m;
}
