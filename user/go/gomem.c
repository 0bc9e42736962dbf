// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "elf_file.h"
#include "gomem.h"

#define MAX_ALLGS 10000000u /* a sane len(allgs) */
#define MAX_IOV 1024	    /* UIO_MAXIOV */
#define ATTEMPTS 5
#define MAX_REASON_LEN 128

const char *gomem__status_name(uint32_t status)
{
	static const char *const names[] = {
		"idle", "runnable", "running", "syscall", "waiting", "moribund_unused",
		"dead", "enqueue_unused", "copystack", "preempted",
	};

	status &= ~(uint32_t)GO_GSCAN;
	return status < sizeof(names) / sizeof(names[0]) ? names[status] : "unknown";
}

int64_t gomem__nanotime(pid_t pid)
{
	struct timespec ts;
	int64_t off = 0;
	char path[64], line[128];
	FILE *f;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(path, sizeof(path), "/proc/%d/timens_offsets", pid);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char clk[32];
			long long s, ns;

			/* "monotonic <secs> <nsecs>" (older kernels: the clock id, 1) */
			if (sscanf(line, "%31s %lld %lld", clk, &s, &ns) == 3 &&
			    (!strcmp(clk, "monotonic") || !strcmp(clk, "1")))
				off = s * 1000000000LL + ns;
		}
		fclose(f);
	}
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + off;
}

/* n bytes at addr in pid: 0, or -1 with errno (EFAULT for a short read). */
static int rd(pid_t pid, uint64_t addr, void *buf, size_t n)
{
	struct iovec l = { buf, n }, r = { (void *)(uintptr_t)addr, n };
	ssize_t got = process_vm_readv(pid, &l, 1, &r, 1, 0);

	if (got == (ssize_t)n)
		return 0;
	if (got >= 0)
		errno = EFAULT;
	return -1;
}

static uint64_t u64_at(const unsigned char *p, int off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t u32_at(const unsigned char *p, int off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

/* ---------------------------------------------------------------- bias --- */

/* The mapping of exe_path in pid: its start and file offset. */
static int find_mapping(pid_t pid, const char *exe_path, uint64_t *start, uint64_t *off)
{
	char path[64], line[PATH_MAX + 256], real[PATH_MAX] = "";
	struct stat st;
	bool have_st;
	ssize_t n;
	FILE *f;
	int rc = -1;

	have_st = !stat(exe_path, &st);
	n = readlink(exe_path, real, sizeof(real) - 1);
	if (n > 0)
		real[n] = 0;
	else if (!realpath(exe_path, real))
		real[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			errno = ESRCH;
		return -1;
	}
	/* the lowest file offset of the file's mappings: the first PT_LOAD */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, o, ino;
		unsigned int maj, mnr;
		int pos = 0;
		char *name;

		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu %n", &lo, &hi, &o, &maj, &mnr, &ino,
			   &pos) < 6 || !pos || !ino)
			continue;
		name = line + pos;
		name[strcspn(name, "\n")] = 0;
		if (!((have_st && st.st_ino == ino && major(st.st_dev) == maj &&
		       minor(st.st_dev) == mnr) ||
		      (real[0] && !strcmp(name, real))))
			continue;
		if (rc || o < *off) {
			*start = lo;
			*off = o;
			rc = 0;
		}
	}
	fclose(f);
	if (rc)
		errno = ENOENT;
	return rc;
}

int gomem__bias(pid_t pid, const char *exe_path, uint64_t *bias)
{
	uint64_t start = 0, off = 0, page = sysconf(_SC_PAGESIZE);
	GElf_Ehdr eh;
	GElf_Phdr ph;
	size_t nph;
	int fd, rc = -1;
	Elf *e;

	e = elf_file__open(exe_path, &fd);
	if (!e) {
		if (errno == ENOENT)
			errno = ESRCH; /* /proc/PID/exe of a process that is gone */
		return -1;
	}
	if (!gelf_getehdr(e, &eh)) {
		errno = ENOEXEC;
		goto out;
	}
	if (eh.e_type == ET_EXEC) {
		*bias = 0;
		rc = 0;
		goto out;
	}
	if (find_mapping(pid, exe_path, &start, &off) || elf_getphdrnum(e, &nph))
		goto out;
	errno = ENOENT;
	for (size_t i = 0; i < nph; i++) {
		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD ||
		    (ph.p_offset & ~(page - 1)) != off)
			continue;
		*bias = start - (ph.p_vaddr & ~(page - 1));
		rc = 0;
		break;
	}
