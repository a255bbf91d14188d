// SPDX-License-Identifier: GPL-2.0
/* Capture files: round trip of every model field, truncation, corruption, unknown chunks. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ks_capture.h"
#include "ks_hist.h"
#include "ks_util.h"

static char path[64];

static void fill_model(struct ks_model *m, int seed)
{
	struct ks_frame fr[3] = {
		{ .name = "proc", .kind = KS_FRAME_PROCESS },
		{ .name = "main", .module = "/bin/x", .addr = 0x401000, .offset = 0x1000 },
		{ .name = "hot", .module = "/bin/x", .addr = 0x401100, .kind = KS_FRAME_USER },
	};
	struct ks_task *t;
	int i;

	m->t_start_ns = 1000000000ULL * (seed + 1);
	m->t_end_ns = m->t_start_ns + 1000000000ULL;
	m->wall_start = 1700000000.5 + seed;
	m->ncpus = 2;
	m->lost = 7 + seed;
	ks_hist_add(&m->runq_all, 1234);
	ks_hist_add(&m->io_all, 5000000);
	for (i = 0; i < 3; i++) {
		t = ks_model__task(m, 100 + i, 100 + i, "worker");
		t->oncpu_ns = 1000 * (i + 1);
		t->offcpu_ns[KS_OFF_IO] = 42 + i;
		t->offcpu_ns[KS_OFF_LOCK] = 9;
		ks_hist_add(&t->runq, 77777);
		ks_hist_add(&t->io, 1ULL << 39);
		t->preempt = 3;
		t->ctxsw = 4;
		t->syscalls = 5;
		t->syscall_errors = 6;
		t->syscall_ns = 1ULL << 62;
		t->faults = 8;
		t->io_bytes = 4096;
		t->io_ops = 1;
		t->exited = i == 2;
	}
	ks_hist_add(&ks_model__syscall(m, 0, 74)->lat, 3000);
	ks_model__syscall(m, 0, 74)->count = 10;
	ks_model__disk(m, 253 << 20)->writes = 11;
	strcpy(ks_model__disk(m, 253 << 20)->name, "vda");
	ks_model__gap(m, "lock wait", "no fentry (EPERM)");
	m->oncpu = ks_profile__new("samples");
	m->oncpu->hz = 99;
	m->oncpu->acct.samples = 12;
	m->oncpu->acct.frames_unnamed = 1;
	strcpy(m->oncpu->acct.notes, "note");
	ks_profile__add(m->oncpu, 100, 101, fr, 3, 10 + seed);
	ks_profile__add(m->oncpu, 100, 101, fr, 2, 2);
	m->offcpu = ks_profile__new("us");
	ks_profile__add(m->offcpu, 100, 100, fr, 2, 5);
}

static void new_path(void)
{
	strcpy(path, "/tmp/ks-test-capture.XXXXXX");
	close(mkstemp(path));
}

static void write_capture(int n, bool complete)
{
	struct ks_capture_writer_opts o = { .sz = sizeof(o), .no_sync = true,
					    .collectors = "profile", .interval_s = 1 };
	struct ks_capture_writer *w;
	int i;

	new_path();
	w = ks_capture_writer__open(path, &o);
	assert_non_null(w);
	for (i = 0; i < n; i++) {
		struct ks_model *m = ks_model__new();

		fill_model(m, i);
		assert_int_equal(ks_capture_writer__write(w, m), 0);
		ks_model__free(m);
	}
	assert_int_equal(ks_capture_writer__close(w, complete), 0);
}

static unsigned char *slurp(size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *d = malloc(1 << 20);

	*len = fread(d, 1, 1 << 20, f);
	fclose(f);
	return d;
}

static int count_intervals(const void *d, size_t len, int *err, bool *trunc)
{
	struct ks_capture_reader *r = ks_capture_reader__open_mem(d, len);
	struct ks_model *m = ks_model__new();
	int n = 0, e;

	*err = 0;
	if (!r) {
		*err = -1;
		ks_model__free(m);
		return 0;
	}
	while ((e = ks_capture_reader__next(r, m)) > 0)
		n++;
	*err = e;
	*trunc = ks_capture_reader__truncated(r);
	ks_capture_reader__free(r);
	ks_model__free(m);
	return n;
}

static void capture__round_trip__same_model(void **state)
{
	struct ks_capture_reader *r;
	struct ks_model *m = ks_model__new(), *e = ks_model__new();
	const struct ks_task *t, *et;
	struct stat st;
	size_t i;

	write_capture(2, true);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	r = ks_capture_reader__open(path);
	assert_non_null(r);
	assert_string_equal(ks_capture_reader__meta(r)->collectors, "profile");
	assert_int_equal(ks_capture_reader__next(r, m), 1);
	assert_int_equal(ks_capture_reader__next(r, m), 1);
	fill_model(e, 1);
	assert_int_equal(m->t_start_ns, e->t_start_ns);
	assert_int_equal(m->t_end_ns, e->t_end_ns);
	assert_true(m->wall_start == e->wall_start);
	assert_int_equal(m->ncpus, 2);
	assert_int_equal(m->lost, 8);
	assert_memory_equal(&m->runq_all, &e->runq_all, sizeof(m->runq_all));
	assert_memory_equal(&m->io_all, &e->io_all, sizeof(m->io_all));
	assert_int_equal(m->ntasks, 3);
	for (i = 0; i < e->ntasks; i++) {
		et = &e->tasks[i];
		t = ks_model__find(m, et->pid);
		assert_non_null(t);
		assert_memory_equal(t, et, sizeof(*t));
	}
	assert_int_equal(m->nsyscalls, 1);
	assert_memory_equal(m->syscalls, e->syscalls, sizeof(*m->syscalls));
	assert_int_equal(m->ndisks, 1);
	assert_memory_equal(m->disks, e->disks, sizeof(*m->disks));
	assert_int_equal(m->ngaps, 1);
	assert_string_equal(m->gaps[0].reason, "no fentry (EPERM)");
	assert_non_null(m->oncpu);
	assert_int_equal(m->oncpu->nstacks, 2);
	assert_int_equal(ks_profile__total(m->oncpu), 13);
	assert_int_equal(m->oncpu->hz, 99);
	assert_int_equal(m->oncpu->acct.samples, 12);
	assert_string_equal(m->oncpu->acct.notes, "note");
	ks_profile__sort(m->oncpu);
	assert_string_equal(m->oncpu->stacks[0].frames[2].name, "hot");
	assert_string_equal(m->oncpu->stacks[0].frames[2].module, "/bin/x");
	assert_int_equal(m->oncpu->stacks[0].frames[2].addr, 0x401100);
	assert_int_equal(m->oncpu->stacks[0].tid, 101);
	assert_null(m->oncpu->stacks[0].frames[0].module);
	assert_non_null(m->offcpu);
	assert_string_equal(m->offcpu->unit, "us");
	assert_null(m->locks);
	assert_int_equal(ks_capture_reader__next(r, m), 0);
	assert_false(ks_capture_reader__truncated(r));
	ks_capture_reader__free(r);
	ks_model__free(m);
	ks_model__free(e);
	unlink(path);
}

/* Frames as name, module, addr, offset, kind: every field read back as written. */
static const struct ks_frame frames_in[] = {
	{ .name = "app", .kind = KS_FRAME_PROCESS },
	{ .name = "main", .module = "/usr/bin/app", .addr = 0x555555555100, .offset = 0x1100 },
	/* unnamed: "binary+0xoffset", derived by the reader, not stored */
	{ .name = "app+0x1234", .module = "/usr/bin/app", .addr = 0x555555555234,
	  .offset = 0x1234, .kind = KS_FRAME_UNKNOWN },
	/* looks derived, is not (another offset): stored */
	{ .name = "app+0x9999", .module = "/usr/bin/app", .addr = 0x555555555238,
	  .offset = 0x1238, .kind = KS_FRAME_UNKNOWN },
	/* the same binary at another load address (another process) */
	{ .name = "app+0x1234", .module = "/usr/bin/app", .addr = 0x7f0000001234,
	  .offset = 0x1234, .kind = KS_FRAME_UNKNOWN },
	{ .name = "libc.so.6+0x29d90", .module = "/lib/libc.so.6", .addr = 0x7ffff7c29d90,
	  .offset = 0x29d90, .kind = KS_FRAME_UNKNOWN },
	{ .name = "schedule", .module = "[kernel]", .addr = 0xffffffff81f3a0b5,
	  .kind = KS_FRAME_KERNEL },
	/* addr below offset: a negative bias change */
	{ .name = "odd", .module = "/usr/bin/app", .addr = 0x10, .offset = 0x2000 },
};

