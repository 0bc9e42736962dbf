// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "caps.h"
#include "kernel_btf.h"
#include "probe_site.h"
#include "counters.h"
#include "elfsym.h"
#include "go_attach.h"
#include "goelf.h"
#include "node_attach.h"
#include "profile_attach.h"
#include "wire_attach.h"
#include "pthread_layout.h"
#include "native.skel.h"

static int verbosity;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && verbosity < 3)
		return 0;
	if (verbosity < 2)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* What to do about a failed BPF load or attach (e: its errno): name the
 * capability missing, if one is. */
static const char *bpf_fail_hint(int e)
{
	static char hint[256];
	char names[64];
	unsigned miss;

	if (e != EPERM && e != EACCES)
		return "run with -vv for libbpf's log";
	if ((miss = caps__missing(WCAP_BPF | WCAP_PERFMON))) {
		snprintf(hint, sizeof(hint), "weft lacks %s; run as root (sudo), or grant "
			 "CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH",
			 caps__names(miss, names, sizeof(names)));
		return hint;
	}
	/* the uprobe PMU wants CAP_SYS_ADMIN since Linux 6.16: only when the
	 * kernel has no uprobe_multi links (before 6.6, WEFT_NO_UPROBE_MULTI) */
	if (caps__missing(WCAP_SYS_ADMIN))
		return "weft has CAP_BPF and CAP_PERFMON, but this kernel wants CAP_SYS_ADMIN "
		       "for it (perf_event_open uprobes, since Linux 6.16); run as root";
	return "run with -vv for libbpf's log";
}

/* Why /proc/PID/exe cannot be read (e: its errno), in words that name the
 * real problem: gone, a zombie, a kernel thread, another user's (weft lacks
 * CAP_SYS_PTRACE), or protected from root. */
static void no_exe(pid_t pid, int e, char *err, size_t len)
{
	char path[64], line[128], comm[64] = "?", state = 0;
	bool kthread = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (e == ENOENT && (f = fopen(path, "re"))) {
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "Name:", 5))
				sscanf(line + 5, " %63[^\n]", comm);
			else if (!strncmp(line, "State:", 6))
				sscanf(line + 6, " %c", &state);
			else if (!strncmp(line, "Kthread:", 8))
				kthread = atoi(line + 8) == 1;
		}
		fclose(f);
	}
	if ((e == EACCES || e == EPERM) && caps__missing(WCAP_SYS_PTRACE))
		snprintf(err, len, "pid %d: permission denied: weft lacks CAP_SYS_PTRACE (another "
			 "user's process); run as root (sudo), or grant CAP_BPF, CAP_PERFMON, "
			 "CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH", pid);
	else if (e == EACCES || e == EPERM)
		snprintf(err, len, "pid %d: permission denied although weft has CAP_SYS_PTRACE: "
			 "the process is protected (another user namespace, or a ptrace policy "
			 "such as Yama's); run weft where it runs", pid);
	else if (state == 'Z')
		snprintf(err, len, "pid %d (%s) is a zombie: it exited and its parent has not "
			 "reaped it; nothing to trace", pid, comm);
	else if (kthread || state)
		snprintf(err, len, "pid %d (%s) is a kernel thread: weft traces user processes",
			 pid, comm);
	else
		snprintf(err, len, "pid %d: %s", pid, e == ENOENT ? "no such process" : strerror(e));
}

/* What weft reads of the target besides its memory: its executable (every
 * adapter: unread, the runtime would go unseen) and its auxv (the
 * symbolizer's start: unread, no site has a name). Another user's /proc
 * files are that user's, 0400: CAP_DAC_READ_SEARCH, as for a binary its
 * user cannot read. */
