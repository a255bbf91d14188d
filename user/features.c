// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel feature probing. Every probe does the real thing -- loads a tiny
 * program of the right type and attaches it -- because "the header says so"
 * and "the kernel allows it" differ (fentry loads fail with EPERM on some
 * kernels that have BTF; kprobes may be compiled out; hardware PMUs are
 * missing in VMs). Results are cached for the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ks_features.h"
#include "ks_util.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif
#define TRACEFS "/sys/kernel/tracing"

struct result {
	bool probed, ok;
	char reason[200];
};

static struct result results[KS_FEAT__COUNT];
static struct btf *vmlinux;

static const char *const names[KS_FEAT__COUNT] = {
	[KS_FEAT_BTF] = "btf",
	[KS_FEAT_TP_BTF] = "tp_btf",
	[KS_FEAT_RAW_TP] = "raw_tp",
	[KS_FEAT_TRACEPOINT] = "tracepoint",
	[KS_FEAT_TRACEFS] = "tracefs",
	[KS_FEAT_KPROBE] = "kprobes",
	[KS_FEAT_FENTRY] = "fentry",
	[KS_FEAT_PERF_CPU_CLOCK] = "perf-cpu-clock",
	[KS_FEAT_PERF_CYCLES] = "perf-cycles",
	[KS_FEAT_UPROBE] = "uprobes",
	[KS_FEAT_RINGBUF] = "ringbuf",
	[KS_FEAT_TASK_ITER] = "task-iter",
	[KS_FEAT_BPF_STATS] = "bpf-stats",
	[KS_FEAT_TASK_PT_REGS] = "task-pt-regs",
};

static int set(enum ks_feature f, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int set(enum ks_feature f, bool ok, const char *fmt, ...)
{
	va_list ap;

	results[f].probed = true;
	results[f].ok = ok;
	va_start(ap, fmt);
	vsnprintf(results[f].reason, sizeof(results[f].reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load(enum bpf_prog_type type, enum bpf_attach_type eat, __u32 btf_id,
		const struct bpf_insn *insns, size_t n, char *log, size_t loglen)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = eat,
		    .attach_btf_id = btf_id, .log_buf = log, .log_size = loglen,
		    .log_level = log ? 1 : 0);
	int fd;

	if (log)
		log[0] = 0;
	fd = bpf_prog_load(type, "ks_probe", "GPL", insns, n, &o);
	return fd < 0 ? -errno : fd;
}

static const char *why(int err)
{
	switch (-err) {
	case EPERM:
		return "EPERM: refused by the kernel (lockdown, or the type is not permitted)";
	case EINVAL:
		return "EINVAL: program type or attach type not supported";
	case ENOENT:
		return "ENOENT: not present in this kernel";
	case EOPNOTSUPP:
		return "EOPNOTSUPP: not supported";
	case ENODEV:
		return "ENODEV: no such device/PMU";
	default:
		return strerror(-err);
	}
}

/*
 * Cheap: check the file and its header. The full parse (~100k types, tens
 * of milliseconds) is left to the probes that look types up, and to libbpf
 * when it relocates a program, so that start-up does not pay for it twice.
 */
static void probe_btf(void)
{
	struct { __u16 magic; __u8 version, flags; __u32 hdr_len, type_off, type_len; } h;
	int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, &h, sizeof(h)) : -1;

	if (fd >= 0)
		close(fd);
	if (fd < 0) {
		set(KS_FEAT_BTF, false, "/sys/kernel/btf/vmlinux missing: kernel built without "
		    "CONFIG_DEBUG_INFO_BTF; CO-RE programs cannot load");
		return;
	}
	if (n != sizeof(h) || h.magic != 0xeB9F) {
		set(KS_FEAT_BTF, false, "/sys/kernel/btf/vmlinux is not BTF");
		return;
	}
	set(KS_FEAT_BTF, true, "/sys/kernel/btf/vmlinux, %u KiB of types", h.type_len / 1024);
}

static struct btf *vmlinux_btf(void)
{
	static bool tried;

	if (!tried && results[KS_FEAT_BTF].ok) {
		tried = true;
		vmlinux = btf__load_vmlinux_btf();
	}
	return vmlinux;
}

static int btf_id(const char *name, __u32 kind)
{
	return vmlinux_btf() ? btf__find_by_name_kind(vmlinux, name, kind) : -ENOENT;
}

static void probe_tp_btf(void)
{
	int id = btf_id("btf_trace_sched_switch", BTF_KIND_TYPEDEF), fd, lfd;

	if (id < 0) {
		set(KS_FEAT_TP_BTF, false, "no BTF for tracepoints (needs BTF, kernel >= 5.5)");
		return;
	}
	fd = load(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, id, ret0, 2, NULL, 0);
	if (fd < 0) {
		set(KS_FEAT_TP_BTF, false, "load failed: %s", why(fd));
		return;
	}
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd < 0)
		set(KS_FEAT_TP_BTF, false, "attach failed: %s", why(-errno));
	else
		set(KS_FEAT_TP_BTF, true, "loaded and attached to sched_switch");
	if (lfd >= 0)
		close(lfd);
	close(fd);
}

