// SPDX-License-Identifier: GPL-2.0
/* kscope: dispatch to the subcommands gathered in section "ks_cmds". */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ks_collect.h"
#include "ks_util.h"

extern const struct ks_cmd __start_ks_cmds[];
extern const struct ks_cmd __stop_ks_cmds[];

int ks_cmd_getopt(const struct ks_cmd *cmd, int argc, char **argv, const char *shortopts,
		  const struct option *longopts, struct ks_collect_opts *co, int *rc)
{
	int ch, err;

	*rc = -1;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		err = ks_collect_parse_opt(ch, optarg, co);
		if (!err)
			continue;
		if (err != -ENOENT) {
			*rc = ks_collect_exit_code(err);
			return -1;
		}
		if (ch == 'h') {
			cmd->usage(stdout);
			*rc = 0;
			return -1;
		}
		if (ch == '?' || ch == ':') {
			*rc = ks_usage_error(cmd, "invalid option");
			return -1;
		}
		return ch;
	}
	if (optind < argc)
		*rc = ks_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

static int cmd_help(int argc, char **argv);
static void help_usage(FILE *f)
{
	fprintf(f, "Usage: kscope help [COMMAND]\n");
}
KS_COMMAND(help, 1000, "Show the commands, or one command's usage", cmd_help, help_usage);

const struct ks_cmd *ks_cmd_find(const char *name)
{
	const struct ks_cmd *c;

	for (c = __start_ks_cmds; c < __stop_ks_cmds; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static int cmp_order(const void *a, const void *b)
{
	const struct ks_cmd *x = *(const struct ks_cmd **)a, *y = *(const struct ks_cmd **)b;

	return x->order != y->order ? x->order - y->order : strcmp(x->name, y->name);
}

static void main_usage(FILE *f)
{
	const struct ks_cmd *c, *sorted[64];
	size_t n = 0, i;

	for (c = __start_ks_cmds; c < __stop_ks_cmds && n < ARRAY_SIZE(sorted); c++)
		sorted[n++] = c;
	qsort(sorted, n, sizeof(*sorted), cmp_order);
	fprintf(f, "Usage: kscope [--version] [-v] <command> [options]\n\n"
		   "Kernel-assisted performance observability: eBPF collectors for on-CPU,\n"
		   "off-CPU, run-queue, I/O, syscall and lock latency; flame graphs, a live\n"
		   "top view and bottleneck reports.\n\nCommands:\n");
	for (i = 0; i < n; i++)
		fprintf(f, "  %-10s %s\n", sorted[i]->name, sorted[i]->summary);
	fprintf(f, "\n'kscope <command> --help' shows a command's options and examples.\n");
}

int ks_usage_error(const struct ks_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kscope %s: ", cmd ? cmd->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd && cmd->usage)
		cmd->usage(stderr);
	return KS_EXIT_USAGE;
}

static int cmd_help(int argc, char **argv)
{
	const struct ks_cmd *c;

	if (argc < 2) {
		main_usage(stdout);
		return 0;
	}
	c = ks_cmd_find(argv[1]);
	if (!c) {
		fprintf(stderr, "kscope: unknown command '%s'\n", argv[1]);
		main_usage(stderr);
		return KS_EXIT_USAGE;
	}
	c->usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const struct ks_cmd *c;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("kscope %s\n", KSCOPE_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-v")) {
			ks_verbose++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			main_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "kscope: unknown option '%s'\n", argv[i]);
			main_usage(stderr);
			return KS_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		main_usage(stderr);
		return KS_EXIT_USAGE;
	}
	c = ks_cmd_find(argv[i]);
	if (!c) {
		fprintf(stderr, "kscope: unknown command '%s'\n", argv[i]);
		main_usage(stderr);
		return KS_EXIT_USAGE;
	}
	/* "kscope profile --help" is handled by each command's getopt loop. */
	return c->run(argc - i, argv + i);
}
