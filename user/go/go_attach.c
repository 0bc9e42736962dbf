// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "kernel_btf.h"
#include "probe_site.h"
#include "counters.h"
#include "clock.h"
#include "go_attach.h"
#include "go_grpc.h"
#include "go_client.h"
#include "goelf.h"
#include "gomem.h"
#include "idmap.h"
#include "weft/context.h"
#include <time.h>
#include <bpf/bpf.h>
#include "go.skel.h"
#include "native.skel.h"

#define MAX_RETS 64
#define COOKIE_HTTP (1 << 8) /* as in bpf/go.bpf.c */
#define COOKIE_GOTEST (1 << 9)
#define COOKIE_GRPC (1 << 10)

static int auto_spec(struct opts *o, const char *sym, const char *what)
{
	char err[256];

	if (o->nr_specs >= MAX_SPECS ||
	    spec__parse(sym, ROLE_TXN, &o->specs[o->nr_specs], err, sizeof(err)))
		return -1;
	snprintf(o->specs[o->nr_specs].text, sizeof(o->specs[0].text), "(auto: %s) %s", what, sym);
	o->nr_specs++;
	return 1;
}

/* Reading a Go binary's runtime offsets from its DWARF (inflating it: ~25
 * ms for a test binary), indexing its structs and reading its function
 * table run beside the rest of the attach (the other BPF objects' loads):
 * goelf keeps them (offsets by build id, the DWARF and table open), so
 * go_tracer__open finds them read. */
static struct {
	pthread_t thread;
	bool running;
	char path[64];
} prefetch;

static void *prefetch_run(void *arg)
{
	struct go_info gi;

	if (!goelf__open(prefetch.path, &gi, NULL, 0) && gi.offsets_src == GO_OFFSETS_DWARF)
		goelf__member(prefetch.path, "net/http.Request", "Method"); /* its index */
	goelf__pclntab(prefetch.path);
	return NULL;
}

void go__prefetch(const char *exe_path)
{
	if (prefetch.running)
		return;
	snprintf(prefetch.path, sizeof(prefetch.path), "%s", exe_path);
	prefetch.running = !pthread_create(&prefetch.thread, NULL, prefetch_run, NULL);
}

void go__prefetch_wait(void)
{
	if (prefetch.running)
		pthread_join(prefetch.thread, NULL);
	prefetch.running = false;
}

/* Only the function table (no DWARF): go__prefetch may be reading that */
int go__auto_specs(struct opts *o, const char *exe_path)
{
	uint64_t v, sz, off;
	int n = 0;

	for (int i = 0; i < o->nr_specs; i++)
		if (o->specs[i].role == ROLE_TXN)
			return 0; /* the user said what a transaction is */
	if (!goelf__pclntab(exe_path))
		return 0; /* not Go (its symbol table is not searched: node's is 100K) */
	/* a test binary: its tests; else a server: its requests, HTTP and
	 * gRPC (etcd serves both) */
	if (!goelf__func(exe_path, GO_TEST_TXN, &v, &sz, &off))
		return auto_spec(o, GO_TEST_TXN, "go test");
	if (!goelf__func(exe_path, GO_HTTP_TXN, &v, &sz, &off)) {
		if (auto_spec(o, GO_HTTP_TXN, "net/http") < 0)
			return -1;
		n = 1;
	}
	if (!goelf__func(exe_path, GO_GRPC_TXN, &v, &sz, &off)) {
		if (auto_spec(o, GO_GRPC_TXN, "gRPC") < 0)
			return -1;
		n = 1;
	}
	return n;
}

struct go_tracer {
	struct go_bpf *skel;
	struct go_info gi;
	bool http_names; /* net/http.Request's layout is known */
	bool test_names; /* testing.common.name's offset is known */
	bool grpc_names; /* grpc's stream method offset is known */
	bool grpc_client; /* grpc client calls traced (go_grpc.h) */
	bool lean;       /* no exit probe: liveness read by go_tracer__sweep */
	bool client;     /* net/http client calls traced (go_client.h) */
	struct weft_event *seeds; /* pre-attach goroutines, for the model */
	size_t nr_seeds;
};

/* Goroutines that exist before the probes: read from runtime.allgs, given
 * segments in the BPF map (so what they create is their child), and kept as
 * pre-attach SEG_BEGIN events with parents (1.21+) and creation sites. A
 * process not started yet (-- CMD) has none to read: nothing to seed. */
