// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Go's rules in a session (user/capture/adapter.h): the runtime's own
 * threads and go test's harness left out, and --go-lean's reads of which
 * goroutines are gone, when a transaction's grace has passed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adapter.h"
#include "attach.h"
#include "clock.h"
#include "exit_hold.h"
#include "go_attach.h"
#include "go_session.h"
#include "idmap.h"
#include "opts.h"
#include "record.h"
#include "symtab.h"

#define SWEEP_MIN_NS 2000000ULL	     /* reads of allgs at most every 2 ms */
#define SWEEP_EVERY_NS 1000000000ULL /* and at least every second: map space */

struct go_session {
	struct session_io io;
	bool lean, check;
	/* when to read which goroutines are gone (txn end + grace), sorted */
	uint64_t *dues;
	size_t nr_dues, cap_dues;
	uint64_t last_sweep_ns, last_try_ns; /* last good read, last attempt */
	uint64_t reads_failed;
	uint64_t thread_entry; /* cgo, stripped: the runtime's thread start routine */
	struct idmap harness_txns; /* go test's own tRunner (no test name): not a test */
	char wait_reasons[sizeof(((struct record_meta *)0)->go_wait_reasons)];
	uint64_t exit_read_ns; /* weft check: how long the process was held at its exit */
	bool exit_read;
};

/* Kept sorted: ends arrive nearly in order, so this is mostly an append. */
static void due_add(struct go_session *g, uint64_t due)
{
	size_t i;

	if (g->nr_dues == g->cap_dues) {
		size_t cap = g->cap_dues ? g->cap_dues * 2 : 64;
		uint64_t *n = realloc(g->dues, cap * sizeof(*n));

		if (!n)
			return;
		g->dues = n;
		g->cap_dues = cap;
	}
	for (i = g->nr_dues; i > 0 && g->dues[i - 1] > due; i--)
		g->dues[i] = g->dues[i - 1];
	g->dues[i] = due;
	g->nr_dues++;
}

/* Drops the dues up to now */
static void dues_done(struct go_session *g, uint64_t now)
{
	size_t k = 0;

	while (k < g->nr_dues && g->dues[k] <= now)
		k++;
	memmove(g->dues, g->dues + k, (g->nr_dues - k) * sizeof(*g->dues));
	g->nr_dues -= k;
}

static int wait_ms(const struct go_session *g, uint64_t now, uint64_t slack_ms)
{
	uint64_t wait;

	if (!g->nr_dues)
		return ADAPTER_TICK_MS;
	wait = g->dues[0] > now ? (g->dues[0] - now) / 1000000 + slack_ms : 1;
	return wait > ADAPTER_TICK_MS ? ADAPTER_TICK_MS : (int)wait;
}

/* cgo: the Go runtime's own threads (Ms) start in cgo's threadentry. A
 * stripped binary does not name it; the first thread a process started here
 * makes is one (runtime.main starts sysmon first): its start routine is. A
 * binary with a dynamic loader but no cgo (PIE) makes its Ms with a raw
 * clone: no start routine, runtime.clone the innermost frame. */
static bool runtime_thread(struct go_session *g, const struct weft_event *e)
{
	const struct sym *sym;

	if (e->type != WEFT_EV_SEG_BEGIN || e->kind != WEFT_KIND_THREAD ||
	    (e->flags & WEFT_F_PREATTACH) || !go_tracer__cgo(g->io.tracer))
		return false;
	if (!e->site) {
		sym = e->nr_frames ? symtab__find(g->io.st, e->frames[0]) : NULL;
		return sym && !strcmp(sym->func, "runtime.clone");
	}
	sym = symtab__find(g->io.st, e->site);
	if (sym && sym->func[0])
		return !strcmp(sym->func, "threadentry");
	if (!g->thread_entry && g->io.started_here)
		g->thread_entry = e->site;
	return e->site == g->thread_entry;
}

/* The tRunner of go test's main runs every test: it is the harness, not a
 * test (no name): its begin and end are left out, its tests nest in none. */
static bool test_harness(struct go_session *g, const struct weft_event *e)
{
	uint32_t v;

	if (e->type == WEFT_EV_TXN_BEGIN && (e->flags & WEFT_F_NESTS) && !e->name[0]) {
		idmap__put(&g->harness_txns, e->txn, 1);
		return true;
	}
	return e->type == WEFT_EV_TXN_END && g->harness_txns.len &&
	       idmap__get(&g->harness_txns, e->txn, &v);
}

static bool keep(void *self, struct weft_event *e)
{
	struct go_session *g = self;

	if (e->type == WEFT_EV_EXIT_HOLD)
		return false; /* a wakeup: the tick reads the hold */
	if (runtime_thread(g, e) || test_harness(g, e))
		return false;
	if (e->type == WEFT_EV_TXN_END && (g->lean || g->check))
		due_add(g, e->ts_ns + g->io.o->leak_grace_ns);
	return true;
}

