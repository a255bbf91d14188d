// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: DWARF CFI unwinder (user/unwind.c).
 *
 * The convincing ones are in-process: a chain of noinline functions captures
 * its own rip/rsp/rbp and copies 8 KiB of its stack, exactly what the BPF
 * side sends, then the unwinder walks that copy with the CFI of this
 * executable, libc and libcmocka (modules found with dl_iterate_phdr), and the
 * return addresses are checked against the functions' symbol ranges.
 * The project CFLAGS have -fno-omit-frame-pointer, so the chains that must
 * not have frame pointers say so with optimize("omit-frame-pointer") (checked
 * by chain__omit_fp__really_no_frame_pointer below); Debian's libc has none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <dlfcn.h>
#include <link.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <libelf.h>
#include <gelf.h>
#include <cmocka.h>

#include "ks_unwind.h"

#define MAXF		128
#define NOIPA		__attribute__((noipa))
#define OMIT_FP		__attribute__((noipa, optimize("omit-frame-pointer")))

/* ---- modules of this process, the find callback ---- */

struct mod {
	uint64_t lo, hi, bias;
	struct ks_cfi *cfi;
	char path[256];
};

static struct mod mods[64];
static int nmods;
static uint64_t stack_top;	/* end of [stack] in /proc/self/maps */

struct find_ctx {
	bool fp_only;		/* pretend no module has CFI */
	struct ks_cfi *only;	/* if set, the CFI used for every module */
};

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct mod *m;
	const char *path = info->dlpi_name[0] ? info->dlpi_name : "/proc/self/exe";

	if (nmods == 64 || strstr(path, "linux-vdso"))
		return 0;
	for (int i = 0; i < nmods; i++)	/* called again after a dlopen */
		if (mods[i].bias == info->dlpi_addr && !strcmp(mods[i].path, path))
			return 0;
	m = &mods[nmods++];
	m->lo = ~0ULL;
	m->bias = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (info->dlpi_addr + ph->p_vaddr < m->lo)
			m->lo = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > m->hi)
			m->hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->cfi = ks_cfi__open(path);
	return 0;
}

static struct mod *mod_of(uint64_t addr)
{
	for (int i = 0; i < nmods; i++)
		if (addr >= mods[i].lo && addr < mods[i].hi)
			return &mods[i];
	return NULL;
}

static int find_cb(void *ctx, uint64_t addr, struct ks_cfi **cfi, uint64_t *bias)
{
	struct find_ctx *fc = ctx;
	struct mod *m = mod_of(addr);

	if (!m)
		return -ENOENT;
	*cfi = fc && fc->fp_only ? NULL : fc && fc->only ? fc->only : m->cfi;
	*bias = m->bias;
	return 0;
}

static int setup_mods(void **state)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	elf_version(EV_CURRENT);
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			stack_top = hi;
	}
	if (f)
		fclose(f);
	dl_iterate_phdr(phdr_cb, NULL);
	return stack_top && nmods ? 0 : -1;
}

static int teardown_mods(void **state)
{
	for (int i = 0; i < nmods; i++)
		ks_cfi__free(mods[i].cfi);
	nmods = 0;
	return 0;
}

/* ---- symbols of this executable ---- */

static int sym_range(const char *name, uint64_t *lo, uint64_t *hi)
{
	struct mod *exe = mod_of((uint64_t)(uintptr_t)setup_mods);
	int fd = open("/proc/self/exe", O_RDONLY), found = -1;
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	Elf_Scn *scn = NULL;

	while (elf && found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *n;

			if (!gelf_getsym(d, i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC)
				continue;
			n = elf_strptr(elf, sh.sh_link, s.st_name);
			if (n && !strcmp(n, name)) {
				*lo = exe->bias + s.st_value;
				*hi = *lo + s.st_size;
				found = 0;
				break;
			}
		}
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return found;
}

/* Is return address @ra (or the leaf ip, @leaf) inside function @name? */
static bool in_fn(uint64_t ra, bool leaf, const char *name)
{
	uint64_t lo, hi, a = leaf ? ra : ra - 1;

	if (sym_range(name, &lo, &hi)) {
		print_error("no symbol %s\n", name);
		return false;
	}
	return a >= lo && a < hi;
}

static int index_in(const uint64_t *ips, int n, const char *name)
{
	for (int i = 1; i < n; i++)
		if (in_fn(ips[i], false, name))
			return i;
	return -1;
}

static void dump(const char *what, const uint64_t *ips, int n, const struct ks_unwind_info *in)
{
	print_message("%s: %d frames, stop=%s cfi=%d fp=%d used=%zu\n", what, n,
		      in ? ks_unwind_stop_str(in->stop) : "-", in ? in->cfi_frames : -1,
		      in ? in->fp_frames : -1, in ? in->stack_used : 0);
	for (int i = 0; i < n; i++) {
		Dl_info di;
		struct mod *m = mod_of(ips[i]);

		if (dladdr((void *)(uintptr_t)(i ? ips[i] - 1 : ips[i]), &di) && di.dli_sname)
			print_message("  #%-2d %#lx %s\n", i, (unsigned long)ips[i], di.dli_sname);
		else
			print_message("  #%-2d %#lx %s+%#lx\n", i, (unsigned long)ips[i],
				      m ? m->path : "?", m ? (unsigned long)(ips[i] - m->bias) : 0);
	}
}

/* ---- capturing a snapshot, as the BPF side does ---- */

struct snap {
	struct ks_uregs regs;
	size_t len;
	uint8_t stack[4 * KS_USTACK_BYTES];
};

static size_t snap_cap = KS_USTACK_BYTES;	/* bytes to copy, as the BPF side does */

static struct snap snap_a, snap_b;	/* not on the stack being copied */

/* a plain loop, not memcpy: ASan would flag reading other frames' redzones */
static NOIPA __attribute__((no_sanitize_address)) void snap_copy(struct snap *s)
{
	const volatile uint64_t *src = (const volatile uint64_t *)(uintptr_t)s->regs.sp;
	uint64_t *dst = (uint64_t *)s->stack;
	size_t len = snap_cap;

	if (stack_top - s->regs.sp < len)	/* the BPF side stops at the mapping end too */
		len = stack_top - s->regs.sp;
	for (size_t i = 0; i < len / 8; i++)
		dst[i] = src[i];
	s->len = len & ~7UL;
}

/*
 * rbp first, then rsp, then rip: whatever registers the outputs get, each is
 * read before anything is written. ip is the instruction after the lea, where
 * rsp is still the one captured.
 */
#define CAPTURE(s) do {								\
	__asm__ volatile("mov %%rbp, %2\n\tmov %%rsp, %1\n\tlea 0(%%rip), %0"	\
			 : "=r"((s)->regs.ip), "=r"((s)->regs.sp), "=r"((s)->regs.bp)); \
	snap_copy(s);								\
} while (0)

