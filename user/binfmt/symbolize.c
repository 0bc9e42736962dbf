// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "goelf.h"
#include "gopclntab.h"
#include "perfmap.h"
#include "symbolize.h"

struct symbolizer {
	Dwfl *dwfl;
	Dwfl *uw_dwfl; /* the unwinder's own: see symbolizer__unwind */
	pid_t pid;
	struct symtab *st;
	uint64_t last_report_ns;
	/* addresses in no module yet, seen less than 100 ms after the maps
	 * were read: looked up again once they are read again */
	struct deferred {
		uint64_t addr;
		bool ret;
	} deferred[256];
	int nr_deferred;
	struct perfmap *jit; /* /tmp/perf-PID.map, when the target writes one */
	uint64_t xol_lo, xol_hi; /* [uprobes]: the kernel's page for probed instructions */
};

static char *debuginfo_path;
static pid_t target_pid; /* one target per weft process */

/* The files the target maps, kept open: /proc/PID/map_files/... is gone
 * with the target, and its last events are read after it exited (the ring
 * buffer is read every 100 ms): its Go tables are still read through
 * /proc/self/fd/N. */
static struct kept_file {
	char path[256];
	int fd;
} kept[8];
static int nr_kept;

static void file__keep(const char *path, int fd)
{
	if (nr_kept == (int)(sizeof(kept) / sizeof(kept[0])) || strlen(path) >= sizeof(kept[0].path))
		return;
	for (int i = 0; i < nr_kept; i++)
		if (!strcmp(kept[i].path, path))
			return;
	if ((kept[nr_kept].fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return;
	snprintf(kept[nr_kept++].path, sizeof(kept[0].path), "%s", path);
}

/* The open file path named, when weft kept one (the target may exit
 * between a check and a read), else path. */
static const char *file__path(const char *path, char *buf, size_t len)
{
	for (int i = 0; i < nr_kept; i++)
		if (!strcmp(kept[i].path, path)) {
			snprintf(buf, len, "/proc/self/fd/%d", kept[i].fd);
			return buf;
		}
	return path;
}

/* The file a module maps, exactly: /proc/PID/map_files/START-END for its
 * first mapping, which reaches the target's own file in a container (its
 * path means nothing in our mount namespace) and a file deleted or replaced
 * since it was mapped (an upgrade in place). */
static int map_file(const char *name, char *path, size_t len)
{
	char maps[64], line[PATH_MAX + 128];
	size_t n = strlen(name);
	int rc = -1;
	FILE *f;

	if (n > 10 && !strcmp(name + n - 10, " (deleted)"))
		n -= 10;
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)target_pid);
	f = fopen(maps, "re");
	while (f && rc && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');
		unsigned long lo, hi;

		if (!p || strncmp(p, name, n) || (p[n] != '\n' && p[n] != ' ') ||
		    sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		snprintf(path, len, "/proc/%d/map_files/%lx-%lx", (int)target_pid, lo, hi);
		rc = 0;
	}
	if (f)
		fclose(f);
	return rc;
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	char path[PATH_MAX];
	int fd;

	/* map_files is CAP_SYS_ADMIN's (or CAP_CHECKPOINT_RESTORE's): short of
	 * them, the file by its path under the target's root */
	if (name && name[0] == '/' && target_pid && !map_file(name, path, sizeof(path)) &&
	    ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0 ||
	     (snprintf(path, sizeof(path), "/proc/%d/root%s", (int)target_pid, name) <
		      (int)sizeof(path) &&
	      (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0))) {
		*elfp = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		if (*elfp && elf_kind(*elfp) == ELF_K_ELF) {
			file__keep(path, fd);
			*file_name = strdup(path);
			return fd;
		}
		if (*elfp)
			elf_end(*elfp);
		*elfp = NULL;
		close(fd);
	}
	return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
}

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* (Re)reads /proc/PID/maps: libraries may be loaded after we start. */
static void report_maps(struct symbolizer *s)
{
	char path[64];
	FILE *f;
	int c;

	/* a target gone (or a zombie) has no maps: reading them would drop
	 * every module known, and its last events are read after it exited */
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)s->pid);
	f = fopen(path, "re");
	c = f ? fgetc(f) : EOF;
	if (f)
		fclose(f);
	if (c == EOF) {
		s->last_report_ns = mono_ns();
		return;
	}
	dwfl_report_begin(s->dwfl);
	dwfl_linux_proc_report(s->dwfl, s->pid);
	dwfl_report_end(s->dwfl, NULL, NULL);
	s->last_report_ns = mono_ns();
}