static void seed(struct tracer *t)
{
	struct go_tracer *g = t->go;
	struct go_g *gs = NULL;
	struct weft_ids *ids = MAP_FAILED;
	struct idmap by_goid = { 0 };
	uint64_t bias, now = mono_ns(), seg;
	char err[256];
	int n, ids_fd = bpf_map__fd(t->skel->maps.ids);

	if (gomem__bias(t->pid, t->exe_path, &bias))
		return;
	n = gomem__snapshot(t->pid, &g->gi, bias, &gs, err, sizeof(err));
	if (n > 0)
		ids = mmap(NULL, sizeof(*ids), PROT_READ | PROT_WRITE, MAP_SHARED, ids_fd, 0);
	if (n <= 0 || ids == MAP_FAILED)
		goto out;
	g->seeds = calloc(n, sizeof(*g->seeds));
	if (!g->seeds)
		goto out;
	/* a block of ids of its own: probes live meanwhile allocate past it */
	seg = __atomic_fetch_add(&ids->seg, (uint64_t)n, __ATOMIC_SEQ_CST);
	for (int i = 0; i < n; i++) {
		struct thread_state st = { .cur = { .seg = ++seg, .obj = gs[i].goid,
						    .kind = WEFT_KIND_GOROUTINE } };
		struct weft_event *e = &g->seeds[g->nr_seeds];

		if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.goroutines), &gs[i].goid, &st,
					BPF_NOEXIST))
			continue;
		__atomic_fetch_add(&g->skel->bss->goroutines_stored, 1, __ATOMIC_RELAXED);
		e->ts_ns = now;
		e->type = WEFT_EV_SEG_BEGIN;
		e->kind = WEFT_KIND_GOROUTINE;
		e->pid = t->pid;
		e->seg = st.cur.seg;
		e->obj = gs[i].goid;
		e->parent = gs[i].parent_goid; /* a goid until the pass below */
		e->probe = WEFT_PROBE_GOROUTINE;
		e->flags = WEFT_F_PREATTACH;
		e->frames[0] = gs[i].gopc;
		e->nr_frames = gs[i].gopc ? 1 : 0;
		e->site = gs[i].startpc;
		idmap__put(&by_goid, gs[i].goid, g->nr_seeds++);
	}
	/* parents (Go 1.21+): goids to the segments just given */
	for (size_t i = 0; i < g->nr_seeds; i++) {
		uint32_t j;

		g->seeds[i].parent = idmap__get(&by_goid, g->seeds[i].parent, &j) ?
					     g->seeds[j].seg : 0;
	}
out:
	if (ids != MAP_FAILED)
		munmap(ids, sizeof(*ids));
	idmap__free(&by_goid);
	free(gs);
}

size_t go_tracer__seeds(const struct tracer *t, const struct weft_event **out)
{
	*out = t->go ? t->go->seeds : NULL;
	return t->go ? t->go->nr_seeds : 0;
}

/* Only the programs this binary's probes use are loaded (the verifier's
 * time is paid at every attach) */
static void go_autoload(struct go_tracer *g, bool grpc_server)
{
	struct go_bpf *k = g->skel;

	bpf_program__set_autoload(k->progs.go_exit, !g->lean);
	bpf_program__set_autoload(k->progs.go_grpc_reader, grpc_server);
	bpf_program__set_autoload(k->progs.go_call_begin, g->client);
	bpf_program__set_autoload(k->progs.go_call_end, g->client);
	bpf_program__set_autoload(k->progs.go_conn_loop, g->client);
	bpf_program__set_autoload(k->progs.go_h2_conn_loop, g->client);
	bpf_program__set_autoload(k->progs.go_h2_call_begin, g->client);
	bpf_program__set_autoload(k->progs.go_grpc_call_begin, g->grpc_client);
	bpf_program__set_autoload(k->progs.go_grpc_call_open, g->grpc_client);
	bpf_program__set_autoload(k->progs.go_grpc_call_end, g->grpc_client);
}

/* The maps of what this binary does not do get one entry: their programs
 * are not loaded, and a 64K-entry hash map takes ~2 ms to make. */
static void unused_maps_small(struct go_tracer *g, bool grpc_server)
{
	struct go_bpf *k = g->skel;
	struct bpf_map *client[] = { k->maps.go_calls, k->maps.go_conns, k->maps.go_h2_calls,
				     k->maps.go_h2_pending };
	struct bpf_map *grpc_client[] = { k->maps.grpc_streams, k->maps.grpc_opening };

	for (size_t i = 0; !g->client && i < sizeof(client) / sizeof(client[0]); i++)
		bpf_map__set_max_entries(client[i], 1);
	for (size_t i = 0; !g->grpc_client && i < sizeof(grpc_client) / sizeof(grpc_client[0]); i++)
		bpf_map__set_max_entries(grpc_client[i], 1);
	if (!grpc_server)
		bpf_map__set_max_entries(k->maps.grpc_readers, 1);
}