static int walk(const struct snap *s, size_t len, struct find_ctx *fc, uint64_t *ips,
		bool *complete, struct ks_unwind_info *info)
{
	return ks_unwind_ex(&s->regs, s->stack, len, find_cb, fc, ips, MAXF, complete, info);
}

/* ---- chains ---- */

static volatile int sink;

/* without frame pointers: locals so that each frame has a real size */
static OMIT_FP int of4(int x)
{
	volatile char buf[40] = { 0 };

	buf[x & 31] = (char)x;
	CAPTURE(&snap_a);
	return buf[(x + 1) & 31] + x;
}

static OMIT_FP int of3(int x)
{
	volatile long pad[5] = { 0 };

	pad[x & 3] = x;
	return of4(x + 1) + (int)pad[(x + 2) & 3];
}

static OMIT_FP int of2(int x)
{
	volatile int pad[3] = { 0 };

	pad[x & 1] = x;
	return of3(x + 1) * 3 + pad[1];
}

static OMIT_FP int of1(int x)
{
	return of2(x + 1) + 1;
}

/* with frame pointers (project CFLAGS) */
static NOIPA int ff4(int x)
{
	volatile char buf[24] = { 0 };

	buf[x & 15] = (char)x;
	CAPTURE(&snap_b);
	return buf[(x + 1) & 15] + x;
}

static NOIPA int ff3(int x) { return ff4(x + 1) + 1; }
static NOIPA int ff2(int x) { return ff3(x + 1) * 2; }
static NOIPA int ff1(int x) { return ff2(x + 1) - 1; }

static NOIPA void run_of_chain(void) { sink = of1(0); }
static NOIPA void run_ff_chain(void) { sink = ff1(0); }

/* ---- tests: in-process walks ---- */

static void unwind__omit_fp_chain__reaches_main_complete(void **state)
{
	uint64_t ips[MAXF];
	struct ks_unwind_info info;
	bool complete;
	int n, im;

	run_of_chain();
	n = walk(&snap_a, snap_a.len, NULL, ips, &complete, &info);
	dump("omit-fp chain", ips, n, &info);
	assert_true(n > 6);
	assert_true(in_fn(ips[0], true, "of4"));
	assert_true(in_fn(ips[1], false, "of3"));
	assert_true(in_fn(ips[2], false, "of2"));
	assert_true(in_fn(ips[3], false, "of1"));
	assert_true(in_fn(ips[4], false, "run_of_chain"));
	assert_true(in_fn(ips[5], false, "unwind__omit_fp_chain__reaches_main_complete"));
	im = index_in(ips, n, "main");
	assert_true(im > 5);
	/* libc's __libc_start_call_main, then _start whose CFI ends the stack */
	assert_true(in_fn(ips[n - 1], false, "_start"));
	assert_true(complete);
	assert_int_equal(info.stop, KS_UNWIND_END);
	assert_int_equal(info.fp_frames, 0);
	assert_true(info.stack_used <= snap_a.len);
}

static void chain__omit_fp__really_no_frame_pointer(void **state)
{
	/* frame pointers only: of4 does not set up rbp, so its callers are lost */
	struct find_ctx fc = { .fp_only = true };
	uint64_t ips[MAXF];
	bool complete;
	int n;

	run_of_chain();
	n = walk(&snap_a, snap_a.len, &fc, ips, &complete, NULL);
	dump("omit-fp chain, frame pointers only", ips, n, NULL);
	assert_true(n < 2 || !in_fn(ips[1], false, "of3"));
}