static int readable(pid_t pid, const char *exe, char *err, size_t len)
{
	char path[64];

	for (int i = 0; i < 2; i++) {
		int fd, e;

		snprintf(path, sizeof(path), "/proc/%d/%s", pid, i ? "auxv" : "exe");
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			close(fd);
			continue;
		}
		e = errno;
		snprintf(err, len, "pid %d: cannot read %s: %s%s", pid, i ? path : exe,
			 strerror(e), e == EACCES && caps__missing(WCAP_DAC_READ_SEARCH) ?
			 "; weft lacks CAP_DAC_READ_SEARCH (another user's process, or a binary "
			 "its user cannot read): run as root (sudo), or grant it" : "");
		return -1;
	}
	return 0;
}

/* Only the programs some probe will use are loaded: each costs the
 * verifier's time at every attach. A spec on another binary or a library
 * is decided later: every spec role present keeps its programs. */
static void native_autoload(struct native_bpf *k, const struct opts *o, const char *exe)
{
	bool role[8] = { false }, markers = false;

	for (int i = 0; i < o->nr_specs; i++)
		if ((unsigned)o->specs[i].role < 8)
			role[o->specs[i].role] = true;
	for (int i = 0; i < 5 && !o->no_markers; i++)
		markers |= elfsym__has_usdt(exe, "weft", marker_names[i]);
	bpf_program__set_autoload(k->progs.spec_txn_begin, role[ROLE_TXN]);
	bpf_program__set_autoload(k->progs.spec_txn_end, role[ROLE_TXN]);
	bpf_program__set_autoload(k->progs.spec_task_create, role[ROLE_TASK_CREATE]);
	bpf_program__set_autoload(k->progs.spec_task_begin, role[ROLE_TASK_BEGIN] ||
			       role[ROLE_TASK_RUN] || role[ROLE_TASK_DONE]);
	bpf_program__set_autoload(k->progs.spec_task_end, role[ROLE_TASK_END]);
	bpf_program__set_autoload(k->progs.spec_task_run_ret, role[ROLE_TASK_RUN]);
	bpf_program__set_autoload(k->progs.spec_task_done_ret, role[ROLE_TASK_DONE]);
	bpf_program__set_autoload(k->progs.mark_txn_begin, markers);
	bpf_program__set_autoload(k->progs.mark_txn_end, markers);
	bpf_program__set_autoload(k->progs.mark_task_create, markers);
	bpf_program__set_autoload(k->progs.mark_task_begin, markers);
	bpf_program__set_autoload(k->progs.mark_task_end, markers);
}

int tracer__open(struct tracer *t, const struct opts *o, pid_t pid, char *err, size_t len)
{
	struct native_bpf *skel;
	ssize_t n;
	int rc;

	memset(t, 0, sizeof(*t));
	verbosity = o->verbose;
	libbpf_set_print(libbpf_print);
	t->pid = pid;
	snprintf(t->exe_path, sizeof(t->exe_path), "/proc/%d/exe", pid);
	n = readlink(t->exe_path, t->exe, sizeof(t->exe) - 1);
	if (n < 0) {
		no_exe(pid, errno, err, len);
		return -1;
	}
	t->exe[n] = 0;
	if (readable(pid, t->exe, err, len))
		return -1;
	if (pid_view__resolve(pid, &t->view, err, len))
		return -1;
	uprobes__init(&t->uprobes);
	if (probes__from_opts(&t->probes, o)) {
		snprintf(err, len, "too many probes (at most %d)", WEFT_MAX_PROBES);
		return -1;
	}
	KERNEL_BTF_OPTS(oo);

	skel = native_bpf__open_opts(&oo);
	if (!skel) {
		snprintf(err, len, "failed to open BPF object: %s", strerror(errno));
		return -1;
	}
	t->skel = skel;
	PID_VIEW_SET(skel->rodata, &t->view);
	skel->rodata->pthread_start_off = pthread_start_offset();
	skel->rodata->hold_at_exit = o->cmd == CMD_CHECK;
	uprobes__prepare(&t->uprobes, skel->obj);
	bpf_map__set_max_entries(skel->maps.threads, o->max_threads);
	bpf_map__set_max_entries(skel->maps.tasks, o->max_tasks);
	bpf_map__set_max_entries(skel->maps.events, o->ringbuf_mb << 20);
	skel->rodata->wakeup_bytes = (o->ringbuf_mb << 20) / 8;
	shared_maps__reuse(&t->shared, skel->obj); /* none yet: its maps made on demand */
	native_autoload(skel, o, t->exe_path);
	rc = native_bpf__load(skel);
	if (rc) {
		snprintf(err, len, "failed to load BPF programs: %s; %s", strerror(-rc),
			 bpf_fail_hint(-rc));
		return -1;
	}
	shared_maps__publish(&t->shared, skel->obj);
	if (go_tracer__open(t, o, err, len) < 0)
		return -1;
	if (!t->go && node_tracer__open(t, o, err, len) < 0)
		return -1;
	/* last: they reuse the maps the adapters published */
	if (wire__open(t, o, err, len))
		return -1;
	return profile__open(t, o, err, len);
}

