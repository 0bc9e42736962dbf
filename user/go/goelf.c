// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include "elf_file.h"
#include "goelf.h"
#include "goelf_int.h"
#include "go_derive.h"
#include "go_offsets.h"
#include "gopclntab.h"
#include "goversion.h"


/* n bytes at vaddr, from the allocated section that holds them all. */
static int read_vaddr(Elf *e, uint64_t vaddr, void *buf, size_t n)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;
		uint64_t at;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_type == SHT_NOBITS || vaddr < sh.sh_addr || vaddr - sh.sh_addr >= sh.sh_size)
			continue;
		at = vaddr - sh.sh_addr;
		d = elf_rawdata(scn, NULL);
		if (!d)
			d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || at > d->d_size || n > d->d_size - at)
			return -1;
		memcpy(buf, (const char *)d->d_buf + at, n);
		return 0;
	}
	return -1;
}

/* The addend of an R_X86_64_RELATIVE at vaddr: a PIE's pointers are 0 on disk. */
static int relative_reloc(Elf *e, uint64_t vaddr, uint64_t *val)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;
		GElf_Rela r;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			if (!gelf_getrela(d, i, &r))
				break;
			if (r.r_offset == vaddr && GELF_R_TYPE(r.r_info) == R_X86_64_RELATIVE) {
				*val = r.r_addend;
				return 0;
			}
		}
	}
	return -1;
}

static uint64_t get_word(const unsigned char *p, int size, bool be)
{
	uint64_t v = 0;

	for (int i = 0; i < size; i++)
		v |= (uint64_t)p[be ? size - 1 - i : i] << (8 * i);
	return v;
}

static int read_word(Elf *e, uint64_t vaddr, int size, bool be, bool ptr, uint64_t *val)
{
	unsigned char b[8];

	if (read_vaddr(e, vaddr, b, size))
		return -1;
	*val = get_word(b, size, be);
	if (ptr && !*val)
		relative_reloc(e, vaddr, val);
	return 0;
}

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static void set_version(struct go_info *gi, const char *s, size_t n)
{
	const char *p;

	if (n >= sizeof(gi->version))
		n = sizeof(gi->version) - 1;
	memcpy(gi->version, s, n);
	gi->version[n] = 0;
	p = strstr(gi->version, "go1.");
	if (!p || sscanf(p, "go%d.%d", &gi->major, &gi->minor) != 2)
		gi->major = gi->minor = 0;
}

/* .go.buildinfo (Go 1.13+): "\xff Go buildinf:", pointer size, flags (1: big
 * endian, 2: inline strings), then either (1.18+, at 32) the version as a
 * uvarint length and its bytes, or (before, at 16) a pointer to the
 * runtime.buildVersion string header {data, len}. */