struct symbolizer *symbolizer__new(pid_t pid, struct symtab *st)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pid = pid;
	s->st = st;
	target_pid = pid;
	s->dwfl = dwfl_begin(&proc_callbacks);
	if (!s->dwfl) {
		free(s);
		return NULL;
	}
	report_maps(s);
	s->jit = perfmap__new(pid);
	return s;
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	dwfl_end(s->dwfl);
	if (s->uw_dwfl)
		dwfl_end(s->uw_dwfl);
	perfmap__free(s->jit);
	for (int i = 0; i < nr_kept; i++)
		close(kept[i].fd);
	nr_kept = 0;
	free(s);
}

/* Go emits no .debug_aranges, which libdw 0.188 needs to find the unit of
 * an address: walk the units' ranges instead. */
static Dwarf_Line *line_by_cu_ranges(Dwfl_Module *mod, uint64_t addr)
{
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	Dwarf_Off off = 0, next;
	size_t hsize;

	if (!dw)
		return NULL;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		Dwarf_Addr base, lo, hi;
		ptrdiff_t r = 0;

		if (dwarf_offdie(dw, off + hsize, &cu)) {
			while ((r = dwarf_ranges(&cu, r, &base, &lo, &hi)) > 0)
				if (addr - bias >= lo && addr - bias < hi)
					return dwarf_getsrc_die(&cu, addr - bias);
		}
		off = next;
	}
	return NULL;
}

static bool is_runtime_module(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return !strncmp(b, "libc.so", 7) || !strncmp(b, "libc-", 5) ||
	       !strncmp(b, "libpthread", 10) || !strncmp(b, "ld-linux", 8) ||
	       !strncmp(b, "ld-", 3);
}

static void add(struct symbolizer *s, uint64_t addr, bool is_return);

void symbolizer__add(struct symbolizer *s, uint64_t addr)
{
	add(s, addr, true);
}

/* The runtime's funcID of compiler-generated wrappers: 21 up to Go 1.21,
 * 22 from 1.22 (corostart came before it), 23 from 1.25 (runfinq became
 * runFinalizers and runCleanups) */
static int go_wrapper_id(const char *path)
{
	static struct {
		char path[64];
		int id;
	} known[8];
	static unsigned next;
	struct go_info gi;
	int id;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].path[0] && !strcmp(known[i].path, path))
			return known[i].id;
	goelf__open(path, &gi, NULL, 0);
	id = !gi.major ? -1 : gi.minor >= 25 ? 23 : gi.minor >= 22 ? 22 : 21;
	if (id > 0 && strlen(path) < sizeof(known[0].path)) {
		snprintf(known[next % 8].path, sizeof(known[0].path), "%s", path);
		known[next++ % 8].id = id;
	}
	return id;
}

/* Not what a wrapper wraps: the runtime's helpers (stack growth, write
 * barriers) in the runtime's own wrappers, anything of the runtime in
 * others. */
static bool wrapper_helper(const char *wrapper, const char *callee)
{
	static const char *const helpers[] = { "runtime.morestack", "runtime.gcWriteBarrier",
					       "runtime.wbBufFlush", "runtime.panicwrap",
					       "runtime.racefunc" };

	if (strncmp(callee, "runtime.", 8))
		return false;
	if (strncmp(wrapper, "runtime.", 8))
		return true;
	for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
		if (!strncmp(callee, helpers[i], strlen(helpers[i])))
			return true;
	return false;
}

/* What the wrapper f that the compiler made for `go f(x)` (.gowrapN from
 * 1.22, a wrapper .funcN before) or a method value (-fm) runs: the call
 * inlined into it, else the function it calls. NULL when neither. */
static const char *wrapped(const char *path, const struct gopcln *tab, const struct gofunc *f)
{
	const char *names[8];
	uint64_t targets[8];
	struct gofunc t;
	int n = gopcln__inlined(tab, f, names, 8);

	for (int i = 0; i < n; i++)
		if (!wrapper_helper(f->name, names[i]))
			return names[i];
	n = goelf__calls(path, f->entry, f->end - f->entry, targets, 8);
	for (int i = 0; i < n; i++)
		if (!gopcln__func_at(tab, targets[i], &t) && !wrapper_helper(f->name, t.name))
			return t.name;
	return NULL;
}

/* A Go module: the runtime's own table names the code (into buf) as Go's
 * traceback does, stripped (-s -w) or not, and gives file:line. A start
 * function (an entry, not a return address) that is a compiler wrapper is
 * named by what it wraps, whether the compiler inlined it there or not: the
 * traceback hides wrappers. A creation site (a return address) is named by
 * the function it is in with the innermost file:line, as the traceback's
 * "created by" prints it (a function with a `go` statement is never
 * inlined). false: not Go code. */
