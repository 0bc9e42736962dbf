/* What the Go adapter needs from a Go binary on disk: its version, the
 * runtime.g / runtime.m layout (from its DWARF, else the per-version table,
 * else derived from its code: go_derive.h), functions by their Go names,
 * and where to put uprobes in them (never a uretprobe on Go code: goroutine
 * stacks move). Through libelf, libdw and capstone (x86-64). Nothing is
 * cached between calls: every call opens, reads and closes the file. */
#ifndef WEFT_GOELF_H
#define WEFT_GOELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <capstone/capstone.h>

/* Where runtime.g / runtime.m's layout came from. */
enum go_offsets_src {
	GO_OFFSETS_NONE,
	GO_OFFSETS_DWARF,   /* the binary's own DWARF */
	GO_OFFSETS_TABLE,   /* no DWARF: the per-version table (go_offsets.h) */
	GO_OFFSETS_DERIVED, /* no DWARF, no row: from the binary's code (go_derive.h) */
};

struct go_info {
	char version[48]; /* "go1.23.4", from .go.buildinfo; "" when not Go */
	bool no_buildinfo; /* version from the runtime's string (goversion.h) */
	int major, minor; /* 1, 23 (0, 0 for a "devel" toolchain without a go1.N) */
	char build_id[128]; /* Go build id (note "Go" type 4), else the GNU one as hex, or "" */
	bool has_dwarf;
	enum go_offsets_src offsets_src;
	bool cgo;        /* dynamically linked (PT_INTERP): cgo, C threads possible */
	/* runtime.g / runtime.m member offsets from the DWARF; -1 when absent.
	 * g_sched_sp is runtime.g.sched (a runtime.gobuf) + gobuf.sp. */
	int g_goid, g_parent_goid, g_gopc, g_startpc, g_atomicstatus, g_waitsince, g_waitreason,
		g_m, g_sched_sp;
	int m_curg, m_procid;
	/* net/http.Request.Method, .URL, net/url.URL.Path, testing.common.name:
	 * from the table or derived (-1: not linked in, or DWARF: ask
	 * goelf__member) */
	int req_method, req_url, url_path, test_name;
	/* net/http.Request.pat, net/http.pattern.str (1.22+), as the above */
	int req_pat, pattern_str;
	int url_host; /* net/url.URL.Host, as the above */
	int g_timer, timer_when; /* runtime.g.timer, runtime.timer.when (-1: unknown) */
	int g_sched_bp;          /* runtime.g.sched.bp (-1: unknown) */
	/* runtime.allgs, runtime.allglen (DWARF variables, else .symtab objects); 0 when absent */
	uint64_t allgs_vaddr, allglen_vaddr;
};

/* 0, or -1 with a one-line reason in err ("not an ELF file", "not a Go
 * binary (no .go.buildinfo)", "go1.28: could not derive runtime.g.goid from
 * runtime.newproc1", ...). Offsets come from the binary's DWARF, else
 * (-ldflags=-w) from the per-version table, else (a version the table has
 * no row for) derived from the binary's code, validated (offsets_src says
 * which); runtime.allgs from .symtab, else (-s) from
 * the code of runtime.allgadd (allglen_vaddr stays 0). Go before 1.13 has
 * no .go.buildinfo: it is "not a Go binary" (version ""), with a note in
 * err. gi is filled as far as the file allows: on failure version, major,
 * minor and build_id still tell "Go but unusable" from "not Go". */
int goelf__open(const char *path, struct go_info *gi, char *err, size_t len);
/* "DWARF", "table", "derived" ("" for none). */
const char *goelf__offsets_src_name(enum go_offsets_src src);
/* Forgets the offsets read so far (they are kept per build id). */
void goelf__forget(void);
/* Closes the DWARF kept open between lookups (memory: it is inflated) */
void goelf__dwarf_release(void);

/* A function by its Go name as .symtab spells it ("main.(*Server).handle",
 * "main.main.func1", "runtime.newproc1"): its vaddr, size and the file
 * offset of its entry. 0, or -1 when absent (or no .symtab). */
