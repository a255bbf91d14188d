// SPDX-License-Identifier: GPL-2.0
/* Small helpers every tool uses: errors, argument parsing, signals, output. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_util.h"

int ks_verbose;
volatile sig_atomic_t ks_exiting;

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "kscope: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ks_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void ks_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void ks_info(const char *fmt, ...)
{
	va_list ap;

	if (!ks_verbose)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

int ks_parse_uint(const char *arg, const char *what, unsigned long min,
		  unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!arg || !*arg || *arg == '-')
		goto bad;
	v = strtoul(arg, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	ks_err("invalid %s '%s': expected an integer from %lu to %lu",
	       what, arg ? arg : "", min, max);
	return -EINVAL;
}

int ks_parse_seconds(const char *arg, const char *what, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = arg ? strtod(arg, &end) : NAN;
	if (!arg || errno || end == arg || *end || !(v > 0) || v > 365 * 86400.0) {
		ks_err("invalid %s '%s': expected a positive number of seconds",
		       what, arg ? arg : "");
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int ks_parse_pids(const char *arg, __u32 *pids, int max)
{
	char *copy, *tok, *save = NULL, path[64];
	unsigned long v;
	int n = 0, err = 0;

	copy = strdup(arg ? arg : "");
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (ks_parse_uint(tok, "pid", 1, INT_MAX, &v)) {
			err = -EINVAL;
			goto out;
		}
		if (n >= max) {
			ks_err("too many pids: at most %d", max);
			err = -EINVAL;
			goto out;
		}
		snprintf(path, sizeof(path), "/proc/%lu", v);
		if (access(path, F_OK)) {
			ks_err("no such process: %lu", v);
			err = -ESRCH;
			goto out;
		}
		pids[n++] = v;
	}
	if (!n) {
		ks_err("invalid pid list '%s'", arg ? arg : "");
		err = -EINVAL;
	}
out:
	free(copy);
	return err ? err : n;
}

int ks_check_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	__u64 eff;

	if (geteuid() == 0)
		return 0;
	if (syscall(SYS_capget, &hdr, data) == 0) {
		eff = ((__u64)data[1].effective << 32) | data[0].effective;
#ifndef CAP_BPF
#define CAP_PERFMON 38
#define CAP_BPF 39
#endif
		if ((eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_PERFMON)))
			return 0;
		if (eff & (1ULL << CAP_SYS_ADMIN))
			return 0;
	}
	ks_err("insufficient privileges: run as root, or grant CAP_BPF and CAP_PERFMON "
	       "(CAP_SYS_ADMIN on kernels before 5.8)");
	return -EPERM;
}

static void on_signal(int sig)
{
	ks_exiting = sig;
}

void ks_setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: blocking reads and sleeps return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool ks_sleep(double secs)
{
	uint64_t end = ks_now_ns() + (uint64_t)(secs * 1e9);
	struct timespec ts;

	while (!ks_exiting) {
		uint64_t now = ks_now_ns();
		uint64_t left = secs > 0 ? (now < end ? end - now : 0) : 1000000000ULL;

		if (secs > 0 && !left)
			return false;
		if (left > 200000000ULL)
			left = 200000000ULL;
		ts.tv_sec = left / 1000000000ULL;
		ts.tv_nsec = left % 1000000000ULL;
		nanosleep(&ts, NULL);
	}
	return true;
}

uint64_t ks_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int ks_nr_cpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}

/* Parse a cpulist ("0-3,5") from /sys into @mask; returns the count. */
int ks_online_cpus(uint64_t *mask, int max)
{
	char *s = ks_read_file("/sys/devices/system/cpu/online", NULL), *p;
	int n = 0;

	memset(mask, 0, ((max + 63) / 64) * sizeof(*mask));
	if (!s)
		return -errno;
	for (p = s; *p && *p != '\n';) {
		long a = strtol(p, &p, 10), b = a, i;

		if (*p == '-')
			b = strtol(p + 1, &p, 10);
		for (i = a; i <= b && i < max; i++, n++)
			mask[i / 64] |= 1ULL << (i % 64);
		if (*p == ',')
			p++;
		else
			break;
	}
	free(s);
	return n;
}

int ks_output_open(struct ks_output *out, const char *path)
{
	struct stat st;
	int fd;

	memset(out, 0, sizeof(*out));
	if (!path || !strcmp(path, "-")) {
		out->f = stdout;
		return 0;
	}
	/*
	 * A device, FIFO or socket (/dev/null, /dev/stdout, a pipe made with
	 * mkfifo) is written in place: renaming a temporary file over it would
	 * replace the device node with a plain file (as root, for everyone).
	 */
	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		out->f = fopen(path, "we");
		if (!out->f) {
			int e = errno;

			ks_err("cannot write %s: %s", path, strerror(e));
			return -e;
		}
		out->direct = true;
		return 0;
	}
	out->path = strdup(path);
	if (!out->path || asprintf(&out->tmp, "%s.incomplete", path) < 0) {
		out->tmp = NULL;
		goto err;
	}
	fd = open(out->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || !(out->f = fdopen(fd, "w"))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		ks_err("cannot write %s: %s", path, strerror(e));
		errno = e;
		goto err;
	}
	return 0;
