// SPDX-License-Identifier: GPL-2.0
/*
 * Name -> address for application probes: resolve a probe target (path,
 * program, library name), enumerate its functions (.symtab, .dynsym and the
 * build-id debug file), and parse its USDT notes (.note.stapsdt). The
 * symbolizer (ks_syms.h) answers the other question, address -> name.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <dlfcn.h>
#include <sys/stat.h>

#include "ks_funclat.h"
#include "ks_util.h"

static bool is_file(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISREG(st.st_mode);
}

/* Shell-script shims (pyenv, rbenv) sit in $PATH too: only ELF files count. */
static bool is_elf(const char *p)
{
	char m[4];
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = read(fd, m, 4) == 4 && !memcmp(m, "\177ELF", 4);
	close(fd);
	return ok;
}

/*
 * Does file name @base name library @want? "libc" matches "libc.so.6" and
 * "libc-2.31.so", not "libcap.so.2"; "pthread" matches "libpthread.so.0".
 */
static bool lib_match1(const char *want, const char *base)
{
	size_t n = strlen(want);

	if (!strcmp(want, base))
		return true;
	if (strncmp(want, base, n))
		return false;
	return !strncmp(base + n, ".so", 3) || (base[n] == '-' && strstr(base + n, ".so"));
}

static bool lib_match(const char *want, const char *base)
{
	char buf[NAME_MAX + 4];

	if (lib_match1(want, base))
		return true;
	if (strncmp(want, "lib", 3)) {
		snprintf(buf, sizeof(buf), "lib%s", want);
		return lib_match1(buf, base);
	}
	return false;
}

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int from_maps(const char *want, int pid, char *buf, size_t len)
{
	char path[64], line[PATH_MAX + 128], *p;
	int found = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		p = strchr(line, '/');
		if (!p)
			continue;
		p[strcspn(p, "\n")] = 0;
		if (strstr(p, " (deleted)"))
			continue;
		if (!lib_match(want, base_of(p)))
			continue;
		if (access(p, R_OK))	/* another mount namespace */
			snprintf(buf, len, "/proc/%d/root%s", pid, p);
		else
			snprintf(buf, len, "%s", p);
		found = 0;
		break;
	}
	fclose(f);
	return found;
}

static int from_path_env(const char *want, char *buf, size_t len)
{
	const char *env = getenv("PATH");
	char *dirs, *d, *save = NULL, p[PATH_MAX];
	int ret = -ENOENT;

	if (!env)
		env = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	dirs = strdup(env);
	if (!dirs)
		return -ENOMEM;
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(p, sizeof(p), "%s/%s", d, want);
		if (is_file(p) && !access(p, X_OK) && is_elf(p)) {
			snprintf(buf, len, "%s", p);
			ret = 0;
			break;
		}
	}
	free(dirs);
	return ret;
}

/* "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6" */
static int from_ldconfig(const char *want, char *buf, size_t len)
{
	char line[PATH_MAX + 128], *arrow, *p;
	int ret = -ENOENT;
	FILE *f;

	f = popen("/sbin/ldconfig -p 2>/dev/null", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		arrow = strstr(line, " => ");
		if (!arrow)
			continue;
		p = arrow + 4;
		p[strcspn(p, "\n")] = 0;
#if defined(__x86_64__)
		if (!strstr(line, "x86-64"))
			continue;
#endif
		if (ret && lib_match(want, base_of(p)) && is_file(p)) {
			snprintf(buf, len, "%s", p);
			ret = 0;
		}
	}
	pclose(f);
	return ret;
}

static int from_dirs(const char *want, char *buf, size_t len)
{
	static const char *const dirs[] = {
#if defined(__x86_64__)
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
#elif defined(__aarch64__)
		"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
#endif
		"/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
	};
	struct dirent *e;
	unsigned int i;
	char p[PATH_MAX];
	DIR *d;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		d = opendir(dirs[i]);
		if (!d)
			continue;
		while ((e = readdir(d))) {
			if (!lib_match(want, e->d_name))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dirs[i], e->d_name);
			if (is_file(p)) {
				snprintf(buf, len, "%s", p);
				closedir(d);
				return 0;
			}
		}
		closedir(d);
	}
	return -ENOENT;
}

int ks_resolve_target(const char *target, int pid, char *buf, size_t len)
{
	if (!target || !*target)
		return -ENOENT;
	if (strchr(target, '/')) {
		if (!is_file(target))
			return -ENOENT;
		if (!realpath(target, buf) || strlen(buf) >= len)
			snprintf(buf, len, "%s", target);
		return 0;
	}
	if (pid > 0 && !from_maps(target, pid, buf, len))
		return 0;
	if (!from_path_env(target, buf, len))
		return 0;
	if (!from_ldconfig(target, buf, len))
		return 0;
	return from_dirs(target, buf, len);
}