/* --go-lean: reads which goroutines are gone when a transaction's grace
 * has passed. One found gone ended after the previous read and by this one:
 * it is given the due time when that lies between (the read is late by a
 * few ms at most), else the previous read's time. weft check without
 * --go-lean: what the goroutines wait on, when leaks are judged. */
/* weft check: the process stopped at its exit (BPF sent SIGSTOP): what is
 * alive and what it waits on, read while nothing moves; then it goes on. */
static int read_states(void *self, bool all_stopped)
{
	struct go_session *g = self;

	return go_tracer__final_states(g->io.tracer, g->io.emit, g->io.ctx, g->wait_reasons,
				       sizeof(g->wait_reasons), all_stopped);
}

static void drain(void *self)
{
	struct go_session *g = self;

	g->io.consume(g->io.ctx);
}

static void read_at_exit(struct go_session *g)
{
	struct exit_read r = { drain, read_states, g, "goroutines", g->io.o->verbose };
	uint64_t held = exit_hold__read(g->io.tracer->pid, go_tracer__take_exit_hold(g->io.tracer), &r);

	if (held) {
		g->exit_read_ns = held;
		g->exit_read = true;
	}
}

static int tick(void *self, uint64_t now)
{
	struct go_session *g = self;
	uint64_t ts;

	if (g->check)
		read_at_exit(g);
	if (!g->lean) {
		if (g->nr_dues && g->dues[0] <= now) {
			g->io.consume(g->io.ctx);
			go_tracer__final_states(g->io.tracer, g->io.emit, g->io.ctx,
						g->wait_reasons, sizeof(g->wait_reasons), false);
			dues_done(g, now);
		}
		return wait_ms(g, now, 2);
	}
	if (now - g->last_try_ns < SWEEP_MIN_NS)
		return 1 + (g->last_try_ns + SWEEP_MIN_NS - now) / 1000000;
	/* due, or a second since the last, or the map filling up (goroutines
	 * made faster than transactions end: their exits are known only here) */
	if ((g->nr_dues && g->dues[0] <= now) || now - g->last_try_ns >= SWEEP_EVERY_NS ||
	    go_tracer__map_half_full(g->io.tracer)) {
		ts = g->nr_dues && g->dues[0] <= now ? g->dues[0] : now;
		if (ts < g->last_sweep_ns)
			ts = g->last_sweep_ns;
		g->last_try_ns = now;
		g->io.consume(g->io.ctx); /* their SEG_BEGINs first */
		if (go_tracer__sweep(g->io.tracer, ts, g->io.emit, g->io.ctx) < 0) {
			g->reads_failed++;
			return SWEEP_MIN_NS / 1000000; /* the dues wait for a good read */
		}
		dues_done(g, now);
		g->last_sweep_ns = now;
	}
	return wait_ms(g, now, 1);
}

/* What each goroutine still alive waits on, read before detaching */
static void finish(void *self, bool target_gone)
{
	struct go_session *g = self;
	uint64_t now = mono_ns();

	if (g->check && target_gone)
		go_tracer__take_exit_hold(g->io.tracer); /* killed while held */
	else if (g->check)
		read_at_exit(g); /* held, and weft stops before its tick: go on */
	if (target_gone)
		return;
	if (g->lean) {
		g->io.consume(g->io.ctx);
		if (go_tracer__sweep(g->io.tracer, now, g->io.emit, g->io.ctx) >= 0)
			g->last_sweep_ns = now;
	}
	go_tracer__final_states(g->io.tracer, g->io.emit, g->io.ctx, g->wait_reasons,
				sizeof(g->wait_reasons), false);
}

static void counters(void *self, struct record_meta *m)
{
	struct go_session *g = self;

	m->go_reads_failed = g->reads_failed;
	if (g->lean)
		m->go_lean_read_ns = g->last_sweep_ns;
	memcpy(m->go_wait_reasons, g->wait_reasons, sizeof(m->go_wait_reasons));
}

static void go_session_free(void *self)
{
	struct go_session *g = self;

	free(g->dues);
	idmap__free(&g->harness_txns);
	free(g);
}

int go_session__hooks(struct adapter_hooks *h, const struct session_io *io)
{
	struct go_session *g;

	if (!io->tracer->go)
		return 0;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -1;
	g->io = *io;
	g->lean = go_tracer__lean(io->tracer);
	g->check = io->o->cmd == CMD_CHECK;
	g->last_sweep_ns = g->last_try_ns = mono_ns();
	*h = (struct adapter_hooks){ .self = g, .keep = keep, .tick = tick, .finish = finish,
				     .counters = counters, .free = go_session_free };
	return 1;
}
