/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Symbolization: kernel (kallsyms, modules) and user (ELF .symtab/.dynsym,
 * build-id and .gnu_debuglink debug files, compressed sections, perf-PID.map
 * JIT maps, /proc/PID/root for other mount namespaces, /proc/PID/map_files
 * for deleted binaries). One symbol table per binary (by build-id, else
 * dev+inode), shared by every process mapping it, loaded lazily.
 */
#ifndef KS_SYMS_H
#define KS_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ks_types.h"

struct ks_symbolizer;

struct ks_sym {
	const char *name;	/* demangled symbol, NULL if unnamed; owned by the symbolizer */
	/*
	 * The binary's full path as the process sees it, "[vdso]", "[jit]"
	 * (perf map), a pseudo mapping ("[heap]", "[anon:x]"), "[kernel]" or a
	 * kernel module "[modname]" / "[bpf]"; NULL if unknown.
	 */
	const char *module;
	uint64_t sym_off;	/* addr - symbol start */
	uint64_t file_off;	/* addr as an offset in module's file (for "bin+0xoff") */
	uint8_t kind;		/* enum ks_frame_kind (ks_profile.h) */
};

struct ks_symbolizer *ks_symbolizer__new(void);
void ks_symbolizer__free(struct ks_symbolizer *s);

/*
 * Snapshot the executable mappings of /proc/PID/maps now, while the process
 * lives, so that it still resolves after it exits: binaries that the
 * process's path does not name here (deleted or replaced, other mount
 * namespace) are opened now through /proc/PID/map_files or /proc/PID/root
 * and held open. Symbol tables are still read on first lookup. Cheap if
 * already known; re-reads (and re-reads /tmp/perf-PID.map) when @refresh.
 * ks_symbolizer__user/__unwind on an unknown pid take the snapshot then.
 */
int ks_symbolizer__add_pid(struct ks_symbolizer *s, int pid, bool refresh);
void ks_symbolizer__drop_pid(struct ks_symbolizer *s, int pid);

/*
 * 0 on success (out->name may still be NULL: mapping known, no symbol);
 * -ENOENT when not even the mapping is known ("[unknown]"). Addresses in no
 * file mapping are looked up in the process's perf map (kind KS_FRAME_JIT).
 * Return addresses should be looked up as addr - 1 (the call).
 */
int ks_symbolizer__user(struct ks_symbolizer *s, int pid, uint64_t addr, struct ks_sym *out);
int ks_symbolizer__kernel(struct ks_symbolizer *s, uint64_t addr, struct ks_sym *out);
/*
 * Look up an ELF virtual address (as nm and addr2line print them) in the
 * binary at @path, without a process. 0, or -errno when it cannot be read.
 */
int ks_symbolizer__file(struct ks_symbolizer *s, const char *path, uint64_t vaddr,
			struct ks_sym *out);
/*
 * Where separate debug files live (.build-id/xx/rest.debug, and the
 * .gnu_debuglink fallback <root>/<dir>/<link>). Default: $KSCOPE_DEBUG_ROOT,
 * else /usr/lib/debug. Process-wide; NULL restores the default.
 */
int ks_symbolizer__set_debug_root(struct ks_symbolizer *s, const char *dir);

/*
 * Unwind a user stack snapshot (registers + copy of the stack from sp up)
 * with the CFI (.eh_frame/.debug_frame) of the binaries mapped by @pid,
 * falling back to frame pointers in frames without CFI. Writes up to @max
 * return addresses, leaf first, into @ips; *complete is set when the walk
 * ended at the thread's entry (return address undefined per CFI, or _start /
 * clone / start_thread). Returns the number of ips, or -errno.
 */
int ks_symbolizer__unwind(struct ks_symbolizer *s, int pid, const struct ks_uregs *regs,
			  const void *stack, size_t stack_len, uint64_t *ips, int max,
			  bool *complete);

/* Format a frame name the way every view prints it: "sym", "bin+0xoff", "[unknown]". */
const char *ks_sym_format(const struct ks_sym *sym, char *buf, size_t len);

/* C++ (Itanium) demangling; malloc'ed result or NULL when not mangled/unknown. */
char *ks_demangle(const char *name);

/* Bytes held by symbol tables and maps (printed with -v). */
size_t ks_symbolizer__memory(const struct ks_symbolizer *s);

#endif /* KS_SYMS_H */
