// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the symbolizer (user/syms.c, elf_cache.c, symtab.c, ksyms.c,
 * perfmap.c, demangle.c).
 *
 * Small ELF files are built at test time with gcc, strip and objcopy in a
 * temporary directory, and the expected addresses come from nm, so every
 * check compares against an independent tool. In-process tests look up this
 * test binary's own (PIE) functions, libc and the vDSO through
 * ks_symbolizer__add_pid(getpid()), and unwind a captured stack of this
 * process through ks_symbolizer__unwind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <errno.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "ks_profile.h"
#include "ks_syms.h"

#define NOIPA __attribute__((noipa))

static char tmp[256];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Address of @sym in @file according to nm (-D for the dynamic table). */
static uint64_t nm_addr(const char *file, const char *sym, bool dynamic)
{
	char cmd[1024], line[1024], name[512], type;
	unsigned long long addr;
	uint64_t found = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "nm %s %s 2>/dev/null", dynamic ? "-D" : "", file);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %511s", &addr, &type, name) == 3 && !strcmp(name, sym))
			found = addr;
	pclose(f);
	return found;
}

static const char *src_c =
	"#include <stdio.h>\n"
	"__attribute__((noinline)) static int hidden_fn(int x) { return x * 3 + printf(\"%d\", x); }\n"
	"__attribute__((noinline)) int exported_fn(int x) { return hidden_fn(x) + 1; }\n"
	"void mangled(void) __asm__(\"_ZN6kscope6detail4workEi\");\n"
	"__attribute__((noinline)) void mangled(void) { puts(\"m\"); }\n"
	/* a local label without type or size: its size comes from the next symbol */
	"__asm__(\".text\\nbare_label:\\n nop\\n nop\\n nop\\n nop\\n ret\\n\");\n"
	"int main(int c, char **v) { mangled(); return exported_fn(c); }\n";

static int setup(void **state)
{
	FILE *f;

	snprintf(tmp, sizeof(tmp), "/tmp/kscope-test-syms.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	f = fopen(strcat(strcpy((char[300]){0}, tmp), "/t.c"), "w");
	if (!f)
		return -1;
	fputs(src_c, f);
	fclose(f);
	/* full: .symtab + .dynsym, build-id */
	if (sh("cd %s && gcc -O1 -g -fPIE -pie -rdynamic -Wl,--build-id t.c -o full", tmp) ||
	    /* dynsym only */
	    sh("cd %s && cp full dynonly && strip --strip-all dynonly", tmp) ||
	    /* stripped, debug file in a build-id directory (compressed sections) */
	    sh("cd %s && cp full bid && objcopy --only-keep-debug --compress-debug-sections=zlib"
	       " bid bid.debug && strip --strip-all bid && id=$(readelf -n bid 2>/dev/null | sed -n "
	       "'s/.*Build ID: //p') && d=$(echo $id | cut -c1-2) && r=$(echo $id | cut -c3-) && "
	       "mkdir -p root/.build-id/$d && mv bid.debug root/.build-id/$d/$r.debug", tmp) ||
	    /* stripped, no build-id, debug file by .gnu_debuglink in .debug/ */
	    sh("cd %s && gcc -O1 -g -fPIE -pie -rdynamic -Wl,--build-id=none t.c -o link && "
	       "cp link link.full && objcopy --only-keep-debug link link.debug && "
	       "strip --strip-all link && objcopy --add-gnu-debuglink=link.debug link && "
	       "mkdir -p .debug && mv link.debug .debug/", tmp) ||
	    /* a library dlopen'ed after the snapshot */
	    sh("cd %s && echo 'int late_fn(int x) { return x * 5 + 2; }' > late.c && "
	       "gcc -O1 -shared -fPIC late.c -o late.so", tmp))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	ks_symbolizer__set_debug_root(NULL, NULL);
	if (tmp[0])
		sh("rm -rf %s", tmp);
	return 0;
}

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmp, name);
}

static void expect_file_sym(struct ks_symbolizer *s, const char *file, uint64_t addr,
			    const char *name, uint64_t off)
{
	struct ks_sym sym;

	assert_int_equal(ks_symbolizer__file(s, file, addr, &sym), 0);
	if (!sym.name || strcmp(sym.name, name))
		fail_msg("%s 0x%llx: expected %s, saw %s", file, (unsigned long long)addr, name,
			 sym.name ? sym.name : "(null)");
	assert_int_equal(sym.sym_off, off);
	assert_string_equal(sym.module, file);
	assert_int_equal(sym.kind, KS_FRAME_USER);
}