int go_tracer__open(struct tracer *t, const struct opts *o, char *err, size_t len)
{
	struct go_tracer *g;
	struct go_info gi;
	uint64_t v, sz, off;
	bool grpc_server;
	char why[256];
	int rc;

	go__prefetch_wait();
	if (goelf__open(t->exe_path, &gi, why, sizeof(why))) {
		if (!gi.version[0])
			return 0; /* not Go: the native adapter alone */
		snprintf(err, len, "%s (%s): %s", t->exe, gi.version, why);
		return -1;
	}
	if (gi.g_goid < 0 || gi.g_gopc < 0 || gi.g_startpc < 0 || gi.g_m < 0 || gi.m_curg < 0) {
		snprintf(err, len, "%s (%s): runtime.g/m fields missing from its DWARF", t->exe,
			 gi.version);
		return -1;
	}
	g = calloc(1, sizeof(*g));
	KERNEL_BTF_OPTS(oo);

	if (!g || !(g->skel = go_bpf__open_opts(&oo))) {
		free(g);
		snprintf(err, len, "failed to open the Go BPF object: %s", strerror(errno));
		return -1;
	}
	g->gi = gi;
	g->lean = o->go_lean;
	t->go = g;
	PID_VIEW_SET(g->skel->rodata, &t->view);
	g->skel->rodata->wakeup_bytes = (o->ringbuf_mb << 20) / 8;
	g->skel->rodata->g_goid = gi.g_goid;
	g->skel->rodata->g_gopc = gi.g_gopc;
	g->skel->rodata->g_startpc = gi.g_startpc;
	g->skel->rodata->g_m = gi.g_m;
	g->skel->rodata->m_curg = gi.m_curg;
	g->skel->rodata->wake_on_txn_end = o->go_lean || o->cmd == CMD_CHECK;
	g->skel->rodata->hold_at_exit = o->cmd == CMD_CHECK;
	/* weft check: every leak's whole creation stack */
	g->skel->rodata->creator_stacks = o->cmd == CMD_CHECK && gi.g_sched_bp > 0;
	g->skel->rodata->g_sched_bp = gi.g_sched_bp > 0 ? gi.g_sched_bp : 0;
	/* request names ("GET /users"), when the binary has net/http; without
	 * DWARF, from the table's row or derived with the runtime's layout */
	{
		bool dwarf = gi.offsets_src == GO_OFFSETS_DWARF;
		int method = dwarf ? goelf__member(t->exe_path, "net/http.Request", "Method")
				   : gi.req_method;
		int url = dwarf ? goelf__member(t->exe_path, "net/http.Request", "URL") : gi.req_url;
		int path = dwarf ? goelf__member(t->exe_path, "net/url.URL", "Path") : gi.url_path;
		int name = dwarf ? goelf__member(t->exe_path, "testing.common", "name")
				 : gi.test_name;
		int pat = dwarf ? goelf__member(t->exe_path, "net/http.Request", "pat") : gi.req_pat;
		int pstr = dwarf ? goelf__member(t->exe_path, "net/http.pattern", "str")
				 : gi.pattern_str;
		int host = dwarf ? goelf__member(t->exe_path, "net/url.URL", "Host") : gi.url_host;

		g->http_names = method >= 0 && url >= 0 && path >= 0;
		if (g->http_names) {
			g->skel->rodata->req_method = method;
			g->skel->rodata->req_url = url;
			g->skel->rodata->url_path = path;
			g->skel->rodata->http_patterns = pat >= 0 && pstr >= 0;
			g->skel->rodata->req_pat = pat >= 0 ? pat : 0;
			g->skel->rodata->pattern_str = pstr >= 0 ? pstr : 0;
			/* the client's *transportRequest embeds *Request first */
			if (!dwarf || goelf__member(t->exe_path, "net/http.transportRequest",
						    "Request") == 0)
				g->client = go_client__prepare(t, g->skel, host, dwarf) == 1;
			/* ServeMux has patterns from 1.22: unknown offsets are said */
			if ((pat < 0 || pstr < 0) && (gi.major > 1 || gi.minor >= 22) &&
			    !o->name_by_path)
				fprintf(stderr, "weft: %s (%s): net/http.Request.pat's offset is "
					"unknown (%s): requests are named by path, not by route "
					"pattern\n", t->exe, gi.version, dwarf ? "not in its DWARF"
					: "no DWARF, no table row");
		}
		g->test_names = name >= 0;
		g->skel->rodata->test_name_off = name >= 0 ? name : 0;
	}
	/* RPC names, when the binary serves gRPC: the method's offset in the
	 * transport stream, read from grpc's own accessor */
	grpc_server = !goelf__func(t->exe_path, GO_GRPC_TXN, &v, &sz, &off);
	if (grpc_server) {
		int moff = go_grpc__method_off(t->exe_path, why, sizeof(why));

		g->grpc_names = moff >= 0;
		if (g->grpc_names)
			g->skel->rodata->grpc_method_off = moff;
		else
			fprintf(stderr, "weft: %s: gRPC calls named by function, not method: %s\n",
				t->exe, why);
	}
	g->grpc_client = go_grpc__client_prepare(t, g->skel) == 1;
	bpf_map__set_max_entries(g->skel->maps.goroutines, o->max_tasks);
	unused_maps_small(g, grpc_server);
	/* one ring buffer and one id space for every adapter */
	if (shared_maps__reuse(&t->shared, g->skel->obj)) {
		snprintf(err, len, "failed to share the ring buffer: %s", strerror(errno));
		return -1;
	}
	uprobes__prepare(&t->uprobes, g->skel->obj);
	go_autoload(g, grpc_server);
	rc = go_bpf__load(g->skel);
	if (rc) {
		snprintf(err, len, "failed to load the Go BPF programs: %s", strerror(-rc));
		return -1;
	}
	shared_maps__publish(&t->shared, g->skel->obj); /* goroutines */
	return 1;
}