static void unwind__fp_chain__cfi_and_fp_agree(void **state)
{
	struct find_ctx fp = { .fp_only = true };
	uint64_t a[MAXF], b[MAXF];
	struct ks_unwind_info ia, ib;
	bool ca, cb;
	int na, nb, im;

	run_ff_chain();
	na = walk(&snap_b, snap_b.len, NULL, a, &ca, &ia);
	nb = walk(&snap_b, snap_b.len, &fp, b, &cb, &ib);
	dump("fp chain, CFI", a, na, &ia);
	dump("fp chain, frame pointers", b, nb, &ib);
	assert_true(in_fn(a[0], true, "ff4"));
	assert_true(in_fn(a[1], false, "ff3"));
	assert_true(in_fn(a[4], false, "run_ff_chain"));
	assert_true(ca);
	assert_int_equal(ia.fp_frames, 0);
	/*
	 * Every frame of this executable has both: the two must agree up to
	 * the first return address outside it (libcmocka has no frame
	 * pointers, so the FP walk may go astray from there; and from main on).
	 */
	im = index_in(a, na, "main");
	assert_true(im > 5);
	assert_true(nb >= 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(a[i], b[i]);
	assert_true(ib.fp_frames >= 5);
	assert_int_equal(ib.cfi_frames, 0);
}

/* qsort: the comparator is called from Debian's libc, which has no frame pointers */
static int cmp_calls;

static NOIPA int cmp_int(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;

	if (++cmp_calls == 20)
		CAPTURE(&snap_a);
	return (a > b) - (a < b);
}

static NOIPA void sort_caller(void)
{
	int v[64];

	for (int i = 0; i < 64; i++)
		v[i] = (i * 37) % 64;
	cmp_calls = 0;
	qsort(v, 64, sizeof(v[0]), cmp_int);
	sink = v[0];
}

static void unwind__qsort_comparator__through_libc_to_main(void **state)
{
	uint64_t ips[MAXF];
	struct ks_unwind_info info;
	bool complete;
	struct mod *libc = NULL;
	int n, is, libc_frames = 0, asan_frames = 0;

	sort_caller();
	n = walk(&snap_a, snap_a.len, NULL, ips, &complete, &info);
	dump("qsort comparator", ips, n, &info);
	assert_true(in_fn(ips[0], true, "cmp_int"));
	for (int i = 0; i < nmods; i++)
		if (strstr(mods[i].path, "libc.so"))
			libc = &mods[i];
	assert_non_null(libc);
	is = index_in(ips, n, "sort_caller");
	assert_true(is > 1);
	for (int i = 1; i < is; i++) {	/* everything between is libc's */
		struct mod *m = mod_of(ips[i]);

		/* (under ASan, its qsort interceptor sits in between) */
		assert_true(m == libc || (m && strstr(m->path, "/libasan")));
		libc_frames += m == libc;
		asan_frames += m != libc;
	}
	/* qsort_r + msort_with_tmp at least (ASan brings its own qsort) */
	assert_true(libc_frames >= 2 || asan_frames);
	assert_true(in_fn(ips[is + 1], false,
			  "unwind__qsort_comparator__through_libc_to_main"));
	assert_true(index_in(ips, n, "main") > is);
	assert_true(complete);
	assert_int_equal(info.fp_frames, 0);
}

/* a signal handler: through the kernel's signal frame (glibc's __restore_rt CFI) */
static void on_usr1(int sig)
{
	CAPTURE(&snap_a);
}

static NOIPA void raise_caller(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, old;

	sigaction(SIGUSR1, &sa, &old);
	raise(SIGUSR1);
	sigaction(SIGUSR1, &old, NULL);
}

static void unwind__signal_handler__through_signal_frame(void **state)
{
	uint64_t ips[MAXF];
	struct ks_unwind_info info;
	bool complete;
	int n, ir;

	/*
	 * The kernel's signal frame holds the XSAVE area (~1-3 KiB, more with
	 * AVX-512): copy more than usual so the test does not depend on it.
	 */
	snap_cap = sizeof(snap_a.stack);
	raise_caller();
	snap_cap = KS_USTACK_BYTES;
	n = walk(&snap_a, snap_a.len, NULL, ips, &complete, &info);
	dump("signal handler", ips, n, &info);
	assert_true(in_fn(ips[0], true, "on_usr1"));
	ir = index_in(ips, n, "raise_caller");
	assert_true(ir >= 3);	/* __restore_rt, the interrupted libc code, raise... */
	assert_true(in_fn(ips[ir + 1], false,
			  "unwind__signal_handler__through_signal_frame"));
	assert_true(index_in(ips, n, "main") > ir);
	assert_true(complete);
	assert_int_equal(info.fp_frames, 0);
}

/* the vDSO: same image in every process; load its CFI from a copy */
static void cfi__vdso_image__covers_clock_gettime(void **state)
{
	uint64_t base = getauxval(AT_SYSINFO_EHDR), lo, hi, s, e;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	size_t size = 0;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			size = hi - lo;
	if (f)
		fclose(f);
	if (!base || !size) {
		skip();
		return;
	}
	char *img = malloc(size);
	memcpy(img, (void *)(uintptr_t)base, size);
	Elf *elf = elf_memory(img, size);
	struct ks_cfi *cfi = ks_cfi__load(elf);
	assert_non_null(cfi);
	/* __vdso_clock_gettime from the image's .dynsym */
	Elf_Scn *scn = NULL;
	uint64_t fn = 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *nm;

			if (gelf_getsym(d, i, &sym) &&
			    (nm = elf_strptr(elf, sh.sh_link, sym.st_name)) &&
			    !strcmp(nm, "__vdso_clock_gettime"))
				fn = sym.st_value;
		}
	}
	assert_true(fn != 0);
	assert_int_equal(ks_cfi__find_fde(cfi, fn + 4, &s, &e), 0);
	assert_true(s <= fn + 4 && fn + 4 < e);
	ks_cfi__free(cfi);
	elf_end(elf);
	free(img);
}

