// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A Go binary's DWARF: the runtime's and net/http's field offsets,
 * variables, any struct's member (goelf.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include "elf_file.h"
#include "goelf.h"
#include "goelf_int.h"

static const char *die_name(Dwarf_Die *die)
{
	const char *n = dwarf_diename(die);

	return n ? n : "";
}

/* DW_AT_data_member_location: a constant, or DW_OP_plus_uconst (DWARF 2). */
static int member_offset(Dwarf_Die *m)
{
	Dwarf_Attribute a;
	Dwarf_Word w;
	Dwarf_Op *ops;
	size_t n;

	if (!dwarf_attr(m, DW_AT_data_member_location, &a))
		return -1;
	if (dwarf_whatform(&a) != DW_FORM_exprloc && dwarf_whatform(&a) != DW_FORM_block1 &&
	    !dwarf_formudata(&a, &w))
		return w <= INT_MAX ? (int)w : -1;
	if (!dwarf_getlocation(&a, &ops, &n) && n == 1 && ops[0].atom == DW_OP_plus_uconst &&
	    ops[0].number <= INT_MAX)
		return (int)ops[0].number;
	return -1;
}

/* The offset of member name in struct die, and optionally its type. */
static int struct_member(Dwarf_Die *st, const char *name, Dwarf_Die *type)
{
	Dwarf_Die m;

	if (dwarf_child(st, &m))
		return -1;
	do {
		Dwarf_Attribute a;

		if (dwarf_tag(&m) != DW_TAG_member || strcmp(die_name(&m), name))
			continue;
		if (type && (!dwarf_attr_integrate(&m, DW_AT_type, &a) ||
			     !dwarf_formref_die(&a, type) || dwarf_peel_type(type, type)))
			return -1;
		return member_offset(&m);
	} while (!dwarf_siblingof(&m, &m));
	return -1;
}

/* runtime.g.timer, a *runtime.timer, and that struct's when */
static void read_timer(Dwarf_Die *g, struct go_info *gi)
{
	Dwarf_Die ptr, timer;
	Dwarf_Attribute a;
	int t = struct_member(g, "timer", &ptr), w = -1;

	if (t >= 0 && dwarf_tag(&ptr) == DW_TAG_pointer_type &&
	    dwarf_attr_integrate(&ptr, DW_AT_type, &a) && dwarf_formref_die(&a, &timer) &&
	    !dwarf_peel_type(&timer, &timer) && dwarf_tag(&timer) == DW_TAG_structure_type)
		w = struct_member(&timer, "when", NULL);
	gi->g_timer = w >= 0 ? t : -1;
	gi->timer_when = w;
}

static void read_g(Dwarf_Die *g, struct go_info *gi)
{
	Dwarf_Die sched;
	int s;

	gi->g_goid = struct_member(g, "goid", NULL);
	gi->g_parent_goid = struct_member(g, "parentGoid", NULL);
	gi->g_gopc = struct_member(g, "gopc", NULL);
	gi->g_startpc = struct_member(g, "startpc", NULL);
	gi->g_atomicstatus = struct_member(g, "atomicstatus", NULL);
	gi->g_waitsince = struct_member(g, "waitsince", NULL);
	gi->g_waitreason = struct_member(g, "waitreason", NULL);
	gi->g_m = struct_member(g, "m", NULL);
	read_timer(g, gi);
	s = struct_member(g, "sched", &sched);
	if (s >= 0 && dwarf_tag(&sched) == DW_TAG_structure_type) {
		int sp = struct_member(&sched, "sp", NULL), bp = struct_member(&sched, "bp", NULL);

		gi->g_sched_sp = sp >= 0 && sp <= INT_MAX - s ? s + sp : -1;
		gi->g_sched_bp = bp >= 0 && bp <= INT_MAX - s ? s + bp : -1;
	}
}

static uint64_t var_addr(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t n;

	if (dwarf_attr(die, DW_AT_location, &a) && !dwarf_getlocation(&a, &ops, &n) && n == 1 &&
	    ops[0].atom == DW_OP_addr)
		return ops[0].number;
	return 0;
}

/* The CUs' top-level DIEs: runtime.g, runtime.m, runtime.allgs, runtime.allglen. */
void goelf_read_dwarf(Dwarf *dbg, struct go_info *gi)
{
	bool g = false, m = false, allgs = false, allglen = false;
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (!(g && m && allgs && allglen) &&
	       !dwarf_nextcu(dbg, off, &next, &hsize, NULL, NULL, NULL)) {
		Dwarf_Die cu, die;

		if (dwarf_offdie(dbg, off + hsize, &cu) && !dwarf_child(&cu, &die)) {
			do {
				int tag = dwarf_tag(&die);
				const char *n = die_name(&die);

				if (tag == DW_TAG_structure_type && dwarf_haschildren(&die) > 0) {
					if (!g && !strcmp(n, "runtime.g")) {
						read_g(&die, gi);
						g = true;
					} else if (!m && !strcmp(n, "runtime.m")) {
						gi->m_curg = struct_member(&die, "curg", NULL);
						gi->m_procid = struct_member(&die, "procid", NULL);
						m = true;
					}
				} else if (tag == DW_TAG_variable) {
					uint64_t a;

					if (!allgs && !strcmp(n, "runtime.allgs") &&
					    (a = var_addr(&die))) {
						gi->allgs_vaddr = a;
						allgs = true;
					} else if (!allglen && !strcmp(n, "runtime.allglen") &&
						   (a = var_addr(&die))) {
						gi->allglen_vaddr = a;
						allglen = true;
					}
				}
			} while (!dwarf_siblingof(&die, &die));
		}
		off = next;
	}
}