/* Hits count under the spec's probe (a cookie's low byte), else "goroutine" */
static int attach_at(struct tracer *t, struct bpf_program *prog, uint64_t off, uint64_t cookie,
		     const char *what, char *err, size_t len)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = cookie);

	return tracer__uprobe(t, prog, t->exe_path, off, &uo,
			      cookie & 0xff ? (int)(cookie & 0xff) : WEFT_PROBE_GOROUTINE, what, err,
			      len);
}

/* A uprobe on every RET of the function at vaddr. */
static int attach_rets_at(struct tracer *t, const char *name, uint64_t vaddr, uint64_t size,
			  struct bpf_program *prog, uint64_t cookie, char *err, size_t len)
{
	uint64_t rets[MAX_RETS];
	char what[512];
	int n = goelf__rets(t->exe_path, vaddr, size, rets, MAX_RETS);

	if (n < 0 && errno == EILSEQ) {
		snprintf(err, len, "%s: '%s' holds bytes that do not decode as x86-64: no probe "
			 "placed in it (one might land inside an instruction)", t->exe, name);
		return -1;
	}
	if (n <= 0) {
		snprintf(err, len, "%s: no RET found in '%s'", t->exe, name);
		return -1;
	}
	snprintf(what, sizeof(what), "uprobe %s:%s RET", t->exe, name);
	for (int i = 0; i < n; i++)
		if (attach_at(t, prog, rets[i], cookie, what, err, len))
			return -1;
	return 0;
}

static int attach_rets(struct tracer *t, const char *name, struct bpf_program *prog,
		       uint64_t cookie, char *err, size_t len)
{
	uint64_t vaddr, size, entry;

	if (goelf__func(t->exe_path, name, &vaddr, &size, &entry)) {
		snprintf(err, len, "%s: function '%s' not found", t->exe, name);
		return -1;
	}
	return attach_rets_at(t, name, vaddr, size, prog, cookie, err, len);
}

/* A transaction's end: where its function has returned to each caller, on
 * an emulated instruction (goelf__return_sites), else on its RETs
 * (single-stepped). net/http's serverHandler is also called through an
 * interface (HTTP/2 from Go 1.24): those calls run on a goroutine of their
 * own, and end at its exit (bpf/go.bpf.c, go_exit; --go-lean has no exit
 * probe: RETs). WEFT_NO_RETURN_SITES=1
 * keeps the RETs (the bench's side-by-side). */
