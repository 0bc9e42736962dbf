// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Node's rules in a session (user/capture/adapter.h): requests, calls and
 * HTTP/2 streams named from what the probes copied, a layout that stops
 * fitting said once, and a file Node's test runner runs made one
 * transaction. */
#include <stdio.h>
#include <stdlib.h>
#include "adapter.h"
#include "attach.h"
#include "clock.h"
#include "node_attach.h"
#include "node_session.h"
#include "node_testfile.h"
#include "opts.h"
#include "record.h"

struct node_session {
	struct session_io io;
	uint64_t suspect;      /* resources that broke the layout's invariants */
	struct node_file file; /* a test file: the process is one transaction */
};

static void rewrite(void *self, struct weft_event *e)
{
	struct node_session *n = self;

	if (e->type == WEFT_EV_TXN_BEGIN && (e->flags & WEFT_F_HTTP))
		node__name_request(e);
	if (e->type == WEFT_EV_SEG_NAME && (e->flags & WEFT_F_HTTP))
		node__name_call(e);
	if (e->type == WEFT_EV_TXN_BEGIN && (e->flags & WEFT_F_H2NAME))
		node__name_h2(e);
	if (node_tracer__suspect(n->io.tracer, e) && !n->suspect++)
		fprintf(stderr, "weft: warning: a Node resource broke the layout's invariants "
			"(type out of range or ids not growing): the offsets may not fit this "
			"build\n");
}

static bool keep(void *self, struct weft_event *e)
{
	struct node_session *n = self;

	return !n->file.txn || node_file__tag(&n->file, e, n->io.tracer, n->io.st);
}

static void file_txn_event(struct node_session *n, uint32_t type)
{
	struct weft_event e;

	node_file__event(&n->file, type, n->io.tracer->pid, n->io.o->label, mono_ns(), &e);
	n->io.emit(n->io.ctx, &e);
}

/* killed, or detached before the file's teardown: its end is now */
static void finish(void *self, bool target_gone)
{
	struct node_session *n = self;

	(void)target_gone;
	if (n->file.txn && !n->file.ended)
		file_txn_event(n, WEFT_EV_TXN_END);
}

static void counters(void *self, struct record_meta *m)
{
	m->node_suspect = ((struct node_session *)self)->suspect;
}

static void node_session_free(void *self)
{
	struct node_session *n = self;

	node_file__free(&n->file);
	free(n);
}

int node_session__hooks(struct adapter_hooks *h, const struct session_io *io)
{
	struct node_session *n;

	if (!io->tracer->node)
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	n->io = *io;
	*h = (struct adapter_hooks){ .self = n, .rewrite = rewrite, .keep = keep,
				     .finish = finish, .counters = counters,
				     .free = node_session_free };
	return 1;
}

void node_session__begin_file(struct adapter_hooks *h)
{
	file_txn_event(h->self, WEFT_EV_TXN_BEGIN);
}