static bool go_line(Dwfl_Module *mod, uint64_t look, bool ret, struct sym *out, char *buf,
		    size_t len)
{
	const char *file = NULL, *path, *name;
	char alive[64];
	struct gopcln *tab;
	struct gofunc f;
	Dwarf_Addr bias = 0;
	int line = 0;

	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &path, NULL);
	if (path)
		path = file__path(path, alive, sizeof(alive));
	if (!path || !dwfl_module_getelf(mod, &bias) || !(tab = goelf__pclntab(path)) ||
	    gopcln__func_at(tab, look - bias, &f))
		return false;
	name = f.name;
	if (!ret && look - bias == f.entry &&
	    (strstr(f.name, ".gowrap") || f.func_id == go_wrapper_id(path)))
		name = wrapped(path, tab, &f) ?: f.name;
	out->func = gopcln__print_name(name, buf, len);
	out->off = look - bias - f.entry + (ret ? 1 : 0);
	if (!gopcln__line(tab, look - bias, &file, &line)) {
		const char *b = strrchr(file, '/');

		out->file = b ? b + 1 : file;
		out->line = line;
	}
	return true;
}

char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* C++ names as perf prints them, without the parameter list (templates
 * and "(anonymous namespace)" kept): node::TCPWrap::New. */
static const char *demangle(const char *name, char *buf, size_t len)
{
	char *d;
	size_t n;
	int st = -1, depth = 0;

	if (strncmp(name, "_Z", 2) || !(d = __cxa_demangle(name, NULL, NULL, &st)) || st)
		return name;
	n = strlen(d);
	if (n > 6 && !strcmp(d + n - 6, " const"))
		n -= 6;
	/* the trailing (...) group: the parameters */
	for (size_t i = n; i > 0; i--) {
		if (d[i - 1] == ')')
			depth++;
		else if (d[i - 1] == '(' && --depth == 0) {
			if (d[n - 1] == ')')
				n = i - 1;
			break;
		}
	}
	snprintf(buf, len, "%.*s", (int)n, d);
	free(d);
	return buf;
}

/* The [uprobes] page, where the kernel steps probed instructions and
 * returns through uretprobes: a sample there is weft's own trap. Made at
 * the first hit, so looked for when an address is in no module. */
static bool in_xol(struct symbolizer *s, uint64_t addr)
{
	char path[64], line[256];
	unsigned long long lo, hi;
	FILE *f;

	if (!s->xol_lo) {
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)s->pid);
		if ((f = fopen(path, "re"))) {
			while (fgets(line, sizeof(line), f))
				if (strstr(line, "[uprobes]") &&
				    sscanf(line, "%llx-%llx", &lo, &hi) == 2) {
					s->xol_lo = lo;
					s->xol_hi = hi;
				}
			fclose(f);
		}
	}
	return addr >= s->xol_lo && addr < s->xol_hi;
}