static int attach_txn_end(struct tracer *t, const char *name, uint64_t vaddr, uint64_t size,
			  uint64_t cookie, char *err, size_t len)
{
	struct bpf_program *prog = t->go->skel->progs.go_txn_end;
	const char *rets = getenv("WEFT_NO_RETURN_SITES");
	uint64_t sites[MAX_RETS];
	bool taken = false;
	char what[512];
	int n = 0;

	if (!rets || strcmp(rets, "1"))
		n = goelf__return_sites(t->exe_path, vaddr, sites, MAX_RETS, &taken);
	if (n <= 0 || (taken && (!(cookie & COOKIE_HTTP) || t->go->lean)))
		return attach_rets_at(t, name, vaddr, size, prog, cookie, err, len);
	snprintf(what, sizeof(what), "uprobe %s:%s return site", t->exe, name);
	for (int i = 0; i < n; i++)
		if (attach_at(t, prog, sites[i], cookie, what, err, len))
			return -1;
	return 0;
}

/* Entry (past the prologue) and end of each function the spec names: a
 * generic "pkg.f[...]" names every instantiation. */
static int attach_txn(struct tracer *t, const struct probe_spec *s, uint32_t idx, char *err,
		      size_t len)
{
	uint64_t vaddr, size, entry, at;
	char what[512];
	int nth;

	if (!strcmp(s->sym, GO_HTTP_TXN) && t->go->http_names)
		idx |= COOKIE_HTTP;
	if (!strcmp(s->sym, GO_TEST_TXN) && t->go->test_names)
		idx |= COOKIE_GOTEST;
	if (!strcmp(s->sym, GO_GRPC_TXN) && t->go->grpc_names)
		idx |= COOKIE_GRPC;
	snprintf(what, sizeof(what), "uprobe %s:%s", t->exe, s->sym);
	for (nth = 0; !goelf__func_nth(t->exe_path, s->sym, nth, &vaddr, &size, &entry); nth++) {
		if (goelf__entry_after_prologue(t->exe_path, vaddr, size, &at))
			at = entry;
		/* ends first: a call already under way when the begin comes
		 * would otherwise stay open for ever */
		if (attach_txn_end(t, s->sym, vaddr, size, idx & (0xff | COOKIE_HTTP), err, len) ||
		    attach_at(t, t->go->skel->progs.go_txn_begin, at, idx, what, err, len))
			return -1;
	}
	return nth ? 0 : 1; /* none: not a Go function, the native side looks further */
}

/* A gRPC server's connection readers (*http2Server).HandleStreams: where a
 * call to itself is told (bpf/go.bpf.c, go_grpc_reader). */
static int attach_grpc_reader(struct tracer *t, struct go_bpf *k, char *err, size_t len)
{
	static const char fn[] = "google.golang.org/grpc/internal/transport.(*http2Server)."
				 "HandleStreams";
	uint64_t v, sz, entry, at;
	char what[512];

	if (goelf__func(t->exe_path, GO_GRPC_TXN, &v, &sz, &entry) ||
	    goelf__func(t->exe_path, fn, &v, &sz, &entry))
		return 0; /* no gRPC server */
	if (goelf__entry_after_prologue(t->exe_path, v, sz, &at))
		at = entry;
	snprintf(what, sizeof(what), "uprobe %s:%s", t->exe, fn);
	return attach_at(t, k->progs.go_grpc_reader, at, 0, what, err, len);
}

#define COOKIE_NEWG_RBX (1ULL << 32) /* as in bpf/go.bpf.c */

/* The first direct call to callee in the function fn (only: the one there
 * is): its file offset */
static int call_site(const char *path, const char *fn, const char *callee, bool only,
		     uint64_t *off)
{
	uint64_t v, sz, o, cv, csz, co;
	int n;

	if (goelf__func(path, fn, &v, &sz, &o) || goelf__func(path, callee, &cv, &csz, &co))
		return -1;
	n = goelf__call_sites(path, v, sz, cv, off, 1);
	return n == 1 || (n > 1 && !only) ? 0 : -1;
}

/* Goroutine creation. Every go statement's g passes newproc's call
 * runqput(pp, newg, true), in its systemstack closure: a direct call, which
 * the kernel emulates (~1 us; a RET of newproc1 is single-stepped, ~10 us),
 * newg in RBX. Coroutines (iter.Pull, 1.23+) are made by newcoro's closure
 * and never queued: taken where its newproc1 call returns (RAX), a
 * single-stepped site, as rare as iter.Pull. (A debugger's injected call
 * makes one too, not seen.) A layout without that call: every RET of
 * newproc1. */