out:
	elf_file__close(e, fd);
	return rc;
}

/* ------------------------------------------------------------ snapshot --- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void sys_err(char *err, size_t len, const char *what, uint64_t addr)
{
	if (errno == ESRCH)
		snprintf(err, len, "no such process");
	else if (errno == EPERM || errno == EACCES)
		snprintf(err, len, "permission denied reading its memory; run as root (sudo), or "
			 "as its user with ptrace allowed");
	else
		snprintf(err, len, "%s at 0x%" PRIx64 " unreadable: %s", what, addr,
			 errno == EFAULT ? "not mapped (wrong load bias?)" : strerror(errno));
}

/* Reads the gs of ptrs[0..n) into raw (n * span bytes); 0 or -1 (errno). */
static int read_gs(pid_t pid, const uint64_t *ptrs, size_t n, unsigned char *raw, size_t span,
		   size_t *bad)
{
	struct iovec l[MAX_IOV], r[MAX_IOV];

	for (size_t i = 0; i < n; i += MAX_IOV) {
		size_t k = n - i < MAX_IOV ? n - i : MAX_IOV;
		ssize_t got;

		for (size_t j = 0; j < k; j++) {
			l[j].iov_base = raw + (i + j) * span;
			l[j].iov_len = span;
			r[j].iov_base = (void *)(uintptr_t)ptrs[i + j];
			r[j].iov_len = span;
		}
		got = process_vm_readv(pid, l, k, r, k, 0);
		if (got < 0)
			return -1;
		if ((size_t)got != k * span) {
			*bad = i + got / span;
			errno = EFAULT;
			return -1;
		}
	}
	return 0;
}

enum { SNAP_OK, SNAP_RETRY, SNAP_FATAL };