static void probe_raw_tp(void)
{
	int fd = load(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0, ret0, 2, NULL, 0), lfd;

	if (fd < 0) {
		set(KS_FEAT_RAW_TP, false, "load failed: %s", why(fd));
		return;
	}
	lfd = bpf_raw_tracepoint_open("sched_switch", fd);
	if (lfd < 0)
		set(KS_FEAT_RAW_TP, false, "attach failed: %s", why(-errno));
	else
		set(KS_FEAT_RAW_TP, true, "loaded and attached to sched_switch");
	if (lfd >= 0)
		close(lfd);
	close(fd);
}

static bool tracefs_mounted(const char *dir)
{
	struct statfs st;

	return !statfs(dir, &st) && st.f_type == TRACEFS_MAGIC;
}

static long perf_open(struct perf_event_attr *a, int pid, int cpu)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Attach @prog_fd to a perf event; 0 or -errno. */
static int perf_attach(struct perf_event_attr *a, int pid, int cpu, int prog_fd)
{
	int pfd = perf_open(a, pid, cpu), err = 0;

	if (pfd < 0)
		return -errno;
	if (prog_fd >= 0 && ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd))
		err = -errno;
	close(pfd);
	return err;
}

/* Returns 0 if the classic tracepoint sched:sched_switch takes a program. */
static int classic_tp_attach(const char *tracefs)
{
	char path[128], *s;
	struct perf_event_attr a = { .size = sizeof(a), .type = PERF_TYPE_TRACEPOINT,
				     .sample_period = 1, .wakeup_events = 1 };
	int fd, err;

	snprintf(path, sizeof(path), "%s/events/sched/sched_switch/id", tracefs);
	s = ks_read_file(path, NULL);
	if (!s)
		return -errno;
	a.config = strtoull(s, NULL, 10);
	free(s);
	fd = load(BPF_PROG_TYPE_TRACEPOINT, 0, 0, ret0, 2, NULL, 0);
	if (fd < 0)
		return fd;
	err = perf_attach(&a, -1, 0, fd);
	close(fd);
	return err;
}

