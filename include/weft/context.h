/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Context state in the BPF maps, shared with userspace, which seeds it for
 * continuations that exist before attach. */
#ifndef WEFT_CONTEXT_H
#define WEFT_CONTEXT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define WEFT_MAX_NEST 8

/* A context: the segment current on a thread or goroutine, its transaction. */
struct wctx {
	__u64 seg;
	__u64 txn;
	__u64 obj;  /* task identity while a task runs; goid for a goroutine */
	__u32 kind; /* kind of seg */
	__u32 flags; /* WCTX_F_* */
};

/* Pushed by a runtime's callback scope (Node): threads created under it
 * do not inherit it (libuv's pool starts lazily, inside whatever callback
 * first needs it; a worker_thread is a resource of its own). */
#define WCTX_F_RUNTIME 1
/* Node: a listening socket (its callback accepts a connection), and what
 * such a callback makes outside any transaction, the connection's (the
 * socket, an HTTP/2 session, a parser) */
#define WCTX_F_LISTENER 2
#define WCTX_F_CONN 4
/* Node: its end was sent already (an HTTP/2 session, closed before its
 * wrap is destroyed: its last callbacks still run in its context) */
#define WCTX_F_ENDED 8

/* Per thread (or goroutine): its own segment at the bottom, task runs and
 * transactions above. */
struct thread_state {
	struct wctx cur;
	struct wctx saved[WEFT_MAX_NEST];
	__u32 depth;
	__u32 pad;
};

/* The next segment and transaction ids, shared by every adapter's object. */
struct weft_ids {
	__u64 seg, txn;
};

#endif