static bool has_interp(Elf *e)
{
	GElf_Phdr ph;
	size_t n;

	if (elf_getphdrnum(e, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_INTERP)
			return true;
	return false;
}

/* The build info by its 16-byte aligned header in a loaded, non-executable
 * segment, when there are no section names: Go 1.18+ keeps the version
 * inline (flags & 2). 0 found and set, -1 not. */
static int buildinfo_by_scan(Elf *e, int fd, struct go_info *gi)
{
	static const char magic[] = "\xff Go buildinf:";
	unsigned char buf[65536];
	GElf_Phdr ph;
	size_t n;

	if (elf_getphdrnum(e, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD || (ph.p_flags & PF_X))
			continue;
		for (uint64_t o = 0; o < ph.p_filesz; o += sizeof(buf) - 64) {
			/* the segment's bytes, not what follows it in the file */
			size_t want = ph.p_filesz - o < sizeof(buf) ? ph.p_filesz - o : sizeof(buf);
			ssize_t got = pread(fd, buf, want, ph.p_offset + o);

			for (ssize_t k = 0; k + 64 <= got; k += 16) {
				uint64_t len = 0;
				size_t at = k + 32;

				if (memcmp(buf + k, magic, 14) || !(buf[k + 15] & 2))
					continue;
				for (int shift = 0; at < (size_t)got && shift < 64; shift += 7) {
					len |= (uint64_t)(buf[at] & 0x7f) << shift;
					if (!(buf[at++] & 0x80))
						break;
				}
				if (len && len < sizeof(gi->version) && at + len <= (size_t)got &&
				    printable((const char *)buf + at, len)) {
					set_version(gi, (const char *)buf + at, len);
					return 0;
				}
			}
			if (got < (ssize_t)sizeof(buf))
				break;
		}
	}
	return -1;
}

static int buildinfo_version(Elf *e, Elf_Scn *scn, GElf_Shdr *sh, struct go_info *gi, char *err,
			     size_t len)
{
	static const char magic[] = "\xff Go buildinf:";
	Elf_Data *d = elf_rawdata(scn, NULL);
	const unsigned char *b;
	int psize;
	bool be;

	if (!d || !d->d_buf || d->d_size < 32 || memcmp(d->d_buf, magic, 14)) {
		snprintf(err, len, "corrupt .go.buildinfo (no header)");
		return -1;
	}
	b = d->d_buf;
	psize = b[14];
	be = b[15] & 1;
	if (b[15] & 2) {
		uint64_t n = 0;
		size_t i = 32;

		for (int shift = 0; i < d->d_size && shift < 64; shift += 7) {
			n |= (uint64_t)(b[i] & 0x7f) << shift;
			if (!(b[i++] & 0x80))
				break;
		}
		if (!n || i > d->d_size || n > d->d_size - i || !printable((const char *)b + i, n)) {
			snprintf(err, len, "corrupt .go.buildinfo (version string)");
			return -1;
		}
		set_version(gi, (const char *)b + i, n);
		return 0;
	}
	if (psize == 4 || psize == 8) {
		uint64_t hdr, data, n;
		char s[sizeof(gi->version)];

		hdr = get_word(b + 16, psize, be);
		if (!hdr)
			relative_reloc(e, sh->sh_addr + 16, &hdr);
		if (!read_word(e, hdr, psize, be, true, &data) &&
		    !read_word(e, hdr + psize, psize, be, false, &n) && n && n < 256) {
			if (n >= sizeof(s))
				n = sizeof(s) - 1;
			if (!read_vaddr(e, data, s, n) && printable(s, n)) {
				set_version(gi, s, n);
				return 0;
			}
		}
	}
	snprintf(err, len, "unreadable Go version in .go.buildinfo");
	return -1;
}

static void build_id(Elf *e, struct go_info *gi)
{
	char gnu[sizeof(gi->build_id)] = "";
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while (!gi->build_id[0] && (scn = elf_nextscn(e, scn))) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			const char *name = (const char *)d->d_buf + noff;
			const unsigned char *desc = (const unsigned char *)d->d_buf + doff;

			if (nh.n_type == 4 && nh.n_namesz >= 3 && !memcmp(name, "Go", 3)) {
				size_t n = strnlen((const char *)desc, nh.n_descsz);

				if (n >= sizeof(gi->build_id))
					n = sizeof(gi->build_id) - 1;
				if (!printable((const char *)desc, n))
					continue;
				memcpy(gi->build_id, desc, n);
				gi->build_id[n] = 0;
				break;
			}
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp(name, "GNU", 4) && !gnu[0])
				for (size_t i = 0; i < nh.n_descsz && 2 * i + 2 < sizeof(gnu); i++)
					snprintf(gnu + 2 * i, 3, "%02x", desc[i]);
		}
	}
	if (!gi->build_id[0])
		memcpy(gi->build_id, gnu, sizeof(gnu));
}

/* The nth (from 0) symbol matching name: a generic "f[...]" has one per
 * instantiation. */
static int symtab_find_nth(Elf *e, const char *name, int type, int nth, uint64_t *value,
			   uint64_t *size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym s;

	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			const char *n;

			if (!gelf_getsym(d, i, &s))
				break;
			if (GELF_ST_TYPE(s.st_info) != type || s.st_shndx == SHN_UNDEF || !s.st_value)
				continue;
			n = elf_strptr(e, sh.sh_link, s.st_name);
			if (n && gopcln__name_matches(n, name) && nth-- == 0) {
				*value = s.st_value;
				if (size)
					*size = s.st_size;
				return 0;
			}
		}
	}
	return -1;
}

int goelf_symtab_find(Elf *e, const char *name, int type, uint64_t *value, uint64_t *size)
{
	return symtab_find_nth(e, name, type, 0, value, size);
}

/* Offsets are read once per binary: a later open of the same build id (the
 * same file reached again, or another process of it) reuses them. */
static struct go_info offsets_cache[4];
static unsigned offsets_next;

void goelf__forget(void)
{
	memset(offsets_cache, 0, sizeof(offsets_cache));
	goelf__dwarf_release();
}

static bool offsets_cached(struct go_info *gi)
{
	for (unsigned i = 0; i < 4 && gi->build_id[0]; i++)
		if (!strcmp(offsets_cache[i].build_id, gi->build_id)) {
			*gi = offsets_cache[i];
			return true;
		}
	return false;
}

