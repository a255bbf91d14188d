// SPDX-License-Identifier: GPL-2.0
/*
 * The /proc scanner of the top view (include/ks_procs.h). One openat() +
 * read() + fstat() per process: the stat line carries state, parent, fault
 * and CPU tick counters, threads and RSS; the file's owner is the user.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "ks_collect.h"
#include "ks_model.h"
#include "ks_procs.h"
#include "ks_util.h"

long ks_clock_ticks(void)
{
	static long hz;

	if (!hz) {
		hz = sysconf(_SC_CLK_TCK);
		if (hz <= 0)
			hz = 100;
	}
	return hz;
}

int ks_proc_parse_stat(const char *buf, struct ks_proc *p)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	unsigned long long minflt, majflt, utime, stime, start, rss;
	unsigned int ppid;
	long threads;
	char state;
	size_t n;

	if (!open || !close || close < open)
		return -EINVAL;
	p->pid = (uint32_t)strtoul(buf, NULL, 10);
	n = (size_t)(close - open - 1);
	if (n >= sizeof(p->comm))
		n = sizeof(p->comm) - 1;
	memcpy(p->comm, open + 1, n);
	p->comm[n] = '\0';
	/* fields 3..24 after the comm */
	if (sscanf(close + 1,
		   " %c %u %*d %*d %*d %*d %*u %llu %*u %llu %*u %llu %llu %*d %*d %*d %*d"
		   " %ld %*d %llu %*u %llu",
		   &state, &ppid, &minflt, &majflt, &utime, &stime, &threads, &start,
		   &rss) != 9)
		return -EINVAL;
	p->state = state;
	p->ppid = ppid;
	p->faults = minflt + majflt;
	p->cpu_ticks = utime + stime;
	p->threads = threads > 0 ? (uint32_t)threads : 0;
	p->start_ticks = start;
	p->rss_kb = rss * (uint64_t)(sysconf(_SC_PAGESIZE) / 1024);
	return 0;
}

/* Read one stat file under @dirfd; fills @p. 0, or -errno (gone). */
static int read_stat(int dirfd, const char *path, struct ks_proc *p)
{
	char buf[1024];
	struct stat st;
	ssize_t n;
	int fd;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0 || fstat(fd, &st)) {
		close(fd);
		return -ENOENT;
	}
	close(fd);
	buf[n] = '\0';
	if (ks_proc_parse_stat(buf, p))
		return -EINVAL;
	p->uid = st.st_uid;
	return 0;
}