/* A top-level DW_TAG_variable by name: its address and the size of its type. */
static int dwarf_var(Dwarf *dbg, const char *name, uint64_t *vaddr, uint64_t *size)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (!dwarf_nextcu(dbg, off, &next, &hsize, NULL, NULL, NULL)) {
		Dwarf_Die cu, die;

		if (dwarf_offdie(dbg, off + hsize, &cu) && !dwarf_child(&cu, &die)) {
			do {
				Dwarf_Attribute a;
				Dwarf_Die type;
				Dwarf_Word sz;
				uint64_t addr;

				if (dwarf_tag(&die) != DW_TAG_variable || strcmp(die_name(&die), name) ||
				    !(addr = var_addr(&die)))
					continue;
				if (!dwarf_attr_integrate(&die, DW_AT_type, &a) ||
				    !dwarf_formref_die(&a, &type) || dwarf_aggregate_size(&type, &sz))
					return -1;
				*vaddr = addr;
				*size = sz;
				return 0;
			} while (!dwarf_siblingof(&die, &die));
		}
		off = next;
	}
	return -1;
}

/* The DWARF of the binary read last, kept open: Go compresses its DWARF,
 * and each open inflated all of .debug_info again (net/http's lookups
 * opened it 5 times: 220 ms of a 320 ms attach). Known by the file, not
 * the path: /proc/PID/exe of two processes of one binary is one. */
static struct {
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	int fd;
	Elf *e;
	Dwarf *dbg;
	bool open;
	struct struct_die *structs; /* its structs by name, built at the first member lookup */
	size_t nr_structs;
	bool indexed;
} kept;

void goelf__dwarf_release(void)
{
	if (kept.dbg)
		dwarf_end(kept.dbg);
	if (kept.e)
		elf_file__close(kept.e, kept.fd);
	free(kept.structs);
	memset(&kept, 0, sizeof(kept));
}

Dwarf *goelf_dwarf(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return NULL;
	if (kept.open && kept.dev == st.st_dev && kept.ino == st.st_ino &&
	    kept.mtime.tv_sec == st.st_mtim.tv_sec && kept.mtime.tv_nsec == st.st_mtim.tv_nsec)
		return kept.dbg;
	goelf__dwarf_release();
	kept.e = elf_file__open(path, &kept.fd);
	kept.dbg = kept.e ? dwarf_begin_elf(kept.e, DWARF_C_READ, NULL) : NULL;
	kept.dev = st.st_dev;
	kept.ino = st.st_ino;
	kept.mtime = st.st_mtim;
	kept.open = true;
	return kept.dbg;
}

int goelf__var(const char *path, const char *name, uint64_t *vaddr, uint64_t *size)
{
	uint64_t v, sz;
	int fd, rc = -1;
	Dwarf *dbg;
	Elf *e = elf_file__open(path, &fd);

	if (!e)
		return -1;
	if (!goelf_symtab_find(e, name, STT_OBJECT, &v, &sz) && sz) {
		rc = 0;
	} else if ((dbg = goelf_dwarf(path))) {
		rc = dwarf_var(dbg, name, &v, &sz);
	} else if (!strcmp(name, "runtime.waitReasonStrings")) {
		rc = goelf_wait_reasons_by_code(path, &v, &sz);
	}
	if (!rc) {
		*vaddr = v;
		*size = sz;
	}
	elf_file__close(e, fd);
	return rc;
}

/* The top-level structs (with members) of every CU, sorted by name: a
 * lookup of a type the binary lacks (net/http's in a test binary) scanned
 * every CU, ~3.5 ms each, 7 of them per attach */
struct struct_die {
	const char *name; /* in the DWARF's data: valid while it is open */
	Dwarf_Off off;
};

static int struct_die_cmp(const void *a, const void *b)
{
	const struct struct_die *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->off < y->off ? -1 : x->off > y->off;
}

static void index_structs(Dwarf *dbg)
{
	struct struct_die *v = NULL, *nv;
	size_t n = 0, cap = 0, hsize;
	Dwarf_Off off = 0, next;

	kept.indexed = true;
	while (!dwarf_nextcu(dbg, off, &next, &hsize, NULL, NULL, NULL)) {
		Dwarf_Die cu, die;

		if (dwarf_offdie(dbg, off + hsize, &cu) && !dwarf_child(&cu, &die)) {
			do {
				if (dwarf_tag(&die) != DW_TAG_structure_type ||
				    dwarf_haschildren(&die) <= 0)
					continue;
				if (n == cap) {
					cap = cap ? 2 * cap : 1024;
					if (!(nv = realloc(v, cap * sizeof(*v)))) {
						free(v);
						return;
					}
					v = nv;
				}
				v[n++] = (struct struct_die){ die_name(&die), dwarf_dieoffset(&die) };
			} while (!dwarf_siblingof(&die, &die));
		}
		off = next;
	}
	qsort(v, n, sizeof(*v), struct_die_cmp);
	kept.structs = v;
	kept.nr_structs = n;
}

int goelf__member(const char *path, const char *type, const char *member)
{
	Dwarf *dbg = goelf_dwarf(path);
	size_t lo = 0, hi;
	int rc = -1;

	if (!dbg)
		return -1;
	if (!kept.indexed)
		index_structs(dbg);
	for (hi = kept.nr_structs; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(kept.structs[mid].name, type) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* the first, in the DWARF's order, that has the member */
	for (; rc < 0 && lo < kept.nr_structs && !strcmp(kept.structs[lo].name, type); lo++) {
		Dwarf_Die die;

		if (dwarf_offdie(dbg, kept.structs[lo].off, &die))
			rc = struct_member(&die, member, NULL);
	}
	return rc;
}