static int attach_creation(struct tracer *t, struct go_bpf *k, char *err, size_t len)
{
	uint64_t at;
	char what[512];

	if (call_site(t->exe_path, "runtime.newproc.func1", "runtime.runqput", true, &at))
		return attach_rets(t, "runtime.newproc1", k->progs.go_newg, 0, err, len);
	snprintf(what, sizeof(what), "uprobe %s:runtime.newproc.func1 (call runqput)", t->exe);
	if (attach_at(t, k->progs.go_newg, at, COOKIE_NEWG_RBX, what, err, len))
		return -1;
	if (call_site(t->exe_path, "runtime.newcoro.func1", "runtime.newproc1", true, &at))
		return 0; /* before 1.23, or no iter.Pull: no coroutines */
	snprintf(what, sizeof(what), "uprobe %s:runtime.newcoro.func1 (newproc1's return)", t->exe);
	return attach_at(t, k->progs.go_newg, at + 5 /* call rel32 */, 0, what, err, len);
}

/* weft check: the process held at its exit (bpf/go.bpf.c's go_exit_hold),
 * at runtime.exit's entry: a single-stepped `mov`, hit once. */
static int attach_exit_hold(struct tracer *t, struct go_bpf *k, char *err, size_t len)
{
	static const char *const names[] = { "runtime.exit.abi0", "runtime.exit" };
	uint64_t v, sz, off;
	char what[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (goelf__func(t->exe_path, names[i], &v, &sz, &off))
			continue;
		snprintf(what, sizeof(what), "uprobe %s:%s", t->exe, names[i]);
		return attach_at(t, k->progs.go_exit_hold, off, 0, what, err, len);
	}
	snprintf(err, len, "%s: no runtime.exit: the exit cannot be held for weft check", t->exe);
	return -1;
}

int go_tracer__attach(struct tracer *t, const struct opts *o, char *err, size_t len)
{
	struct go_bpf *k = t->go->skel;
	uint64_t v, sz, off;
	const char *exit_fn;
	char what[512];
	int rc;

	for (int i = 0; i < o->nr_specs; i++) {
		const struct probe_spec *s = &o->specs[i];

		if (s->bin[0] && strcmp(s->bin, t->exe))
			continue;
		/* Go moves goroutine stacks: a uretprobe's return address hijack
		 * crashes the program ("unexpected return pc") */
		if ((s->role == ROLE_TASK_RUN || s->role == ROLE_TASK_DONE) &&
		    !goelf__func(t->exe_path, s->sym, &v, &sz, &off)) {
			snprintf(err, len, "%s %s: '%s' is Go code, where a return probe is unsafe; "
				 "use --task-begin/--task-end", spec__role_flag(s->role), s->text,
				 s->sym);
			return -1;
		}
		if (s->role != ROLE_TXN)
			continue;
		rc = attach_txn(t, s, PROBE_FIRST_SPEC + i, err, len);
		if (rc < 0)
			return -1;
		t->spec_owned[i] = rc == 0;
	}
	if (t->go->grpc_client && go_grpc__client_attach(t, k, err, len))
		return -1;
	if (t->wire && attach_grpc_reader(t, k, err, len))
		return -1;
	if (t->go->client && go_client__attach(t, k, err, len))
		return -1;
	seed(t);
	if (attach_creation(t, k, err, len))
		return -1;
	if (o->cmd == CMD_CHECK && attach_exit_hold(t, k, err, len))
		return -1;
	if (t->go->lean)
		return 0; /* exits are found by go_tracer__sweep */
	/* From 1.22 every goroutine, iter.Pull coroutines too, ends in gdestroy */
	exit_fn = goelf__func(t->exe_path, "runtime.gdestroy", &v, &sz, &off) ?
			  "runtime.goexit0" : "runtime.gdestroy";
	if (goelf__func(t->exe_path, exit_fn, &v, &sz, &off)) {
		snprintf(err, len, "%s: no goroutine exit function (%s)", t->exe, exit_fn);
		return -1;
	}
	/* Past the stack check: its `cmp` would be single-stepped (~10 us),
	 * the `push %rbp` after it is emulated (~1 us); RAX still holds gp.
	 * Before 1.21 the frame is made by a `sub` (single-stepped): there, the
	 * first call, casgstatus(gp, _Grunning, _Gdead), gp in RAX too. */
	goelf__entry_after_prologue(t->exe_path, v, sz, &off);
	if (probe_site__at(t->exe_path, off, what, sizeof(what)) != TRAP_EMULATED)
		call_site(t->exe_path, exit_fn, "runtime.casgstatus", false, &off);
	snprintf(what, sizeof(what), "uprobe %s:%s", t->exe, exit_fn);
	if (attach_at(t, k->progs.go_exit, off, 0, what, err, len))
		return -1;
	return 0;
}