static void file__symtab__finds_static_and_global(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	char f[300];
	uint64_t h, e;

	path_of(f, sizeof(f), "full");
	h = nm_addr(f, "hidden_fn", false);
	e = nm_addr(f, "exported_fn", false);
	assert_true(h && e);
	expect_file_sym(s, f, h, "hidden_fn", 0);
	expect_file_sym(s, f, h + 3, "hidden_fn", 3);
	expect_file_sym(s, f, e + 1, "exported_fn", 1);
	assert_true(ks_symbolizer__memory(s) > 0);
	ks_symbolizer__free(s);
}

static void file__dynsym_only__finds_exported_not_static(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	struct ks_sym sym;
	char f[300], buf[256], want[64];
	uint64_t h, e;

	path_of(f, sizeof(f), "dynonly");
	assert_int_equal(sh("readelf -S %s | grep -q '\\.symtab'", f) == 0, 0);
	e = nm_addr(f, "exported_fn", true);
	h = nm_addr(tmp[0] ? strcat(strcpy((char[300]){0}, tmp), "/full") : "", "hidden_fn",
		    false);
	assert_true(e && h);
	ks_symbolizer__set_debug_root(s, "/nonexistent");
	expect_file_sym(s, f, e + 2, "exported_fn", 2);
	/* hidden_fn is in no table here: the mapping is known, the name is not */
	assert_int_equal(ks_symbolizer__file(s, f, h, &sym), 0);
	assert_null(sym.name);
	assert_string_equal(sym.module, f);
	snprintf(want, sizeof(want), "dynonly+0x%llx", (unsigned long long)sym.file_off);
	assert_string_equal(ks_sym_format(&sym, buf, sizeof(buf)), want);
	/* text is mapped at its file offset in this PIE: file_off == vaddr */
	assert_int_equal(sym.file_off, h);
	ks_symbolizer__set_debug_root(s, NULL);
	ks_symbolizer__free(s);
}

static void file__build_id_debug_file__finds_static_in_compressed_debug(void **state)
{
	struct ks_symbolizer *s;
	struct ks_sym sym;
	char f[300], root[300];
	uint64_t h;

	path_of(f, sizeof(f), "bid");
	path_of(root, sizeof(root), "root");
	h = nm_addr(strcat(strcpy((char[300]){0}, tmp), "/full"), "hidden_fn", false);
	assert_true(h);
	/* the debug file's sections really are compressed */
	assert_int_equal(sh("readelf -S -W %s/.build-id/*/*.debug 2>/dev/null | grep debug_info | "
			    "grep -q ' C '", root), 0);
	/* without the debug root: not found (the name comes from the debug file) */
	s = ks_symbolizer__new();
	ks_symbolizer__set_debug_root(s, "/nonexistent");
	assert_int_equal(ks_symbolizer__file(s, f, h, &sym), 0);
	assert_null(sym.name);
	ks_symbolizer__free(s);

	s = ks_symbolizer__new();
	ks_symbolizer__set_debug_root(s, root);
	expect_file_sym(s, f, h + 1, "hidden_fn", 1);
	ks_symbolizer__set_debug_root(s, NULL);
	ks_symbolizer__free(s);
}

static void file__debuglink__finds_debug_file_in_dot_debug(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	char f[300];
	uint64_t h;

	path_of(f, sizeof(f), "link");
	h = nm_addr(strcat(strcpy((char[300]){0}, tmp), "/link.full"), "hidden_fn", false);
	assert_true(h);
	assert_int_equal(sh("readelf -S %s | grep -q '\\.symtab'", f) == 0, 0);
	ks_symbolizer__set_debug_root(s, "/nonexistent");
	expect_file_sym(s, f, h, "hidden_fn", 0);
	ks_symbolizer__set_debug_root(s, NULL);
	ks_symbolizer__free(s);
}

static void file__cxx_name__demangled(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	char f[300];
	uint64_t m;

	path_of(f, sizeof(f), "full");
	m = nm_addr(f, "_ZN6kscope6detail4workEi", false);
	assert_true(m);
	expect_file_sym(s, f, m, "kscope::detail::work(int)", 0);
	ks_symbolizer__free(s);
}

static void file__label_without_size__size_from_next_symbol(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	char f[300];
	uint64_t b;

	path_of(f, sizeof(f), "full");
	b = nm_addr(f, "bare_label", false);
	assert_true(b);
	expect_file_sym(s, f, b + 4, "bare_label", 4);
	ks_symbolizer__free(s);
}