static void probe_tracepoint(void)
{
	int status, err;
	pid_t child;

	if (tracefs_mounted(TRACEFS)) {
		set(KS_FEAT_TRACEFS, true, "mounted at " TRACEFS);
		err = classic_tp_attach(TRACEFS);
		if (err)
			set(KS_FEAT_TRACEPOINT, false, "attach failed: %s", why(err));
		else
			set(KS_FEAT_TRACEPOINT, true, "attached to sched:sched_switch");
		return;
	}
	set(KS_FEAT_TRACEFS, false, "not mounted at " TRACEFS " (kscope mounts it when it needs "
	    "classic tracepoints)");
	/* Probe in a private mount namespace so that probing changes nothing. */
	child = fork();
	if (child == 0) {
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("nodev", TRACEFS, "tracefs", 0, NULL))
			_exit(100);
		_exit(-classic_tp_attach(TRACEFS) & 0x7f);
	}
	if (child < 0 || waitpid(child, &status, 0) < 0 || !WIFEXITED(status)) {
		set(KS_FEAT_TRACEPOINT, false, "cannot probe: fork failed");
		return;
	}
	err = WEXITSTATUS(status);
	if (err == 100)
		set(KS_FEAT_TRACEPOINT, false, "tracefs cannot be mounted here");
	else if (err)
		set(KS_FEAT_TRACEPOINT, false, "attach failed: %s", why(-err));
	else
		set(KS_FEAT_TRACEPOINT, true, "attached to sched:sched_switch once tracefs "
		    "was mounted (probed in a private mount namespace)");
}

static int pmu_type(const char *pmu)
{
	char path[96], *s;
	int t;

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", pmu);
	s = ks_read_file(path, NULL);
	if (!s)
		return -ENOENT;
	t = atoi(s);
	free(s);
	return t;
}

static void probe_kprobe(void)
{
	struct perf_event_attr a = { .size = sizeof(a), .sample_period = 1 };
	int type = pmu_type("kprobe"), fd, err;

	if (type < 0) {
		set(KS_FEAT_KPROBE, false, "no kprobe PMU in /sys/bus/event_source/devices "
		    "(kernel built without CONFIG_KPROBES/CONFIG_KPROBE_EVENTS)");
		return;
	}
	a.type = type;
	a.config1 = (uintptr_t)"do_nanosleep";	/* kprobe_func */
	fd = load(BPF_PROG_TYPE_KPROBE, 0, 0, ret0, 2, NULL, 0);
	if (fd < 0) {
		set(KS_FEAT_KPROBE, false, "load failed: %s", why(fd));
		return;
	}
	err = perf_attach(&a, -1, 0, fd);
	close(fd);
	if (err)
		set(KS_FEAT_KPROBE, false, "attach to do_nanosleep failed: %s", why(err));
	else
		set(KS_FEAT_KPROBE, true, "attached to do_nanosleep");
}

static void probe_fentry(void)
{
	int id = btf_id("do_nanosleep", BTF_KIND_FUNC), fd, lfd;

	if (id < 0)
		id = btf_id("vfs_read", BTF_KIND_FUNC);
	if (id < 0) {
		set(KS_FEAT_FENTRY, false, "no BTF function to attach to");
		return;
	}
	fd = load(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, id, ret0, 2, NULL, 0);
	if (fd < 0) {
		set(KS_FEAT_FENTRY, false, "load failed: %s", why(fd));
		return;
	}
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd < 0)
		set(KS_FEAT_FENTRY, false, "attach failed: %s", why(-errno));
	else
		set(KS_FEAT_FENTRY, true, "loaded and attached");
	if (lfd >= 0)
		close(lfd);
	close(fd);
}

static void probe_perf(enum ks_feature f, __u32 type, __u64 config, const char *what)
{
	struct perf_event_attr a = { .size = sizeof(a), .type = type, .config = config,
				     .sample_freq = 99, .freq = 1 };
	int fd = load(BPF_PROG_TYPE_PERF_EVENT, 0, 0, ret0, 2, NULL, 0), err;

	if (fd < 0) {
		set(f, false, "perf_event program load failed: %s", why(fd));
		return;
	}
	err = perf_attach(&a, -1, 0, fd);
	close(fd);
	if (err == -ENOENT || err == -EOPNOTSUPP || err == -ENODEV)
		set(f, false, "%s not offered (no hardware PMU: virtual machine?)", what);
	else if (err)
		set(f, false, "%s: %s", what, why(err));
	else
		set(f, true, "%s sampling on CPU 0 with a BPF program", what);
}