err:
	free(out->path);
	free(out->tmp);
	memset(out, 0, sizeof(*out));
	return errno ? -errno : -ENOMEM;
}

int ks_output_check(const char *path, bool in_place)
{
	bool exists;
	struct stat st;
	char *dir;
	int err = 0;

	if (!path || !strcmp(path, "-"))
		return 0;
	exists = !stat(path, &st);
	if ((exists && S_ISDIR(st.st_mode)) || (*path && path[strlen(path) - 1] == '/')) {
		err = -EISDIR;
	} else if (exists && (!S_ISREG(st.st_mode) || in_place)) {
		/* a device or FIFO, as ks_output_open writes them: in place */
		if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS))
			err = -errno;
	} else {
		dir = strdup(path);
		if (!dir)
			return -ENOMEM;
		if (faccessat(AT_FDCWD, dirname(dir), W_OK, AT_EACCESS))
			err = -errno;
		free(dir);
	}
	if (err)
		ks_err("cannot write %s: %s", path, strerror(-err));
	return err;
}

int ks_output_close(struct ks_output *out, bool complete)
{
	int err = 0;

	if (!out->f)
		return 0;
	if (out->f == stdout) {
		if ((fflush(stdout) || ferror(stdout)) && errno != EPIPE) {
			err = errno ? -errno : -EIO;
			ks_err("cannot write the output: %s", strerror(-err));
		}
		out->f = NULL;
		return err;
	}
	if (out->direct) {
		if ((fflush(out->f) || ferror(out->f)) && errno != EPIPE)
			err = -EIO;
		fclose(out->f);
		out->f = NULL;
		out->direct = false;
		return err;
	}
	if (fflush(out->f) || ferror(out->f))
		err = -EIO;
	fclose(out->f);
	out->f = NULL;
	if (complete && !err) {
		if (rename(out->tmp, out->path))
			err = -errno;
	} else {
		ks_warn("%s left incomplete as %s", out->path, out->tmp);
	}
	if (err && complete)
		ks_err("cannot write %s: %s", out->path, strerror(-err));
	free(out->path);
	free(out->tmp);
	out->path = out->tmp = NULL;
	return err;
}

const char *ks_module_off_name(char *buf, size_t len, const char *module, uint64_t off)
{
	char hex[20], *h = hex + sizeof(hex);
	const char *base;
	size_t n, nh;

	if (!len)
		return buf;
	base = strrchr(module, '/');
	base = base ? base + 1 : module;
	/* "%s+0x%llx" by hand: stripped binaries name every frame so */
	do {
		*--h = "0123456789abcdef"[off & 15];
		off >>= 4;
	} while (off);
	nh = hex + sizeof(hex) - h;
	n = strnlen(base, len - 1);
	memcpy(buf, base, n);
	if (n + 3 + nh < len) {
		memcpy(buf + n, "+0x", 3);
		memcpy(buf + n + 3, h, nh);
		n += 3 + nh;
	} else {	/* cut where snprintf would */
		char full[sizeof(hex) + 3];

		memcpy(full, "+0x", 3);
		memcpy(full + 3, h, nh);
		if (n < len - 1) {
			size_t k = len - 1 - n;

			memcpy(buf + n, full, k < nh + 3 ? k : nh + 3);
			n += k < nh + 3 ? k : nh + 3;
		}
	}
	buf[n] = 0;
	return buf;
}

