/* A file Node's test runner runs (in a process of its own) is one
 * transaction: the async resources its code made are in it, with those they
 * made; the runtime's teardown (or the process's death) ends it, once.
 * What only node's own modules made (the runner's signal handler, the
 * default resolver's channel) is the runtime's: with a perf map naming the
 * JavaScript, a creation whose stack holds none of the file's is left out;
 * with no JavaScript named, everything is in. */
#ifndef WEFT_NODE_TESTFILE_H
#define WEFT_NODE_TESTFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "idmap.h"
#include "weft/events.h"

struct tracer;
struct symtab;

struct node_file {
	uint64_t txn; /* 0: the process is not a test file */
	bool ended;
	struct idmap segs; /* the file's resources */
};

/* The transaction's begin (WEFT_EV_TXN_BEGIN, named label) or its end at
 * the teardown (WEFT_EV_TXN_END), at ts, into e: to be fed like any event. */
void node_file__event(struct node_file *f, uint32_t type, pid_t pid, const char *label,
		      uint64_t ts, struct weft_event *e);
/* Puts e in the file's transaction when it is the file's; false: drop e (a
 * second teardown). e's frames must be named in st already. */
bool node_file__tag(struct node_file *f, struct weft_event *e, const struct tracer *t,
		    const struct symtab *st);
void node_file__free(struct node_file *f);

#endif