void go_tracer__close(struct tracer *t)
{
	if (!t->go)
		return;
	go_bpf__destroy(t->go->skel);
	free(t->go->seeds);
	free(t->go);
	t->go = NULL;
}

bool go_tracer__cgo(const struct tracer *t)
{
	return t->go && t->go->gi.cgo;
}

bool go_tracer__lean(const struct tracer *t)
{
	return t->go && t->go->lean;
}

static int goid_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

bool go_tracer__map_half_full(const struct tracer *t)
{
	const struct go_bpf *k = t->go ? t->go->skel : NULL;

	return k && __atomic_load_n(&k->bss->goroutines_stored, __ATOMIC_RELAXED) * 2 >
			    (int64_t)bpf_map__max_entries(k->maps.goroutines);
}

int go_tracer__sweep(struct tracer *t, uint64_t ts, go_event_fn emit, void *ctx)
{
	struct go_tracer *g = t->go;
	struct go_g *gs = NULL;
	uint64_t bias, key, next, gone_by, *held = NULL, *alive = NULL;
	size_t nr_held = 0, cap = 0;
	int n, fd, h2fd, ended = 0;
	int wire_in = shared_maps__fd(&t->shared, "wire_in"), wire_as = shared_maps__fd(&t->shared, "wire_as");
	struct { uint64_t seg, txn; } call; /* bpf/go.bpf.c's struct go_call */

	if (!g || gomem__bias(t->pid, t->exe_path, &bias))
		return -1;
	fd = bpf_map__fd(g->skel->maps.goroutines);
	h2fd = bpf_map__fd(g->skel->maps.go_h2_calls);
	/* the map first: a goroutine created after this is not judged */
	for (int rc = bpf_map_get_next_key(fd, NULL, &next); !rc;
	     rc = bpf_map_get_next_key(fd, &key, &next)) {
		if (nr_held == cap) {
			uint64_t *m = realloc(held, (cap = cap ? cap * 2 : 1024) * sizeof(*held));

			if (!m)
				goto out;
			held = m;
		}
		held[nr_held++] = key = next;
	}
	n = gomem__snapshot(t->pid, &g->gi, bias, &gs, NULL, 0);
	if (n < 0 || !(alive = malloc((n + 1) * sizeof(*alive)))) {
		ended = -1;
		goto out;
	}
	for (int i = 0; i < n; i++)
		alive[i] = gs[i].goid;
	qsort(alive, n, sizeof(*alive), goid_cmp);
	gone_by = mono_ns();
	for (size_t i = 0; i < nr_held; i++) {
		/* judged at ts (the due), but it may have ended up to gone_by:
		 * whether it was open when something else began is unsure */
		struct weft_event e = { .ts_ns = ts, .type = WEFT_EV_SEG_END,
					.kind = WEFT_KIND_GOROUTINE, .pid = t->pid, .parent = gone_by,
					.probe = WEFT_PROBE_GOROUTINE, .flags = WEFT_F_POLLED };
		struct thread_state st;

		if (bsearch(&held[i], alive, n, sizeof(*alive), goid_cmp) ||
		    bpf_map_lookup_elem(fd, &held[i], &st))
			continue;
		e.seg = st.depth ? st.saved[0].seg : st.cur.seg;
		e.obj = held[i];
		if (!bpf_map_delete_elem(fd, &held[i]))
			__atomic_fetch_sub(&g->skel->bss->goroutines_stored, 1, __ATOMIC_RELAXED);
		emit(ctx, &e);
		ended++;
		/* what the wire kept for it, as go_exit drops it (a reader per
		 * connection: these filled up under load) */
		if (wire_in >= 0)
			bpf_map_delete_elem(wire_in, &held[i]);
		if (wire_as >= 0)
			bpf_map_delete_elem(wire_as, &held[i]);
		/* an HTTP/2 call ends with its doRequest goroutine */
		if (!bpf_map_lookup_elem(h2fd, &held[i], &call)) {
			e.seg = call.seg;
			e.txn = call.txn;
			e.kind = WEFT_KIND_CALL;
			e.probe = g->skel->rodata->h2_probe;
			bpf_map_delete_elem(h2fd, &held[i]);
			emit(ctx, &e);
		}
	}
out:
	free(held);
	free(alive);
	free(gs);
	return ended;
}

void go_tracer__counters(const struct tracer *t, struct capture_counters *c)
{
	if (t->go)
		counters__add(c, t->go->skel->maps.counters, t->go->skel->bss->nest_overflow);
}

