/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of the symbolizer (user/syms.c and its helpers): a sorted
 * symbol table shared by the ELF, kallsyms and perf-map loaders, the ELF
 * binary cache, and the demangler.
 */
#ifndef KS_SYMS_INTERNAL_H
#define KS_SYMS_INTERNAL_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ks_syms.h"

/* ---- user/symtab.c: sorted address -> name table ---- */

struct ks_symtab_ent {
	uint64_t addr;
	uint32_t size;		/* 0 after finish(): inferred from the next symbol */
	uint32_t name;		/* offset in strs */
	uint16_t mod;		/* module index (kallsyms), else 0 */
	uint8_t prio;		/* dedup rank: higher wins at the same address */
	uint8_t flags;
};

#define KS_SYMTAB_MANGLED	0x1	/* name starts with _Z: demangle on lookup */

struct ks_symtab {
	struct ks_symtab_ent *ents;
	size_t n, cap;
	char *strs;
	size_t strs_len, strs_cap;
	char **demangled;	/* lazily, per entry (NULL until looked up) */
	uint64_t end;		/* bound for the last symbol (0: none) */
	bool later_wins;	/* same address, same rank: the later entry wins */
	uint32_t max_inferred;	/* cap on sizes inferred from the next symbol (0: none) */
};

void ks_symtab__init(struct ks_symtab *t);
void ks_symtab__release(struct ks_symtab *t);
int ks_symtab__add(struct ks_symtab *t, uint64_t addr, uint64_t size, const char *name,
		   size_t name_len, uint16_t mod, uint8_t prio);
/* Make room for @nsyms more entries and @nbytes more name bytes. */
int ks_symtab__reserve(struct ks_symtab *t, size_t nsyms, size_t nbytes);
/* Sort, drop duplicates (keep the highest prio), infer missing sizes. */
int ks_symtab__finish(struct ks_symtab *t);
/* Entry containing @addr, or NULL. */
const struct ks_symtab_ent *ks_symtab__find(const struct ks_symtab *t, uint64_t addr);
/* Name of @e, demangled if it is a C++ name. */
const char *ks_symtab__name(struct ks_symtab *t, const struct ks_symtab_ent *e);
size_t ks_symtab__memory(const struct ks_symtab *t);

/* ---- user/demangle.c ---- */

/* Demangled C++/Itanium name (malloc'ed), or NULL when not mangled/unavailable. */

/* ---- user/elf_cache.c: one loaded binary ---- */

struct ks_cfi;

struct ks_seg {
	uint64_t vaddr, off, filesz;
};

struct ks_dso {
	char *path;		/* how we open it (may be /proc/PID/root/..., a fd path) */
	char *name;		/* the path as the process sees it (module) */
	int fd;			/* held open for deleted / other-namespace files, else -1 */
	uint8_t build_id[20];
	uint8_t build_id_len;
	bool loaded, load_failed;
	bool cfi_tried;
	bool from_mem;		/* vDSO image copied from memory */
	void *image;		/* from_mem: the ELF bytes */
	size_t image_len;
	char *debug_path;	/* separate debug file used, if any */
	struct ks_seg *segs;	/* PT_LOAD segments */
	int nsegs;
	struct ks_symtab syms;
	struct ks_cfi *cfi;
	Elf *cfi_elf;		/* from_mem: kept open for the CFI */
	int refs;
};

/* Debug root ("/usr/lib/debug" unless KSCOPE_DEBUG_ROOT or the setter says otherwise). */
void ks_dso__set_debug_root(const char *root);
const char *ks_dso__debug_root(void);

/* Read phdrs, build-id and symbols (once). 0 or -errno; sets load_failed. */
int ks_dso__load(struct ks_dso *d);
/* Load just the program headers and build-id (cheap). */
int ks_dso__load_headers(struct ks_dso *d);
/* ELF vaddr for a file offset, via the PT_LOAD segments (false if in none). */
bool ks_dso__off_to_vaddr(const struct ks_dso *d, uint64_t off, uint64_t *vaddr);
/* The CFI of the binary (and its debug file's .debug_frame), loaded once. */
struct ks_cfi *ks_dso__cfi(struct ks_dso *d);
void ks_dso__release(struct ks_dso *d);
size_t ks_dso__memory(const struct ks_dso *d);

/* Build-id of an opened ELF (0 if none). */
int ks_elf_build_id(Elf *elf, uint8_t *id, size_t max);

/* ---- user/ksyms.c ---- */

struct ks_ksyms;
struct ks_ksyms *ks_ksyms__load(const char *path);
void ks_ksyms__free(struct ks_ksyms *k);
/* 0, or -ENOENT. *module is "[kernel]" or "[modname]". */
int ks_ksyms__find(struct ks_ksyms *k, uint64_t addr, const char **name, const char **module,
		   uint64_t *off);
size_t ks_ksyms__memory(const struct ks_ksyms *k);

/* ---- user/perfmap.c: /tmp/perf-PID.map ---- */

/* Load "START SIZE name" lines (hex); -ENOENT if the file does not exist. */
int ks_perfmap__load(struct ks_symtab *t, const char *path);

#endif /* KS_SYMS_INTERNAL_H */