static void probe_uprobe(void)
{
	struct perf_event_attr a = { .size = sizeof(a), .sample_period = 1 };
	char exe[4096], *maps, *line;
	uintptr_t target = (uintptr_t)&probe_uprobe;
	unsigned long start, end, pgoff;
	long long off = -1;
	ssize_t n;
	int type = pmu_type("uprobe"), fd, err;

	if (type < 0) {
		set(KS_FEAT_UPROBE, false, "no uprobe PMU (kernel built without CONFIG_UPROBE_EVENTS)");
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	maps = ks_read_file("/proc/self/maps", NULL);
	if (n <= 0 || !maps) {
		free(maps);
		set(KS_FEAT_UPROBE, false, "cannot find our own executable");
		return;
	}
	exe[n] = 0;
	for (line = maps; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (sscanf(line, "%lx-%lx %*s %lx", &start, &end, &pgoff) == 3 &&
		    target >= start && target < end) {
			off = target - start + pgoff;
			break;
		}
	}
	free(maps);
	if (off < 0) {
		set(KS_FEAT_UPROBE, false, "cannot map our own code to a file offset");
		return;
	}
	a.type = type;
	a.config1 = (uintptr_t)exe;	/* uprobe_path */
	a.config2 = off;		/* probe_offset */
	fd = load(BPF_PROG_TYPE_KPROBE, 0, 0, ret0, 2, NULL, 0);
	if (fd < 0) {
		set(KS_FEAT_UPROBE, false, "load failed: %s", why(fd));
		return;
	}
	err = perf_attach(&a, -1, 0, fd);
	close(fd);
	if (err)
		set(KS_FEAT_UPROBE, false, "attach failed: %s", why(err));
	else
		set(KS_FEAT_UPROBE, true, "attached to a function of kscope itself");
}

static void probe_cpu_clock(void)
{
	probe_perf(KS_FEAT_PERF_CPU_CLOCK, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK,
		   "software cpu-clock");
}

static void probe_cycles(void)
{
	probe_perf(KS_FEAT_PERF_CYCLES, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES,
		   "hardware cycles");
}

static void probe_ringbuf(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ks_probe", 0, 0, 4096, NULL);

	if (fd < 0) {
		set(KS_FEAT_RINGBUF, false, "map create failed: %s (needs kernel >= 5.8)",
		    why(-errno));
		return;
	}
	close(fd);
	set(KS_FEAT_RINGBUF, true, "BPF_MAP_TYPE_RINGBUF created");
}

static void probe_task_iter(void)
{
	int id = btf_id("bpf_iter_task", BTF_KIND_FUNC), fd, lfd;

	if (id < 0) {
		set(KS_FEAT_TASK_ITER, false, "no bpf_iter_task in BTF (needs kernel >= 5.8)");
		return;
	}
	fd = load(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, id, ret0, 2, NULL, 0);
	if (fd < 0) {
		set(KS_FEAT_TASK_ITER, false, "load failed: %s", why(fd));
		return;
	}
	lfd = bpf_link_create(fd, 0, BPF_TRACE_ITER, NULL);
	if (lfd < 0)
		set(KS_FEAT_TASK_ITER, false, "link failed: %s", why(-errno));
	else
		set(KS_FEAT_TASK_ITER, true, "task iterator loaded and linked");
	if (lfd >= 0)
		close(lfd);
	close(fd);
}

static void probe_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (fd < 0) {
		set(KS_FEAT_BPF_STATS, false, "BPF_ENABLE_STATS failed: %s (needs kernel >= 5.8)",
		    why(-errno));
		return;
	}
	close(fd);
	set(KS_FEAT_BPF_STATS, true, "run time and run count per program");
}

static void probe_task_pt_regs(void)
{
	int id = btf_id("btf_trace_sched_switch", BTF_KIND_TYPEDEF), fd;
	/* r0 = bpf_get_current_task_btf(); r1 = r0; bpf_task_pt_regs(r1); r0 = 0 */
	const struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_get_current_task_btf },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_task_pt_regs },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	if (id < 0) {
		set(KS_FEAT_TASK_PT_REGS, false, "needs tp_btf");
		return;
	}
	fd = load(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, id, insns, ARRAY_SIZE(insns), NULL, 0);
	if (fd < 0) {
		set(KS_FEAT_TASK_PT_REGS, false, "bpf_task_pt_regs() rejected: %s (kernel >= 5.15)",
		    why(fd));
		return;
	}
	close(fd);
	set(KS_FEAT_TASK_PT_REGS, true, "bpf_task_pt_regs() accepted in tracing programs");
}