static void unwind__short_copy__incomplete_no_crash(void **state)
{
	uint64_t ips[MAXF];
	struct ks_unwind_info info;
	bool complete;
	size_t need;
	int n, full;

	run_of_chain();
	full = walk(&snap_a, snap_a.len, NULL, ips, &complete, &info);
	assert_true(complete);
	need = info.stack_used;
	n = walk(&snap_a, 64, NULL, ips, &complete, &info);
	assert_true(n >= 1 && n < full);
	assert_false(complete);
	assert_int_equal(info.stop, KS_UNWIND_STACK_SHORT);
	/* every length: never a crash, complete exactly when the copy suffices */
	for (size_t len = 0; len <= snap_a.len; len += 8) {
		n = walk(&snap_a, len, NULL, ips, &complete, &info);
		assert_true(n >= 1);
		assert_true(info.stack_used <= len);
		assert_int_equal(complete, len >= need);
		assert_true(complete || info.stop == KS_UNWIND_STACK_SHORT);
	}
	/* no stack at all, or max 1 */
	n = ks_unwind(&snap_a.regs, NULL, 0, find_cb, NULL, ips, MAXF, &complete);
	assert_int_equal(n, 1);
	assert_false(complete);
	n = ks_unwind(&snap_a.regs, snap_a.stack, snap_a.len, find_cb, NULL, ips, 1, &complete);
	assert_int_equal(n, 1);
	assert_false(complete);
	assert_int_equal(ks_unwind(NULL, NULL, 0, find_cb, NULL, ips, MAXF, &complete), -EINVAL);
}

static void unwind__no_module__fp_fallback_bounded(void **state)
{
	/* find knows nothing: frame pointers only, and it must stop inside the copy */
	uint64_t ips[MAXF];
	struct ks_unwind_info info;
	bool complete;
	int n;

	run_ff_chain();
	n = ks_unwind_ex(&snap_b.regs, snap_b.stack, snap_b.len, find_cb, &(struct find_ctx){
			 .fp_only = true }, ips, MAXF, &complete, &info);
	assert_true(n >= 5);
	assert_true(info.stack_used <= snap_b.len);
}

/* ---- the linker's PLT CFI (binutils' expression), with a synthetic stack ---- */

static int exe_section(const char *name, uint64_t *addr, uint64_t *size)
{
	int fd = open("/proc/self/exe", O_RDONLY), rc = -1;
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	Elf_Scn *scn = NULL;
	size_t shstr;

	if (elf && !elf_getshdrstrndx(elf, &shstr)) {
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;

			if (gelf_getshdr(scn, &sh) &&
			    !strcmp(elf_strptr(elf, shstr, sh.sh_name), name)) {
				*addr = sh.sh_addr;
				*size = sh.sh_size;
				rc = 0;
			}
		}
	}
	elf_end(elf);
	close(fd);
	return rc;
}

static void unwind__plt_expression__cfa_depends_on_rip(void **state)
{
	struct mod *exe = mod_of((uint64_t)(uintptr_t)setup_mods);
	uint64_t plt = 0, size = 0, start, end, ips[4], stk[4];
	struct ks_uregs r;
	bool complete;
	int n;

	if (exe_section(".plt", &plt, &size) || size < 48) {
		skip();
		return;
	}
	assert_int_equal(ks_cfi__find_fde(exe->cfi, plt + 16, &start, &end), 0);
	/*
	 * PLT entry 1: at +0 (jmp *GOT) and +6 (push $idx) the CFA is rsp+8;
	 * at +11 (jmp PLT0) the push happened: rsp+16.
	 */
	static const int at[] = { 0, 6, 11 };
	for (int k = 0; k < 3; k++) {
		memset(stk, 0, sizeof(stk));
		stk[at[k] >= 11 ? 1 : 0] = 0x1234560;
		r = (struct ks_uregs){ .ip = exe->bias + plt + 16 + at[k], .sp = 0x7ff000,
				       .bp = 0 };
		n = ks_unwind(&r, stk, sizeof(stk), find_cb, NULL, ips, 2, &complete);
		assert_int_equal(n, 2);
		assert_int_equal(ips[1], 0x1234560);
	}
}

/* ---- hand-made .eh_frame: interpreter semantics and malformed input ---- */

struct buf {
	uint8_t b[512];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }
static void u8(struct buf *b, uint8_t v) { put(b, &v, 1); }
static void u32(struct buf *b, uint32_t v) { put(b, &v, 4); }
static void uleb(struct buf *b, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;

		v >>= 7;
		u8(b, c | (v ? 0x80 : 0));
	} while (v);
}
static void sleb(struct buf *b, int64_t v)
{
	bool more = true;

	while (more) {
		uint8_t c = v & 0x7f;

		v >>= 7;
		more = !((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40)));
		u8(b, c | (more ? 0x80 : 0));
	}
}

#define EH_VADDR	0x10000ULL
#define FN_LO		0x1000ULL

/*
 * One "zPLR" CIE (personality through an indirect pcrel pointer, as C++
 * objects have) and one FDE for [FN_LO, FN_LO + 0x100) with program @prog.
 */
