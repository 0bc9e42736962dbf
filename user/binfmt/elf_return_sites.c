// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* return_sites for native code: functions cut by .symtab. */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include "elf_file.h"
#include "elfsym.h"
#include "return_sites.h"

struct func_range {
	uint64_t lo, hi;
};

struct func_table {
	struct func_range *v;
	size_t n;
};

static int range_cmp(const void *a, const void *b)
{
	const struct func_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int table_func_at(void *ctx, uint64_t vaddr, uint64_t *entry, uint64_t *end)
{
	const struct func_table *t = ctx;
	size_t lo = 0, hi = t->n;

	while (lo < hi) { /* the last range starting at or before vaddr */
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].lo <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || vaddr >= t->v[lo - 1].hi)
		return -1;
	*entry = t->v[lo - 1].lo;
	*end = t->v[lo - 1].hi;
	return 0;
}

/* .symtab's functions, sorted (overlaps are aliases); the vaddr of sym; *exported: also in .dynsym
 * (another module may call it through its PLT, unseen here) */
static int read_funcs(Elf *e, const char *sym, struct func_table *t, uint64_t *vaddr,
		      bool *exported)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t cap = 0;

	*vaddr = 0;
	*exported = false;
	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;
		GElf_Sym s;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			const char *name;

			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    s.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(e, sh.sh_link, s.st_name);
			if (sh.sh_type == SHT_DYNSYM) {
				*exported |= name && !strcmp(name, sym);
				continue;
			}
			if (name && !strcmp(name, sym))
				*vaddr = s.st_value;
			if (t->n == cap) {
				void *p = realloc(t->v, (cap = cap ? cap * 2 : 1024) * sizeof(*t->v));

				if (!p)
					return -1;
				t->v = p;
			}
			t->v[t->n++] = (struct func_range){ s.st_value, s.st_value + s.st_size };
		}
	}
	qsort(t->v, t->n, sizeof(*t->v), range_cmp);
	/* a size-less function (crt's frame_dummy) runs to the next one */
	for (size_t i = 0; i + 1 < t->n; i++)
		if (t->v[i].hi == t->v[i].lo)
			t->v[i].hi = t->v[i + 1].lo;
	return *vaddr ? 0 : -1;
}

int elfsym__return_sites(const char *path, const char *sym, uint64_t *calls, uint64_t *rets,
			 int max)
{
	struct func_table t = { 0 };
	struct code_funcs cf = { .func_at = table_func_at, .ctx = &t };
	struct return_sites rs = { .calls = calls, .rets = rets, .max = max };
	uint64_t vaddr;
	bool exported;
	int fd, n = -1;
	Elf *e = elf_file__open(path, &fd);

	if (!e)
		return -1;
	if (!read_funcs(e, sym, &t, &vaddr, &exported) && !exported)
		n = return_sites__find(path, vaddr, &cf, &rs);
	elf_file__close(e, fd);
	free(t.v);
	return n > 0 && !rs.taken ? n : -1;
}
