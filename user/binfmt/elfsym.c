// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf_file.h"
#include "elfsym.h"

static int vaddr_to_off(Elf *e, uint64_t vaddr, uint64_t *off)
{
	size_t n;
	GElf_Phdr ph;

	if (elf_getphdrnum(e, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		/* on disk: a probe's offset must be the segment's own bytes */
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz &&
		    ph.p_offset <= UINT64_MAX - ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -1;
}

/* 0: name is a function at *vaddr; -1 not here; *data: it is, as data */
static int find_in(Elf *e, Elf_Scn *scn, GElf_Shdr *sh, const char *name, uint64_t *vaddr,
		   bool *data)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Sym s;

	if (!d || !sh->sh_entsize)
		return -1;
	for (size_t i = 0; i < sh->sh_size / sh->sh_entsize; i++) {
		const char *n;

		bool func;

		if (!gelf_getsym(d, i, &s) || s.st_shndx == SHN_UNDEF || !s.st_value)
			continue;
		func = GELF_ST_TYPE(s.st_info) == STT_FUNC || GELF_ST_TYPE(s.st_info) == STT_GNU_IFUNC;
		if (!func && GELF_ST_TYPE(s.st_info) != STT_OBJECT && GELF_ST_TYPE(s.st_info) != STT_TLS)
			continue;
		n = elf_strptr(e, sh->sh_link, s.st_name);
		if (n && !strcmp(n, name) && !func)
			*data = true;
		else if (n && !strcmp(n, name)) {
			*vaddr = s.st_value;
			return 0;
		}
	}
	return -1;
}

int elfsym__find(const char *path, const char *sym, uint64_t *file_off, char *err, size_t len)
{
	int fd, rc = -1;
	bool has_symtab = false, data = false;
	uint64_t vaddr = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf *e = elf_file__open(path, &fd);

	if (!e) {
		snprintf(err, len, "%s: %s", path,
			 errno == ENOEXEC ? "not an ELF file" : strerror(errno));
		return -1;
	}
	/* .symtab first (it has static functions), then .dynsym */
	for (int pass = 0; pass < 2 && rc; pass++) {
		scn = NULL;
		while (rc && (scn = elf_nextscn(e, scn))) {
			if (!gelf_getshdr(scn, &sh))
				continue;
			if (sh.sh_type == SHT_SYMTAB)
				has_symtab = true;
			if (sh.sh_type == (pass ? SHT_DYNSYM : SHT_SYMTAB))
				rc = find_in(e, scn, &sh, sym, &vaddr, &data);
		}
	}
	if (rc && data)
		snprintf(err, len, "symbol '%s' in %s is data, not a function: a probe needs the "
			 "function that handles it", sym, path);
	else if (rc)
		snprintf(err, len, "symbol '%s' not found in %s%s", sym, path,
			 has_symtab ? "" : " (no .symtab: stripped? install its debug symbols)");
	else if (vaddr_to_off(e, vaddr, file_off)) {
		snprintf(err, len, "symbol '%s' in %s is not in an executable segment", sym, path);
		rc = -1;
	}
	elf_file__close(e, fd);
	return rc;
}

int elfsym__usdt_offs(const char *path, const char *provider, const char *name, uint64_t *offs,
		      int max)
{
	int fd, found = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf *e = elf_file__open(path, &fd);

	if (!e)
		return 0;
	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			const char *desc = (const char *)d->d_buf + doff;
			const char *p, *n;
			uint64_t pc;

			if (nh.n_type != 3 || nh.n_namesz != 8 ||
			    memcmp((char *)d->d_buf + noff, "stapsdt", 8) || nh.n_descsz < 26)
				continue;
			/* pc, base, semaphore (3 x 8 bytes), then provider\0name\0args\0 */
			p = desc + 24;
			if (!memchr(p, 0, nh.n_descsz - 24))
				continue;
			n = p + strlen(p) + 1;
			if (n >= desc + nh.n_descsz || !memchr(n, 0, desc + nh.n_descsz - n) ||
			    strcmp(p, provider) || strcmp(n, name))
				continue;
			memcpy(&pc, desc, sizeof(pc));
			if (found < max && vaddr_to_off(e, pc, &offs[found]))
				continue;
			found++;
		}
	}
	elf_file__close(e, fd);
	return found;
}

bool elfsym__has_usdt(const char *path, const char *provider, const char *name)
{
	uint64_t off;

	return elfsym__usdt_offs(path, provider, name, &off, 0) > 0;
}

void elfsym__build_id(const char *path, char *hex, size_t len)
{
	int fd;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf *e = elf_file__open(path, &fd);

	hex[0] = 0;
	if (!e)
		return;
	while (!hex[0] && (scn = elf_nextscn(e, scn))) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			const unsigned char *b = (const unsigned char *)d->d_buf + doff;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + noff, "GNU", 4))
				continue;
			for (size_t i = 0; i < nh.n_descsz && 2 * i + 2 < len; i++)
				snprintf(hex + 2 * i, 3, "%02x", b[i]);
			break;
		}
	}
	elf_file__close(e, fd);
}

static bool try_dirs(const char *dirs, const char *origin, const char *name, char *out, size_t len)
{
	char buf[1024], *save = NULL, *dir;

	if (!dirs)
		return false;
	snprintf(buf, sizeof(buf), "%s", dirs);
	for (dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (!strncmp(dir, "$ORIGIN", 7))
			snprintf(out, len, "%s%s/%s", origin, dir + 7, name);
		else
			snprintf(out, len, "%s/%s", dir, name);
		if (!access(out, R_OK))
			return true;
	}
	return false;
}

void elfsym__needed(const char *path, elfsym_lib_fn fn, void *ctx)
{
	static const char *sys_dirs = "/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:"
				      "/usr/lib64:/lib:/usr/lib:/usr/local/lib";
	const char *needed[64], *runpath = NULL;
	char origin[512], lib[1024], *slash;
	size_t nr = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int fd;
	Elf *e = elf_file__open(path, &fd);

	if (!e)
		return;
	snprintf(origin, sizeof(origin), "%s", path);
	slash = strrchr(origin, '/');
	if (slash)
		*slash = 0;
	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;
		GElf_Dyn dyn;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			if (!gelf_getdyn(d, i, &dyn))
				break;
			if (dyn.d_tag == DT_NEEDED && nr < 64)
				needed[nr++] = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
			else if (dyn.d_tag == DT_RUNPATH || dyn.d_tag == DT_RPATH)
				runpath = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
		}
	}
	for (size_t i = 0; i < nr; i++) {
		if (!needed[i])
			continue;
		if (try_dirs(runpath, origin, needed[i], lib, sizeof(lib)) ||
		    try_dirs(getenv("LD_LIBRARY_PATH"), origin, needed[i], lib, sizeof(lib)) ||
		    try_dirs(sys_dirs, origin, needed[i], lib, sizeof(lib)))
			if (!fn(ctx, lib))
				break;
	}
	elf_file__close(e, fd);
}