static int snapshot_once(pid_t pid, const struct go_info *gi, uint64_t bias, struct go_g **out,
			 size_t *count, char *err, size_t len)
{
	struct iovec l[2], r[2];
	uint64_t hdr[3], glen, n, *ptrs = NULL, *ids = NULL;
	unsigned char *raw = NULL;
	struct go_g *gs = NULL;
	size_t span = 0, nr = 0, bad = 0;
	const int offs[] = { gi->g_goid, gi->g_parent_goid, gi->g_gopc, gi->g_startpc,
			     gi->g_atomicstatus, gi->g_waitsince, gi->g_waitreason, gi->g_timer };
	int rc = SNAP_FATAL;
	ssize_t got;

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		if (offs[i] >= 0 && (size_t)offs[i] + 8 > span)
			span = offs[i] + 8;
	l[0] = (struct iovec){ hdr, sizeof(hdr) };
	r[0] = (struct iovec){ (void *)(uintptr_t)(gi->allgs_vaddr + bias), sizeof(hdr) };
	l[1] = (struct iovec){ &glen, sizeof(glen) };
	r[1] = (struct iovec){ (void *)(uintptr_t)(gi->allglen_vaddr + bias), sizeof(glen) };
	/* a stripped binary: allgs found by its code, no allglen to compare */
	got = process_vm_readv(pid, l, gi->allglen_vaddr ? 2 : 1, r, gi->allglen_vaddr ? 2 : 1, 0);
	if (!gi->allglen_vaddr && got == (ssize_t)sizeof(hdr)) {
		glen = hdr[1];
		got += sizeof(glen);
	}
	if (got != (ssize_t)(sizeof(hdr) + sizeof(glen))) {
		if (got >= 0)
			errno = EFAULT;
		sys_err(err, len, "runtime.allgs", gi->allgs_vaddr + bias);
		return SNAP_FATAL;
	}
	/* allgadd appends, then stores allglen: len(allgs) may be one ahead */
	if (hdr[1] > hdr[2] || hdr[1] >= MAX_ALLGS || glen >= MAX_ALLGS || !hdr[0]) {
		snprintf(err, len, "runtime.allgs implausible: ptr 0x%" PRIx64 ", len %" PRIu64
			 ", cap %" PRIu64 " (allglen %" PRIu64 ")", hdr[0], hdr[1], hdr[2], glen);
		return hdr[1] >= MAX_ALLGS || hdr[1] > hdr[2] ? SNAP_FATAL : SNAP_RETRY;
	}
	if (glen > hdr[1] || hdr[1] - glen > 64 || !glen) {
		snprintf(err, len, "runtime.allglen %" PRIu64 " does not match len(runtime.allgs) %"
			 PRIu64, glen, hdr[1]);
		return SNAP_RETRY;
	}
	n = glen;
	ptrs = malloc(n * sizeof(*ptrs));
	raw = malloc(n * span);
	gs = malloc(n * sizeof(*gs));
	ids = malloc(n * sizeof(*ids));
	if (!ptrs || !raw || !gs || !ids) {
		snprintf(err, len, "out of memory (%" PRIu64 " goroutines)", n);
		goto out;
	}
	if (rd(pid, hdr[0], ptrs, n * sizeof(*ptrs))) {
		sys_err(err, len, "the runtime.allgs array", hdr[0]);
		rc = errno == EFAULT ? SNAP_RETRY : SNAP_FATAL;
		goto out;
	}
	for (uint64_t i = 0; i < n; i++)
		if (!ptrs[i] || ptrs[i] & 7) {
			snprintf(err, len, "runtime.allgs[%" PRIu64 "] = 0x%" PRIx64 ": not a g",
				 i, ptrs[i]);
			rc = SNAP_RETRY;
			goto out;
		}
	if (read_gs(pid, ptrs, n, raw, span, &bad)) {
		sys_err(err, len, "a g", bad < n ? ptrs[bad] : 0);
		rc = errno == EFAULT ? SNAP_RETRY : SNAP_FATAL;
		goto out;
	}
	for (uint64_t i = 0; i < n; i++) {
		const unsigned char *p = raw + i * span;
		struct go_g *g = &gs[nr];
		uint32_t st = u32_at(p, gi->g_atomicstatus);

		if ((st & ~(uint32_t)GO_GSCAN) == GO_GDEAD || (st & ~(uint32_t)GO_GSCAN) == GO_GIDLE)
			continue;
		memset(g, 0, sizeof(*g));
		g->addr = ptrs[i];
		g->status = st & ~(uint32_t)GO_GSCAN;
		g->goid = u64_at(p, gi->g_goid);
		g->parent_goid = gi->g_parent_goid >= 0 ? u64_at(p, gi->g_parent_goid) : 0;
		g->gopc = u64_at(p, gi->g_gopc);
		g->startpc = u64_at(p, gi->g_startpc);
		g->waitsince = gi->g_waitsince >= 0 ? (int64_t)u64_at(p, gi->g_waitsince) : 0;
		g->waitreason = gi->g_waitreason >= 0 ? p[gi->g_waitreason] : 0;
		g->timer = gi->g_timer >= 0 ? u64_at(p, gi->g_timer) : 0;
		/* only GO_GSCAN may be set above the status bits */
		if ((st & ~(uint32_t)(GO_GSCAN | 0xf)) || g->status > GO_GPREEMPTED ||
		    g->status == GO_GMORIBUND_UNUSED || g->status == GO_GENQUEUE_UNUSED) {
			snprintf(err, len, "g 0x%" PRIx64 ": status 0x%x out of range", g->addr, st);
			rc = SNAP_RETRY;
			goto out;
		}
		if (!g->goid || g->goid > (1ULL << 62)) {
			snprintf(err, len, "g 0x%" PRIx64 " (%s): goid %" PRIu64 " out of range",
				 g->addr, gomem__status_name(g->status), g->goid);
			rc = SNAP_RETRY;
			goto out;
		}
		ids[nr++] = g->goid;
	}
	qsort(ids, nr, sizeof(*ids), cmp_u64);
	for (size_t i = 1; i < nr; i++)
		if (ids[i] == ids[i - 1]) {
			snprintf(err, len, "goid %" PRIu64 " is not unique", ids[i]);
			rc = SNAP_RETRY;
			goto out;
		}
	if (!nr) {
		snprintf(err, len, "no live goroutine in runtime.allgs");
		rc = SNAP_RETRY;
		goto out;
	}
	*out = gs;
	*count = nr;
	gs = NULL;
	rc = SNAP_OK;
out:
	free(ptrs);
	free(raw);
	free(gs);
	free(ids);
	return rc;
}