static void capture__frames__every_field_exact(void **state)
{
	struct ks_capture_writer_opts o = { .sz = sizeof(o), .no_sync = true };
	struct ks_capture_reader *r;
	struct ks_capture_writer *w;
	struct ks_model *m;
	size_t i, n = ARRAY_SIZE(frames_in);
	int iv, k;

	strcpy(path, "/tmp/ks-test-capture.XXXXXX");
	close(mkstemp(path));
	w = ks_capture_writer__open(path, &o);
	assert_non_null(w);
	/* the second interval names its frames from the dictionary */
	for (iv = 0; iv < 2; iv++) {
		m = ks_model__new();
		m->t_start_ns = 1 + iv;
		m->t_end_ns = 2 + iv;
		m->oncpu = ks_profile__new("samples");
		for (i = 1; i < n; i++)
			ks_profile__add(m->oncpu, i, i, (struct ks_frame[]){ frames_in[0],
					frames_in[i] }, 2, 1);
		assert_int_equal(ks_capture_writer__write(w, m), 0);
		ks_model__free(m);
	}
	assert_int_equal(ks_capture_writer__close(w, true), 0);
	r = ks_capture_reader__open(path);
	assert_non_null(r);
	assert_int_equal(ks_capture_reader__meta(r)->format_version, KS_CAPTURE_VERSION);
	m = ks_model__new();
	for (iv = 0; iv < 2; iv++) {
		assert_int_equal(ks_capture_reader__next(r, m), 1);
		assert_int_equal(m->oncpu->nstacks, n - 1);
		for (k = 0; k < (int)m->oncpu->nstacks; k++) {
			const struct ks_stack *st = &m->oncpu->stacks[k];
			const struct ks_frame *f = &st->frames[1], *e = &frames_in[st->pid];

			assert_int_equal(st->nframes, 2);
			assert_string_equal(f->name, e->name);
			assert_string_equal(f->module, e->module);
			assert_int_equal(f->addr, e->addr);
			assert_int_equal(f->offset, e->offset);
			assert_int_equal(f->kind, e->kind);
		}
	}
	ks_capture_reader__free(r);
	ks_model__free(m);
	unlink(path);
}