static size_t make_eh(struct buf *out, const uint8_t *prog, size_t plen, bool zplr)
{
	size_t cie_at, fde_at, len_at;

	/* CIE */
	cie_at = out->n;
	u32(out, 0);		/* length, patched */
	u32(out, 0);		/* CIE id */
	u8(out, 1);		/* version */
	if (zplr) {
		put(out, "zPLR", 5);
	} else {
		put(out, "zR", 3);
	}
	uleb(out, 1);		/* code align */
	sleb(out, -8);		/* data align */
	u8(out, 16);		/* RA column */
	if (zplr) {
		uleb(out, 7);	/* aug data length: P(1+4) L(1) R(1) */
		u8(out, 0x9b);	/* indirect|pcrel|sdata4 */
		u32(out, 0x100);
		u8(out, 0x1b);	/* LSDA pcrel|sdata4 */
		u8(out, 0x1b);	/* FDE pcrel|sdata4 */
	} else {
		uleb(out, 1);
		u8(out, 0x1b);
	}
	u8(out, 0x0c); uleb(out, 7); uleb(out, 8);	/* def_cfa rsp+8 */
	u8(out, 0x80 | 16); uleb(out, 1);		/* offset r16 at cfa-8 */
	while ((out->n - cie_at) % 8)
		u8(out, 0);
	len_at = cie_at;
	uint32_t l = (uint32_t)(out->n - len_at - 4);
	memcpy(out->b + len_at, &l, 4);
	/* FDE */
	fde_at = out->n;
	u32(out, 0);
	u32(out, (uint32_t)(out->n - cie_at));		/* CIE pointer */
	u32(out, (uint32_t)(FN_LO - (EH_VADDR + out->n)));	/* pc_begin, pcrel */
	u32(out, 0x100);					/* pc_range */
	if (zplr) {
		uleb(out, 4);
		u32(out, 0);	/* LSDA */
	} else {
		uleb(out, 0);
	}
	put(out, prog, plen);
	while ((out->n - fde_at) % 8)
		u8(out, 0);
	l = (uint32_t)(out->n - fde_at - 4);
	memcpy(out->b + fde_at, &l, 4);
	u32(out, 0);	/* terminator */
	return fde_at;
}

static struct ks_cfi *synth_cfi;

static int synth_find(void *ctx, uint64_t addr, struct ks_cfi **cfi, uint64_t *bias)
{
	*cfi = synth_cfi;
	*bias = 0;
	return 0;
}

/* Unwind one frame at ip FN_LO + @off with stack words @stk (sp = 0x8000). */
static int synth_step(const uint8_t *prog, size_t plen, bool zplr, uint64_t off, uint64_t bp,
		      const uint64_t *stk, size_t nstk, uint64_t *ips, bool *complete)
{
	struct buf eh = { 0 };
	struct ks_uregs r = { .ip = FN_LO + off, .sp = 0x8000, .bp = bp };
	int n;

	make_eh(&eh, prog, plen, zplr);
	synth_cfi = ks_cfi__from_data(eh.b, eh.n, EH_VADDR, NULL, 0, 0);
	assert_non_null(synth_cfi);
	n = ks_unwind(&r, stk, nstk * 8, synth_find, NULL, ips, 2, complete);
	ks_cfi__free(synth_cfi);
	return n;
}

static void cfa_program__push_rbp_frame__ra_and_rbp_restored(void **state)
{
	/* push %rbp; mov %rsp,%rbp; ...; remember; leave; restore */
	static const uint8_t prog[] = {
		0x41, 0x0e, 16,		/* advance 1; def_cfa_offset 16 */
		0x86, 2,		/* rbp at cfa-16 */
		0x43, 0x0d, 6,		/* advance 3; def_cfa_register rbp */
		0x50, 0x0a,		/* advance 16; remember_state */
		0x41, 0x0c, 7, 8,	/* advance 1; def_cfa rsp+8 (after leave) */
		0x41, 0x0b,		/* advance 1; restore_state */
	};
	uint64_t stk[4] = { 0xbbbb0, 0xaaaa0, 0, 0 }, ips[2];
	bool c;

	/* at +1 (after push): CFA = rsp+16, RA at sp+8, saved rbp at sp */
	assert_int_equal(synth_step(prog, sizeof(prog), false, 1, 0, stk, 4, ips, &c), 2);
	assert_int_equal(ips[1], 0xaaaa0);
	/* at +8 (body): CFA = rbp+16 */
	assert_int_equal(synth_step(prog, sizeof(prog), true, 8, 0x8000, stk, 4, ips, &c), 2);
	assert_int_equal(ips[1], 0xaaaa0);
	/* at +0x15 (after leave): CFA = rsp+8: RA is the first word */
	uint64_t s2[2] = { 0xcccc0, 0 };
	assert_int_equal(synth_step(prog, sizeof(prog), false, 0x15, 0, s2, 2, ips, &c), 2);
	assert_int_equal(ips[1], 0xcccc0);
	/* at +0x16: restore_state brings back CFA = rbp+16 */
	assert_int_equal(synth_step(prog, sizeof(prog), false, 0x16, 0x8000, stk, 4, ips, &c), 2);
	assert_int_equal(ips[1], 0xaaaa0);
}

static void cfa_program__undefined_rip__complete(void **state)
{
	static const uint8_t prog[] = { 0x07, 16 };	/* DW_CFA_undefined rip */
	uint64_t stk[2] = { 0x5555, 0 }, ips[2];
	bool c = false;

	assert_int_equal(synth_step(prog, sizeof(prog), true, 4, 0, stk, 2, ips, &c), 1);
	assert_true(c);
}