int goelf__func(const char *path, const char *name, uint64_t *vaddr, uint64_t *size,
		uint64_t *file_off);

/* The same for the nth (from 0) function that name matches: a generic
 * "pkg.f[...]" matches each of its instantiations. */
int goelf__func_nth(const char *path, const char *name, int nth, uint64_t *vaddr,
		    uint64_t *size, uint64_t *file_off);

/* The binary's pclntab (kept open for the last path asked; not to be
 * closed), or NULL. */
struct gopcln;
struct gopcln *goelf__pclntab(const char *path);

/* File offsets of the RET instructions in [vaddr, vaddr+size), decoded by
 * a linear sweep (Go puts no data in text). The count (at most max), or -1
 * (not x86-64, not in the file's text, or more RETs than max: errno E2BIG;
 * a byte that does not decode: EILSEQ, for a probe must never land inside
 * an instruction).
 * With file_offs NULL it only counts. A function may also leave by a panic
 * or, in assembly and wrappers, a tail JMP: those are not RETs. */
int goelf__rets(const char *path, uint64_t vaddr, uint64_t size, uint64_t *file_offs, int max);

/* Where the function at vaddr has returned, on instructions the kernel
 * emulates: for each direct call to it in the binary, the first emulated
 * instruction after the call that only its return reaches (else, on that
 * path alone, the caller's RET). File offsets, at most max; the count, or
 * -1 when another way in exists in code (a jump, its address taken) or a
 * caller cannot be placed: then only its RETs are sure. *taken: its
 * address is in data too (a func value, an itab), calls through which no
 * site sees. */
int goelf__return_sites(const char *path, uint64_t vaddr, uint64_t *file_offs, int max,
			bool *taken);

/* The direct calls to target in [vaddr, vaddr+size): how many, the file
 * offsets of the first max in file_offs; -1 when the code cannot be read */
int goelf__call_sites(const char *path, uint64_t vaddr, uint64_t size, uint64_t target,
		      uint64_t *file_offs, int max);

/* Decodes [vaddr, vaddr+size) by a linear sweep (x86-64, with details),
 * stepping a byte over what does not decode, and calls fn for each
 * instruction with its file offset; fn returns 0 to go on, 1 to stop, -1
 * to fail. 0, or -1 (not x86-64, not in the file's text, fn failed). The
 * one walk over code that goelf__rets, goelf__calls and go_derive share. */
typedef int (*goelf_insn_fn)(void *ctx, csh cs, const cs_insn *insn, uint64_t file_off);
int goelf__decode(const char *path, uint64_t vaddr, uint64_t size, goelf_insn_fn fn, void *ctx);

/* Where an entry probe fires once per call. A Go prologue compares SP with
 * the stack bound and, when the stack must grow, branches to a block at the
 * function's end that calls runtime.morestack* and jumps back to the entry,
 * so a probe on the entry would fire twice. The file offset of the
 * instruction after the (last) conditional branch to that block, or of the
 * entry when there is none (NOSPLIT, small leaves). 0, or -1. */
int goelf__entry_after_prologue(const char *path, uint64_t vaddr, uint64_t size,
				uint64_t *file_off);

/* A package-level variable by its Go name ("runtime.waitReasonStrings"):
 * its link-time vaddr and size in bytes, from .symtab (an STT_OBJECT), else
 * from a DWARF variable (the size of its type). 0, or -1 when absent. */
int goelf__var(const char *path, const char *name, uint64_t *vaddr, uint64_t *size);

/* The offset of member in the struct type ("net/http.Request", "Method")
 * from the DWARF, or -1. */
int goelf__member(const char *path, const char *type, const char *member);

/* Direct CALL targets in [vaddr, vaddr+size), in order (at most max). The
 * count, or -1. Used to see through the wrappers (`.gowrapN`) that the Go
 * compiler starts for `go f(x)`. */
int goelf__calls(const char *path, uint64_t vaddr, uint64_t size, uint64_t *targets, int max);

#endif