/* Interval @iv of the stack-dictionary test: which stacks (by pid) and values. */
static size_t dict_stacks(int iv, uint32_t *pids)
{
	static const uint32_t in[][4] = { { 1, 2 }, { 1, 3 }, { 3, 2, 1 }, { 4, 1 } };
	size_t n = iv == 2 ? 3 : 2;

	memcpy(pids, in[iv], n * sizeof(*pids));
	return n;
}

static void add_pid_stack(struct ks_profile *p, uint32_t pid, uint64_t value)
{
	char leaf[32];
	struct ks_frame fr[3] = {
		{ .name = "proc", .kind = KS_FRAME_PROCESS },
		{ .name = "main", .module = "/bin/x", .addr = 0x401000, .offset = 0x1000 },
		{ .name = leaf },
	};

	snprintf(leaf, sizeof(leaf), "leaf%u", pid % 7);
	ks_profile__add(p, pid, pid, fr, 3, value);
}

static void check_pid_stacks(const struct ks_profile *p, size_t n, uint64_t vbase)
{
	size_t i;

	assert_int_equal(p->nstacks, n);
	for (i = 0; i < p->nstacks; i++) {
		const struct ks_stack *st = &p->stacks[i];
		char leaf[32];

		snprintf(leaf, sizeof(leaf), "leaf%u", st->pid % 7);
		assert_int_equal(st->tid, st->pid);
		assert_int_equal(st->value, vbase + st->pid);
		assert_int_equal(st->nframes, 3);
		assert_string_equal(st->frames[1].module, "/bin/x");
		assert_string_equal(st->frames[2].name, leaf);
	}
}

/*
 * Stacks seen before are written as a dictionary index: intervals that
 * repeat, mix and reorder stacks read back the same, and so do profiles
 * past the dictionary's size (emptied, or sent without being kept).
 */