int tracer__add_link(struct tracer *t, struct bpf_link *l, const char *what, char *err,
		     size_t len)
{
	int e = errno;

	if (!l) {
		snprintf(err, len, "failed to attach %s: %s; %s", what, strerror(e),
			 bpf_fail_hint(e));
		return -1;
	}
	if (t->nr_links >= MAX_LINKS) {
		bpf_link__destroy(l);
		snprintf(err, len, "too many probes");
		return -1;
	}
	t->links[t->nr_links++] = l;
	return 0;
}

int tracer__uprobe(struct tracer *t, struct bpf_program *prog, const char *path, uint64_t off,
		   const struct bpf_uprobe_opts *uo, int probe, const char *what, char *err,
		   size_t len)
{
	enum trap_path p;
	char insn[40];

	t->nr_uprobes++;
	if (t->uprobes.multi) {
		if (uprobes__add(&t->uprobes, prog, path, off, uo ? uo->bpf_cookie : 0,
				 uo && uo->retprobe, what)) {
			snprintf(err, len, "out of memory");
			return -1;
		}
	} else if (tracer__add_link(t, bpf_program__attach_uprobe_opts(prog, t->pid, path, off, uo),
				    what, err, len)) {
		return -1;
	}
	if (probe < 0)
		return 0;
	p = probe_site__at(path, off, insn, sizeof(insn));
	/* a return probe: a trap on insn at the entry, then the kernel's
	 * return trampoline */
	probes__add_site(&t->probes, probe, insn, uo && uo->retprobe ? "uretprobe" : trap_path_name(p));
	return 0;
}

static int attach_uprobe(struct tracer *t, struct bpf_program *prog, bool ret, const char *path,
			 uint64_t off, uint64_t cookie, const char *what, char *err, size_t len)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret, .bpf_cookie = cookie);

	return tracer__uprobe(t, prog, path, off, &uo, (int)(cookie & 0xff), what, err, len);
}

struct lib_search {
	const char *sym;
	char *path;
	size_t plen;
	uint64_t *off;
	bool found;
};

static int lib_has_sym(void *ctx, const char *lib)
{
	struct lib_search *ls = ctx;
	char e[256];

	if (elfsym__find(lib, ls->sym, ls->off, e, sizeof(e)))
		return 1;
	snprintf(ls->path, ls->plen, "%s", lib);
	ls->found = true;
	return 0;
}

struct lib_name {
	const char *name;
	char *path;
	size_t plen;
	bool found;
};

static bool same_base(const char *path, const char *name)
{
	const char *b = strrchr(path, '/');

	return !strcmp(b ? b + 1 : path, name);
}

static int lib_named(void *ctx, const char *lib)
{
	struct lib_name *ln = ctx;

	if (!same_base(lib, ln->name))
		return 1;
	snprintf(ln->path, ln->plen, "%s", lib);
	ln->found = true;
	return 0;
}

/* BIN given by its file name alone (libc.so.6): the library of that name
 * the target maps, else (a command not started yet) the one it needs. */