uint64_t ks_percpu_sum(int map_fd, __u32 key, int ncpus)
{
	uint64_t *vals = calloc(ncpus, sizeof(*vals)), sum = 0;
	int i;

	if (vals && !bpf_map_lookup_elem(map_fd, &key, vals))
		for (i = 0; i < ncpus; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

int ks_ptab_reserve(struct ks_ptab *t, uint64_t (*hash)(const void *entry))
{
	size_t cap = t->cap ? t->cap * 2 : 1024, i, j;
	void **slot;

	if ((t->n + 1) * 2 <= t->cap)
		return 0;
	slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		if (!t->slot[i])
			continue;
		for (j = hash(t->slot[i]) & (cap - 1); slot[j]; j = (j + 1) & (cap - 1))
			;
		slot[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

void ks_ptab_clear(struct ks_ptab *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++) {
		free(t->slot[i]);
		t->slot[i] = NULL;
	}
	t->n = 0;
}

void ks_ptab_free(struct ks_ptab *t)
{
	ks_ptab_clear(t);
	free(t->slot);
	t->slot = NULL;
	t->cap = 0;
}

int ks_ringbuf_drain(struct ring_buffer *rb, int timeout_ms)
{
	int n = ring_buffer__poll(rb, timeout_ms);

	if (n >= 0 || n == -EINTR)
		n = ring_buffer__consume(rb);
	return n == -EINTR ? 0 : n;
}

/* Room for @more entries after the first @n in both arrays. */
static int drain_grow(void **keys, void **vals, size_t *cap, size_t n, size_t more,
		      size_t ksz, size_t vsz)
{
	size_t nc = *cap;
	void *p;

	if (n + more <= nc)
		return 0;
	while (nc < n + more)
		nc = nc ? nc * 2 : 256;
	p = realloc(*keys, nc * ksz);
	if (!p)
		return -ENOMEM;
	*keys = p;
	p = realloc(*vals, nc * vsz);
	if (!p)
		return -ENOMEM;
	*vals = p;
	*cap = nc;
	return 0;
}

/* The batched drain: -EOPNOTSUPP when the kernel has no batch operations. */
static int drain_batch(int fd, size_t ksz, size_t vsz, void **keys, void **vals, size_t *n,
		       size_t *cap)
{
	uint64_t token = 0;	/* hash maps: the next bucket */
	__u32 batch = 256, count;
	bool first = true;
	int err;

	for (;;) {
		err = drain_grow(keys, vals, cap, *n, batch, ksz, vsz);
		if (err)
			return err;
		count = batch;
		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &token, &token,
						      (char *)*keys + *n * ksz,
						      (char *)*vals + *n * vsz, &count, NULL);
		err = err ? -errno : 0;
		if (err == -ENOSPC && batch < (1u << 20)) {
			batch *= 2;	/* one bucket holds more than a batch */
			continue;
		}
		if (err && err != -ENOENT) {
			if (first && (err == -EINVAL || err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */))
				return -EOPNOTSUPP;
			return err;
		}
		*n += count;
		first = false;
		if (err == -ENOENT)	/* the last batch */
			return 0;
	}
}

int ks_grow(void **arr, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t nc = *cap ? *cap : first;
	void *na;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	na = realloc(*arr, nc * size);
	if (!na)
		return -ENOMEM;
	*arr = na;
	*cap = nc;
	return 0;
}

int ks_map_read_array(int fd, __u32 n, size_t stride, void *vals)
{
	__u32 *keys = calloc(n ? n : 1, sizeof(*keys)), out_batch, got = n, i;
	int err;

	if (!keys)
		return -ENOMEM;
	/* keys is output only: the batch lookup writes the keys it returns */
	err = bpf_map_lookup_batch(fd, NULL, &out_batch, keys, vals, &got, NULL);
	free(keys);
	if (!err || (errno == ENOENT && got == n))
		return 0;
	for (i = 0; i < n; i++)
		if (bpf_map_lookup_elem(fd, &i, (char *)vals + (size_t)i * stride))
			return -errno;
	return 0;
}

int ks_map_drain(int fd, size_t ksz, size_t vsz, void **keys, void **vals, size_t *n)
{
	size_t cap = 0, m = 0, i;
	char key[512];
	int err;

	*keys = *vals = NULL;
	*n = 0;
	if (ksz > sizeof(key))
		return -EINVAL;
	err = drain_batch(fd, ksz, vsz, keys, vals, n, &cap);
	if (err != -EOPNOTSUPP && err != -EFAULT)
		goto out;
	/* keys first: deleting while walking restarts the walk */
	err = 0;
	m = *n;
	while (!bpf_map_get_next_key(fd, *n > m ? (char *)*keys + (*n - 1) * ksz : NULL, key)) {
		err = drain_grow(keys, vals, &cap, *n, 1, ksz, vsz);
		if (err)
			goto out;
		memcpy((char *)*keys + (*n)++ * ksz, key, ksz);
	}
	for (i = m; i < *n; i++) {
		void *k = (char *)*keys + i * ksz, *v = (char *)*vals + m * vsz;

		/* before 5.14 (hashes), a racing update is lost between the two */
		if (bpf_map_lookup_and_delete_elem(fd, k, v) &&
		    (bpf_map_lookup_elem(fd, k, v) || bpf_map_delete_elem(fd, k)))
			continue;
		if (m != i)
			memcpy((char *)*keys + m * ksz, k, ksz);
		m++;
	}
	*n = m;
out:
	if (err) {
		free(*keys);
		free(*vals);
		*keys = *vals = NULL;
		*n = 0;
	}
	return err;
}

void ks_bump_memlock(void)
{
	struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };

	setrlimit(RLIMIT_MEMLOCK, &r);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (ks_verbose < 2 && level == LIBBPF_DEBUG)
		return 0;
	if (ks_verbose < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void ks_libbpf_setup(void)
{
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	libbpf_set_print(libbpf_print);
	ks_bump_memlock();
}

int ks_bpf_prepare(void)
{
	if (ks_check_privileges()) {
		errno = EPERM;
		return -EPERM;
	}
	ks_libbpf_setup();
	return 0;
}

char *ks_read_file(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0 || !buf) {
		int e = errno;

		free(buf);
		if (fd >= 0)
			close(fd);
		errno = e;
		return NULL;
	}
	for (;;) {
		if (n + 1 >= cap) {
			nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				close(fd);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

void ks_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}