static void capture__stack_dictionary__repeats_and_overflow(void **state)
{
	struct ks_capture_writer_opts o = { .sz = sizeof(o), .no_sync = true };
	struct ks_capture_reader *r;
	struct ks_capture_writer *w;
	struct ks_model *m;
	uint32_t pids[4], big = 300000, i;
	size_t n;
	int iv;

	strcpy(path, "/tmp/ks-test-capture.XXXXXX");
	close(mkstemp(path));
	w = ks_capture_writer__open(path, &o);
	assert_non_null(w);
	for (iv = 0; iv < 7; iv++) {
		m = ks_model__new();
		m->t_start_ns = 1 + iv;
		m->t_end_ns = 2 + iv;
		m->oncpu = ks_profile__new("samples");
		if (iv < 4) {
			n = dict_stacks(iv, pids);
			for (i = 0; i < n; i++)
				add_pid_stack(m->oncpu, pids[i], 10 * iv + pids[i]);
		} else {	/* more stacks than the dictionary holds, twice, then few */
			for (i = 1; i <= (iv < 6 ? big : 3); i++)
				add_pid_stack(m->oncpu, i, 10 * iv + i);
		}
		assert_int_equal(ks_capture_writer__write(w, m), 0);
		ks_model__free(m);
	}
	assert_int_equal(ks_capture_writer__close(w, true), 0);
	r = ks_capture_reader__open(path);
	assert_non_null(r);
	m = ks_model__new();
	for (iv = 0; iv < 7; iv++) {
		assert_int_equal(ks_capture_reader__next(r, m), 1);
		check_pid_stacks(m->oncpu, iv < 4 ? dict_stacks(iv, pids) : iv < 6 ? big : 3,
				 10 * iv);
	}
	assert_int_equal(ks_capture_reader__next(r, m), 0);
	ks_capture_reader__free(r);
	ks_model__free(m);
	unlink(path);
}

