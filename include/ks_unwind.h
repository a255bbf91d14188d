/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CFI unwinding (the way perf --call-graph dwarf works): parse
 * .eh_frame_hdr/.eh_frame (and .debug_frame) of one ELF file through libelf,
 * then walk a copied user stack from a register snapshot. Knows nothing of
 * processes: the caller maps an address to its module's CFI and load bias.
 */
#ifndef KS_UNWIND_H
#define KS_UNWIND_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ks_types.h"

struct ks_cfi;

/* Parse the CFI of @elf (loaded lazily on first lookup is fine). NULL + errno if none. */
struct ks_cfi *ks_cfi__load(Elf *elf);
/* Add the .debug_frame of a separate debug file to @cfi (optional). */
int ks_cfi__add_debug_frame(struct ks_cfi *cfi, Elf *debug_elf);
void ks_cfi__free(struct ks_cfi *cfi);
size_t ks_cfi__memory(const struct ks_cfi *cfi);

/*
 * Map a runtime address to the CFI of the module that contains it and the
 * bias to subtract to get an ELF virtual address (runtime - bias = vaddr).
 * Return 0, or -ENOENT if the address is in no known module (*cfi may be
 * NULL when the module has no CFI: frame-pointer rules are used there).
 */
typedef int (*ks_unwind_find_fn)(void *ctx, uint64_t addr, struct ks_cfi **cfi,
				 uint64_t *bias);

/*
 * Walk the stack. @stack holds @stack_len bytes copied from regs->sp up.
 * Leaf first into @ips (ips[0] = regs->ip). Returns the count (>= 1) or -errno.
 */
int ks_unwind(const struct ks_uregs *regs, const void *stack, size_t stack_len,
	      ks_unwind_find_fn find, void *ctx, uint64_t *ips, int max, bool *complete);

#endif /* KS_UNWIND_H */