static bool lib_by_name(struct tracer *t, const char *name, char *path, size_t plen)
{
	char maps[64], line[1024];
	struct lib_name ln = { name, path, plen, false };
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", t->pid);
	if ((f = fopen(maps, "re"))) {
		while (!ln.found && fgets(line, sizeof(line), f)) {
			char *p = strchr(line, '/');

			if (!p)
				continue;
			p[strcspn(p, "\n")] = 0;
			if (same_base(p, name))
				ln.found = snprintf(path, plen, "%s", p) > 0;
		}
		fclose(f);
	}
	if (!ln.found)
		elfsym__needed(t->exe_path, lib_named, &ln);
	return ln.found;
}

/* The binary holding sym: BIN if given, else the executable, then each
 * library the target maps, then (a command not started yet has mapped none)
 * the libraries the executable needs. */
static int resolve(struct tracer *t, const struct probe_spec *s, char *path, size_t plen,
		   uint64_t *off, char *err, size_t len)
{
	char maps[64], line[1024], tried[4096] = "";
	FILE *f;
	int rc;

	if (s->bin[0]) {
		if (strchr(s->bin, '/') || access(s->bin, F_OK) == 0 ||
		    !lib_by_name(t, s->bin, path, plen))
			snprintf(path, plen, "%s", s->bin);
		return elfsym__find(path, s->sym, off, err, len);
	}
	snprintf(path, plen, "%s", t->exe_path);
	if (!elfsym__find(t->exe_path, s->sym, off, err, len))
		return 0;
	if (strstr(err, " is data, not a function"))
		return -1; /* said as it is: no library makes it a function */
	snprintf(maps, sizeof(maps), "/proc/%d/maps", t->pid);
	f = fopen(maps, "re");
	if (!f)
		return -1;
	rc = -1;
	while (rc && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/'), perms[8] = "";
		char e2[256];

		if (!p || sscanf(line, "%*s %7s", perms) != 1 || perms[2] != 'x')
			continue;
		p[strcspn(p, "\n")] = 0;
		if (!strcmp(p, t->exe) || strstr(tried, p))
			continue;
		if (strlen(tried) + strlen(p) + 2 < sizeof(tried)) {
			strcat(tried, p);
			strcat(tried, ";");
		}
		if (!elfsym__find(p, s->sym, off, e2, sizeof(e2))) {
			snprintf(path, plen, "%s", p);
			rc = 0;
		}
	}
	fclose(f);
	if (rc) {
		struct lib_search ls = { s->sym, path, plen, off, false };

		elfsym__needed(t->exe_path, lib_has_sym, &ls);
		rc = ls.found ? 0 : -1;
	}
	if (rc && s->preset)
		snprintf(err, len, "--preset %s: '%s' is not in %s or the libraries it maps: the "
			 "target does not use %s", s->preset, s->sym, t->exe, s->preset);
	else if (rc)
		snprintf(err, len, "symbol '%s' not found in %s or the libraries it maps; "
			 "name the binary: %s BIN:%s", s->sym, t->exe, spec__role_flag(s->role),
			 s->text);
	return rc;
}

#define MAX_CALL_SITES 64

/* A spec whose programs read only arguments, on a function every caller
 * calls directly: entries at the call instructions (when the entry is not
 * emulated) and ends where it has returned, both emulated (a uretprobe
 * costs ~8 us, a single-stepped entry ~10 us). A transaction's begin stays
 * at the entry: it reads its return address. 0 attached, 1 not possible
 * here, -1 failed. WEFT_NO_RETURN_SITES=1: entries and return probes. */
static int attach_at_calls(struct tracer *t, const struct probe_spec *s,
			   struct bpf_program *entry, struct bpf_program *ret, const char *path,
			   uint64_t off, uint64_t cookie, const char *what, char *err, size_t len)
{
	uint64_t calls[MAX_CALL_SITES], rets[MAX_CALL_SITES];
	const char *no = getenv("WEFT_NO_RETURN_SITES");
	bool at_entry = s->role == ROLE_TXN;
	char insn[40];
	int n;

	if ((no && !strcmp(no, "1")) || (!ret && at_entry))
		return 1;
	if (!at_entry && probe_site__at(path, off, insn, sizeof(insn)) == TRAP_EMULATED) {
		if (!ret)
			return 1;
		at_entry = true;
	}
	n = elfsym__return_sites(path, s->sym, calls, rets, MAX_CALL_SITES);
	if (n <= 0)
		return 1;
	for (int i = 0; ret && i < n; i++)
		if (attach_uprobe(t, ret, false, path, rets[i], cookie, what, err, len))
			return -1;
	if (at_entry)
		return attach_uprobe(t, entry, false, path, off, cookie, what, err, len);
	for (int i = 0; i < n; i++)
		if (attach_uprobe(t, entry, false, path, calls[i], cookie, what, err, len))
			return -1;
	return 0;
}

