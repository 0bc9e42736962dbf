// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "node_attach.h"
#include "node_testfile.h"
#include "site.h"

void node_file__event(struct node_file *f, uint32_t type, pid_t pid, const char *label,
		      uint64_t ts, struct weft_event *e)
{
	memset(e, 0, sizeof(*e));
	e->ts_ns = ts;
	e->type = type;
	e->kind = WEFT_KIND_TXN;
	e->pid = e->tid = pid;
	e->probe = WEFT_PROBE_GOROUTINE;
	if (type == WEFT_EV_TXN_BEGIN) {
		f->txn = 1ULL << 62 | (uint64_t)pid; /* past what BPF hands out */
		snprintf(e->name, sizeof(e->name), "%s", label ? label : "test file");
	} else {
		e->flags = WEFT_F_TEARDOWN;
	}
	e->seg = e->txn = f->txn;
}

bool node_file__tag(struct node_file *f, struct weft_event *e, const struct tracer *t,
		    const struct symtab *st)
{
	const char *type = e->type == WEFT_EV_SEG_BEGIN ? node_tracer__provider(t, e->site) : "";
	uint32_t v;

	/* the file's: all it made but the runtime's own (the default
	 * resolver's channel, a signal handler no JavaScript of the file
	 * asked for: the runner's). A handle made in a process.nextTick or a
	 * promise's callback has no frame of the file: still the file's */
	if (e->type == WEFT_EV_SEG_BEGIN && e->kind == WEFT_KIND_ASYNC && !e->txn &&
	    !(e->flags & WEFT_F_PREATTACH) && strcmp(type, "DNSCHANNEL") &&
	    (strcmp(type, "SIGNALWRAP") || idmap__get(&f->segs, e->parent, &v) ||
	     site__js_owner(st, e))) {
		e->txn = f->txn;
		idmap__put(&f->segs, e->seg, 1);
	}
	if (e->type == WEFT_EV_TXN_END && (e->flags & WEFT_F_TEARDOWN)) {
		if (f->ended)
			return false;
		f->ended = true;
		e->txn = e->seg = f->txn;
	}
	return true;
}

void node_file__free(struct node_file *f)
{
	idmap__free(&f->segs);
}