static void cfa_program__expressions__evaluated(void **state)
{
	/* CFA = *(rsp + 8) + 16 via def_cfa_expression; RA via val_offset-free offset */
	static const uint8_t prog[] = {
		0x0f, 5, 0x77, 8, 0x06, 0x23, 16,	/* breg7 8; deref; plus_uconst 16 */
	};
	/* sp=0x8000: stk[1] = 0x8008 -> CFA 0x8018, RA at CFA-8 = 0x8010 = stk[2] */
	uint64_t stk[4] = { 0, 0x8008, 0xdddd0, 0 }, ips[2];
	bool c;

	assert_int_equal(synth_step(prog, sizeof(prog), false, 0, 0, stk, 4, ips, &c), 2);
	assert_int_equal(ips[1], 0xdddd0);
	/* DW_CFA_expression for RA: RA at (CFA - 8) computed by the expression */
	static const uint8_t p2[] = { 0x10, 16, 3, 0x09, 0xf8, 0x22 };	/* const1s -8; plus */
	uint64_t s2[2] = { 0xeeee0, 0 };
	assert_int_equal(synth_step(p2, sizeof(p2), true, 0, 0, s2, 2, ips, &c), 2);
	assert_int_equal(ips[1], 0xeeee0);
}

static void cfi_parse__garbage_and_truncation__rejected(void **state)
{
	static const uint8_t prog[] = { 0x41, 0x0e, 16, 0x86, 2 };
	struct buf eh = { 0 };
	uint8_t junk[4096];
	struct ks_cfi *cfi;
	uint64_t s, e;

	make_eh(&eh, prog, sizeof(prog), true);
	/* the intact one works */
	cfi = ks_cfi__from_data(eh.b, eh.n, EH_VADDR, NULL, 0, 0);
	assert_int_equal(ks_cfi__find_fde(cfi, FN_LO + 5, &s, &e), 0);
	assert_int_equal(s, FN_LO);
	assert_int_equal(e, FN_LO + 0x100);
	assert_int_equal(ks_cfi__find_fde(cfi, FN_LO + 0x100, &s, &e), -ENOENT);
	ks_cfi__free(cfi);
	/* every truncation: found with the right range, or not found */
	for (size_t len = 1; len < eh.n; len++) {
		cfi = ks_cfi__from_data(eh.b, len, EH_VADDR, NULL, 0, 0);
		assert_non_null(cfi);
		int rc = ks_cfi__find_fde(cfi, FN_LO + 5, &s, &e);
		assert_true(rc < 0 || (s == FN_LO && e == FN_LO + 0x100));
		ks_cfi__free(cfi);
	}
	/* length fields that point past the end, a CIE pointer into nowhere */
	struct buf bad = eh;
	uint32_t big = 0x7ffffff0;
	memcpy(bad.b, &big, 4);
	cfi = ks_cfi__from_data(bad.b, bad.n, EH_VADDR, NULL, 0, 0);
	assert_true(ks_cfi__find_fde(cfi, FN_LO + 5, &s, &e) < 0);
	ks_cfi__free(cfi);
	/* random bytes and random mutations of the valid section: no crash */
	srand(42);
	for (int round = 0; round < 2000; round++) {
		size_t len;

		if (round & 1) {
			len = 1 + rand() % sizeof(junk);
			for (size_t i = 0; i < len; i++)
				junk[i] = (uint8_t)rand();
		} else {
			len = eh.n;
			memcpy(junk, eh.b, len);
			for (int k = 0; k < 1 + rand() % 4; k++)
				junk[rand() % len] = (uint8_t)rand();
		}
		cfi = ks_cfi__from_data(junk, len, EH_VADDR, junk, len, EH_VADDR);
		assert_non_null(cfi);
		for (int k = 0; k < 8; k++)
			ks_cfi__find_fde(cfi, FN_LO + (uint64_t)(rand() % 0x200), &s, &e);
		synth_cfi = cfi;
		uint64_t stk[8] = { 0x1000, 0x8000, 0x8010, 7, 0, 0, 0, 0 }, ips[8];
		struct ks_uregs r = { .ip = FN_LO + (uint64_t)(rand() % 0x100), .sp = 0x8000,
				      .bp = 0x8008 };
		bool c;
		int n = ks_unwind(&r, stk, sizeof(stk), synth_find, NULL, ips, 8, &c);
		assert_true(n >= 1 && n <= 8);
		ks_cfi__free(cfi);
	}
	assert_null(ks_cfi__from_data(NULL, 0, 0, NULL, 0, 0));
}