static void offsets_set(struct go_info *gi, const struct go_offsets *o, enum go_offsets_src src)
{
	gi->g_goid = o->g_goid;
	gi->g_parent_goid = o->g_parent_goid;
	gi->g_gopc = o->g_gopc;
	gi->g_startpc = o->g_startpc;
	gi->g_atomicstatus = o->g_atomicstatus;
	gi->g_waitsince = o->g_waitsince;
	gi->g_waitreason = o->g_waitreason;
	gi->g_m = o->g_m;
	gi->g_sched_sp = o->g_sched_sp;
	gi->m_curg = o->m_curg;
	gi->m_procid = o->m_procid;
	gi->req_method = o->req_method;
	gi->req_url = o->req_url;
	gi->url_path = o->url_path;
	gi->test_name = o->test_name;
	gi->req_pat = o->req_pat;
	gi->pattern_str = o->pattern_str;
	gi->url_host = o->url_host;
	gi->g_timer = o->g_timer;
	gi->timer_when = o->timer_when;
	gi->g_sched_bp = o->g_sched_bp;
	gi->offsets_src = src;
}

/* No DWARF (-ldflags=-w): the layout of this Go version, from the table
 * tools/gen-go-offsets.sh made from each toolchain's DWARF; for a version
 * it has no row for, derived from the binary's own code (go_derive.c),
 * which refuses rather than guess. */
static int offsets_without_dwarf(const char *path, struct go_info *gi, char *err, size_t len)
{
	const struct go_offsets *o = go_offsets__for(gi->major, gi->minor);
	struct go_derivation d;
	char why[192];

	if (o) {
		offsets_set(gi, o, GO_OFFSETS_TABLE);
		return 0;
	}
	if (go_derive__run(path, gi->major, gi->minor, &d, why, sizeof(why))) {
		snprintf(err, len, "%s (no DWARF, and the offsets table has no row for Go %d.%d): "
			 "rebuild without -ldflags=-w", why, gi->major, gi->minor);
		return -1;
	}
	offsets_set(gi, &d.o, GO_OFFSETS_DERIVED);
	return 0;
}

const char *goelf__offsets_src_name(enum go_offsets_src src)
{
	switch (src) {
	case GO_OFFSETS_DWARF: return "DWARF";
	case GO_OFFSETS_TABLE: return "table";
	case GO_OFFSETS_DERIVED: return "derived";
	default: return "";
	}
}

static int go_without_buildinfo(const char *path, Elf *e, int fd, struct go_info *gi, char *err,
				size_t len)
{
	GElf_Shdr sh;

	if (!goelf__pclntab(path)) {
		snprintf(err, len, "not a Go binary (no .go.buildinfo)%s",
			 elf_file__scn(e, ".gopclntab", &sh) ? ": Go before 1.18 is not supported"
							   : "");
		return -1;
	}
	if (goversion__from_runtime(e, fd, gi->version, sizeof(gi->version))) {
		snprintf(gi->version, sizeof(gi->version), "go (version unknown)");
		snprintf(err, len, "a Go binary (its function table is there) with no .go.buildinfo "
			 "and no runtime version string: cannot tell its Go version");
		return -1;
	}
	set_version(gi, gi->version, strlen(gi->version));
	gi->no_buildinfo = true;
	return 0;
}

