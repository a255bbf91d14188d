// SPDX-License-Identifier: GPL-2.0
/*
 * One ELF binary as the symbolizer sees it: PT_LOAD segments (to turn file
 * offsets into ELF virtual addresses), build-id, the function symbols of
 * .symtab and .dynsym -- or of the separate debug file found by build-id or
 * .gnu_debuglink when the binary is stripped -- and, for the unwinder, the
 * CFI. Everything is read on first use and kept as flat arrays.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ks_unwind.h"
#include "syms_internal.h"

static char *debug_root;

void ks_dso__set_debug_root(const char *root)
{
	free(debug_root);
	debug_root = root ? strdup(root) : NULL;
}

const char *ks_dso__debug_root(void)
{
	const char *env;

	if (debug_root)
		return debug_root;
	env = getenv("KSCOPE_DEBUG_ROOT");
	return env && *env ? env : "/usr/lib/debug";
}

static Elf *elf_open_path(const char *path, int *fdp)
{
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		close(fd);
		errno = ENOEXEC;
		return NULL;
	}
	*fdp = fd;
	return elf;
}

static Elf *dso_open(struct ks_dso *d, int *fdp)
{
	char buf[64];

	elf_version(EV_CURRENT);
	*fdp = -1;
	if (d->from_mem)
		return elf_memory(d->image, d->image_len);
	if (d->fd >= 0) {
		snprintf(buf, sizeof(buf), "/proc/self/fd/%d", d->fd);
		return elf_open_path(buf, fdp);
	}
	return elf_open_path(d->path, fdp);
}

static void elf_close(Elf *elf, int fd)
{
	elf_end(elf);
	if (fd >= 0)
		close(fd);
}

/* Section data, decompressed when SHF_COMPRESSED (zlib) or .zdebug (GNU). */
static Elf_Data *section_data(Elf_Scn *scn, const GElf_Shdr *sh, const char *name)
{
	if (sh->sh_flags & SHF_COMPRESSED)
		elf_compress(scn, 0, 0);
	else if (name && !strncmp(name, ".zdebug", 7))
		elf_compress_gnu(scn, 0, 0);
	return elf_getdata(scn, NULL);
}

int ks_elf_build_id(Elf *elf, uint8_t *id, size_t max)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)data->d_buf + noff, "GNU", 4) && nh.n_descsz) {
				size_t n = nh.n_descsz < max ? nh.n_descsz : max;

				memcpy(id, (char *)data->d_buf + doff, n);
				return (int)n;
			}
		}
	}
	return 0;
}

static int read_segments(struct ks_dso *d, Elf *elf, uint64_t *text_end)
{
	size_t n, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return -EINVAL;
	free(d->segs);
	d->segs = calloc(n ? n : 1, sizeof(*d->segs));
	if (!d->segs)
		return -ENOMEM;
	d->nsegs = 0;
	*text_end = 0;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		d->segs[d->nsegs].vaddr = ph.p_vaddr;
		d->segs[d->nsegs].off = ph.p_offset;
		d->segs[d->nsegs].filesz = ph.p_filesz;
		d->nsegs++;
		if ((ph.p_flags & PF_X) && ph.p_vaddr + ph.p_memsz > *text_end)
			*text_end = ph.p_vaddr + ph.p_memsz;
	}
	return 0;
}

int ks_dso__load_headers(struct ks_dso *d)
{
	uint64_t end;
	Elf *elf;
	int fd, err;

	if (d->segs)
		return 0;
	elf = dso_open(d, &fd);
	if (!elf)
		return -errno ? -errno : -ENOENT;
	err = read_segments(d, elf, &end);
	d->syms.end = end;
	if (!err)
		d->build_id_len = ks_elf_build_id(elf, d->build_id, sizeof(d->build_id));
	elf_close(elf, fd);
	return err;
}

bool ks_dso__off_to_vaddr(const struct ks_dso *d, uint64_t off, uint64_t *vaddr)
{
	int i;

	for (i = 0; i < d->nsegs; i++) {
		const struct ks_seg *s = &d->segs[i];

		if (off >= s->off && off < s->off + s->filesz) {
			*vaddr = off - s->off + s->vaddr;
			return true;
		}
	}
	/* bss-only pages or a gap: take the segment below */
	for (i = d->nsegs - 1; i >= 0; i--) {
		if (off >= d->segs[i].off) {
			*vaddr = off - d->segs[i].off + d->segs[i].vaddr;
			return true;
		}
	}
	return false;
}