/* A version-1 capture (kscope 0.1.0: cpu_chain, 2 s) still reads. */
static void capture__format_1__read(void **state)
{
	struct ks_capture_reader *r;
	struct ks_model *m = ks_model__new();
	char v1[256];
	int n = 0;

	snprintf(v1, sizeof(v1), "%.*s/data/v1.kscap",
		 (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__);
	r = ks_capture_reader__open(v1);
	assert_non_null(r);
	assert_int_equal(ks_capture_reader__meta(r)->format_version, 1);
	while (ks_capture_reader__next(r, m) == 1) {
		assert_non_null(m->oncpu);
		ks_profile__sort(m->oncpu);
		assert_true(m->oncpu->nstacks > 0);
		assert_string_equal(m->oncpu->stacks[0].frames[0].name, "cpu_chain");
		assert_string_equal(m->oncpu->stacks[0].frames[7].name, "chain_leaf");
		assert_true(m->oncpu->stacks[0].frames[7].addr > 0x1000);
		n++;
	}
	assert_int_equal(n, 2);
	assert_false(ks_capture_reader__truncated(r));
	ks_capture_reader__free(r);
	ks_model__free(m);
}

static void capture__truncated__reads_complete_chunks(void **state)
{
	size_t len, cut;
	unsigned char *d;
	int err, n;
	bool trunc;

	write_capture(3, true);
	d = slurp(&len);
	/* every cut point: never an error, never more than what is complete */
	for (cut = 1; cut < len; cut++) {
		n = count_intervals(d, cut, &err, &trunc);
		if (err == -1)
			continue;	/* header or metadata cut: rejected at open */
		assert_int_equal(err, 0);
		assert_true(trunc);
		assert_in_range(n, 0, 3);
	}
	n = count_intervals(d, len, &err, &trunc);
	assert_int_equal(n, 3);
	assert_false(trunc);
	free(d);
	unlink(path);
}

static void capture__corrupt__rejected(void **state)
{
	size_t len, i;
	unsigned char *d;
	int err, n, errors = 0;
	bool trunc;

	write_capture(2, true);
	d = slurp(&len);
	/* flip one bit in every byte: crc32 or structure checks catch it */
	for (i = 0; i < len; i++) {
		d[i] ^= 0x10;
		n = count_intervals(d, len, &err, &trunc);
		if (err)
			errors++;
		assert_in_range(n, 0, 2);
		d[i] ^= 0x10;
	}
	assert_true(errors > (int)len * 9 / 10);
	memcpy(d, "NOTACAPT", 8);
	count_intervals(d, len, &err, &trunc);
	assert_int_equal(err, -1);
	free(d);
	unlink(path);
}

static void capture__unknown_chunk__skipped(void **state)
{
	unsigned char *d, *d2, hdr[20];
	struct ks_capture_reader *r;
	struct ks_model *m = ks_model__new();
	const char payload[] = "from the future";
	unsigned char z[128];
	uLongf zl = sizeof(z);
	size_t len, pos = 0;
	uint32_t crc, raw = sizeof(payload);
	int i;

	write_capture(1, true);
	d = slurp(&len);
	compress(z, &zl, (const Bytef *)payload, raw);
	memset(hdr, 0, sizeof(hdr));
	hdr[0] = 99;
	for (i = 0; i < 4; i++) {
		hdr[8 + i] = raw >> (8 * i);
		hdr[12 + i] = zl >> (8 * i);
	}
	crc = crc32(crc32(0, hdr, 16), z, zl);
	for (i = 0; i < 4; i++)
		hdr[16 + i] = crc >> (8 * i);
	/* after the header and the META chunk: find META's length */
	pos = 16 + 20 + (d[16 + 12] | d[16 + 13] << 8 | d[16 + 14] << 16);
	d2 = malloc(len + 20 + zl);
	memcpy(d2, d, pos);
	memcpy(d2 + pos, hdr, 20);
	memcpy(d2 + pos + 20, z, zl);
	memcpy(d2 + pos + 20 + zl, d + pos, len - pos);
	r = ks_capture_reader__open_mem(d2, len + 20 + zl);
	assert_non_null(r);
	assert_int_equal(ks_capture_reader__next(r, m), 1);
	assert_int_equal(m->ntasks, 3);
	assert_int_equal(ks_capture_reader__next(r, m), 0);
	assert_int_equal(ks_capture_reader__skipped(r), 1);
	assert_false(ks_capture_reader__truncated(r));
	ks_capture_reader__free(r);
	ks_model__free(m);
	free(d);
	free(d2);
	unlink(path);
}

static void capture_load__two_intervals__merged(void **state)
{
	struct ks_model *m = ks_model__new();

	write_capture(2, false);
	assert_int_equal(ks_capture_load(path, 0, -1, m, NULL), 2);
	assert_int_equal(ks_model__find(m, 100)->oncpu_ns, 2000);
	assert_int_equal(ks_profile__total(m->oncpu), 10 + 2 + 11 + 2);
	ks_model__free(m);
	m = ks_model__new();
	assert_int_equal(ks_capture_load(path, 0.5, -1, m, NULL), 1);
	ks_model__free(m);
	unlink(path);
}

/* A /proc reading with two users, one of them unknown on any test machine. */
static struct ks_procs_sample *procs_sample(uint64_t t_ns, uint64_t ticks)
{
	struct ks_procs_sample *s = ks_procs_sample__new();
	struct ks_proc p = { .pid = 10, .tgid = 10, .ppid = 1, .uid = 4242, .state = 'R',
			     .cpu_ticks = ticks, .faults = 3, .rss_kb = 2048, .threads = 2,
			     .start_ticks = 77 };

	s->t_ns = t_ns;
	s->wall = 1700000000.25;
	s->hz = 100;
	s->sys.ncpus = 2;
	s->sys.busy[0] = 50;
	s->sys.total[2] = 99;
	s->sys.load[1] = 1.5;
	s->sys.nr_tasks = 321;
	s->sys.mem_avail_kb = 1 << 20;
	s->sys.psi[1].ok = true;
	s->sys.psi[1].has_full = true;
	s->sys.psi[1].full10 = 2.5;
	strcpy(p.user, "capturer");
	strcpy(p.comm, "spin");
	ks_procs_sample__add(s, &p);
	p.pid = p.tgid = 11;
	p.uid = 0;
	p.state = 'S';
	strcpy(p.user, "root");
	strcpy(p.comm, "sleeper");
	ks_procs_sample__add(s, &p);
	return s;
}

static void capture__procs__round_trip_with_start_reading(void **state)
{
	struct ks_capture_writer_opts o = { .sz = sizeof(o), .no_sync = true };
	struct ks_capture_writer *w;
	struct ks_capture_reader *r;
	struct ks_model *m = ks_model__new();
	const struct ks_procs_sample *s;

	new_path();
	w = ks_capture_writer__open(path, &o);
	fill_model(m, 0);
	m->procs_start = procs_sample(1000, 5);
	m->procs = procs_sample(2000, 105);
	assert_int_equal(ks_capture_writer__write(w, m), 0);
	ks_model__reset(m);
	assert_null(m->procs);
	m->procs = procs_sample(3000, 205);
	assert_int_equal(ks_capture_writer__write(w, m), 0);
	assert_int_equal(ks_capture_writer__close(w, true), 0);
	r = ks_capture_reader__open(path);
	assert_non_null(r);
	assert_int_equal(ks_capture_reader__next(r, m), 1);
	assert_non_null(m->procs_start);
	assert_int_equal(m->procs_start->t_ns, 1000);
	assert_int_equal(m->procs_start->procs[0].cpu_ticks, 5);
	s = m->procs;
	assert_non_null(s);
	assert_int_equal(s->t_ns, 2000);
	assert_true(s->wall == 1700000000.25);
	assert_int_equal(s->hz, 100);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->procs[0].pid, 10);
	assert_int_equal(s->procs[0].uid, 4242);
	assert_string_equal(s->procs[0].user, "capturer");
	assert_string_equal(s->procs[0].comm, "spin");
	assert_int_equal(s->procs[0].state, 'R');
	assert_int_equal(s->procs[0].cpu_ticks, 105);
	assert_int_equal(s->procs[0].rss_kb, 2048);
	assert_int_equal(s->procs[0].threads, 2);
	assert_int_equal(s->procs[0].start_ticks, 77);
	assert_string_equal(s->procs[1].user, "root");
	assert_int_equal(s->procs[1].state, 'S');
	assert_int_equal(s->sys.ncpus, 2);
	assert_int_equal(s->sys.busy[0], 50);
	assert_int_equal(s->sys.total[2], 99);
	assert_true(s->sys.load[1] == 1.5);
	assert_int_equal(s->sys.nr_tasks, 321);
	assert_true(s->sys.psi[1].ok && s->sys.psi[1].has_full && s->sys.psi[1].full10 == 2.5);
	assert_false(s->sys.psi[0].ok);
	/* the start reading belongs to the first interval only */
	assert_int_equal(ks_capture_reader__next(r, m), 1);
	assert_null(m->procs_start);
	assert_int_equal(m->procs->procs[0].cpu_ticks, 205);
	ks_capture_reader__free(r);
	ks_model__free(m);
	unlink(path);
}