int gomem__snapshot(pid_t pid, const struct go_info *gi, uint64_t bias, struct go_g **out,
		    char *err, size_t len)
{
	char dummy[1];
	size_t n = 0;

	if (!err || !len) {
		err = dummy;
		len = sizeof(dummy);
	}
	*out = NULL;
	if (!gi->allgs_vaddr) {
		snprintf(err, len, "runtime.allgs not found (no symbol, and not in runtime.allgadd's code)");
		errno = ENOENT;
		return -1;
	}
	if (gi->g_goid < 0 || gi->g_atomicstatus < 0 || gi->g_gopc < 0 || gi->g_startpc < 0) {
		snprintf(err, len, "runtime.g fields (goid, atomicstatus, gopc, startpc) missing "
			 "from its DWARF");
		errno = ENOENT;
		return -1;
	}
	for (int i = 0; i < ATTEMPTS; i++) {
		int rc;

		if (i) {
			struct timespec ts = { 0, 1000000L * i };

			nanosleep(&ts, NULL);
		}
		rc = snapshot_once(pid, gi, bias, out, &n, err, len);
		if (rc == SNAP_OK)
			return (int)n;
		if (rc == SNAP_FATAL)
			return -1;
	}
	errno = EPROTO;
	return -1;
}

/* --------------------------------------------------------- wait reason --- */

static struct {
	pid_t pid;
	char build_id[sizeof(((struct go_info *)0)->build_id)];
	uint64_t vaddr, count; /* 0: not found */
	bool valid;
	bool have[256];	       /* waitReason is a uint8 */
	char str[256][MAX_REASON_LEN];
} wr_cache;

int64_t gomem__timer_when(pid_t pid, const struct go_info *gi, const struct go_g *g)
{
	int64_t when = 0;

	if (!g->timer || (g->timer & 7) || gi->timer_when < 0 ||
	    rd(pid, g->timer + gi->timer_when, &when, sizeof(when)))
		return 0;
	return when > 0 ? when : 0;
}

const char *gomem__wait_reason(pid_t pid, const struct go_info *gi, uint64_t bias,
			       uint32_t reason, char *buf, size_t len)
{
	uint64_t hdr[2];
	char s[MAX_REASON_LEN];

	if (!buf || !len)
		return buf;
	buf[0] = 0;
	if (!reason)
		return buf; /* waitReasonZero: "" */
	if (!wr_cache.valid || wr_cache.pid != pid || strcmp(wr_cache.build_id, gi->build_id)) {
		char path[64];
		uint64_t v, sz;

		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
		wr_cache.pid = pid;
		snprintf(wr_cache.build_id, sizeof(wr_cache.build_id), "%s", gi->build_id);
		wr_cache.vaddr = wr_cache.count = 0;
		memset(wr_cache.have, 0, sizeof(wr_cache.have));
		if (!goelf__var(path, "runtime.waitReasonStrings", &v, &sz) && sz >= 16) {
			wr_cache.vaddr = v;
			wr_cache.count = sz / 16; /* [N]string: {ptr, len} */
		}
		wr_cache.valid = true;
	}
	if (reason < 256 && wr_cache.have[reason]) {
		snprintf(buf, len, "%s", wr_cache.str[reason]);
		return buf;
	}
	if (!wr_cache.vaddr || reason >= wr_cache.count ||
	    rd(pid, wr_cache.vaddr + bias + 16ULL * reason, hdr, sizeof(hdr)) || !hdr[0] ||
	    !hdr[1] || hdr[1] >= sizeof(s) || rd(pid, hdr[0], s, hdr[1]))
		return buf;
	for (uint64_t i = 0; i < hdr[1]; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return buf;
	snprintf(buf, len, "%.*s", (int)hdr[1], s);
	if (reason < 256) {
		/* the strings are constants: read each once */
		snprintf(wr_cache.str[reason], sizeof(wr_cache.str[reason]), "%.*s", (int)hdr[1], s);
		wr_cache.have[reason] = true;
	}
	return buf;
}
