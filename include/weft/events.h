/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Events shared by the BPF capture side and userspace. Fixed layout: the
 * record file stores these structs as they are (little endian, x86_64). */
#ifndef WEFT_EVENTS_H
#define WEFT_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define WEFT_MAX_FRAMES 32 /* deep enough to reach JavaScript above a Node binding */
#define WEFT_MAX_PROBES 64

/* What happened. */
enum weft_ev_type {
	WEFT_EV_SEG_BEGIN = 1, /* continuation created: seg, parent, txn, obj, frames */
	WEFT_EV_SEG_END = 2,   /* continuation ended: seg (obj for lookup) */
	WEFT_EV_TXN_BEGIN = 3, /* txn began on seg (a new root segment), parent = seg it began in */
	WEFT_EV_TXN_END = 4,   /* txn ended: txn, seg */
	WEFT_EV_RUN_BEGIN = 5, /* a task's segment became current on thread tid */
	WEFT_EV_RUN_END = 6,   /* ... and stopped being current */
	WEFT_EV_USTACK = 7,    /* struct weft_stack_event: raw stack for the next SEG_BEGIN */
	WEFT_EV_GSTATE = 8,    /* from userspace: a live goroutine's state at the end of the
				* capture: obj goid, seg, flags status, site wait reason code,
				* parent waited ns (0 unknown); kind THREAD: a thread's, with
				* WEFT_F_ATEXIT only (obj its tid) */
	WEFT_EV_POOLED = 9,    /* seg idles in a pool (a keep-alive agent's socket): alive but
				* not a leak, until taken again (a new identity) or ended */
	WEFT_EV_SAMPLE = 10,   /* on-CPU sample (-F): thread tid was running with seg and txn
				* current (Go: its goroutine's, obj = goid), kind = seg's kind;
				* frames = its user stack, the sampled pc first */
	WEFT_EV_OFFCPU = 11,   /* --off-cpu: thread tid blocked (asleep, not preempted) at ts_ns
				* for obj ns while working for txn (seg current); frames = its
				* user stack when it blocked. Spans shorter than the capture's
				* offcpu_min_ns are counted, not sent */
	WEFT_EV_TRAPS = 12,    /* from userspace: obj more traps (uprobe hits) counted for txn
				* since its last TRAPS: what tracing it cost */
	WEFT_EV_SEG_NAME = 13, /* seg's name (an outbound call's "GET host:port"): nr_frames
				* words of bytes in the union, NUL included */
	WEFT_EV_EXIT_HOLD = 14, /* from BPF, never recorded: the process reached its exit and
				 * was stopped there (SIGSTOP) so that userspace reads what is
				 * alive while nothing moves; userspace continues it */
};

/* GSTATE with WEFT_F_ATEXIT: what the read at the exit found a continuation
 * doing (its probe field), the evidence weft check judges it by */
enum weft_exit_evidence {
	WEFT_EXIT_RUNNING = 1, /* running or runnable: cleanup in flight */
	WEFT_EXIT_BLOCKED = 2, /* blocked on what nothing will wake before the exit */
	WEFT_EXIT_TIMER = 3,   /* asleep on a timer: txn holds when it fires, ns after ts_ns
				* plus one (0: unknown) */
	WEFT_EXIT_SLEEP = 4,   /* asleep for a time that began before: txn holds how long,
				* plus one (0: unknown): it ends at most that after ts_ns */
};

/* What kind of continuation a segment is. */
enum weft_kind {
	WEFT_KIND_THREAD = 1,
	WEFT_KIND_TASK = 2,
	WEFT_KIND_TXN = 3, /* the root segment of a transaction */
	WEFT_KIND_GOROUTINE = 4,
	WEFT_KIND_ASYNC = 5, /* Node.js native async resource */
	WEFT_KIND_PROCESS = 6,
	WEFT_KIND_CALL = 7, /* an outbound call a transaction made (Go net/http client):
			     * from the request sent to its response's body done */
};

