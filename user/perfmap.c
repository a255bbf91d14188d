// SPDX-License-Identifier: GPL-2.0
/*
 * JIT symbols from perf maps (/tmp/perf-PID.map, written by V8, the JVM
 * with perf-map-agent, LuaJIT, ...): one "START SIZE name" line per
 * function, hexadecimal, the name running to the end of the line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syms_internal.h"

int ks_perfmap__load(struct ks_symtab *t, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* a JIT reusing an address appends a new line: the later one is current */
	t->later_wins = true;
	while (!err && (len = getline(&line, &cap, f)) > 0) {
		char *p = line, *end;
		uint64_t start, size;

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		start = strtoull(p, &end, 16);
		if (end == p || *end != ' ')
			continue;
		p = end + 1;
		size = strtoull(p, &end, 16);
		if (end == p || *end != ' ' || !end[1])
			continue;
		p = end + 1;
		err = ks_symtab__add(t, start, size ? size : 1, p, strlen(p), 0, 0);
	}
	free(line);
	fclose(f);
	if (!err)
		err = ks_symtab__finish(t);
	return err;
}
