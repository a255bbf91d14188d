/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers every tool uses: errors, argument parsing, signals, output. */
#ifndef KS_UTIL_H
#define KS_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

extern int ks_verbose;			/* -v count */
extern volatile sig_atomic_t ks_exiting;	/* set by SIGINT/SIGTERM/SIGHUP */

/* One-line error on stderr: "kscope: <msg>". */
void ks_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ks_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ks_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* only with -v */

/* Exit codes, the bcc/libbpf-tools habit plus usage = 2; 3: a --fail-on rule broke. */
enum { KS_EXIT_OK = 0, KS_EXIT_FAIL = 1, KS_EXIT_USAGE = 2, KS_EXIT_RULE_BROKEN = 3 };

/*
 * "-p 12,34": parse, check that every pid exists. Returns the count, or
 * -EINVAL (bad syntax) / -ESRCH (no such process) after printing the error.
 */
int ks_parse_pids(const char *arg, __u32 *pids, int max);
int ks_parse_uint(const char *arg, const char *what, unsigned long min,
		  unsigned long max, unsigned long *out);
int ks_parse_seconds(const char *arg, const char *what, double *out);

/* root, or CAP_BPF + CAP_PERFMON (+ CAP_SYS_ADMIN on old kernels). */
int ks_check_privileges(void);

/* SIGINT, SIGTERM, SIGHUP and SIGPIPE set ks_exiting; sleeps wake early. */
void ks_setup_signals(void);
/* Sleep up to @secs (0 = until a signal); returns true if interrupted. */
bool ks_sleep(double secs);

uint64_t ks_now_ns(void);		/* CLOCK_MONOTONIC, like bpf_ktime_get_ns() */
int ks_nr_cpus(void);			/* possible CPUs (map sizing) */
int ks_online_cpus(uint64_t *mask, int max);

/*
 * Output files are written to "<path>.incomplete" and renamed when complete,
 * so an interrupted run never leaves a truncated file under the real name.
 * "-" or NULL is stdout.
 */
struct ks_output {
	FILE *f;
	char *path;
	char *tmp;
	bool direct;	/* a device or FIFO: written in place, never renamed */
};
int ks_output_open(struct ks_output *out, const char *path);
/*
 * Before the work that fills it: can @path be written the way
 * ks_output_open() will (FILE.incomplete beside it), or in place when
 * @in_place (a writer that opens the path itself)? 0, or -errno with the
 * message printed. NULL and "-" (stdout) pass.
 */
int ks_output_check(const char *path, bool in_place);
int ks_output_close(struct ks_output *out, bool complete);

/*
 * The name of code no symbol names: "basename(@module)+0x@off" (lower-case
 * hex) into @buf, cut like snprintf. Symbolizer and capture format alike.
 */
const char *ks_module_off_name(char *buf, size_t len, const char *module, uint64_t off);

/* Sum of a per-CPU BPF map's u64 values at @key over @ncpus CPUs (0 on error). */
uint64_t ks_percpu_sum(int map_fd, __u32 key, int ncpus);

/*
 * An open-addressing table of pointers to malloc'ed entries, for sums
 * keyed by more than an integer (raw stacks). Users probe slot[] from
 * hash & (cap - 1) onwards to a NULL, and store there after a reserve.
 */
struct ks_ptab {
	void **slot;
	size_t cap, n;		/* cap: 0 or a power of two */
};
/* Room for one more entry: doubled (from 1024) at half full, re-placed by @hash. */
int ks_ptab_reserve(struct ks_ptab *t, uint64_t (*hash)(const void *entry));
/* free() every entry, keep the slots. */
void ks_ptab_clear(struct ks_ptab *t);
void ks_ptab_free(struct ks_ptab *t);

struct ring_buffer;
/*
 * Wait up to @timeout_ms on a ring buffer whose producer may not wake its
 * reader (BPF_RB_NO_WAKEUP), then consume what is there. Records consumed,
 * or -errno; a signal is not an error.
 */
int ks_ringbuf_drain(struct ring_buffer *rb, int timeout_ms);

/*
 * Take every entry out of the BPF hash map @fd: *keys and *vals become
 * malloc'ed arrays of *n entries of @ksz and @vsz bytes (@vsz: the whole
 * value, every CPU's for a per-CPU map); free both. One system call per
 * batch of entries (BPF_MAP_LOOKUP_AND_DELETE_BATCH, 5.6+), else a walk of
 * the keys and a lookup-and-delete each. An entry the kernel adds or
 * updates meanwhile is taken now or stays for the next drain. 0 or -errno.
 */
int ks_map_drain(int fd, size_t ksz, size_t vsz, void **keys, void **vals, size_t *n);
/*
 * Read entries 0..@n-1 of an array map (per-CPU or not) into @vals, @stride
 * bytes each (a per-CPU entry is its value rounded up to 8 bytes, times the
 * possible CPUs): one batch lookup, or one lookup per entry on kernels
 * without batch operations (< 5.6). 0 or -errno.
 */
int ks_map_read_array(int fd, __u32 n, size_t stride, void *vals);

/*
 * Make room for @need elements of @size bytes in the malloc'ed array *arr of
 * *cap: the capacity doubles, from @first. 0, or -ENOMEM with the array as
 * it was.
 */
int ks_grow(void **arr, size_t *cap, size_t need, size_t size, size_t first);

/* Bump RLIMIT_MEMLOCK for kernels that still charge BPF maps to it. */
void ks_bump_memlock(void);
/* libbpf prints only with -vv; its warnings otherwise go through ks_info. */
void ks_libbpf_setup(void);
/*
 * Before a collector loads BPF: the privileges (message printed), libbpf's
 * setup and RLIMIT_MEMLOCK. 0, or -EPERM with errno set.
 */
int ks_bpf_prepare(void);

/* Read a whole small file (procfs, sysfs). NUL-terminated; free() it. */
char *ks_read_file(const char *path, size_t *len);
/* JSON string escaping to @f. */
void ks_json_str(FILE *f, const char *s);

#endif /* KS_UTIL_H */