static int attach_spec(struct tracer *t, const struct probe_spec *s, uint32_t idx, char *err,
		       size_t len)
{
	struct native_bpf *k = t->skel;
	uint64_t off, cookie = idx | ((uint64_t)(s->arg < 0 ? 0 : s->arg) << 8) |
			       ((uint64_t)(uint32_t)(int32_t)s->off << 32);
	char path[512], what[1024];
	struct bpf_program *entry = NULL, *ret = NULL;

	if (resolve(t, s, path, sizeof(path), &off, err, len))
		return -1;
	snprintf(what, sizeof(what), "uprobe %s:%s", path, s->sym);
	switch (s->role) {
	case ROLE_TXN: entry = k->progs.spec_txn_begin; ret = k->progs.spec_txn_end; break;
	case ROLE_TASK_CREATE: entry = k->progs.spec_task_create; break;
	case ROLE_TASK_BEGIN: entry = k->progs.spec_task_begin; break;
	case ROLE_TASK_END: entry = k->progs.spec_task_end; break;
	case ROLE_TASK_RUN: entry = k->progs.spec_task_begin; ret = k->progs.spec_task_run_ret; break;
	case ROLE_TASK_DONE:
		entry = k->progs.spec_task_begin;
		ret = k->progs.spec_task_done_ret;
		break;
	case ROLE_MARKER: return 0;
	}
	if (s->role != ROLE_TASK_CREATE && s->role != ROLE_TASK_END) {
		int rc = attach_at_calls(t, s, entry, ret, path, off, cookie, what, err, len);

		if (rc <= 0)
			return rc;
	}
	/* the return first: a begin seen before its end could be attached
	 * would stay open for ever */
	if (ret && attach_uprobe(t, ret, true, path, off, cookie, what, err, len))
		return -1;
	if (attach_uprobe(t, entry, false, path, off, cookie, what, err, len))
		return -1;
	return 0;
}

/* The sites of provider:name's notes, under probe */
static void note_usdt_sites(struct tracer *t, int probe, const char *provider, const char *name)
{
	uint64_t offs[64];
	int n = elfsym__usdt_offs(t->exe_path, provider, name, offs, 64);
	char insn[40];

	for (int i = 0; i < n && i < 64; i++) {
		enum trap_path p = probe_site__at(t->exe_path, offs[i], insn, sizeof(insn));

		probes__add_site(&t->probes, probe, insn, trap_path_name(p));
	}
}

/* The markers are attached in the reverse of a life's order: the ends first
 * (txn_end, task_end), then task_begin, task_create, and txn_begin last. A
 * process keeps running while weft attaches: attached the other way round, a
 * transaction that began between its begin's attach and its end's would stay
 * open for ever (a phantom in `weft top -p`, an open one in `trace -p`). This
 * way whatever weft sees begin, it sees end, and a transaction seen from its
 * begin is seen whole: its tasks' creations, runs and ends. A task begun but
 * not seen created is one from before the attach (task_get). Indices
 * (marker_names[], PROBE_MARK_*) are unchanged: only the order differs. */
static const int marker_attach_order[5] = {
	1 /* txn_end */, 4 /* task_end */, 3 /* task_begin */, 2 /* task_create */,
	0 /* txn_begin */,
};