static void file__missing__error(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	struct ks_sym sym;

	assert_int_equal(ks_symbolizer__file(s, "/nonexistent/bin", 0x1000, &sym), -ENOENT);
	assert_int_not_equal(ks_symbolizer__file(s, "/etc/passwd", 0x10, &sym), 0);
	ks_symbolizer__free(s);
}

/* ---- in-process ---- */

/* libc's own qsort (&qsort may be a sanitizer's interceptor) */
static void *libc_qsort(void)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);

	return h ? dlsym(h, "qsort") : NULL;
}

NOIPA int syms_test_own_fn(int x)
{
	return x * 7 + 1;
}

static void user__own_pie_function__named(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	uint64_t a = (uint64_t)(uintptr_t)&syms_test_own_fn;
	char exe[512];
	struct ks_sym sym;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_int_equal(ks_symbolizer__add_pid(s, getpid(), false), 0);
	assert_int_equal(ks_symbolizer__user(s, getpid(), a + 2, &sym), 0);
	assert_non_null(sym.name);
	assert_string_equal(sym.name, "syms_test_own_fn");
	assert_int_equal(sym.sym_off, 2);
	assert_string_equal(sym.module, exe);
	assert_int_equal(sym.kind, KS_FRAME_USER);
	/* libc, through its debug file or .dynsym */
	assert_int_equal(ks_symbolizer__user(s, getpid(), (uint64_t)(uintptr_t)libc_qsort(), &sym), 0);
	assert_non_null(sym.name);
	assert_true(strstr(sym.name, "qsort") != NULL);
	assert_true(strstr(sym.module, "libc.so") != NULL);
	ks_symbolizer__free(s);
}

static void user__vdso__named_from_image(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	uint64_t base = getauxval(AT_SYSINFO_EHDR);
	struct ks_sym sym;
	void *h;
	uint64_t a;

	if (!base)
		skip();
	assert_int_equal(ks_symbolizer__add_pid(s, getpid(), false), 0);
	/* libc resolves clock_gettime's vDSO entry; look up the vDSO's own symbol */
	h = (void *)(uintptr_t)base;
	(void)h;
	a = 0;
	{
		/* walk the vDSO's dynsym the slow way: ask the symbolizer for each page offset */
		uint64_t off;

		for (off = 0x400; off < 0x2000 && !a; off += 0x10)
			if (!ks_symbolizer__user(s, getpid(), base + off, &sym) && sym.name &&
			    strstr(sym.name, "clock_gettime"))
				a = base + off;
	}
	assert_true(a != 0);
	assert_string_equal(sym.module, "[vdso]");
	ks_symbolizer__free(s);
}

static void user__perf_map__jit_symbols(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	char path[64], buf[128];
	struct ks_sym sym;
	FILE *f;

	/* an address range nothing maps in this process */
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "10000000 40 LazyCompile:~fib /app/x.js:3\n"
		   "10000100 20 old_stub\n"
		   "10000100 30 new_stub\n");
	fclose(f);
	assert_int_equal(ks_symbolizer__add_pid(s, getpid(), false), 0);
	assert_int_equal(ks_symbolizer__user(s, getpid(), 0x10000010, &sym), 0);
	unlink(path);
	assert_string_equal(sym.name, "LazyCompile:~fib /app/x.js:3");
	assert_int_equal(sym.sym_off, 0x10);
	assert_int_equal(sym.kind, KS_FRAME_JIT);
	assert_int_equal(ks_symbolizer__user(s, getpid(), 0x10000101, &sym), 0);
	assert_string_equal(sym.name, "new_stub");	/* the later line wins */
	/* past the end of the JIT function and of any mapping */
	assert_int_equal(ks_symbolizer__user(s, getpid(), 0x10000050, &sym), -ENOENT);
	assert_string_equal(ks_sym_format(&sym, buf, sizeof(buf)), "[unknown]");
	ks_symbolizer__free(s);
}

static void sym_format__names_and_truncation__as_snprintf(void **state)
{
	struct ks_sym sym = { .module = "/usr/lib/libx.so.1", .file_off = 0x1a2b3c };
	char buf[64], want[64];
	size_t len;

	assert_string_equal(ks_sym_format(&sym, buf, sizeof(buf)), "libx.so.1+0x1a2b3c");
	sym.file_off = 0;
	assert_string_equal(ks_sym_format(&sym, buf, sizeof(buf)), "libx.so.1+0x0");
	sym.file_off = UINT64_MAX;
	assert_string_equal(ks_sym_format(&sym, buf, sizeof(buf)),
			    "libx.so.1+0xffffffffffffffff");
	/* every cut is what snprintf would give */
	for (len = 1; len < 32; len++) {
		snprintf(want, len, "libx.so.1+0x%llx", (unsigned long long)sym.file_off);
		assert_string_equal(ks_sym_format(&sym, buf, len), want);
	}
	sym.name = "a_function_name";
	for (len = 1; len < 20; len++) {
		snprintf(want, len, "%s", sym.name);
		assert_string_equal(ks_sym_format(&sym, buf, len), want);
	}
}

