// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft check on a C program held at its exit (bpf/exit_hold.bpf.h): each
 * thread's evidence, from the system call it is in (/proc/PID/task/TID/
 * syscall, which a stop leaves as it was): none (it ran), one that blocks
 * with no timeout, or a sleep and when it ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <sys/uio.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "adapter.h"
#include "attach.h"
#include "clock.h"
#include "exit_hold.h"
#include "native_session.h"
#include "native.skel.h"
#include "opts.h"
#include "weft/context.h"

struct native_session {
	struct session_io io;
	pid_t held_tid; /* the thread that hit exit(): not judged, it is the exit */
};

enum { TIMEOUT_NONE, TIMEOUT_REL, TIMEOUT_ABS };

/* a timespec in the process, as ns */
static int64_t timespec_at(pid_t pid, uint64_t addr)
{
	struct timespec ts;
	struct iovec l = { &ts, sizeof(ts) }, r = { (void *)(uintptr_t)addr, sizeof(ts) };

	if (process_vm_readv(pid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(ts) || ts.tv_sec < 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A timeout argument: blocked (none), a sleep of *ns, or one ending at
 * *ns on clock c, turned into ns from now */
static uint32_t timed(pid_t pid, int how, uint64_t ts_addr, clockid_t c, uint64_t *ns)
{
	int64_t v;

	if (how == TIMEOUT_NONE || !ts_addr)
		return WEFT_EXIT_BLOCKED;
	v = timespec_at(pid, ts_addr);
	if (v < 0)
		return WEFT_EXIT_BLOCKED; /* unreadable: as good as none */
	if (how == TIMEOUT_REL) {
		*ns = v + 1;
		return WEFT_EXIT_SLEEP;
	}
	v -= clock_ns(c);
	*ns = v > 0 ? (uint64_t)v + 1 : 1;
	return WEFT_EXIT_TIMER;
}

/* What thread tid was doing when the process stopped at its exit */
static uint32_t thread_evidence(pid_t pid, pid_t tid, uint64_t *ns)
{
	char path[96], buf[256];
	unsigned long long a[6] = { 0 };
	long nr;
	FILE *f;
	int got;

	*ns = 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	if (!(f = fopen(path, "re")))
		return 0;
	got = fgets(buf, sizeof(buf), f) ? sscanf(buf, "%ld %llx %llx %llx %llx %llx %llx", &nr,
						    &a[0], &a[1], &a[2], &a[3], &a[4], &a[5])
					  : 0;
	fclose(f);
	if (got < 1 || nr < 0)
		return WEFT_EXIT_RUNNING; /* "running", or "-1 sp pc": in user code */
	switch (nr) {
	case 35: /* nanosleep(req, rem) */
		return timed(pid, TIMEOUT_REL, a[0], 0, ns);
	case 230: /* clock_nanosleep(clock, flags, req, rem) */
		return timed(pid, a[1] & 1 /* TIMER_ABSTIME */ ? TIMEOUT_ABS : TIMEOUT_REL, a[2],
			     (clockid_t)a[0], ns);
	case 202: { /* futex(uaddr, op, val, timeout, ...) */
		unsigned cmd = a[1] & 0x7f;
		bool realtime = a[1] & 256;

		if (cmd == 0) /* FUTEX_WAIT: relative */
			return timed(pid, TIMEOUT_REL, a[3], 0, ns);
		if (cmd == 9 || cmd == 11) /* WAIT_BITSET, WAIT_REQUEUE_PI: absolute */
			return timed(pid, TIMEOUT_ABS, a[3],
				     realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, ns);
		if (cmd == 6) /* LOCK_PI: absolute, CLOCK_REALTIME */
			return timed(pid, TIMEOUT_ABS, a[3], CLOCK_REALTIME, ns);
		return WEFT_EXIT_RUNNING; /* a wake, a requeue: in flight */
	}
	case 7: case 232: case 281: { /* poll (timeout arg 2), epoll_wait/pwait (arg 3), ms */
		int ms = (int)(nr == 7 ? a[2] : a[3]);

		if (ms < 0)
			return WEFT_EXIT_BLOCKED;
		*ns = (uint64_t)ms * 1000000 + 1;
		return WEFT_EXIT_SLEEP;
	}
	case 271: case 441: /* ppoll (timespec arg 2), epoll_pwait2 (arg 3): relative */
		return timed(pid, TIMEOUT_REL, nr == 271 ? a[2] : a[3], 0, ns);
	case 270: /* pselect6: timespec arg 4 */
		return timed(pid, TIMEOUT_REL, a[4], 0, ns);
	case 23: /* select: a timeval: none is blocked; one is not read (not judged) */
		if (!a[4])
			return WEFT_EXIT_BLOCKED;
		*ns = 0;
		return WEFT_EXIT_SLEEP;
	case 128: /* rt_sigtimedwait(set, info, timeout) */
		return timed(pid, TIMEOUT_REL, a[2], 0, ns);
	case 0: case 17: case 19: case 295: /* read, pread64, readv, preadv */
	case 1: case 20:		  /* write, writev: a full pipe */
	case 34: case 130:		  /* pause, rt_sigsuspend */
	case 43: case 288: case 42:	  /* accept, accept4, connect */
	case 45: case 47: case 299:	  /* recvfrom, recvmsg, recvmmsg */
	case 61: case 247:		  /* wait4, waitid */
	case 72: case 73:		  /* fcntl (a lock), flock */
		return WEFT_EXIT_BLOCKED;
	}
	return WEFT_EXIT_RUNNING; /* another system call: work in flight */
}

static pid_t take_exit_hold(struct tracer *t)
{
	return (pid_t)__atomic_exchange_n(&t->skel->bss->exit_held, 0, __ATOMIC_RELAXED);
}

/* Each thread weft knows: what it was doing, from its system call */
static int read_threads(void *self, bool all_stopped)
{
	struct native_session *n = self;
	struct tracer *t = n->io.tracer;
	int fd = bpf_map__fd(t->skel->maps.threads);
	char path[64];
	struct dirent *d;
	int nr = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", t->pid);
	for (dir = all_stopped ? opendir(path) : NULL; dir && (d = readdir(dir));) {
		struct weft_event e = { .ts_ns = mono_ns(), .type = WEFT_EV_GSTATE,
					.kind = WEFT_KIND_THREAD, .pid = t->pid };
		struct thread_state st;
		__u32 key = (__u32)atoi(d->d_name);
		uint64_t ns;

		if (!key || (pid_t)key == n->held_tid || bpf_map_lookup_elem(fd, &key, &st))
			continue;
		e.seg = st.depth ? st.saved[0].seg : st.cur.seg;
		e.obj = key;
		e.probe = thread_evidence(t->pid, key, &ns);
		e.txn = ns;
		e.flags = WEFT_F_ATEXIT;
		if (e.probe && e.seg) {
			n->io.emit(n->io.ctx, &e);
			nr++;
		}
	}
	if (dir)
		closedir(dir);
	return nr;
}

static void drain(void *self)
{
	struct native_session *n = self;

	n->io.consume(n->io.ctx);
}

static void read_at_exit(struct native_session *n)
{
	struct exit_read r = { drain, read_threads, n, "threads", n->io.o->verbose };

	n->held_tid = take_exit_hold(n->io.tracer);
	exit_hold__read(n->io.tracer->pid, n->held_tid, &r);
}

static bool keep(void *self, struct weft_event *e)
{
	(void)self;
	return e->type != WEFT_EV_EXIT_HOLD; /* a wakeup: the tick reads the hold */
}

static int tick(void *self, uint64_t now)
{
	(void)now;
	read_at_exit(self);
	return ADAPTER_TICK_MS;
}

static void finish(void *self, bool target_gone)
{
	struct native_session *n = self;

	if (target_gone) /* killed while held */
		take_exit_hold(n->io.tracer);
	else
		read_at_exit(n);
}

int native_session__hooks(struct adapter_hooks *h, const struct session_io *io)
{
	struct native_session *n;

	if (io->o->cmd != CMD_CHECK || io->tracer->go || io->tracer->node)
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	n->io = *io;
	*h = (struct adapter_hooks){ .self = n, .keep = keep, .tick = tick, .finish = finish,
				     .free = free };
	return 1;
}