/* The real libc .eh_frame + .eh_frame_hdr, truncated and mutated: no crash. */
static void cfi_parse__libc_truncated_mutated__no_crash(void **state)
{
	struct mod *libc = NULL;
	int fd;
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstr;
	Elf_Data *eh = NULL, *hdr = NULL;
	uint64_t eh_va = 0, hdr_va = 0, s, e;

	for (int i = 0; i < nmods; i++)
		if (strstr(mods[i].path, "libc.so"))
			libc = &mods[i];
	assert_non_null(libc);
	fd = open(libc->path, O_RDONLY);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	elf_getshdrstrndx(elf, &shstr);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		gelf_getshdr(scn, &sh);
		n = elf_strptr(elf, shstr, sh.sh_name);
		if (!strcmp(n, ".eh_frame")) {
			eh = elf_getdata(scn, NULL);
			eh_va = sh.sh_addr;
		} else if (!strcmp(n, ".eh_frame_hdr")) {
			hdr = elf_getdata(scn, NULL);
			hdr_va = sh.sh_addr;
		}
	}
	assert_non_null(eh);
	assert_non_null(hdr);
	/* libc's own qsort, not a sanitizer's interceptor */
	void *lh = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	assert_non_null(lh);
	uint64_t qs = (uint64_t)(uintptr_t)dlsym(lh, "qsort") - libc->bias;
	dlclose(lh);
	/* with the header's table and with our own index: the same FDE */
	struct ks_cfi *a = ks_cfi__from_data(eh->d_buf, eh->d_size, eh_va, hdr->d_buf,
					     hdr->d_size, hdr_va);
	struct ks_cfi *b = ks_cfi__from_data(eh->d_buf, eh->d_size, eh_va, NULL, 0, 0);
	uint64_t s2, e2;
	assert_int_equal(ks_cfi__find_fde(a, qs, &s, &e), 0);
	assert_int_equal(ks_cfi__find_fde(b, qs, &s2, &e2), 0);
	assert_int_equal(s, s2);
	assert_int_equal(e, e2);
	assert_true(s <= qs && qs < e);
	print_message("libc: .eh_frame %zu B, hdr %zu B; own index costs %zu B of heap "
		      "(header table: %zu)\n", eh->d_size, hdr->d_size,
		      ks_cfi__memory(b) - eh->d_size, ks_cfi__memory(a) - eh->d_size - hdr->d_size);
	/* every FDE agrees between the two lookups on a sample of addresses */
	uint64_t base = s & ~0xfffULL;

	for (uint64_t pc = base; pc < base + 0x40000; pc += 61) {
		int ra = ks_cfi__find_fde(a, pc, &s, &e), rb = ks_cfi__find_fde(b, pc, &s2, &e2);

		assert_int_equal(ra, rb);
		if (!ra)
			assert_true(s == s2 && e == e2);
	}
	ks_cfi__free(a);
	ks_cfi__free(b);
	/* truncated (the header now points past the end) and mutated */
	uint8_t *copy = malloc(eh->d_size);
	srand(7);
	for (int round = 0; round < 200; round++) {
		size_t len = 1 + (size_t)rand() % eh->d_size;

		memcpy(copy, eh->d_buf, len);
		if (round & 1)
			for (int k = 0; k < 16; k++)
				copy[rand() % len] = (uint8_t)rand();
		a = ks_cfi__from_data(copy, len, eh_va, round & 2 ? hdr->d_buf : NULL,
				      hdr->d_size, hdr_va);
		for (int k = 0; k < 64; k++)
			ks_cfi__find_fde(a, qs + (uint64_t)(rand() % 0x100000) - 0x80000, &s, &e);
		synth_cfi = a;
		struct find_ctx fc = { .only = a };
		uint64_t ips[MAXF];
		bool c;
		run_of_chain();
		ks_unwind(&snap_a.regs, snap_a.stack, snap_a.len, find_cb, &fc, ips, MAXF, &c);
		ks_cfi__free(a);
	}
	free(copy);
	elf_end(elf);
	close(fd);
}

/* ---- .debug_frame: a library built at test time without .eh_frame ---- */

static NOIPA void df_cap(void)
{
	CAPTURE(&snap_b);
}

static void unwind__debug_frame_only_library__walks_through(void **state)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char src[256], so[256], dbg[256], cmd[2048];
	FILE *f;

	snprintf(src, sizeof(src), "%s/ks_unwind_df_%d.c", dir, getpid());
	snprintf(so, sizeof(so), "%s/ks_unwind_df_%d.so", dir, getpid());
	snprintf(dbg, sizeof(dbg), "%s/ks_unwind_df_%d.debug", dir, getpid());
	f = fopen(src, "w");
	assert_non_null(f);
	fputs("typedef void (*cb_t)(void);\n"
	      "__attribute__((noipa)) int df2(cb_t cb, int x) { volatile char b[48];"
	      " b[x & 31] = x; cb(); return b[1] + x; }\n"
	      "__attribute__((noipa)) int df1(cb_t cb, int x) { return df2(cb, x + 1) * 2; }\n",
	      f);
	fclose(f);
	/* no .eh_frame for our code: -fno-asynchronous-unwind-tables -g gives .debug_frame */
	snprintf(cmd, sizeof(cmd),
		 "cc -O2 -g -fomit-frame-pointer -fno-asynchronous-unwind-tables "
		 "-fno-unwind-tables -fno-exceptions -shared -fPIC -nostartfiles -o %s %s 2>/dev/null && "
		 "objcopy --only-keep-debug --compress-debug-sections=zlib %s %s && "
		 "objcopy --strip-debug %s", so, src, so, dbg, so);
	if (system(cmd)) {
		unlink(src);
		skip();	/* no compiler on this machine */
		return;
	}
	/* the stripped .so alone has no CFI for df1/df2 */
	void *h = dlopen(so, RTLD_NOW);
	assert_non_null(h);
	int (*df1)(void (*)(void), int) = (int (*)(void (*)(void), int))dlsym(h, "df1");
	assert_non_null(df1);
	dl_iterate_phdr(phdr_cb, NULL);	/* adds it */
	struct mod *m = mod_of((uint64_t)(uintptr_t)df1);
	assert_non_null(m);
	uint64_t start, end;
	assert_true(!m->cfi || ks_cfi__find_fde(m->cfi, (uint64_t)(uintptr_t)df1 - m->bias,
						 &start, &end) == -ENOENT);
	/*
	 * Two ways to use the separate (zlib-compressed) debug file: open it
	 * alone (same vaddrs), or add its .debug_frame to another CFI.
	 */
	struct ks_cfi *alone = ks_cfi__open(dbg), *added;
	static const uint8_t empty_eh[4] = { 0 };	/* just a terminator */
	int fd = open(dbg, O_RDONLY);
	Elf *de = elf_begin(fd, ELF_C_READ, NULL);

	assert_non_null(alone);
	added = ks_cfi__from_data(empty_eh, sizeof(empty_eh), EH_VADDR, NULL, 0, 0);
	assert_int_equal(ks_cfi__add_debug_frame(added, de), 0);
	elf_end(de);	/* the copy outlives the debug Elf */
	close(fd);
	ks_cfi__free(m->cfi);
	for (int k = 0; k < 2; k++) {
		uint64_t ips[MAXF];
		struct ks_unwind_info info;
		bool c;
		int n;

		m->cfi = k ? added : alone;
		assert_int_equal(ks_cfi__find_fde(m->cfi, (uint64_t)(uintptr_t)df1 - m->bias,
						  &start, &end), 0);
		snap_cap = sizeof(snap_b.stack);	/* this test's own frame is ~3 KiB */
		df1(df_cap, 3);
		snap_cap = KS_USTACK_BYTES;
		n = walk(&snap_b, snap_b.len, NULL, ips, &c, &info);
		dump(k ? "debug_frame added" : "debug file alone", ips, n, &info);
		assert_true(n > 4);
		assert_true(mod_of(ips[1]) == m && mod_of(ips[2]) == m);
		assert_true(in_fn(ips[3], false,
				  "unwind__debug_frame_only_library__walks_through"));
		assert_true(c);
		assert_int_equal(info.fp_frames, 0);
	}
	ks_cfi__free(alone);
	print_message("debug_frame cfi heap: %zu B\n", ks_cfi__memory(m->cfi));
	unlink(src);
	unlink(so);
	unlink(dbg);
}