enum weft_ev_flags {
	WEFT_F_PREATTACH = 1 << 0, /* existed before capture began: creation not observed */
	WEFT_F_NOSTACK = 1 << 1,   /* user stack could not be read */
	WEFT_F_NOTASK = 1 << 2,    /* task begin/end for an object never seen created */
	WEFT_F_POLLED = 1 << 3,    /* SEG_END: found gone by reading the process (--go-lean)
				    * at `parent` (0: at ts); judged ended at ts, the due
				    * it was read for */
	WEFT_F_NESTS = 1 << 5,     /* TXN_BEGIN: nests in the transaction it began in (a
				    * subtest), not a conflation */
	WEFT_F_TRUNCATED = 1 << 6, /* SAMPLE/OFFCPU: the stack was cut at WEFT_MAX_FRAMES */
	WEFT_F_TEARDOWN = 1 << 7,  /* TXN_END: the runtime began tearing the process down (a
				    * Node test file's end): nothing the transaction made
				    * can end on its own from here: no grace. obj: the timers
				    * armed in its loop; parent: when JavaScript's timers were
				    * next due, ns after ts plus one (0: none, or unknown);
				    * frames: the segments whose callbacks were running then
				    * (process.exit() inside one): in flight */
	WEFT_F_STDIO = 1 << 8,     /* POOLED: a handle on fd 0..2, the process's stdio: the
				    * runtime's, made by whoever first wrote: not a leak */
	WEFT_F_CONN = 1 << 11,	   /* SEG_BEGIN (Node): made for an inbound connection, outside
				    * any transaction (its socket, HTTP/2 session, parser) */
	WEFT_F_H2NAME = 1 << 10,   /* TXN_BEGIN again, for a transaction begun already: its name
				    * (Node HTTP/2: known once the stream's headers are). name:
				    * the :path at 0, the :method at WEFT_H2_METHOD; site 1: a
				    * gRPC call (content-type application/grpc) */
	WEFT_F_HTTP = 1 << 4,      /* Node HTTP: TXN_BEGIN's name is the URL, site the llhttp
				    * method; a TXN_END is a response write: the last one
				    * is the transaction's end */
	WEFT_F_PATTERN = 1 << 12,  /* Go TXN_END: name is the route pattern that matched
				    * ("GET /users/{id}"), nr_frames the words it takes */
	WEFT_F_H2CALL = 1 << 9,    /* SEG_BEGIN (Node): an HTTP/2 stream this process opened as
				    * a client, in a transaction: an outbound call, unnamed */
	WEFT_F_WIRE = 1 << 13,     /* TXN_BEGIN: it began on bytes the target wrote itself (a
				    * request to itself); obj is the writer's transaction (0:
				    * it wrote outside any), parent its segment */
	WEFT_F_WIRE_MUX = 1 << 14, /* ... on a connection whose writer serves every call on it
				    * (gRPC): which call wrote them is told from the calls open */
	WEFT_F_ATEXIT = 1 << 15,   /* GSTATE: read while the process was held at its exit;
				    * probe is an enum weft_exit_evidence */
};

#define WEFT_H2_METHOD 224 /* in a WEFT_F_H2NAME event's name: where the :method is */

/* One event. Only nr_frames entries of frames[] are meaningful, and an
 * event with few or none is sent shorter: WEFT_EVENT_HEAD bytes, plus 8 per
 * frame it carries (the reader zeroes the rest). A goroutine's creation and
 * a segment's end are a quarter of the whole. */
struct weft_event {
	__u64 ts_ns;  /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 type;   /* enum weft_ev_type */
	__u32 kind;   /* enum weft_kind */
	__u32 pid;    /* tgid */
	__u32 tid;    /* thread the event happened on */
	__u64 seg;    /* the segment this event is about */
	__u64 parent; /* parent segment (0: none) */
	__u64 txn;    /* transaction of seg (0: none) */
	__u64 obj;    /* runtime identity: child tid, task pointer, goid, async id */
	__u64 site;   /* start routine / callback address, 0 if unknown */
	__u32 probe;  /* index of the probe spec that fired (WEFT_PROBE_*) */
	__u32 flags;  /* enum weft_ev_flags */
	__u32 nr_frames;
	__u32 pad;
	union {
		/* SEG_BEGIN: creating thread's user stack, innermost first */
		__u64 frames[WEFT_MAX_FRAMES];
		/* TXN_BEGIN from a weft.h marker: the name the app passed */
		char name[WEFT_MAX_FRAMES * 8];
	};
};

#define WEFT_EVENT_HEAD 80 /* offsetof(struct weft_event, frames) */

/* Where frame pointers cannot be trusted (libc's pthread_create has none),
 * the BPF side copies the registers and the top of the user stack, and
 * userspace unwinds it with DWARF CFI (libdwfl). Never recorded: userspace
 * puts the unwound frames into the SEG_BEGIN that follows. */
#define WEFT_STACK_BYTES 2048
#define WEFT_NR_REGS 17 /* DWARF x86-64: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */

struct weft_stack_event {
	__u64 ts_ns;
	__u32 type; /* WEFT_EV_USTACK */
	__u32 size; /* bytes of data[] copied from regs[7] (rsp) up */
	__u64 seg;  /* the segment whose SEG_BEGIN follows */
	__u64 regs[WEFT_NR_REGS];
	/* twice the copy: lets the verifier bound a copy made in two parts */
	__u8 data[2 * WEFT_STACK_BYTES];
};

/* Probe indices below WEFT_PROBE_USER are built in; spec probes follow. */
enum weft_probe_builtin {
	WEFT_PROBE_THREAD = 0, /* sched_process_fork / sched_process_exit */
	WEFT_PROBE_USER = 1,   /* 1..5: the weft.h markers */
	WEFT_PROBE_GOROUTINE = 6, /* the runtime's continuations: goroutines (Go),
				   * async resources (Node) */
	WEFT_PROBE_FIRST_SPEC = 7,
};

/* Counters the BPF side keeps; read back through the skeleton's .bss. */
struct weft_counters {
	__u64 events;
	__u64 lost;    /* ring buffer full */
	__u64 evicted; /* map full: entry not stored */
	__u64 hits[WEFT_MAX_PROBES];
};

#endif