static int attach_markers(struct tracer *t, char *err, size_t len)
{
	struct native_bpf *k = t->skel;
	struct bpf_program *progs[5] = {
		k->progs.mark_txn_begin, k->progs.mark_txn_end, k->progs.mark_task_create,
		k->progs.mark_task_begin, k->progs.mark_task_end,
	};
	char what[600];

	for (int n = 0; n < 5; n++) {
		int i = marker_attach_order[n];

		if (!elfsym__has_usdt(t->exe_path, "weft", marker_names[i]))
			continue;
		snprintf(what, sizeof(what), "usdt %s:weft:%s", t->exe, marker_names[i]);
		t->nr_uprobes++;
		if (tracer__add_link(t, bpf_program__attach_usdt(progs[i], t->pid, t->exe_path, "weft",
							 marker_names[i], NULL),
			     what, err, len))
			return -1;
		note_usdt_sites(t, WEFT_PROBE_USER + i, "weft", marker_names[i]);
		if (i == 0)
			t->probes.txns_traced = true;
	}
	return 0;
}

/* weft check on a C program: held at libc's exit() (main's return calls it
 * too), where userspace reads what each thread is blocked in. Without it
 * (no exit() found) what is alive at the exit is not judged: said. */
static int attach_exit_hold(struct tracer *t, char *err, size_t len)
{
	struct probe_spec s = { .role = ROLE_TXN, .sym = "exit", .arg = -1 };
	char path[512], what[600], why[256];
	uint64_t off;

	if (resolve(t, &s, path, sizeof(path), &off, why, sizeof(why))) {
		fprintf(stderr, "weft check: %s: no exit() to hold it at: what is alive at its exit "
			"is not judged\n", t->exe);
		return 0;
	}
	snprintf(what, sizeof(what), "uprobe %s:exit", path);
	return tracer__uprobe(t, t->skel->progs.native_exit_hold, path, off, NULL,
			      WEFT_PROBE_GOROUTINE, what, err, len);
}

static int attach_all(struct tracer *t, const struct opts *o, char *err, size_t len)
{
	struct native_bpf *k = t->skel;

	/* Specs first: a bad one fails before anything fires. */
	if (t->go && go_tracer__attach(t, o, err, len))
		return -1;
	if (t->node && node_tracer__attach(t, o, err, len))
		return -1;
	for (int i = 0; i < o->nr_specs; i++)
		if (!t->spec_owned[i] && attach_spec(t, &o->specs[i], PROBE_FIRST_SPEC + i, err, len))
			return -1;
	if (!o->no_markers && attach_markers(t, err, len))
		return -1;
	if (profile__attach(t, o, err, len) || wire__attach(t, err, len))
		return -1;
	/* A Go program's threads are the runtime's Ms, not the program's work;
	 * with cgo, C code may make its own (the Ms are left out by name) */
	if (t->go && !go_tracer__cgo(t))
		return 0;
	if (tracer__add_link(t, bpf_program__attach(k->progs.on_fork), "raw_tp/sched_process_fork", err,
		     len) ||
	    tracer__add_link(t, bpf_program__attach(k->progs.on_exit), "raw_tp/sched_process_exit", err,
		     len))
		return -1;
	/* no trap: the scheduler calls the program */
	probes__add_site(&t->probes, WEFT_PROBE_THREAD, "sched_process_fork", "tracepoint");
	probes__add_site(&t->probes, WEFT_PROBE_THREAD, "sched_process_exit", "tracepoint");
	if (o->cmd == CMD_CHECK && !t->go && !t->node)
		return attach_exit_hold(t, err, len);
	return 0;
}

int tracer__attach(struct tracer *t, const struct opts *o, char *err, size_t len)
{
	int rc = attach_all(t, o, err, len) || uprobes__flush(t, &t->uprobes, err, len) ? -1 : 0;

	goelf__dwarf_release(); /* the Go adapter's lookups are done: its memory back */
	return rc;
}

#define DETACH_THREADS 32

struct detach_slice {
	struct bpf_link **links;
	int nr, first, step;
};