/* Function symbols of one SHT_SYMTAB/SHT_DYNSYM section. */
static int add_symbols(struct ks_symtab *t, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data, *strdata;
	size_t shnum, i, n;
	Elf_Scn *strscn;
	uint8_t *exec;
	int err = 0;

	data = section_data(scn, sh, NULL);
	if (!data || !sh->sh_entsize || elf_getshdrnum(elf, &shnum))
		return 0;
	/* which sections hold code (for NOTYPE labels) */
	exec = calloc(shnum ? shnum : 1, 1);
	if (!exec)
		return -ENOMEM;
	for (i = 1; i < shnum; i++) {
		GElf_Shdr s;
		Elf_Scn *x = elf_getscn(elf, i);

		if (x && gelf_getshdr(x, &s) && (s.sh_flags & SHF_EXECINSTR))
			exec[i] = 1;
	}
	n = data->d_size / sh->sh_entsize;
	strscn = elf_getscn(elf, sh->sh_link);
	strdata = strscn ? elf_getdata(strscn, NULL) : NULL;
	err = ks_symtab__reserve(t, n, strdata ? strdata->d_size : 0);
	for (i = 1; i < n && !err; i++) {
		GElf_Sym sym;
		const char *name;
		int type, bind;
		uint8_t prio;

		if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF ||
		    sym.st_shndx >= shnum || !sym.st_value)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		bind = GELF_ST_BIND(sym.st_info);
		if (type == STT_FUNC || type == STT_GNU_IFUNC)
			prio = 4;
		else if (type == STT_NOTYPE && exec[sym.st_shndx])
			prio = 0;
		else
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name || name[0] == '$' || !strncmp(name, ".L", 2))
			continue;
		/* at one address: global > weak > local, and not __GI_/_-prefixed aliases */
		if (bind == STB_GLOBAL)
			prio += 3;
		else if (bind == STB_WEAK)
			prio += 2;
		if (name[0] != '_')
			prio += 1;
		err = ks_symtab__add(t, sym.st_value, sym.st_size, name, strlen(name), 0, prio);
	}
	free(exec);
	return err;
}

/* Add .symtab (want_symtab) or .dynsym symbols of @elf; *found says if any section was there. */
static int add_elf_symbols(struct ks_symtab *t, Elf *elf, Elf64_Word type, bool *found)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int err;

	*found = false;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type)
			continue;
		*found = true;
		err = add_symbols(t, elf, scn, &sh);
		if (err)
			return err;
	}
	return 0;
}

static bool debug_file_ok(const char *path, const struct ks_dso *d)
{
	uint8_t id[20];
	bool ok = false;
	Elf *elf;
	int fd, n;

	if (access(path, R_OK))
		return false;
	elf = elf_open_path(path, &fd);
	if (!elf)
		return false;
	n = ks_elf_build_id(elf, id, sizeof(id));
	/* with build-ids on both sides they must agree; else trust the link */
	ok = !d->build_id_len || !n ||
	     (n == d->build_id_len && !memcmp(id, d->build_id, n));
	elf_close(elf, fd);
	return ok;
}

static const char *debuglink(Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".gnu_debuglink"))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_size || !memchr(data->d_buf, 0, data->d_size))
			return NULL;
		return data->d_buf;
	}
	return NULL;
}

