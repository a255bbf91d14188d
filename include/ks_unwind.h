/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CFI unwinding (the way perf --call-graph dwarf works): parse
 * .eh_frame_hdr/.eh_frame (and .debug_frame) of one ELF file through libelf,
 * then walk a copied user stack from a register snapshot. Knows nothing of
 * processes: the caller maps an address to its module's CFI and load bias.
 * x86_64 only (other machines: ks_cfi__load fails with ENOTSUP, and the
 * caller's find callback returns cfi == NULL, so frame pointers are used).
 * Rationale and measurements: docs/unwinding.md.
 */
#ifndef KS_UNWIND_H
#define KS_UNWIND_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ks_types.h"

struct ks_cfi;

/*
 * Parse the CFI of @elf: only the section headers are read here; the FDE
 * index (needed only when .eh_frame_hdr has no search table) is built on the
 * first lookup. @elf must stay open until ks_cfi__free(): section data is
 * used in place. NULL + errno if none (ENOENT: no CFI section, ENOTSUP: not
 * x86_64, EINVAL: malformed).
 */
struct ks_cfi *ks_cfi__load(Elf *elf);
/*
 * Same, but opens @path itself (ELF_C_READ_MMAP) and owns it: CFI pages are
 * file-backed and shared with the page cache, so the heap cost is the struct
 * and, if any, the FDE index. The symbolizer should prefer this one.
 */
struct ks_cfi *ks_cfi__open(const char *path);
/*
 * Add the .debug_frame of a separate debug file to @cfi (optional; used for
 * addresses that .eh_frame does not cover). The section is copied
 * (decompressed if needed), so @debug_elf may be closed afterwards.
 */
int ks_cfi__add_debug_frame(struct ks_cfi *cfi, Elf *debug_elf);
void ks_cfi__free(struct ks_cfi *cfi);
/* Heap bytes owned by @cfi (struct, FDE index, row cache, copied .debug_frame). */
size_t ks_cfi__memory(const struct ks_cfi *cfi);
/*
 * Rows computed by CFA programs are cached per module, by pc (direct-mapped,
 * default 128 entries of 160 bytes, allocated on first use): profiles hit
 * the same return addresses over and over. 0 disables (for measurements).
 * A ks_cfi is not thread-safe: lookups fill the index and the cache.
 */
void ks_cfi__set_cache(struct ks_cfi *cfi, unsigned int entries);

/*
 * Map a runtime address to the CFI of the module that contains it and the
 * bias to subtract to get an ELF virtual address (runtime - bias = vaddr).
 * Return 0, or -ENOENT if the address is in no known module (*cfi may be
 * NULL when the module has no CFI: frame-pointer rules are used there).
 */
typedef int (*ks_unwind_find_fn)(void *ctx, uint64_t addr, struct ks_cfi **cfi,
				 uint64_t *bias);

/* Why a walk stopped (struct ks_unwind_info.stop). */
enum ks_unwind_stop {
	KS_UNWIND_END = 0,	/* outermost frame: RA undefined or 0 (complete) */
	KS_UNWIND_MAX,		/* @max frames written */
	KS_UNWIND_STACK_SHORT,	/* a read fell outside the copied stack */
	KS_UNWIND_NO_RULE,	/* no CFI and no usable frame pointer */
	KS_UNWIND_LOOP,		/* sp did not increase */
	KS_UNWIND_BAD_CFI,	/* malformed FDE/CIE or expression */
	KS_UNWIND__COUNT,
};

struct ks_unwind_info {
	int stop;		/* enum ks_unwind_stop */
	int fp_frames;		/* frames unwound with frame pointers */
	int cfi_frames;		/* frames unwound with CFI */
	size_t stack_used;	/* bytes of the copy the walk needed (highest read - sp) */
};

const char *ks_unwind_stop_str(int stop);

/*
 * Walk the stack. @stack holds @stack_len bytes copied from regs->sp up.
 * Leaf first into @ips (ips[0] = regs->ip; ips[i > 0] are return addresses,
 * subtract 1 to symbolize the call). *complete is true when the walk reached
 * the outermost frame. Returns the count (>= 1) or -errno (-EINVAL on bad
 * arguments). @info (may be NULL) says why the walk stopped.
 */
int ks_unwind(const struct ks_uregs *regs, const void *stack, size_t stack_len,
	      ks_unwind_find_fn find, void *ctx, uint64_t *ips, int max, bool *complete);
int ks_unwind_ex(const struct ks_uregs *regs, const void *stack, size_t stack_len,
		 ks_unwind_find_fn find, void *ctx, uint64_t *ips, int max,
		 bool *complete, struct ks_unwind_info *info);

/*
 * For tests and fuzzing: CFI from raw section bytes (copied). @hdr may be
 * NULL (then a sorted FDE index is built); vaddrs are the sections' sh_addr.
 */
struct ks_cfi *ks_cfi__from_data(const void *eh_frame, size_t eh_len, uint64_t eh_vaddr,
				 const void *hdr, size_t hdr_len, uint64_t hdr_vaddr);
/* FDE covering ELF vaddr @pc: 0 and its [start, end), or -ENOENT/-EINVAL. */
int ks_cfi__find_fde(struct ks_cfi *cfi, uint64_t pc, uint64_t *start, uint64_t *end);

#endif /* KS_UNWIND_H */