/* Waits the runtime itself ends (the GC, a preemption): work in flight */
static bool transient_wait(const char *reason)
{
	return !strncmp(reason, "GC", 2) || strstr(reason, "garbage collection") ||
	       !strcmp(reason, "preempted") || strstr(reason, "stopping the world") ||
	       !strcmp(reason, "debug call") || !strcmp(reason, "suspendG") ||
	       strstr(reason, "wait for GC");
}

/* At the exit (held still): what a goroutine's state says of it */
static uint32_t exit_evidence(struct tracer *t, const struct go_g *g, const char *reason,
			      int64_t now, uint64_t *due)
{
	int64_t when;

	*due = 0;
	if (g->status != GO_GWAITING)
		return WEFT_EXIT_RUNNING;
	if (transient_wait(reason))
		return WEFT_EXIT_RUNNING;
	if (strcmp(reason, "sleep"))
		return WEFT_EXIT_BLOCKED;
	when = gomem__timer_when(t->pid, &t->go->gi, g);
	if (when && now > 0)
		*due = (when > now ? (uint64_t)(when - now) : 0) + 1;
	return WEFT_EXIT_TIMER;
}

/* At the end of a capture, while the target lives: each goroutine's state
 * (status, wait reason, how long) from runtime.allgs, as GSTATE events for
 * the segments the BPF map holds. Wait reason names go to reasons as
 * "CODE TEXT" lines: the record file keeps them. at_exit: the process is
 * held at its exit; each event says what that evidence is. */
int go_tracer__final_states(struct tracer *t, go_event_fn emit, void *ctx, char *reasons,
			    size_t rlen, bool at_exit)
{
	struct go_tracer *g = t->go;
	struct go_g *gs = NULL;
	uint64_t bias, now_mono = mono_ns();
	int64_t now;
	char err[256], buf[128], line[160];
	int n, fd;

	if (!g || gomem__bias(t->pid, t->exe_path, &bias))
		return -1;
	n = gomem__snapshot(t->pid, &g->gi, bias, &gs, err, sizeof(err));
	now = gomem__nanotime(t->pid);
	fd = bpf_map__fd(g->skel->maps.goroutines);
	for (int i = 0; i < n; i++) {
		struct weft_event e = { .ts_ns = now_mono, .type = WEFT_EV_GSTATE,
					.kind = WEFT_KIND_GOROUTINE, .pid = t->pid };
		struct thread_state st;

		if (bpf_map_lookup_elem(fd, &gs[i].goid, &st))
			continue;
		e.seg = st.depth ? st.saved[0].seg : st.cur.seg;
		e.obj = gs[i].goid;
		e.flags = gs[i].status;
		e.site = gs[i].waitreason;
		e.parent = gs[i].waitsince > 0 && now > gs[i].waitsince ? now - gs[i].waitsince : 0;
		buf[0] = 0;
		if (gs[i].status == GO_GWAITING)
			gomem__wait_reason(t->pid, &g->gi, bias, gs[i].waitreason, buf, sizeof(buf));
		if (at_exit) {
			e.flags |= WEFT_F_ATEXIT; /* above the status, in the low bits */
			uint64_t due;

			e.probe = exit_evidence(t, &gs[i], buf, now, &due);
			e.txn = due;
		}
		emit(ctx, &e);
		if (gs[i].status != GO_GWAITING)
			continue;
		snprintf(line, sizeof(line), "%u %s\n", gs[i].waitreason, buf);
		if (!strstr(reasons, line) && strlen(reasons) + strlen(line) < rlen)
			strcat(reasons, line);
	}
	free(gs);
	return n;
}

pid_t go_tracer__take_exit_hold(struct tracer *t)
{
	struct go_bpf *k = t->go ? t->go->skel : NULL;

	return k ? (pid_t)__atomic_exchange_n(&k->bss->exit_held, 0, __ATOMIC_RELAXED) : 0;
}

const char *go_tracer__version(const struct tracer *t, const char **offsets_src)
{
	if (!t->go)
		return NULL;
	*offsets_src = goelf__offsets_src_name(t->go->gi.offsets_src);
	return t->go->gi.version;
}

void go_tracer__layout(const struct tracer *t, uint32_t *g_goid, uint32_t *g_m, uint32_t *m_curg)
{
	*g_goid = t->go ? t->go->gi.g_goid : 0;
	*g_m = t->go ? t->go->gi.g_m : 0;
	*m_curg = t->go ? t->go->gi.m_curg : 0;
}
