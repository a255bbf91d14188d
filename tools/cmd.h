/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kscope dispatch table. Each front end (tools/<name>.c) adds its row
 * with KS_COMMAND(); the linker gathers the rows into one table (section
 * "ks_cmds"), so adding a subcommand touches no central list.
 */
#ifndef KS_CMD_H
#define KS_CMD_H

#include <getopt.h>
#include <stdio.h>

struct ks_cmd {
	const char *name;
	const char *summary;		/* one line for `kscope help` */
	int (*run)(int argc, char **argv);	/* argv[0] is the command name */
	void (*usage)(FILE *f);		/* full usage with examples */
	int order;			/* position in `kscope help` */
};

#define KS_COMMAND(nm, ord, sum, fn, us)					\
	static const struct ks_cmd __ks_cmd_##nm				\
	__attribute__((used, section("ks_cmds"), aligned(sizeof(void *)))) = {	\
		.name = #nm, .summary = sum, .run = fn, .usage = us, .order = ord }

/*
 * Common option handling for every front end: --help prints usage on
 * stdout and exits 0; an unknown option or missing argument prints usage on
 * stderr and returns KS_EXIT_USAGE.
 */
int ks_usage_error(const struct ks_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const struct ks_cmd *ks_cmd_find(const char *name);

struct ks_collect_opts;
/*
 * getopt_long for a collector front end: the shared options (ks_collect.h)
 * are taken here, and so are -h/--help (usage on stdout), an unknown option
 * and a stray argument. Returns the next of the command's own options, or
 * -1 when none is left: then *rc is -1 if the command goes on, else the
 * exit code it returns now. The caller sets optind = 1 first.
 */
int ks_cmd_getopt(const struct ks_cmd *cmd, int argc, char **argv, const char *shortopts,
		  const struct option *longopts, struct ks_collect_opts *co, int *rc);

#endif /* KS_CMD_H */