/* ---- cost per unwind ---- */

static volatile int depth_sink;

static OMIT_FP int deep(int d)
{
	volatile char pad[24] = { 0 };

	pad[d & 15] = (char)d;
	if (d == 0) {
		CAPTURE(&snap_a);
		return pad[1];
	}
	return deep(d - 1) + pad[(d + 1) & 15];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* median ns per unwind of snap_a over 101 batches of 200 */
static uint64_t time_unwind(int *n, struct ks_unwind_info *info, bool *complete, uint64_t *p10,
			    uint64_t *p90)
{
	uint64_t ips[MAXF], t[101];

	for (int rep = 0; rep < 101; rep++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < 200; i++)
			*n = walk(&snap_a, snap_a.len, NULL, ips, complete, info);
		t[rep] = (now_ns() - t0) / 200;
	}
	qsort(t, 101, sizeof(t[0]), cmp_u64);
	*p10 = t[10];
	*p90 = t[90];
	return t[50];
}

static void unwind__cost__median_per_unwind(void **state)
{
	struct ks_unwind_info info;
	bool complete;
	uint64_t warm, cold, p10, p90, q10, q90;
	size_t mem = 0;
	int n = 0;

	depth_sink = deep(10);
	warm = time_unwind(&n, &info, &complete, &p10, &p90);
	assert_true(n >= 15 && complete);
	for (int i = 0; i < nmods; i++) {
		mem += ks_cfi__memory(mods[i].cfi);
		ks_cfi__set_cache(mods[i].cfi, 0);
	}
	cold = time_unwind(&n, &info, &complete, &q10, &q90);
	for (int i = 0; i < nmods; i++)
		ks_cfi__set_cache(mods[i].cfi, 128);
	print_message("COST: %d frames (%d CFI), %zu stack bytes used: median %lu ns per "
		      "unwind with the row cache (p10 %lu, p90 %lu), %lu ns without "
		      "(p10 %lu, p90 %lu); %zu B of CFI heap for %d modules\n", n,
		      info.cfi_frames, info.stack_used, (unsigned long)warm, (unsigned long)p10,
		      (unsigned long)p90, (unsigned long)cold, (unsigned long)q10,
		      (unsigned long)q90, mem, nmods);
	assert_true(n >= 15 && complete);
	assert_true(cold < 200000 && warm < 200000);	/* pathology guard, not a benchmark */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unwind__omit_fp_chain__reaches_main_complete),
		cmocka_unit_test(chain__omit_fp__really_no_frame_pointer),
		cmocka_unit_test(unwind__fp_chain__cfi_and_fp_agree),
		cmocka_unit_test(unwind__qsort_comparator__through_libc_to_main),
		cmocka_unit_test(unwind__signal_handler__through_signal_frame),
		cmocka_unit_test(cfi__vdso_image__covers_clock_gettime),
		cmocka_unit_test(unwind__short_copy__incomplete_no_crash),
		cmocka_unit_test(unwind__no_module__fp_fallback_bounded),
		cmocka_unit_test(unwind__plt_expression__cfa_depends_on_rip),
		cmocka_unit_test(cfa_program__push_rbp_frame__ra_and_rbp_restored),
		cmocka_unit_test(cfa_program__undefined_rip__complete),
		cmocka_unit_test(cfa_program__expressions__evaluated),
		cmocka_unit_test(cfi_parse__garbage_and_truncation__rejected),
		cmocka_unit_test(cfi_parse__libc_truncated_mutated__no_crash),
		cmocka_unit_test(unwind__debug_frame_only_library__walks_through),
		cmocka_unit_test(unwind__cost__median_per_unwind),
	};

	return cmocka_run_group_tests(tests, setup_mods, teardown_mods);
}
