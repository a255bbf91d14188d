// SPDX-License-Identifier: GPL-2.0
/*
 * What the collector front ends share (include/ks_collect.h): their common
 * options, the run loop, and the command body around a collector.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_collect.h"
#include "ks_model.h"
#include "ks_util.h"

int ks_collect_parse_opt(int opt, const char *arg, struct ks_collect_opts *o)
{
	int n;

	switch (opt) {
	case 'p':
		n = ks_parse_pids(arg, o->pids, KS_MAX_PIDS);
		if (n < 0)
			return n == -ESRCH ? -ESRCH : -EINVAL;
		o->npids = n;
		return 0;
	case KS_OPT_CGROUP:
		if (!arg || !*arg) {
			ks_err("--cgroup needs a cgroup v2 directory");
			return -EINVAL;
		}
		o->cgroup_path = arg;
		return 0;
	case 'd':
		return ks_parse_seconds(arg, "duration", &o->duration) ? -EINVAL : 0;
	case 'i':
		return ks_parse_seconds(arg, "interval", &o->interval) ? -EINVAL : 0;
	case KS_OPT_JSON:
		o->json = true;
		return 0;
	case 'o':
		if (!arg || !*arg) {
			ks_err("-o needs a file name");
			return -EINVAL;
		}
		o->output = arg;
		return 0;
	case 'T':
		o->threads = true;
		return 0;
	}
	return -ENOENT;
}

int ks_collect_exit_code(int err)
{
	return err == -EINVAL ? KS_EXIT_USAGE : KS_EXIT_FAIL;
}

int ks_cgroup_id(const char *path, __u64 *id)
{
	char buf[PATH_MAX];
	struct {
		struct file_handle fh;
		__u64 id;
	} h;
	struct statfs sfs;
	struct stat st;
	int mount_id;

	if (path[0] != '/') {
		snprintf(buf, sizeof(buf), "/sys/fs/cgroup/%s", path);
		path = buf;
	}
	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (statfs(path, &sfs))
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -EMEDIUMTYPE;
	/* the kernfs node id, as bpf_get_current_cgroup_id() returns it */
	h.fh.handle_bytes = sizeof(h.id);
	if (!name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) &&
	    h.fh.handle_bytes == sizeof(__u64)) {
		memcpy(id, h.fh.f_handle, sizeof(*id));
		return 0;
	}
	/* kernfs uses the node id as the inode number on 64-bit */
	*id = st.st_ino;
	return 0;
}

int ks_collect_finish(struct ks_collect_opts *o)
{
	int err;

	err = ks_output_check(o->output, o->output_in_place);
	if (err)
		return err;
	if (!o->cgroup_path)
		return 0;
	err = ks_cgroup_id(o->cgroup_path, &o->cgroup_id);
	if (err == -EMEDIUMTYPE) {
		ks_err("--cgroup %s: not a cgroup v2 directory (is /sys/fs/cgroup cgroup2?)",
		       o->cgroup_path);
		return err;
	}
	if (err) {
		ks_err("--cgroup %s: %s", o->cgroup_path, strerror(-err));
		return err;
	}
	return 0;
}

