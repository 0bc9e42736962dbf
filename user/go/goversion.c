// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "goversion.h"

#define MAX_SEGS 8
#define MAX_SEG_SIZE (1ull << 30)
#define MAX_VERSION 40

struct seg {
	uint64_t vaddr, size;
	uint8_t *buf;
};

static uint64_t u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static const uint8_t *bytes_at(const struct seg *s, int n, uint64_t vaddr, uint64_t len)
{
	for (int i = 0; i < n; i++)
		if (vaddr >= s[i].vaddr && len <= s[i].size && vaddr - s[i].vaddr <= s[i].size - len)
			return s[i].buf + (vaddr - s[i].vaddr);
	return NULL;
}

/* "go1.N", then ".P", "rcN", "betaN" or nothing, then " X:..." or nothing.
 * rank: a release with a patch level (or rc/beta) above a bare "go1.N". */
static bool parse(const uint8_t *p, uint64_t len, int *minor, int *patch, int *rank)
{
	char s[MAX_VERSION + 1];
	int used = 0;

	for (uint64_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	memcpy(s, p, len);
	s[len] = 0;
	*patch = -1;
	if (sscanf(s, "go1.%d%n", minor, &used) != 1 || s[4] < '0' || s[4] > '9')
		return false;
	if (s[used] == '.' && sscanf(s + used, ".%d", patch) != 1)
		return false;
	if (s[used] && s[used] != '.' && s[used] != ' ' && strncmp(s + used, "rc", 2) &&
	    strncmp(s + used, "beta", 4))
		return false;
	*rank = s[used] ? 1 : 0;
	return true;
}

int goversion__from_runtime(Elf *e, int fd, char *out, size_t outlen)
{
	struct seg segs[MAX_SEGS];
	int nsegs = 0, best_rank = -1, best_minor = -1, best_patch = -2;
	size_t n;
	GElf_Phdr ph;

	if (elf_getphdrnum(e, &n))
		return -1;
	for (size_t i = 0; i < n && nsegs < MAX_SEGS; i++) {
		struct seg *s = &segs[nsegs];

		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD || (ph.p_flags & PF_X) ||
		    !ph.p_filesz || ph.p_filesz > MAX_SEG_SIZE)
			continue;
		s->buf = malloc(ph.p_filesz);
		if (!s->buf)
			continue;
		if (pread(fd, s->buf, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz) {
			free(s->buf);
			continue;
		}
		s->vaddr = ph.p_vaddr;
		s->size = ph.p_filesz;
		nsegs++;
	}
	for (int i = 0; i < nsegs; i++)
		for (uint64_t o = 0; o + 16 <= segs[i].size; o += 8) {
			uint64_t len = u64(segs[i].buf + o + 8);
			const uint8_t *p;
			int minor, patch, rank;

			if (len < 5 || len > MAX_VERSION ||
			    !(p = bytes_at(segs, nsegs, u64(segs[i].buf + o), len)) ||
			    memcmp(p, "go1.", 4) || !parse(p, len, &minor, &patch, &rank))
				continue;
			if (rank > best_rank ||
			    (rank == best_rank && (minor > best_minor ||
						   (minor == best_minor && patch > best_patch)))) {
				best_rank = rank;
				best_minor = minor;
				best_patch = patch;
				snprintf(out, outlen, "%.*s", (int)len, (const char *)p);
			}
		}
	for (int i = 0; i < nsegs; i++)
		free(segs[i].buf);
	return best_minor < 0 ? -1 : 0;
}