static void *detach_slice(void *arg)
{
	struct detach_slice *d = arg;

	for (int i = d->first; i < d->nr; i += d->step)
		bpf_link__destroy(d->links[i]);
	return NULL;
}

/* Each uprobe's removal waits for a grace period (~0.2 s here): one after
 * the other, a target's 10 probes take 2 s. Removed side by side, their
 * waits overlap. Their order does not matter: nothing reads the events
 * any more (the session freed its ring buffer first). */
static void detach_all(struct bpf_link **links, int nr)
{
	struct detach_slice d[DETACH_THREADS];
	pthread_t th[DETACH_THREADS];
	int n = nr < DETACH_THREADS ? nr : DETACH_THREADS;

	bool ran[DETACH_THREADS];

	for (int i = 0; i < n; i++) {
		d[i] = (struct detach_slice){ links, nr, i, n };
		ran[i] = n > 1 && pthread_create(&th[i], NULL, detach_slice, &d[i]) == 0;
		if (!ran[i])
			detach_slice(&d[i]); /* one link, or no thread: here */
	}
	for (int i = 0; i < n; i++)
		if (ran[i])
			pthread_join(th[i], NULL);
}

void tracer__close(struct tracer *t)
{
	detach_all(t->links, t->nr_links);
	t->nr_links = 0;
	uprobes__free(&t->uprobes);
	profile__close(t);
	wire__close(t);
	go_tracer__close(t);
	node_tracer__close(t);
	native_bpf__destroy(t->skel);
	t->skel = NULL;
}

int tracer__ringbuf_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.events);
}

void tracer__drain_traps(const struct tracer *t, trap_fn fn, void *ctx)
{
	int fd = t->skel ? bpf_map__fd(t->skel->maps.txn_traps) : -1;
	enum { BATCH = 1024, MAX_BATCHES = 64 };
	__u64 keys[BATCH], val;
	size_t n;

	if (fd < 0)
		return;
	/* a batch of keys first (deleting while walking would restart the
	 * walk), then out with them; again until the map is empty */
	for (int b = 0; b < MAX_BATCHES; b++) {
		for (n = 0; n < BATCH && !bpf_map_get_next_key(fd, n ? &keys[n - 1] : NULL, &keys[n]);)
			n++;
		for (size_t i = 0; i < n; i++)
			if (!bpf_map_lookup_and_delete_elem(fd, &keys[i], &val) && val)
				fn(ctx, keys[i], val);
		if (n < BATCH)
			break;
	}
}

int counters__sum(const struct bpf_map *counters, struct weft_counters *sum)
{
	int n = libbpf_num_possible_cpus();
	struct weft_counters *v = n > 0 ? calloc(n, sizeof(*v)) : NULL;
	__u32 zero = 0;
	int rc = -1;

	memset(sum, 0, sizeof(*sum));
	if (v && !bpf_map__lookup_elem(counters, &zero, sizeof(zero), v, n * sizeof(*v), 0)) {
		for (int cpu = 0; cpu < n; cpu++) {
			sum->events += v[cpu].events;
			sum->lost += v[cpu].lost;
			sum->evicted += v[cpu].evicted;
			for (int i = 0; i < WEFT_MAX_PROBES; i++)
				sum->hits[i] += v[cpu].hits[i];
		}
		rc = 0;
	}
	free(v);
	return rc;
}

void counters__add(struct capture_counters *c, const struct bpf_map *counters,
		   uint64_t nest_overflow)
{
	struct weft_counters k;

	counters__sum(counters, &k);
	c->lost += k.lost;
	c->evicted += k.evicted;
	c->nest_overflow += nest_overflow;
	for (int i = 0; i < WEFT_MAX_PROBES; i++)
		c->hits[i] += k.hits[i];
}

void tracer__counters(const struct tracer *t, struct capture_counters *c)
{
	memset(c, 0, sizeof(*c));
	counters__add(c, t->skel->maps.counters, t->skel->bss->nest_overflow);
	go_tracer__counters(t, c);
	node_tracer__counters(t, c);
	profile__counters(t, c);
	wire__counters(t, c);
}