static void (*const probes[KS_FEAT__COUNT])(void) = {
	[KS_FEAT_BTF] = probe_btf,
	[KS_FEAT_TP_BTF] = probe_tp_btf,
	[KS_FEAT_RAW_TP] = probe_raw_tp,
	[KS_FEAT_TRACEPOINT] = probe_tracepoint,
	[KS_FEAT_TRACEFS] = probe_tracepoint,
	[KS_FEAT_KPROBE] = probe_kprobe,
	[KS_FEAT_FENTRY] = probe_fentry,
	[KS_FEAT_PERF_CPU_CLOCK] = probe_cpu_clock,
	[KS_FEAT_PERF_CYCLES] = probe_cycles,
	[KS_FEAT_UPROBE] = probe_uprobe,
	[KS_FEAT_RINGBUF] = probe_ringbuf,
	[KS_FEAT_TASK_ITER] = probe_task_iter,
	[KS_FEAT_BPF_STATS] = probe_stats,
	[KS_FEAT_TASK_PT_REGS] = probe_task_pt_regs,
};

/* Probe one feature (and BTF first, which the others look types up in). */
static void probe_one(enum ks_feature f)
{
	static bool setup;

	if (!setup) {
		ks_libbpf_setup();
		setup = true;
	}
	if (!results[KS_FEAT_BTF].probed)
		probe_btf();
	if (!results[f].probed)
		probes[f]();
}

int ks_features_probe(void)
{
	int f;

	for (f = 0; f < KS_FEAT__COUNT; f++)
		probe_one(f);
	return 0;
}

bool ks_feature(enum ks_feature f)
{
	if (f >= KS_FEAT__COUNT)
		return false;
	probe_one(f);
	return results[f].ok;
}

const char *ks_feature_name(enum ks_feature f)
{
	return f < KS_FEAT__COUNT ? names[f] : "?";
}

const char *ks_feature_reason(enum ks_feature f)
{
	if (f >= KS_FEAT__COUNT)
		return "";
	probe_one(f);
	return results[f].reason;
}

enum ks_tp_kind ks_tp_best(void)
{
	if (ks_feature(KS_FEAT_TP_BTF))
		return KS_TP_BTF;
	if (ks_feature(KS_FEAT_RAW_TP))
		return KS_TP_RAW;
	if (ks_feature(KS_FEAT_TRACEPOINT))
		return KS_TP_CLASSIC;
	return KS_TP_NONE;
}

const char *ks_tp_kind_name(enum ks_tp_kind k)
{
	static const char *const n[] = { "tp_btf", "raw_tp", "tracepoint", "none" };

	return k <= KS_TP_NONE ? n[k] : "?";
}

bool ks_tracepoint_exists(const char *category, const char *name)
{
	char buf[160];

	if (ks_feature(KS_FEAT_BTF) && vmlinux_btf()) {
		snprintf(buf, sizeof(buf), "btf_trace_%s", name);
		return btf_id(buf, BTF_KIND_TYPEDEF) >= 0;
	}
	snprintf(buf, sizeof(buf), TRACEFS "/events/%s/%s", category, name);
	return access(buf, F_OK) == 0;
}

int ks_tracefs_mount(void)
{
	if (tracefs_mounted(TRACEFS))
		return 0;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL)) {
		int err = -errno;

		ks_err("cannot mount tracefs at " TRACEFS ": %s", strerror(-err));
		return err;
	}
	ks_info("mounted tracefs at " TRACEFS);
	results[KS_FEAT_TRACEFS].ok = true;
	return 0;
}
