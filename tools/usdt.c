// SPDX-License-Identifier: GPL-2.0
/* kscope usdt: list a binary's USDT probes; count them or time begin/end pairs. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "funclat.h"
#include "ks_util.h"

static int cmd_usdt(int argc, char **argv);
static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope usdt list (BINARY | -p PID) [--json]\n"
"       kscope usdt BINARY:PROVIDER:NAME [-p PID] [-d S] [-i S] [--json] [-o FILE]\n"
"       kscope usdt BINARY:PROVIDER:BEGIN,END [-p PID] [-d S] [-i S] [-m] ...\n\n"
"USDT (sys/sdt.h, DTRACE_PROBE) probes, read from the .note.stapsdt notes.\n"
"  list            the probes a binary, or every file a process maps, offers:\n"
"                  provider, name, address, semaphore and argument string\n"
"  PROVIDER:NAME   count hits, per probe and process (globs allowed:\n"
"                  'myapp:*', '*:query_*')\n"
"  PROVIDER:BEGIN,END  a begin/end pair: hits of BEGIN and the latency from\n"
"                  BEGIN to the next END on the same thread, as a histogram\n"
"                  (p50/p90/p99/max)\n\n"
"BINARY is a path, a program in $PATH, or a library name ('libc', looked up in\n"
"the maps of -p PID first). Probes guarded by a semaphore are enabled by the\n"
"kernel (uprobe reference counter) for every process, with or without -p.\n"
"Options as in 'kscope funclat': -p PID (ends when it exits), -d, -i, -m,\n"
"--json, -o FILE.\n\n"
"Examples:\n"
"  kscope usdt list /usr/lib/x86_64-linux-gnu/libc.so.6\n"
"  kscope usdt list -p 1234\n"
"  kscope usdt /usr/bin/python3:python:function__* -d 5\n"
"  kscope usdt ./server:app:request_start,request_done -p 1234 -i 1\n");
}
KS_COMMAND(usdt, 41, "List, count and time USDT probes", cmd_usdt, usage);

static int list_one(const char *path, bool json, int *nout)
{
	struct ks_usdt_note *ns;
	int n, i;

	n = ks_usdt_notes(path, &ns);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (json) {
			printf("%s{\"binary\":", (*nout)++ ? "," : "");
			ks_json_str(stdout, path);
			printf(",\"provider\":");
			ks_json_str(stdout, ns[i].provider);
			printf(",\"name\":");
			ks_json_str(stdout, ns[i].name);
			printf(",\"pc\":\"0x%llx\",\"semaphore\":\"0x%llx\",\"args\":",
			       (unsigned long long)ns[i].pc, (unsigned long long)ns[i].sem);
			ks_json_str(stdout, ns[i].args);
			printf("}");
		} else {
			if (!(*nout)++)
				printf("%-40s %-24s %-20s %-12s %-12s %s\n", "BINARY", "PROVIDER",
				       "NAME", "PC", "SEMAPHORE", "ARGS");
			printf("%-40s %-24s %-20s 0x%-10llx %-12s %s\n", path, ns[i].provider,
			       ns[i].name, (unsigned long long)ns[i].pc,
			       ns[i].sem ? "yes" : "-", ns[i].args);
		}
	}
	ks_usdt_notes_free(ns, n);
	return n;
}

static int cmd_list(const struct ks_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char path[PATH_MAX], line[PATH_MAX + 128], **seen = NULL;
	int c, n, nout = 0, nseen = 0, i, ret = 0;
	bool json = false;
	__u32 pid = 0;
	FILE *f;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (ks_parse_pids(optarg, &pid, 1) < 0)
				return KS_EXIT_FAIL;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			cmd->usage(stdout);
			return 0;
		default:
			return ks_usage_error(cmd, "unknown option");
		}
	}
	if ((optind < argc) == (pid != 0))
		return ks_usage_error(cmd, "usdt list: give a BINARY or -p PID (one of them)");
	if (json)
		printf("[");
	if (!pid) {
		if (ks_resolve_target(argv[optind], 0, path, sizeof(path))) {
			if (json)
				printf("]\n");
			ks_err("cannot find '%s'", argv[optind]);
			return KS_EXIT_FAIL;
		}
		n = list_one(path, json, &nout);
		if (n < 0) {
			if (json)
				printf("]\n");
			ks_err("cannot read %s: %s", path, strerror(-n));
			return KS_EXIT_FAIL;
		}
	} else {
		snprintf(path, sizeof(path), "/proc/%u/maps", pid);
		f = fopen(path, "r");
		if (!f) {
			if (json)
				printf("]\n");
			ks_err("cannot read %s", path);
			return KS_EXIT_FAIL;
		}
		while (fgets(line, sizeof(line), f)) {
			char *p = strchr(line, '/'), **t;

			if (!p)
				continue;
			p[strcspn(p, "\n")] = 0;
			for (i = 0; i < nseen; i++)
				if (!strcmp(seen[i], p))
					break;
			if (i < nseen)
				continue;
			t = realloc(seen, (nseen + 1) * sizeof(*seen));
			if (!t)
				break;
			seen = t;
			seen[nseen++] = strdup(p);
			if (access(p, R_OK))
				snprintf(path, sizeof(path), "/proc/%u/root%s", pid, p);
			else
				snprintf(path, sizeof(path), "%s", p);
			list_one(path, json, &nout);	/* non-ELF mappings just have none */
		}
		fclose(f);
		for (i = 0; i < nseen; i++)
			free(seen[i]);
		free(seen);
	}
	if (json)
		printf("]\n");
	else if (!nout)
		printf("no USDT probes (no .note.stapsdt in %s)\n",
		       pid ? "any file the process maps" : path);
	return ret;
}

static int cmd_usdt(int argc, char **argv)
{
	const struct ks_cmd *cmd = ks_cmd_find("usdt");

	if (argc >= 2 && !strcmp(argv[1], "list"))
		return cmd_list(cmd, argc - 1, argv + 1);
	return ks_funclat_main(cmd, KS_FL_MODE_USDT, argc, argv);
}