int ks_collect_set_pids(int map_fd, const __u32 *pids, int npids)
{
	__u8 one = 1;
	int i, err;

	for (i = 0; i < npids; i++) {
		if (bpf_map_update_elem(map_fd, &pids[i], &one, BPF_ANY)) {
			err = -errno;
			ks_err("cannot set the pid filter: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

int ks_collect_attach(struct bpf_object_skeleton *s, const char *name, enum ks_tp_kind kind,
		      int pids_fd, const __u32 *pids, int npids, const char *note)
{
	int err = ks_collect_set_pids(pids_fd, pids, npids);

	if (err)
		return err;
	err = bpf_object__attach_skeleton(s);
	if (err) {
		ks_err("cannot attach the %s programs (%s): %s", name, ks_tp_kind_name(kind),
		       strerror(-err));
		return err;
	}
	ks_info("%s: attached with %s%s", name, ks_tp_kind_name(kind), note);
	return 0;
}

bool ks_pids_alive(const __u32 *pids, int npids)
{
	int i;

	for (i = 0; i < npids; i++)
		if (!kill(pids[i], 0) || errno != ESRCH)
			return true;
	return false;
}

bool ks_collect_alive(const struct ks_collect_opts *o)
{
	return !o->npids || ks_pids_alive(o->pids, o->npids);
}

enum ks_tp_kind ks_collect_tp_kind(void)
{
	const char *force = getenv("KSCOPE_TP");
	enum ks_tp_kind k = ks_tp_best();

	if (force && *force) {
		if (!strcmp(force, "tp_btf"))
			k = KS_TP_BTF;
		else if (!strcmp(force, "raw_tp"))
			k = KS_TP_RAW;
		else if (!strcmp(force, "tracepoint"))
			k = KS_TP_CLASSIC;
		else
			ks_warn("KSCOPE_TP=%s: expected tp_btf, raw_tp or tracepoint; ignored", force);
	}
	if (k == KS_TP_CLASSIC && !ks_feature(KS_FEAT_TRACEFS) && ks_tracefs_mount())
		return KS_TP_NONE;
	if (k == KS_TP_NONE)
		ks_err("no way to attach to tracepoints: tp_btf: %s; raw_tp: %s; tracepoint: %s",
		       ks_feature_reason(KS_FEAT_TP_BTF), ks_feature_reason(KS_FEAT_RAW_TP),
		       ks_feature_reason(KS_FEAT_TRACEPOINT));
	return k;
}

int ks_collect_loop_poll(const struct ks_collect_opts *o, int (*report)(void *ctx, bool last),
			 int (*poll)(void *ctx, int timeout_ms), void *ctx)
{
	uint64_t t0 = ks_now_ns(), next = t0 + (uint64_t)(o->interval * 1e9), now;
	uint64_t end = o->duration ? t0 + (uint64_t)(o->duration * 1e9) : UINT64_MAX;
	double step;
	int err;

	while (!ks_exiting) {
		now = ks_now_ns();
		if (now >= end)
			break;
		if (!ks_collect_alive(o)) {
			ks_info("all target processes exited");
			break;
		}
		if (o->interval && now >= next) {
			err = report(ctx, false);
			if (err)
				return err;
			next += (uint64_t)(o->interval * 1e9);
			continue;
		}
		step = poll ? 0.1 : 0.2;
		if (o->interval && (next - now) / 1e9 < step)
			step = (next - now) / 1e9;
		if (end != UINT64_MAX && (end - now) / 1e9 < step)
			step = (end - now) / 1e9;
		if (step < 0.0005)
			step = 0.0005;
		if (!poll) {
			ks_sleep(step);
		} else if ((err = poll(ctx, (int)(step * 1000 + 0.5))) < 0) {
			ks_err("cannot drain the ring buffer: %s", strerror(-err));
			return err;
		}
	}
	return report(ctx, true);
}

struct run {
	const struct ks_collect_cmd *cmd;
	struct ks_model *m;
	FILE *f;
	uint64_t tlast;
	int n;			/* reports printed */
};

static int run_report(void *ctx, bool last)
{
	struct run *r = ctx;
	double secs;
	int err;

	ks_model__reset(r->m);
	secs = ks_model__close_interval(r->m, &r->tlast);
	err = r->cmd->read(r->cmd->ctx, r->m, secs);
	if (err) {
		ks_err("cannot read the %s maps: %s", r->cmd->name, strerror(-err));
		return err;
	}
	if (r->n++ && r->cmd->blank_between && !r->cmd->co->json)
		fputc('\n', r->f);
	if (r->cmd->co->json)
		err = r->cmd->print_json(r->cmd->ctx, r->f, r->m, secs);
	else
		err = r->cmd->print_text(r->cmd->ctx, r->f, r->m, secs);
	fflush(r->f);
	return err;
}

static int run_poll(void *ctx, int timeout_ms)
{
	struct run *r = ctx;

	return r->cmd->poll(r->cmd->ctx, timeout_ms);
}

int ks_collect_run(const struct ks_collect_cmd *cmd)
{
	const struct ks_collect_opts *co = cmd->co;
	struct run r = { .cmd = cmd };
	struct ks_output out;
	int ret = KS_EXIT_FAIL;

	r.m = ks_model__new();
	if (!r.m) {
		ks_err("out of memory");
		return KS_EXIT_FAIL;
	}
	if (ks_output_open(&out, co->output))
		goto out;
	if (cmd->tracing && !co->json)
		fprintf(stderr, "Tracing %s%s... Hit Ctrl-C to end.\n", cmd->tracing,
			co->npids ? " of the given processes" : "");
	r.f = out.f;
	r.tlast = ks_now_ns();
	if (!ks_collect_loop_poll(co, run_report, cmd->poll ? run_poll : NULL, &r))
		ret = 0;
	if (ks_output_close(&out, ret == 0))
		ret = KS_EXIT_FAIL;
out:
	ks_model__free(r.m);
	return ret;
}

void ks_collect_gaps_text(FILE *f, const struct ks_model *m)
{
	if (m->lost)
		fprintf(f, "LOST: %llu events (see below)\n", (unsigned long long)m->lost);
	ks_gaps_text(f, m->gaps, m->ngaps);
}

void ks_collect_gaps_json(FILE *f, const struct ks_model *m)
{
	fprintf(f, ",\"lost\":%llu,\"unavailable\":", (unsigned long long)m->lost);
	ks_gaps_json(f, m->gaps, m->ngaps);
}