/* ret: a return address, whose call is the instruction before it. */
static void add(struct symbolizer *s, uint64_t addr, bool ret)
{
	struct sym out = { .addr = addr, .func = "", .file = "", .module = "" };
	Dwfl_Module *mod;
	GElf_Off off = 0;
	GElf_Sym esym;
	Dwfl_Line *line;
	const char *name, *modname;
	uint64_t look = addr && ret ? addr - 1 : addr;
	char plain[512];
	int lineno = 0;

	if (!addr || symtab__find(s->st, addr))
		return;
	/* JavaScript first: a module's range, as libdwfl reports it, can span
	 * V8's code space (node maps its own file again, higher up) */
	name = perfmap__find(s->jit, look);
	if (name && perfmap__is_js(name)) {
		/* JIT code (V8 with --perf-basic-prof): "handler (app.js:12)" */
		char file[256];
		uint32_t ln;

		out.func = perfmap__js_name(name, plain, sizeof(plain), file, sizeof(file), &ln);
		out.file = file;
		out.line = ln;
		out.module = SYM_MODULE_JIT;
		out.off = 0;
		symtab__add(s->st, &out);
		return;
	}
	/* (libdwfl may count that page as the dynamic loader's) */
	if (look >= 0x7ff000000000ULL && in_xol(s, look)) {
		out.func = "[uprobes]";
		out.module = "[uprobes]";
		out.flags |= SYM_F_RUNTIME;
		symtab__add(s->st, &out);
		return;
	}
	mod = dwfl_addrmodule(s->dwfl, look);
	if (!mod) {
		/* Mapped since the last read (a CMD's libc)? Not cached as
		 * unknown until the maps were read after it was seen. */
		if (mono_ns() - s->last_report_ns <= 100000000ULL) {
			for (int i = 0; i < s->nr_deferred; i++)
				if (s->deferred[i].addr == addr)
					return;
			if (s->nr_deferred < (int)(sizeof(s->deferred) / sizeof(s->deferred[0]))) {
				s->deferred[s->nr_deferred++] = (struct deferred){ addr, ret };
				return;
			}
		}
		report_maps(s);
		mod = dwfl_addrmodule(s->dwfl, look);
	}
	if (mod) {
		modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
		out.module = modname ? modname : "";
		if (is_runtime_module(out.module))
			out.flags |= SYM_F_RUNTIME;
		name = dwfl_module_addrinfo(mod, look, &off, &esym, NULL, NULL, NULL);
		if (name) {
			out.func = demangle(name, plain, sizeof(plain));
			out.off = off + (ret ? 1 : 0);
		}
		/* Go: lines from the runtime's own table, named by it too when
		 * stripped (a cgo binary's .debug_aranges holds only its C units:
		 * libdw would answer with a line of gcc_mmap.c) */
		if (go_line(mod, look, ret, &out, plain, sizeof(plain)))
			;
		else if ((line = dwfl_module_getsrc(mod, look))) {
			const char *f = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);

			if (f) {
				const char *b = strrchr(f, '/');

				out.file = b ? b + 1 : f;
				out.line = lineno;
			}
		} else {
			Dwarf_Line *dl = line_by_cu_ranges(mod, look);
			const char *f = dl ? dwarf_linesrc(dl, NULL, NULL) : NULL;

			if (f && !dwarf_lineno(dl, &lineno)) {
				const char *b = strrchr(f, '/');

				out.file = b ? b + 1 : f;
				out.line = lineno;
			}
		}
	}
	symtab__add(s->st, &out);
}

int symbolizer__unwind_dwfl(Dwfl *dwfl, pid_t pid, const struct weft_stack_event *st, __u64 *out,
			    int max);
void symbolizer__unwind_reset(void);

/* The unwinder has a Dwfl of its own: once a Dwfl is attached to a
 * process, reading the maps again frees modules its state still uses
 * (libdw), so it is made anew, not re-read, when the pc is in no module
 * (libraries loaded since: a CMD's libc at first). */
int symbolizer__unwind(struct symbolizer *s, const struct weft_stack_event *st, __u64 *out,
		       int max)
{
	if (!s->uw_dwfl || !dwfl_addrmodule(s->uw_dwfl, st->regs[16])) {
		if (s->uw_dwfl)
			dwfl_end(s->uw_dwfl);
		symbolizer__unwind_reset();
		s->uw_dwfl = dwfl_begin(&proc_callbacks);
		if (!s->uw_dwfl)
			return 0;
		dwfl_report_begin(s->uw_dwfl);
		dwfl_linux_proc_report(s->uw_dwfl, s->pid);
		dwfl_report_end(s->uw_dwfl, NULL, NULL);
	}
	if (!dwfl_addrmodule(s->dwfl, st->regs[16]))
		report_maps(s); /* the symbolizer's, for the frames found */
	return symbolizer__unwind_dwfl(s->uw_dwfl, s->pid, st, out, max);
}

void symbolizer__flush(struct symbolizer *s)
{
	int n = s->nr_deferred;

	if (!n)
		return;
	report_maps(s); /* a target gone keeps the modules known */
	s->last_report_ns = 0; /* no deferring now */
	s->nr_deferred = 0;
	for (int i = 0; i < n; i++)
		add(s, s->deferred[i].addr, s->deferred[i].ret);
}

void symbolizer__event(struct symbolizer *s, const struct weft_event *e)
{
	uint32_t n = e->nr_frames < WEFT_MAX_FRAMES ? e->nr_frames : WEFT_MAX_FRAMES;

	if ((e->type == WEFT_EV_TXN_BEGIN && !e->nr_frames) || e->type == WEFT_EV_SEG_NAME ||
	    e->type == WEFT_EV_TXN_END)
		return; /* the union holds a name (TXN_END: a route's pattern) */
	/* a sample's first frame is the pc itself, not a return address */
	for (uint32_t i = 0; i < n; i++)
		add(s, e->frames[i], !(i == 0 && e->type == WEFT_EV_SAMPLE));
	/* the start routine: a function entry, looked up as it is (a Node
	 * resource's is its provider type, a GSTATE's a wait reason) */
	if (e->site && e->type == WEFT_EV_SEG_BEGIN && e->kind != WEFT_KIND_ASYNC)
		add(s, e->site, false);
}