/* --- ELF --- */

static Elf *elf_open(const char *path, int *fd)
{
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	e = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(*fd);
		*fd = -1;
		errno = ENOEXEC;
		return NULL;
	}
	return e;
}

static void elf_close(Elf *e, int fd)
{
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
}

/* ELF vaddr -> file offset through the PT_LOAD segments; -ERANGE if none holds it. */
static int vaddr_to_off(Elf *e, uint64_t addr, uint64_t *off)
{
	size_t n, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(e, &n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_memsz) {
			*off = addr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ERANGE;
}

static Elf_Scn *find_scn(Elf *e, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *s = NULL;
	size_t shstrndx;
	const char *n;

	if (elf_getshdrstrndx(e, &shstrndx))
		return NULL;
	while ((s = elf_nextscn(e, s))) {
		if (!gelf_getshdr(s, sh))
			continue;
		n = elf_strptr(e, shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return s;
	}
	return NULL;
}

/* /usr/lib/debug/.build-id/ab/cdef....debug, if the build-id note is there. */
static int debug_path(Elf *e, char *buf, size_t len)
{
	Elf_Scn *s = NULL;
	GElf_Shdr sh;

	while ((s = elf_nextscn(e, s))) {
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;
		Elf_Data *d;

		if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(s, NULL);
		if (!d)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			const unsigned char *id = (const unsigned char *)d->d_buf + doff;
			size_t i, p;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + noff, "GNU", 4) || nh.n_descsz < 2)
				continue;
			p = snprintf(buf, len, "/usr/lib/debug/.build-id/%02x/", id[0]);
			for (i = 1; i < nh.n_descsz && p + 3 < len; i++)
				p += snprintf(buf + p, len - p, "%02x", id[i]);
			snprintf(buf + p, len - p, ".debug");
			return 0;
		}
	}
	return -ENOENT;
}

struct funcs {
	struct ks_elf_func *v;
	int n;
	size_t cap;
};

static int add_syms(Elf *sym_elf, Elf *load_elf, struct funcs *fs)
{
	Elf_Scn *s = NULL;
	GElf_Shdr sh;

	while ((s = elf_nextscn(sym_elf, s))) {
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(s, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		d = elf_getdata(s, NULL);
		if (!d || !sh.sh_entsize)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *name;
			int type;
			uint64_t off;

			if (!gelf_getsym(d, i, &sym))
				continue;
			type = GELF_ST_TYPE(sym.st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
			    sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			name = elf_strptr(sym_elf, sh.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			if (vaddr_to_off(load_elf, sym.st_value, &off))
				continue;
			if (ks_grow((void **)&fs->v, &fs->cap, fs->n + 1, sizeof(*fs->v), 256))
				return -ENOMEM;
			fs->v[fs->n].name = strdup(name);
			if (!fs->v[fs->n].name)
				return -ENOMEM;
			fs->v[fs->n].demangled = ks_demangle(name);
			fs->v[fs->n].addr = sym.st_value;
			fs->v[fs->n].off = off;
			fs->v[fs->n].ifunc = type == STT_GNU_IFUNC;
			fs->n++;
		}
	}
	return 0;
}

static int cmp_func(const void *a, const void *b)
{
	const struct ks_elf_func *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int ks_elf_funcs(const char *path, struct ks_elf_func **out)
{
	struct funcs fs = {};
	char dbg[PATH_MAX];
	int fd, dfd = -1, err, i, j;
	Elf *e, *de = NULL;

	e = elf_open(path, &fd);
	if (!e)
		return errno ? -errno : -EINVAL;
	err = add_syms(e, e, &fs);
	if (!err && !debug_path(e, dbg, sizeof(dbg)) && (de = elf_open(dbg, &dfd)))
		err = add_syms(de, e, &fs);
	elf_close(de, dfd);
	elf_close(e, fd);
	if (err) {
		ks_elf_funcs_free(fs.v, fs.n);
		return err;
	}
	if (fs.n)
		qsort(fs.v, fs.n, sizeof(*fs.v), cmp_func);
	for (i = 0, j = 0; i < fs.n; i++) {
		if (j && !cmp_func(&fs.v[j - 1], &fs.v[i])) {
			fs.v[j - 1].ifunc |= fs.v[i].ifunc;
			free(fs.v[i].name);
			free(fs.v[i].demangled);
			continue;
		}
		fs.v[j++] = fs.v[i];
	}
	*out = fs.v;
	return j;
}

void ks_elf_funcs_free(struct ks_elf_func *f, int n)
{
	int i;

	if (!f)
		return;
	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].demangled);
	}
	free(f);
}