static void assert_same_pos(const struct ks_capture_pos *a, const struct ks_capture_pos *b)
{
	assert_int_equal(a->off, b->off);
	assert_int_equal(a->chunk, b->chunk);
	assert_int_equal(a->nstrs, b->nstrs);
	assert_int_equal(a->nframes, b->nframes);
}

static void capture_reader__seek_back__same_intervals_again(void **state)
{
	struct ks_capture_pos pos[4], now;
	struct ks_capture_reader *r;
	struct ks_model *m = ks_model__new();
	int i;

	write_capture(3, true);
	r = ks_capture_reader__open(path);
	assert_non_null(r);
	for (i = 0; i < 3; i++) {
		ks_capture_reader__tell(r, &pos[i]);
		assert_int_equal(ks_capture_reader__next(r, m), 1);
	}
	ks_capture_reader__tell(r, &pos[3]);
	assert_true(pos[1].nstrs > 0 && pos[1].nframes > 0);
	assert_int_equal(ks_capture_reader__next(r, m), 0);
	/* back to the second: the same model, named from the dictionary */
	assert_int_equal(ks_capture_reader__seek(r, &pos[1]), 0);
	assert_int_equal(ks_capture_reader__next(r, m), 1);
	assert_true(m->wall_start == 1700000000.5 + 1);
	ks_profile__sort(m->oncpu);
	assert_int_equal(m->oncpu->stacks[0].value, 10 + 1);
	assert_string_equal(m->oncpu->stacks[0].frames[2].name, "hot");
	/* from the first, reading forward retraces the same positions exactly */
	assert_int_equal(ks_capture_reader__seek(r, &pos[0]), 0);
	for (i = 0; i < 3; i++) {
		ks_capture_reader__tell(r, &now);
		assert_same_pos(&now, &pos[i]);
		assert_int_equal(ks_capture_reader__next(r, m), 1);
		assert_true(m->wall_start == 1700000000.5 + i);
	}
	ks_capture_reader__tell(r, &now);
	assert_same_pos(&now, &pos[3]);
	assert_int_equal(ks_capture_reader__next(r, m), 0);
	/* a position no tell() gave */
	now = pos[3];
	now.nstrs += 1000;
	assert_int_equal(ks_capture_reader__seek(r, &now), -EINVAL);
	ks_capture_reader__free(r);
	ks_model__free(m);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(capture__round_trip__same_model),
		cmocka_unit_test(capture__frames__every_field_exact),
		cmocka_unit_test(capture__format_1__read),
		cmocka_unit_test(capture__stack_dictionary__repeats_and_overflow),
		cmocka_unit_test(capture__truncated__reads_complete_chunks),
		cmocka_unit_test(capture__corrupt__rejected),
		cmocka_unit_test(capture__unknown_chunk__skipped),
		cmocka_unit_test(capture_load__two_intervals__merged),
		cmocka_unit_test(capture__procs__round_trip_with_start_reading),
		cmocka_unit_test(capture_reader__seek_back__same_intervals_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