int goelf__open(const char *path, struct go_info *gi, char *err, size_t len)
{
	char dummy[1];
	Elf_Scn *scn;
	GElf_Shdr sh;
	Dwarf *dbg;
	uint64_t v;
	int fd, rc;
	Elf *e;

	if (!err || !len) {
		err = dummy;
		len = sizeof(dummy);
	}
	memset(gi, 0, sizeof(*gi));
	gi->g_goid = gi->g_parent_goid = gi->g_gopc = gi->g_startpc = gi->g_atomicstatus = -1;
	gi->g_waitsince = gi->g_waitreason = gi->g_m = gi->g_sched_sp = -1;
	gi->m_curg = gi->m_procid = -1;
	gi->req_method = gi->req_url = gi->url_path = gi->test_name = -1;
	gi->req_pat = gi->pattern_str = gi->url_host = -1;
	gi->g_timer = gi->timer_when = gi->g_sched_bp = -1;
	e = elf_file__open(path, &fd);
	if (!e) {
		snprintf(err, len, "%s", errno == ENOEXEC ? "not an ELF file" : strerror(errno));
		return -1;
	}
	scn = elf_file__scn(e, ".go.buildinfo", &sh);
	if (!scn && !buildinfo_by_scan(e, fd, gi))
		goto found; /* no section headers (dropped by a packer): by its magic */
	if (!scn) {
		/* build info dropped: Go if the runtime's function table is
		 * there, its version from the runtime's own string */
		if (go_without_buildinfo(path, e, fd, gi, err, len)) {
			elf_file__close(e, fd);
			return -1;
		}
		goto found;
	}
	if (buildinfo_version(e, scn, &sh, gi, err, len)) {
		elf_file__close(e, fd);
		return -1;
	}
found:
	build_id(e, gi);
	gi->cgo = has_interp(e);
	if (offsets_cached(gi)) {
		elf_file__close(e, fd);
		return 0;
	}
	if (!goelf_symtab_find(e, "runtime.allgs", STT_OBJECT, &v, NULL))
		gi->allgs_vaddr = v;
	if (!goelf_symtab_find(e, "runtime.allglen", STT_OBJECT, &v, NULL))
		gi->allglen_vaddr = v;
	if (!gi->allgs_vaddr)
		goelf_allgs_by_code(path, gi);
	dbg = goelf_dwarf(path);
	if (!dbg) {
		/* not kept: a stripped build may share its build id with the
		 * one with DWARF; deriving takes some 15 ms */
		rc = offsets_without_dwarf(path, gi, err, len);
		elf_file__close(e, fd);
		return rc;
	}
	gi->has_dwarf = true;
	gi->offsets_src = GO_OFFSETS_DWARF;
	goelf_read_dwarf(dbg, gi);
	rc = 0;
	if (gi->g_goid < 0) {
		snprintf(err, len, "no runtime.g in its DWARF");
		rc = -1;
	} else if (gi->build_id[0]) {
		offsets_cache[offsets_next++ % 4] = *gi;
	}
	elf_file__close(e, fd);
	return rc;
}

int goelf__func(const char *path, const char *name, uint64_t *vaddr, uint64_t *size,
		uint64_t *file_off)
{
	return goelf__func_nth(path, name, 0, vaddr, size, file_off);
}

/* Function tables of the binaries asked about, kept (a target maps a few:
 * its executable, libc, ...); a binary without one is remembered too. */
#define PCLN_CACHE 8
static struct pcln_entry {
	char path[512];
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	struct gopcln *tab;
} pcln_cache[PCLN_CACHE];
static unsigned pcln_next;

/* Locked: go__prefetch's thread may read a table while the attach reads one */
static pthread_mutex_t pcln_lock = PTHREAD_MUTEX_INITIALIZER;

static struct gopcln *pclntab_locked(const char *path)
{
	struct pcln_entry *c;
	struct stat st;
	char err[128];

	if (stat(path, &st))
		return NULL;
	for (int i = 0; i < PCLN_CACHE; i++) {
		c = &pcln_cache[i];
		/* by the file: the attach reads /proc/PID/exe, the symbolizer
		 * the mapping's path */
		if (c->path[0] && c->dev == st.st_dev &&
		    c->ino == st.st_ino && c->mtime.tv_sec == st.st_mtim.tv_sec &&
		    c->mtime.tv_nsec == st.st_mtim.tv_nsec)
			return c->tab;
	}
	c = &pcln_cache[pcln_next++ % PCLN_CACHE];
	gopcln__close(c->tab);
	memset(c, 0, sizeof(*c));
	c->tab = gopcln__open(path, err, sizeof(err));
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->mtime = st.st_mtim;
	return c->tab;
}

struct gopcln *goelf__pclntab(const char *path)
{
	struct gopcln *tab;

	pthread_mutex_lock(&pcln_lock);
	tab = pclntab_locked(path);
	pthread_mutex_unlock(&pcln_lock);
	return tab;
}

/* The runtime's own table first (stripped binaries have nothing else),
 * then .symtab. */
int goelf__func_nth(const char *path, const char *name, int nth, uint64_t *vaddr,
		    uint64_t *size, uint64_t *file_off)
{
	struct gopcln *tab = goelf__pclntab(path);
	struct gofunc f;
	uint64_t v, sz, off;
	int fd, rc = -1;
	Elf *e = elf_file__open(path, &fd);

	if (!e)
		return -1;
	if (tab && !gopcln__func_by_name(tab, name, nth, &f)) {
		v = f.entry;
		sz = f.end - f.entry;
	} else if (symtab_find_nth(e, name, STT_FUNC, nth, &v, &sz)) {
		elf_file__close(e, fd);
		return -1;
	}
	if (!goelf_text_off(e, v, sz, &off)) {
		*vaddr = v;
		*size = sz;
		*file_off = off;
		rc = 0;
	}
	elf_file__close(e, fd);
	return rc;
}

