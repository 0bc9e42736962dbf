// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>
#include "go_offsets.h"

static const struct go_offsets table[] = {
#include "go_offsets_table.h"
};

#define NR_ROWS ((int)(sizeof(table) / sizeof(table[0])))

const struct go_offsets *go_offsets__for(int major, int minor)
{
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
