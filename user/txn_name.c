// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "txn_name.h"

int txn_name__by_pattern(char *out, size_t len, const char *path_name, const char *pattern)
{
	const char *sp = strchr(path_name, ' '), *rest = pattern;
	size_t ws = strcspn(pattern, " \t");

	if (!sp || sp == path_name || !*pattern)
		return -1;
	/* ServeMux's syntax: "[METHOD ][HOST]/[PATH]", blanks after the method */
	if (pattern[ws]) {
		rest = pattern + ws;
		rest += strspn(rest, " \t");
	}
	if (!*rest)
		return -1;
	snprintf(out, len, "%.*s %s", (int)(sp - path_name), path_name, rest);
	return 0;
}