static void user__unknown_address__enoent(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	struct ks_sym sym;
	char buf[64];

	assert_int_equal(ks_symbolizer__user(s, getpid(), 0x10, &sym), -ENOENT);
	assert_string_equal(ks_sym_format(&sym, buf, sizeof(buf)), "[unknown]");
	assert_int_equal(ks_symbolizer__user(s, 0x7ffffff0, 0x1000, &sym), -ENOENT);
	ks_symbolizer__free(s);
}

/* @addr - start of the executable mapping of @lib in this process */
static uint64_t own_text_offset(uint64_t addr, const char *lib)
{
	unsigned long lo, hi;
	char line[512];
	uint64_t off = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "r-xp") && strstr(line, lib) &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2 && addr >= lo && addr < hi)
			off = addr - lo;
	if (f)
		fclose(f);
	return off;
}

static void user__after_exit__snapshot_still_resolves(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	unsigned long start = 0, end, off;
	uint64_t qoff;
	char line[512];
	struct ks_sym sym;
	pid_t pid;
	FILE *m;
	int i;

	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		execl("/bin/sleep", "sleep", "10", (char *)NULL);
		_exit(127);
	}
	/* wait until sleep is exec'ed and ld.so has mapped libc's text */
	for (i = 0; i < 400 && !start; i++) {
		char exe[512] = "";

		snprintf(line, sizeof(line), "/proc/%d/exe", pid);
		if (readlink(line, exe, sizeof(exe) - 1) <= 0 || !strstr(exe, "sleep")) {
			usleep(5000);
			continue;
		}
		snprintf(line, sizeof(line), "/proc/%d/maps", pid);
		m = fopen(line, "r");
		while (m && fgets(line, sizeof(line), m))
			if (strstr(line, "r-xp") && strstr(line, "libc.so") &&
			    sscanf(line, "%lx-%lx %*s %lx", &start, &end, &off) == 3)
				break;
		if (m)
			fclose(m);
		if (!start)
			usleep(5000);
	}
	assert_true(start != 0);
	assert_int_equal(ks_symbolizer__add_pid(s, pid, false), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* same libc as ours: qsort sits at the same offset from the text start */
	qoff = own_text_offset((uintptr_t)libc_qsort(), "libc.so");
	assert_true(qoff != 0);
	/* the process is gone; its libc text still resolves from the snapshot */
	assert_int_equal(ks_symbolizer__user(s, pid, start + qoff + 1, &sym), 0);
	assert_true(strstr(sym.module, "libc.so") != NULL);
	assert_non_null(sym.name);
	assert_true(strstr(sym.name, "qsort") != NULL);
	ks_symbolizer__free(s);
}

static void add_pid__refresh__sees_library_mapped_later(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	struct ks_sym sym;
	char f[300];
	void *h, *fn;

	path_of(f, sizeof(f), "late.so");
	assert_int_equal(ks_symbolizer__add_pid(s, getpid(), false), 0);
	h = dlopen(f, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	fn = dlsym(h, "late_fn");
	assert_non_null(fn);
	/* not in the snapshot, and no refresh asked: unknown */
	assert_int_equal(ks_symbolizer__add_pid(s, getpid(), false), 0);
	assert_int_equal(ks_symbolizer__user(s, getpid(), (uintptr_t)fn + 1, &sym), -ENOENT);
	assert_int_equal(ks_symbolizer__add_pid(s, getpid(), true), 0);
	assert_int_equal(ks_symbolizer__user(s, getpid(), (uintptr_t)fn + 1, &sym), 0);
	assert_non_null(sym.name);
	assert_string_equal(sym.name, "late_fn");
	assert_string_equal(sym.module, f);
	/* dropped: the next lookup takes a new snapshot */
	ks_symbolizer__drop_pid(s, getpid());
	assert_int_equal(ks_symbolizer__user(s, getpid(), (uintptr_t)fn + 1, &sym), 0);
	assert_string_equal(sym.name, "late_fn");
	dlclose(h);
	ks_symbolizer__free(s);
}

static void kernel__kallsyms__finds_symbol(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	unsigned long long addr = 0;
	char line[512], name[256], t;
	struct ks_sym sym;
	FILE *f = fopen("/proc/kallsyms", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &t, name) == 3 &&
		    !strcmp(name, "do_sys_openat2"))
			break;
	fclose(f);
	if (!addr)
		skip();	/* kptr_restrict or no such symbol */
	assert_int_equal(ks_symbolizer__kernel(s, addr + 4, &sym), 0);
	assert_string_equal(sym.name, "do_sys_openat2");
	assert_int_equal(sym.sym_off, 4);
	assert_string_equal(sym.module, "[kernel]");
	assert_int_equal(sym.kind, KS_FRAME_KERNEL);
	ks_symbolizer__free(s);
}

