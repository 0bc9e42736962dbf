// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "go_offsets.h"

static const struct go_offsets table[] = {
#include "go_offsets_table.h"
};

#define NR_ROWS ((int)(sizeof(table) / sizeof(table[0])))

/* The test hook: is go<major>.<minor> in WEFT_GO_OFFSETS_SKIP ("1.26" or
 * "1.23,1.26")? */
static bool skipped(int major, int minor)
{
	const char *env = getenv("WEFT_GO_OFFSETS_SKIP");
	char want[32];
	size_t n;

	if (!env || !*env)
		return false;
	n = snprintf(want, sizeof(want), "%d.%d", major, minor);
	for (const char *p = env; (p = strstr(p, want)); p += n)
		if ((p == env || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return true;
	return false;
}

const struct go_offsets *go_offsets__for(int major, int minor)
{
	if (skipped(major, minor))
		return NULL;
	for (int i = 0; i < NR_ROWS; i++)
		if (table[i].major == major && table[i].minor == minor)
			return &table[i];
	return NULL;
}

int go_offsets__count(void)
{
	return NR_ROWS;
}

const struct go_offsets *go_offsets__at(int i)
{
	return i >= 0 && i < NR_ROWS ? &table[i] : NULL;
}