static void read_cgroup(int dirfd, const char *pid, struct ks_proc *p)
{
	char path[300], buf[512], *s, *nl;
	ssize_t n;
	int fd;

	p->cgroup[0] = '\0';
	snprintf(path, sizeof(path), "%s/cgroup", pid);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* cgroup v2: "0::/path"; take the unified line */
	s = strstr(buf, "0::");
	if (!s)
		return;
	s += 3;
	nl = strchr(s, '\n');
	if (nl)
		*nl = '\0';
	snprintf(p->cgroup, sizeof(p->cgroup), "%s", s);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int scan_threads(int procfd, const char *pid, const struct ks_proc *proc,
			int (*cb)(void *, const struct ks_proc *), void *ctx)
{
	char path[300];
	struct dirent *de;
	struct ks_proc t;
	int fd, n = 0, err = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/task", pid);
	fd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		if (!all_digits(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/stat", de->d_name);
		memset(&t, 0, sizeof(t));
		if (read_stat(fd, path, &t))
			continue;
		t.tgid = proc->pid;
		t.ppid = proc->ppid;
		memcpy(t.cgroup, proc->cgroup, sizeof(t.cgroup));
		/* process-wide values stay per process: RSS is shared */
		t.rss_kb = proc->rss_kb;
		t.threads = 1;
		err = cb(ctx, &t);
		if (err)
			break;
		n++;
	}
	closedir(d);
	return err ? err : n;
}

int ks_procs_scan(unsigned int flags, int (*cb)(void *ctx, const struct ks_proc *p), void *ctx)
{
	struct ks_proc p;
	struct dirent *de;
	char path[300];
	int procfd, n = 0, err = 0, r;
	DIR *d;

	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	d = fdopendir(procfd);
	if (!d) {
		err = -errno;
		close(procfd);
		return err;
	}
	while ((de = readdir(d))) {
		if (!all_digits(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/stat", de->d_name);
		memset(&p, 0, sizeof(p));
		if (read_stat(procfd, path, &p))
			continue;	/* exited meanwhile */
		p.tgid = p.pid;
		if (flags & KS_PROCS_CGROUP)
			read_cgroup(procfd, de->d_name, &p);
		if (flags & KS_PROCS_THREADS) {
			r = scan_threads(procfd, de->d_name, &p, cb, ctx);
			if (r < 0) {
				err = r;
				break;
			}
			n += r;
			continue;
		}
		err = cb(ctx, &p);
		if (err)
			break;
		n++;
	}
	closedir(d);
	return err ? err : n;
}

const char *ks_user_name(uint32_t uid)
{
	static struct { uint32_t uid; char name[16]; } cache[64];
	static int ncache;
	struct passwd *pw;
	int i;

	for (i = 0; i < ncache; i++)
		if (cache[i].uid == uid)
			return cache[i].name;
	i = ncache < (int)ARRAY_SIZE(cache) ? ncache++ : (int)(uid % ARRAY_SIZE(cache));
	cache[i].uid = uid;
	pw = getpwuid(uid);
	if (pw)
		snprintf(cache[i].name, sizeof(cache[i].name), "%s", pw->pw_name);
	else
		snprintf(cache[i].name, sizeof(cache[i].name), "%u", uid);
	return cache[i].name;
}

static int sample_add_cb(void *ctx, const struct ks_proc *p)
{
	struct ks_procs_sample *s = ctx;
	struct ks_proc named = *p;

	snprintf(named.user, sizeof(named.user), "%s", ks_user_name(p->uid));
	return ks_procs_sample__add(s, &named);
}

int ks_procs_sample__take(struct ks_procs_sample *s, unsigned int flags)
{
	struct timespec ts;
	int n;

	ks_procs_sample__reset(s);
	s->t_ns = ks_now_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	s->wall = ts.tv_sec + ts.tv_nsec / 1e9;
	s->hz = (uint32_t)ks_clock_ticks();
	s->threads = flags & KS_PROCS_THREADS;
	s->cgroups = flags & KS_PROCS_CGROUP;
	n = ks_procs_scan(flags, sample_add_cb, s);
	if (n < 0)
		return n;
	/* the header without /proc/stat stays empty: the rows still count */
	ks_sys_read(&s->sys);
	return 0;
}

/* Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup/unified on hybrid systems). */
static const char *cgroup2_root(void)
{
	static char root[256];
	char dev[64], dir[256], type[32];
	FILE *f;

	if (root[0])
		return root;
	snprintf(root, sizeof(root), "/sys/fs/cgroup");
	f = fopen("/proc/self/mounts", "re");
	while (f && fscanf(f, "%63s %255s %31s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(root, sizeof(root), "%s", dir);
			break;
		}
	if (f)
		fclose(f);
	return root;
}

/* Does cgroup v2 path @cg ("/a/b", as /proc/PID/cgroup has it) have id @id? */
static bool cgroup_is(const char *cg, uint64_t id, char *last, size_t last_sz, bool *last_ok)
{
	char path[400];
	__u64 got;

	if (!strcmp(cg, last))
		return *last_ok;
	snprintf(last, last_sz, "%s", cg);
	snprintf(path, sizeof(path), "%s%s", cgroup2_root(), cg);
	*last_ok = !ks_cgroup_id(path, &got) && got == id;
	return *last_ok;
}

void ks_procs_sample__filter(struct ks_procs_sample *s, const uint32_t *pids, int npids,
			     uint64_t cgroup_id)
{
	char last[sizeof(s->procs[0].cgroup)] = "";
	bool last_ok = false;
	size_t i, k = 0;
	int j;

	for (i = 0; i < s->n; i++) {
		const struct ks_proc *p = &s->procs[i];
		bool keep = !npids;

		for (j = 0; j < npids && !keep; j++)
			keep = p->tgid == pids[j];
		if (keep && cgroup_id)
			keep = cgroup_is(p->cgroup, cgroup_id, last, sizeof(last), &last_ok);
		if (keep)
			s->procs[k++] = *p;
	}
	s->n = k;
}

static int read_cpus(struct ks_sys *s)
{
	unsigned long long v[10];
	char *buf, *line, *save = NULL;
	int cpu, n;

	buf = ks_read_file("/proc/stat", NULL);
	if (!buf)
		return -errno;
	s->ncpus = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "cpu", 3))
			break;
		memset(v, 0, sizeof(v));
		if (line[3] == ' ') {
			cpu = 0;
			n = sscanf(line + 3, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
				   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
		} else {
			int id;

			n = sscanf(line + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu", &id,
				   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) - 1;
			if (id < 0 || id >= KS_SYS_MAX_CPUS)
				continue;
			cpu = id + 1;
			if (id + 1 > s->ncpus)
				s->ncpus = id + 1;
		}
		if (n < 4)
			continue;
		/* user nice system idle iowait irq softirq steal */
		s->total[cpu] = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
		s->busy[cpu] = s->total[cpu] - v[3] - v[4];
	}
	free(buf);
	return 0;
}

int ks_psi_parse(const char *buf, struct ks_psi *psi)
{
	const char *s = strstr(buf, "some avg10="), *f = strstr(buf, "full avg10=");

	memset(psi, 0, sizeof(*psi));
	if (!s || sscanf(s, "some avg10=%lf", &psi->some10) != 1)
		return -EINVAL;
	if (f && sscanf(f, "full avg10=%lf", &psi->full10) == 1)
		psi->has_full = true;
	psi->ok = true;
	return 0;
}

const char *ks_psi_name(int i)
{
	static const char *const names[] = { "cpu", "memory", "io" };

	return i >= 0 && i < KS_PSI__COUNT ? names[i] : "?";
}

int ks_sys_read(struct ks_sys *s)
{
	char path[40], *buf;
	int i, err;

	err = read_cpus(s);
	if (err)
		return err;
	buf = ks_read_file("/proc/loadavg", NULL);
	if (buf) {
		if (sscanf(buf, "%lf %lf %lf %u/%u", &s->load[0], &s->load[1], &s->load[2],
			   &s->nr_running, &s->nr_tasks) != 5)
			memset(s->load, 0, sizeof(s->load));
		free(buf);
	}
	buf = ks_read_file("/proc/meminfo", NULL);
	if (buf) {
		char *t = strstr(buf, "MemTotal:"), *a = strstr(buf, "MemAvailable:");
		unsigned long long v;

		if (t && sscanf(t, "MemTotal: %llu", &v) == 1)
			s->mem_total_kb = v;
		if (a && sscanf(a, "MemAvailable: %llu", &v) == 1)
			s->mem_avail_kb = v;
		free(buf);
	}
	s->psi_reason[0] = '\0';
	for (i = 0; i < KS_PSI__COUNT; i++) {
		snprintf(path, sizeof(path), "/proc/pressure/%s", ks_psi_name(i));
		buf = ks_read_file(path, NULL);
		if (!buf) {
			s->psi[i].ok = false;
			if (!s->psi_reason[0])
				snprintf(s->psi_reason, sizeof(s->psi_reason), "%s: %s%s", path,
					 strerror(errno),
					 errno == EOPNOTSUPP || errno == ENOENT ?
					 " (kernel without CONFIG_PSI or psi=0)" : "");
			continue;
		}
		if (ks_psi_parse(buf, &s->psi[i]) && !s->psi_reason[0])
			snprintf(s->psi_reason, sizeof(s->psi_reason), "%s: unparsable", path);
		free(buf);
	}
	return 0;
}

int ks_bpf_stats_enable(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

int ks_self_cost_read(struct ks_self_cost *c, bool stats_on)
{
	struct rusage ru;
	struct dirent *de;
	char path[300], buf[512];
	__u32 ids[256];
	int nids = 0, i;
	DIR *d;

	memset(c, 0, sizeof(*c));
	c->bpf_stats = stats_on;
	if (!getrusage(RUSAGE_SELF, &ru))
		c->cpu_ns = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
			    (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
	d = opendir("/proc/self/fdinfo");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		ssize_t n;
		int fd, ffd;

		if (!all_digits(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", de->d_name);
		ffd = open(path, O_RDONLY | O_CLOEXEC);
		if (ffd < 0)
			continue;
		n = read(ffd, buf, sizeof(buf) - 1);
		close(ffd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* only program fds carry "prog_tag:" */
		if (!strstr(buf, "prog_tag:") || strstr(buf, "link_type:"))
			continue;
		fd = atoi(de->d_name);
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		for (i = 0; i < nids && ids[i] != info.id; i++)
			;
		if (i < nids)
			continue;	/* the same program under two fds */
		if (nids < (int)ARRAY_SIZE(ids))
			ids[nids++] = info.id;
		c->nprogs++;
		c->bpf_run_ns += info.run_time_ns;
		c->bpf_run_cnt += info.run_cnt;
	}
	closedir(d);
	return 0;
}