/* ---- unwinding through the symbolizer ---- */

static struct {
	struct ks_uregs regs;
	uint64_t stack[1024];
	size_t len;
} snap;

static uint64_t stack_end(void)
{
	unsigned long lo, hi;
	char line[512];
	uint64_t end = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			end = hi;
	if (f)
		fclose(f);
	return end;
}

/* reads other frames' bytes on purpose, as the BPF side does */
static NOIPA __attribute__((no_sanitize("address"))) void take_snapshot(void)
{
	uint64_t top = stack_end(), i;
	const volatile uint64_t *src;

	__asm__ volatile("mov %%rbp, %2\n\tmov %%rsp, %1\n\tlea 0(%%rip), %0"
			 : "=r"(snap.regs.ip), "=r"(snap.regs.sp), "=r"(snap.regs.bp));
	src = (const volatile uint64_t *)(uintptr_t)snap.regs.sp;
	snap.len = sizeof(snap.stack);
	if (top - snap.regs.sp < snap.len)
		snap.len = top - snap.regs.sp;
	for (i = 0; i < snap.len / 8; i++)
		snap.stack[i] = src[i];
}

static volatile int sink;
static NOIPA __attribute__((optimize("omit-frame-pointer"))) int chain3(int x)
{
	volatile char pad[40] = { 0 };

	take_snapshot();
	pad[x & 31] = 1;
	return pad[3] + x;
}
static NOIPA __attribute__((optimize("omit-frame-pointer"))) int chain2(int x)
{
	volatile long pad[3] = { 0 };

	pad[x & 1] = x;
	return chain3(x + 1) + (int)pad[0];
}
static NOIPA int chain1(int x) { return chain2(x + 1) * 2; }

static void unwind__own_stack__chain_named(void **state)
{
	struct ks_symbolizer *s = ks_symbolizer__new();
	const char *want[] = { "take_snapshot", "chain3", "chain2", "chain1",
			       "unwind__own_stack__chain_named" };
	uint64_t ips[64];
	struct ks_sym sym;
	bool complete;
	int n, i, found_main = 0;

	sink = chain1(0);
	assert_int_equal(ks_symbolizer__add_pid(s, getpid(), false), 0);
	n = ks_symbolizer__unwind(s, getpid(), &snap.regs, snap.stack, snap.len, ips, 64,
				  &complete);
	assert_true(n > 5);
	for (i = 0; i < n; i++) {
		uint64_t look = i ? ips[i] - 1 : ips[i];

		assert_int_equal(ks_symbolizer__user(s, getpid(), look, &sym), 0);
		if (i < (int)(sizeof(want) / sizeof(want[0]))) {
			if (!sym.name || strcmp(sym.name, want[i]))
				fail_msg("frame %d: expected %s, saw %s", i, want[i],
					 sym.name ? sym.name : "(null)");
		}
		if (sym.name && !strcmp(sym.name, "main"))
			found_main = 1;
	}
	assert_true(found_main);
	assert_true(complete);
	ks_symbolizer__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file__symtab__finds_static_and_global),
		cmocka_unit_test(file__dynsym_only__finds_exported_not_static),
		cmocka_unit_test(file__build_id_debug_file__finds_static_in_compressed_debug),
		cmocka_unit_test(file__debuglink__finds_debug_file_in_dot_debug),
		cmocka_unit_test(file__cxx_name__demangled),
		cmocka_unit_test(file__label_without_size__size_from_next_symbol),
		cmocka_unit_test(file__missing__error),
		cmocka_unit_test(user__own_pie_function__named),
		cmocka_unit_test(user__vdso__named_from_image),
		cmocka_unit_test(user__perf_map__jit_symbols),
		cmocka_unit_test(sym_format__names_and_truncation__as_snprintf),
		cmocka_unit_test(user__unknown_address__enoent),
		cmocka_unit_test(user__after_exit__snapshot_still_resolves),
		cmocka_unit_test(add_pid__refresh__sees_library_mapped_later),
		cmocka_unit_test(kernel__kallsyms__finds_symbol),
		cmocka_unit_test(unwind__own_stack__chain_named),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
