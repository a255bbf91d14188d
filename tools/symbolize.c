// SPDX-License-Identifier: GPL-2.0
/*
 * kscope symbolize: name addresses the way every kscope view does, from the
 * command line or from lines on stdin. A debugging aid, and the driver of
 * the symbolizer's tests and benchmark (scripts/bench-symbolize.sh).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ks_profile.h"
#include "ks_syms.h"
#include "ks_util.h"

static int cmd_symbolize(int argc, char **argv);
static void usage(FILE *f)
{
	fprintf(f,
"Usage: kscope symbolize [-p PID | -e BINARY | -k] [--debug-root DIR] [ADDR...]\n\n"
"Print the symbol of each address, one line per address:\n"
"  ADDR<TAB>NAME+0xOFF<TAB>MODULE      (named)\n"
"  ADDR<TAB>BINARY+0xFILEOFF<TAB>MODULE (mapping known, no symbol)\n"
"  ADDR<TAB>[unknown]                  (no mapping)\n"
"Addresses are hexadecimal (0x optional). Without ADDR arguments, lines are\n"
"read from stdin, each one of:\n"
"  BINARY ADDR...      ELF virtual addresses, as nm and addr2line use them\n"
"  -p PID ADDR...      runtime addresses in process PID\n"
"  -k ADDR...          kernel addresses (/proc/kallsyms)\n\n"
"  -p, --pid PID       runtime addresses of process PID (its maps are read\n"
"                      once; binaries in other mount namespaces and deleted\n"
"                      binaries are found through /proc/PID/root, map_files)\n"
"  -e, --exe BINARY    ELF virtual addresses in BINARY\n"
"  -k, --kernel        kernel addresses\n"
"      --debug-root DIR  separate debug files (default $KSCOPE_DEBUG_ROOT,\n"
"                      else /usr/lib/debug)\n"
"  -v                  (before the command) print the memory the symbol\n"
"                      tables hold on stderr\n\n"
"Examples:\n"
"  kscope symbolize -e /usr/lib/x86_64-linux-gnu/libc.so.6 0x28f10\n"
"  kscope symbolize -p 1234 7f3a1c2d4e10 55d0c0a01139\n"
"  kscope symbolize -k ffffffff81000000\n"
"  printf '/bin/ls 0x4f30\\n-p 1 0x7f00aa001000\\n' | kscope symbolize\n");
}
KS_COMMAND(symbolize, 900, "Name addresses (binary, process or kernel) like the views do",
	   cmd_symbolize, usage);

enum { SRC_FILE, SRC_PID, SRC_KERNEL };

static bool parse_addr(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 16);
	return !errno && end != s && *end == '\0';
}

static void print_one(struct ks_symbolizer *sy, int src, const char *bin, int pid,
		      const char *tok, FILE *out)
{
	struct ks_sym sym;
	char buf[1024];
	uint64_t addr;
	int err;

	if (!parse_addr(tok, &addr)) {
		fprintf(out, "%s\t[invalid address]\n", tok);
		return;
	}
	if (src == SRC_KERNEL)
		err = ks_symbolizer__kernel(sy, addr, &sym);
	else if (src == SRC_PID)
		err = ks_symbolizer__user(sy, pid, addr, &sym);
	else
		err = ks_symbolizer__file(sy, bin, addr, &sym);
	if (err) {
		fprintf(out, "%s\t[unknown]\n", tok);
	} else if (sym.name) {
		fprintf(out, "%s\t%s+0x%llx\t%s\n", tok, sym.name,
			(unsigned long long)sym.sym_off, sym.module ? sym.module : "");
	} else {
		fprintf(out, "%s\t%s\t%s\n", tok, ks_sym_format(&sym, buf, sizeof(buf)),
			sym.module ? sym.module : "");
	}
}

/* One stdin line: "BINARY ADDR...", "-p PID ADDR..." or "-k ADDR...". */
static int do_line(struct ks_symbolizer *sy, char *line, FILE *out)
{
	char *save = NULL, *tok, *bin = NULL;
	int src = SRC_FILE, pid = 0;

	tok = strtok_r(line, " \t\n", &save);
	if (!tok)
		return 0;
	if (!strcmp(tok, "-k")) {
		src = SRC_KERNEL;
	} else if (!strcmp(tok, "-p")) {
		tok = strtok_r(NULL, " \t\n", &save);
		pid = tok ? atoi(tok) : 0;
		if (pid <= 0) {
			ks_err("bad line: '-p' needs a pid");
			return -EINVAL;
		}
		src = SRC_PID;
		ks_symbolizer__add_pid(sy, pid, false);
	} else {
		bin = tok;
	}
	while ((tok = strtok_r(NULL, " \t\n", &save)))
		print_one(sy, src, bin, pid, tok, out);
	return 0;
}

static int cmd_symbolize(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "exe", required_argument, NULL, 'e' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "debug-root", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct ks_cmd *cmd = ks_cmd_find("symbolize");
	struct ks_symbolizer *sy;
	const char *bin = NULL, *root = NULL;
	int c, src = -1, err, ret = KS_EXIT_OK;
	static char obuf[1 << 16];
	char *line = NULL;
	size_t cap = 0;
	__u32 pid = 0;

	while ((c = getopt_long(argc, argv, "p:e:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (ks_parse_pids(optarg, &pid, 1) != 1)
				return KS_EXIT_FAIL;
			src = SRC_PID;
			break;
		case 'e':
			bin = optarg;
			src = SRC_FILE;
			break;
		case 'k':
			src = SRC_KERNEL;
			break;
		case 'D':
			root = optarg;
			break;
		case 'h':
			usage(stdout);
			return KS_EXIT_OK;
		default:
			return ks_usage_error(cmd, "unknown option or missing argument");
		}
	}
	if (src >= 0 && optind >= argc)
		return ks_usage_error(cmd, "no address given");
	if (src < 0 && optind < argc)
		return ks_usage_error(cmd, "addresses need -p PID, -e BINARY or -k");
	sy = ks_symbolizer__new();
	if (!sy) {
		ks_err("cannot create the symbolizer: %s", strerror(errno));
		return KS_EXIT_FAIL;
	}
	if (root)
		ks_symbolizer__set_debug_root(sy, root);
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	if (src == SRC_PID) {
		err = ks_symbolizer__add_pid(sy, pid, false);
		if (err) {
			ks_err("cannot read the maps of pid %u: %s", pid, strerror(-err));
			ret = KS_EXIT_FAIL;
			goto out;
		}
	}
	if (src >= 0) {
		for (; optind < argc; optind++)
			print_one(sy, src, bin, pid, argv[optind], stdout);
	} else {
		while (getline(&line, &cap, stdin) > 0)
			if (do_line(sy, line, stdout))
				ret = KS_EXIT_FAIL;
	}
	if (ks_verbose)
		fprintf(stderr, "kscope: symbol tables and maps hold %zu KiB\n",
			ks_symbolizer__memory(sy) / 1024);
out:
	free(line);
	ks_symbolizer__free(sy);
	if (fflush(stdout))
		ret = KS_EXIT_FAIL;
	return ret;
}
