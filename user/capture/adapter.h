/* What a runtime adapter adds to a session besides its probes: rules on the
 * events it reads, a timer, and a last word when the capture ends. The
 * session (user/cli/session.c) is generic: it reads, records and models
 * events and calls these hooks; the rules of one runtime stay with it
 * (user/go/go_session.c, user/node/node_session.c). */
#ifndef WEFT_ADAPTER_H
#define WEFT_ADAPTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "weft/events.h"

struct opts;
struct record_meta;
struct symtab;
struct tracer;

/* What the session lends its adapters */
struct session_io {
	struct tracer *tracer;
	const struct opts *o;
	const struct symtab *st; /* names frames; filled as events are read */
	bool started_here;	/* the target started under weft (-- CMD, or stopped at exec) */
	/* an event made here, fed to the session as if read */
	void (*emit)(void *ctx, const struct weft_event *e);
	/* reads what waits in the ring buffer first */
	void (*consume)(void *ctx);
	void *ctx;
};

struct adapter_hooks {
	void *self;
	/* an event as read, before it is named: rewrite it in place */
	void (*rewrite)(void *self, struct weft_event *e);
	/* its frames named: false leaves it out of the record and the model */
	bool (*keep)(void *self, struct weft_event *e);
	/* each turn of the loop at now: the poll timeout it needs, in ms */
	int (*tick)(void *self, uint64_t now);
	/* capture over, probes still on; target_gone: it exited */
	void (*finish)(void *self, bool target_gone);
	/* probes off: what it counted, into the record's header */
	void (*counters)(void *self, struct record_meta *m);
	void (*free)(void *self);
};

#define ADAPTER_TICK_MS 100 /* the loop's timer when no hook needs sooner */

#endif
