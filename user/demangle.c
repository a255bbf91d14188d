// SPDX-License-Identifier: GPL-2.0
/*
 * C++ (Itanium ABI) demangling through libstdc++'s __cxa_demangle, looked up
 * at run time with dlopen so that kscope does not link libstdc++: without
 * it, mangled names are printed as they are.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ks_syms.h"
#include "syms_internal.h"

typedef char *(*cxa_demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);

static cxa_demangle_fn demangler(void)
{
	static cxa_demangle_fn fn;
	static bool tried;
	void *h;

	if (tried)
		return fn;
	tried = true;
	fn = (cxa_demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
	if (fn)
		return fn;
	h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
	if (h)
		fn = (cxa_demangle_fn)dlsym(h, "__cxa_demangle");
	return fn;
}

char *ks_demangle(const char *name)
{
	cxa_demangle_fn fn;
	int status = -1;
	char *out;

	if (!name || name[0] != '_' || name[1] != 'Z')
		return NULL;
	fn = demangler();
	if (!fn)
		return NULL;
	out = fn(name, NULL, NULL, &status);
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}
