// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
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

size_t name_set__id(struct name_set *ns, const char *s)
{
	for (size_t i = 0; i < ns->nr; i++)
		if (!strcmp(ns->v[i], s))
			return i + 1;
	if (ns->nr == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 16;
		char **v = realloc(ns->v, cap * sizeof(*v));

		if (!v)
			return 0;
		ns->v = v;
		ns->cap = cap;
	}
	if (!(ns->v[ns->nr] = strdup(s)))
		return 0;
	return ++ns->nr;
}

const char *name_set__get(const struct name_set *ns, size_t id)
{
	return id && id <= ns->nr ? ns->v[id - 1] : "";
}

void name_set__free(struct name_set *ns)
{
	for (size_t i = 0; i < ns->nr; i++)
		free(ns->v[i]);
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}