/*
 * .note.stapsdt: type 3, owner "stapsdt", desc = pc, base, semaphore
 * (address-sized), then "provider\0name\0args\0". When the file was
 * prelinked, pc and semaphore move by (.stapsdt.base address - base).
 */
int ks_usdt_notes(const char *path, struct ks_usdt_note **out)
{
	struct ks_usdt_note *v = NULL, *t;
	int fd, n = 0, err = 0;
	size_t cap = 0;
	uint64_t base_addr = 0;
	bool have_base;
	Elf_Scn *s;
	GElf_Shdr sh;
	Elf_Data *d;
	size_t off = 0, noff, doff, asz;
	GElf_Nhdr nh;
	Elf *e;

	*out = NULL;
	e = elf_open(path, &fd);
	if (!e)
		return errno ? -errno : -EINVAL;
	asz = gelf_getclass(e) == ELFCLASS32 ? 4 : 8;
	have_base = find_scn(e, ".stapsdt.base", &sh) != NULL;
	if (have_base)
		base_addr = sh.sh_addr;
	s = find_scn(e, ".note.stapsdt", &sh);
	if (!s || sh.sh_type != SHT_NOTE || !(d = elf_getdata(s, NULL)))
		goto out;
	while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
		const char *desc = (const char *)d->d_buf + doff, *p, *end;
		uint64_t a[3] = {};
		int i;

		if (nh.n_type != 3 || nh.n_namesz != 8 ||
		    memcmp((const char *)d->d_buf + noff, "stapsdt", 8) ||
		    nh.n_descsz < 3 * asz + 3)
			continue;
		for (i = 0; i < 3; i++) {
			if (asz == 8) {
				memcpy(&a[i], desc + i * 8, 8);
			} else {
				uint32_t x;

				memcpy(&x, desc + i * 4, 4);
				a[i] = x;
			}
		}
		p = desc + 3 * asz;
		end = desc + nh.n_descsz;
		if (!memchr(p, 0, end - p))
			continue;
		if (ks_grow((void **)&v, &cap, n + 1, sizeof(*v), 16)) {
			err = -ENOMEM;
			goto out;
		}
		t = &v[n];
		memset(t, 0, sizeof(*t));
		t->provider = strdup(p);
		p += strlen(p) + 1;
		t->name = strdup(p < end && memchr(p, 0, end - p) ? p : "");
		if (p < end && memchr(p, 0, end - p))
			p += strlen(p) + 1;
		t->args = strdup(p < end && memchr(p, 0, end - p) ? p : "");
		n++;
		if (!t->provider || !t->name || !t->args) {
			err = -ENOMEM;
			goto out;
		}
		t->pc = a[0];
		t->sem = a[2];
		if (have_base && a[1]) {
			t->pc += base_addr - a[1];
			if (t->sem)
				t->sem += base_addr - a[1];
		}
		if (vaddr_to_off(e, t->pc, &t->pc_off))
			t->pc_off = t->pc;	/* no PT_LOAD (relocatable): best effort */
		if (t->sem && vaddr_to_off(e, t->sem, &t->sem_off))
			t->sem_off = 0;
	}
out:
	elf_close(e, fd);
	if (err) {
		ks_usdt_notes_free(v, n);
		return err;
	}
	*out = v;
	return n;
}

void ks_usdt_notes_free(struct ks_usdt_note *notes, int n)
{
	int i;

	if (!notes)
		return;
	for (i = 0; i < n; i++) {
		free(notes[i].provider);
		free(notes[i].name);
		free(notes[i].args);
	}
	free(notes);
}

int ks_edit_distance(const char *a, const char *b, int cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	int row[128], prev, tmp, best;

	if (la >= ARRAY_SIZE(row) || lb >= ARRAY_SIZE(row))
		return cap;
	if ((int)(la > lb ? la - lb : lb - la) >= cap)
		return cap;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		best = row[0];
		for (j = 1; j <= lb; j++) {
			int sub = prev + (a[i - 1] != b[j - 1]);
			int del = row[j] + 1, ins = row[j - 1] + 1;

			tmp = row[j];
			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			prev = tmp;
			if (row[j] < best)
				best = row[j];
		}
		if (best >= cap)
			return cap;
	}
	return row[lb] < cap ? row[lb] : cap;
}