/* Separate debug file: build-id directory, then .gnu_debuglink (gdb's order). */
static char *find_debug_file(const struct ks_dso *d, Elf *elf)
{
	const char *root = ks_dso__debug_root(), *link;
	char path[2 * PATH_MAX + 64], dir[PATH_MAX], *slash;
	int n, i;

	if (d->build_id_len > 1) {
		n = snprintf(path, sizeof(path), "%s/.build-id/%02x/", root, d->build_id[0]);
		for (i = 1; i < d->build_id_len && n < (int)sizeof(path) - 8; i++)
			n += snprintf(path + n, sizeof(path) - n, "%02x", d->build_id[i]);
		snprintf(path + n, sizeof(path) - n, ".debug");
		if (debug_file_ok(path, d))
			return strdup(path);
	}
	link = d->from_mem ? NULL : debuglink(elf);
	if (!link || strchr(link, '/'))
		return NULL;
	/* the directory the binary is opened from, and the one the process sees */
	for (i = 0; i < 2; i++) {
		const char *base = i ? d->name : d->path;

		if (!base || !strncmp(base, "/proc/self/fd/", 14))
			continue;
		snprintf(dir, sizeof(dir), "%s", base);
		slash = strrchr(dir, '/');
		if (!slash)
			continue;
		*slash = '\0';
		if (i == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, link);
			if (strcmp(path, d->path) && debug_file_ok(path, d))
				return strdup(path);
			snprintf(path, sizeof(path), "%s/.debug/%s", dir, link);
			if (debug_file_ok(path, d))
				return strdup(path);
		} else {
			snprintf(path, sizeof(path), "%s%s/%s", root, dir, link);
			if (debug_file_ok(path, d))
				return strdup(path);
		}
	}
	return NULL;
}

int ks_dso__load(struct ks_dso *d)
{
	bool have_symtab, have_dynsym;
	uint64_t end = 0;
	Elf *elf, *delf;
	int fd, dfd, err;

	if (d->loaded)
		return 0;
	if (d->load_failed)
		return -ENOENT;
	d->load_failed = true;
	elf = dso_open(d, &fd);
	if (!elf)
		return -ENOENT;
	err = read_segments(d, elf, &end);
	if (err)
		goto out;
	d->syms.end = end;
	d->build_id_len = ks_elf_build_id(elf, d->build_id, sizeof(d->build_id));
	err = add_elf_symbols(&d->syms, elf, SHT_SYMTAB, &have_symtab);
	if (!err)
		err = add_elf_symbols(&d->syms, elf, SHT_DYNSYM, &have_dynsym);
	if (err)
		goto out;
	d->debug_path = find_debug_file(d, elf);
	if (!have_symtab && d->debug_path) {
		delf = elf_open_path(d->debug_path, &dfd);
		if (delf) {
			err = add_elf_symbols(&d->syms, delf, SHT_SYMTAB, &have_symtab);
			elf_close(delf, dfd);
			if (err)
				goto out;
		}
	}
	err = ks_symtab__finish(&d->syms);
	if (!err) {
		d->loaded = true;
		d->load_failed = false;
	}
out:
	elf_close(elf, fd);
	return err;
}

struct ks_cfi *ks_dso__cfi(struct ks_dso *d)
{
	char buf[64];
	Elf *delf;
	int dfd;

	if (d->cfi_tried)
		return d->cfi;
	d->cfi_tried = true;
	ks_dso__load(d);	/* finds the debug file, if any */
	if (d->from_mem) {
		elf_version(EV_CURRENT);
		d->cfi_elf = elf_memory(d->image, d->image_len);
		d->cfi = d->cfi_elf ? ks_cfi__load(d->cfi_elf) : NULL;
	} else if (d->fd >= 0) {
		snprintf(buf, sizeof(buf), "/proc/self/fd/%d", d->fd);
		d->cfi = ks_cfi__open(buf);
	} else {
		d->cfi = ks_cfi__open(d->path);
	}
	if (d->cfi && d->debug_path) {
		delf = elf_open_path(d->debug_path, &dfd);
		if (delf) {
			ks_cfi__add_debug_frame(d->cfi, delf);
			elf_close(delf, dfd);
		}
	}
	return d->cfi;
}

void ks_dso__release(struct ks_dso *d)
{
	ks_cfi__free(d->cfi);
	if (d->cfi_elf)
		elf_end(d->cfi_elf);
	ks_symtab__release(&d->syms);
	if (d->fd >= 0)
		close(d->fd);
	free(d->image);
	free(d->segs);
	free(d->debug_path);
	free(d->path);
	free(d->name);
}

size_t ks_dso__memory(const struct ks_dso *d)
{
	size_t m = sizeof(*d) + ks_symtab__memory(&d->syms) + d->nsegs * sizeof(*d->segs);

	m += d->image_len;
	if (d->path)
		m += strlen(d->path) + 1;
	if (d->name)
		m += strlen(d->name) + 1;
	if (d->cfi)
		m += ks_cfi__memory(d->cfi);
	return m;
}
