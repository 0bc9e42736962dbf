// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "adapter.h"
#include "agent_export.h"
#include "attach.h"
#include "clock.h"
#include "counters.h"
#include "elfsym.h"
#include "go_attach.h"
#include "go_session.h"
#include "model.h"
#include "node_attach.h"
#include "node_session.h"
#include "record.h"
#include "report.h"
#include "report_out.h"
#include "native_session.h"
#include "session.h"
#include "symbolize.h"

struct session {
	struct opts *o;
	struct tracer tracer;
	uint64_t attach_ns; /* first read of its binary to probes live: -v says it */
	/* dropped before the model, said at the end: events shorter than
	 * their head; threads whose creation stack is missing */
	uint64_t short_events, stacks_lost;
	struct model *model;
	struct symtab *st;
	struct symbolizer *sym;
	struct record_writer *writer;
	struct ring_buffer *rb;
	struct record_meta meta;
	pid_t child; /* -- CMD: ours to reap */
	int pidfd;
	int wait_fd; /* epoll: the ring buffer's and the target's exit (a pidfd) */
	bool target_gone;
	int child_status;
	/* Unwound creation stacks waiting for their SEG_BEGIN: events from
	 * several CPUs interleave, so more than one can be in flight. */
	struct pending_stack {
		__u64 seg;
		int n;
		__u64 frames[WEFT_MAX_FRAMES];
	} pending[64];
	/* the runtimes' rules: Go's, Node's (user/capture/adapter.h) */
	struct adapter_hooks hooks[3];
	int nr_hooks;
	uint64_t last_drain_ns; /* traps per transaction, read from BPF */
	int write_errno; /* the record file's first failed write: the capture ends */
	const struct session_live *live; /* weft top: a view on every turn of the loop */
	struct agent_export *ax; /* weft agent: transactions sent on as they are judged */
};

static volatile sig_atomic_t stop_signal, stop_sender;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	stop_sender = si ? si->si_pid : 0;
	stop_signal = sig;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void errline(const char *msg)
{
	fprintf(stderr, "weft: %s\n", msg);
}

static void meta_init(struct session *s)
{
	struct record_meta *m = &s->meta;
	struct utsname u;
	struct probe_table *pt = &s->tracer.probes;

	memset(m, 0, sizeof(*m));
	if (!uname(&u)) {
		snprintf(m->host, sizeof(m->host), "%s", u.nodename);
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
	}
	m->pid = s->tracer.pid;
	snprintf(m->exe, sizeof(m->exe), "%s", s->tracer.exe);
	elfsym__build_id(s->tracer.exe_path, m->build_id, sizeof(m->build_id));
	if (probes__format(pt, m->probes, sizeof(m->probes)) < pt->nr)
		fprintf(stderr, "weft: warning: the probe specs are longer than a record file holds "
			"(%zu bytes): the last probes are unnamed in it; use fewer or shorter specs\n",
			sizeof(m->probes));
	probes__format_sites(pt, m->probe_sites, sizeof(m->probe_sites));
	node_tracer__providers(&s->tracer, m->node_providers, sizeof(m->node_providers));
	{
		const char *src = "", *go = go_tracer__version(&s->tracer, &src);

		snprintf(m->go_version, sizeof(m->go_version), "%s", go ? go : "");
		snprintf(m->go_offsets, sizeof(m->go_offsets), "%s", go ? src : "");
	}
	m->leak_grace_ns = s->o->leak_grace_ns;
	snprintf(m->name_by, sizeof(m->name_by), "%s", s->o->name_by_path ? "path" : "pattern");
	for (size_t i = 0, n = 0; s->o->full_argv && s->o->full_argv[i] && n < sizeof(m->cmdline);
	     i++)
		n += snprintf(m->cmdline + n, sizeof(m->cmdline) - n, "%s%s", i ? " " : "",
			      s->o->full_argv[i]);
	/* the capture's start in both clocks, read back to back: events carry
	 * CLOCK_MONOTONIC, a report on another day needs the wall clock */
	m->start_ns = mono_ns();
	m->start_realtime_ns = realtime_ns();
}

/* Keeps the unwound stack of a creation until its SEG_BEGIN arrives. */
static void on_ustack(struct session *s, const struct weft_stack_event *st)
{
	struct pending_stack *p = &s->pending[st->seg % 64];

	p->seg = st->seg;
	p->n = symbolizer__unwind(s->sym, st, p->frames, WEFT_MAX_FRAMES);
}

/* A thread's frames come only from the unwind: the BPF side sends none. */
static void take_ustack(struct session *s, struct weft_event *e)
{
	struct pending_stack *p = &s->pending[e->seg % 64];

	if (p->seg != e->seg || p->n <= 0) {
		s->stacks_lost++; /* not sent, not unwound, or overwritten */
		return;
	}
	memcpy(e->frames, p->frames, p->n * sizeof(e->frames[0]));
	e->nr_frames = p->n;
	e->flags &= ~WEFT_F_NOSTACK;
	p->seg = 0;
}

/* " (N samples, M off-CPU spans)" when profiling, else "" */
static const char *profile_note(struct session *s)
{
	static char buf[96];
	uint64_t on = 0, off = 0;

	if (!s->meta.sample_hz && !s->meta.offcpu_min_ns)
		return "";
	for (size_t i = 0; i < model__nr_samples(s->model); i++)
		model__sample_at(s->model, i)->off_cpu ? off++ : on++;
	snprintf(buf, sizeof(buf), " (%" PRIu64 " samples, %" PRIu64 " off-CPU spans)", on, off);
	return buf;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	struct weft_event copy, *e = &copy; /* the ring is mapped read-only */

	if (size == sizeof(struct weft_stack_event) &&
	    ((const struct weft_stack_event *)data)->type == WEFT_EV_USTACK) {
		on_ustack(s, data);
		return 0;
	}
	if (size < WEFT_EVENT_HEAD || size > sizeof(*e)) {
		s->short_events++;
		return 0;
	}
	/* a short event: the frames it carries, the rest zero */
	memcpy(&copy, data, size);
	memset((char *)&copy + size, 0, sizeof(copy) - size);
	if (e->nr_frames > (size - WEFT_EVENT_HEAD) / 8)
		e->nr_frames = (size - WEFT_EVENT_HEAD) / 8;
	for (int i = 0; i < s->nr_hooks; i++)
		if (s->hooks[i].rewrite)
			s->hooks[i].rewrite(s->hooks[i].self, e);
	if (e->type == WEFT_EV_SEG_BEGIN && e->kind == WEFT_KIND_THREAD &&
	    !(e->flags & WEFT_F_PREATTACH))
		take_ustack(s, e);
	if (e->type == WEFT_EV_SEG_BEGIN || e->type == WEFT_EV_TXN_BEGIN ||
	    e->type == WEFT_EV_SAMPLE || e->type == WEFT_EV_OFFCPU)
		symbolizer__event(s->sym, e); /* now: the record file carries the names */
	for (int i = 0; i < s->nr_hooks; i++)
		if (s->hooks[i].keep && !s->hooks[i].keep(s->hooks[i].self, e))
			return 0;
	if (s->o->verbose >= 4 && e->type == WEFT_EV_SEG_BEGIN)
		for (uint32_t i = 0; i < e->nr_frames && i < WEFT_MAX_FRAMES; i++)
			fprintf(stderr, "seg %llu frame %u: %llx\n", (unsigned long long)e->seg, i,
				(unsigned long long)e->frames[i]);
	if (s->writer && !s->write_errno && record_writer__event(s->writer, e)) {
		/* said once; the capture ends as it would at -d */
		s->write_errno = errno ? errno : EIO;
		fprintf(stderr, "weft: %s: write failed: %s; the capture stops here\n",
			s->o->output, strerror(s->write_errno));
	}
	model__feed(s->model, e);
	return 0;
}

static void emit_event(void *ctx, const struct weft_event *e)
{
	on_event(ctx, (void *)e, sizeof(*e));
}

static void consume(void *ctx)
{
	struct session *s = ctx;

	if (s->rb)
		ring_buffer__consume(s->rb);
}

/* The adapters' timers: the soonest poll timeout any needs */
static int hooks_tick(struct session *s)
{
	int timeout = ADAPTER_TICK_MS;
	uint64_t now = mono_ns();

	for (int i = 0; i < s->nr_hooks; i++)
		if (s->hooks[i].tick) {
			int t = s->hooks[i].tick(s->hooks[i].self, now);

			timeout = t < timeout ? t : timeout;
		}
	return timeout;
}

/* The capture's counters, and the adapters', into the record's header */
static void counters(struct session *s)
{
	struct capture_counters c;
	struct record_meta *m = &s->meta;

	tracer__counters(&s->tracer, &c);
	m->lost = c.lost;
	m->evicted = c.evicted;
	m->nest_overflow = c.nest_overflow;
	memcpy(m->hits, c.hits, sizeof(m->hits));
	m->sample_hz = c.sample_hz;
	m->offcpu_min_ns = c.offcpu_min_ns;
	m->samples_taken = c.samples_taken;
	m->samples_lost = c.samples_lost;
	m->offcpu_short = c.offcpu_short;
	m->offcpu_short_ns = c.offcpu_short_ns;
	for (int i = 0; i < s->nr_hooks; i++)
		if (s->hooks[i].counters)
			s->hooks[i].counters(s->hooks[i].self, &s->meta);
}

static bool target_exited(struct session *s)
{
	struct pollfd p = { .fd = s->pidfd, .events = POLLIN };

	if (s->child) {
		pid_t r = waitpid(s->child, &s->child_status, WNOHANG);

		return r == s->child || (r < 0 && errno == ECHILD);
	}
	if (s->pidfd >= 0)
		return poll(&p, 1, 0) == 1;
	return kill(s->tracer.pid, 0) && errno == ESRCH;
}

/* weft top: the capture so far, its counters read now; nonzero: stop */
static int live_tick(struct session *s)
{
	struct report r = { s->model, s->st, &s->meta, &s->tracer.probes };

	counters(s);
	s->meta.end_ns = mono_ns();
	return s->live->tick(s->live->ctx, s->model, &r);
}

static void on_traps(void *ctx, uint64_t txn, uint64_t traps)
{
	struct session *s = ctx;
	struct weft_event e = { .ts_ns = mono_ns(), .type = WEFT_EV_TRAPS, .pid = s->tracer.pid,
				.txn = txn, .obj = traps };

	on_event(s, &e, sizeof(e));
}

/* Traps per transaction, out of their BPF map (which holds only what
 * arrived since the last drain) into the model and the record file. */
static void drain_traps(struct session *s)
{
	if (s->rb)
		ring_buffer__consume(s->rb); /* the transactions' begins first */
	tracer__drain_traps(&s->tracer, on_traps, s);
	s->last_drain_ns = mono_ns();
}

#define DRAIN_EVERY_NS 100000000ULL

/* Wakes at events, at the timeout, or at once when the target exits (a
 * checked test binary is reported as soon as it is gone) */
static int wait_events(struct session *s, int timeout)
{
	struct epoll_event ev[2];
	int n;

	if (s->wait_fd < 0)
		return ring_buffer__poll(s->rb, timeout);
	n = epoll_wait(s->wait_fd, ev, 2, timeout);
	return n < 0 ? -errno : n;
}

static void wait_fd_open(struct session *s)
{
	struct epoll_event rb = { .events = EPOLLIN }, gone = { .events = EPOLLIN };
	int exit_fd = s->child ? (int)syscall(SYS_pidfd_open, s->child, 0) : s->pidfd;

	s->wait_fd = exit_fd >= 0 ? epoll_create1(EPOLL_CLOEXEC) : -1;
	if (s->wait_fd >= 0 &&
	    (epoll_ctl(s->wait_fd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(s->rb), &rb) ||
	     epoll_ctl(s->wait_fd, EPOLL_CTL_ADD, exit_fd, &gone))) {
		close(s->wait_fd);
		s->wait_fd = -1;
	}
	if (s->child && exit_fd >= 0)
		close(exit_fd); /* the epoll set holds it */
}

static void loop(struct session *s)
{
	uint64_t deadline = s->o->duration_ns ? mono_ns() + s->o->duration_ns : 0;
	int timeout = 100;

	while (!stop_signal && !s->write_errno) {
		/* The BPF side wakes us only past a backlog: read on a timer too. */
		int n = wait_events(s, timeout);

		if (n >= 0)
			n = ring_buffer__consume(s->rb);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "weft: ring buffer: %s\n", strerror(-n));
			break;
		}
		if (target_exited(s)) {
			s->target_gone = true;
			break;
		}
		if (deadline && mono_ns() >= deadline)
			break;
		timeout = hooks_tick(s);
		if (mono_ns() - s->last_drain_ns >= DRAIN_EVERY_NS) {
			struct report r = { s->model, s->st, &s->meta, &s->tracer.probes };

			drain_traps(s);
			if (s->ax) {
				counters(s);
				agent_export__tick(s->ax, s->model, &r, mono_ns());
			}
			model__compact(s->model, mono_ns());
		}
		if (s->live && live_tick(s))
			break;
	}
	ring_buffer__consume(s->rb);
}

static int report_out(struct session *s)
{
	struct report r = { s->model, s->st, &s->meta, &s->tracer.probes };
	const char *path = s->o->cmd == CMD_TRACE ? s->o->output : NULL;
	FILE *f = stdout;
	int rc;

	if (path && !(f = fopen(path, "we"))) {
		fprintf(stderr, "weft: %s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = report_write(f, &r, s->o, NULL, s->meta.start_realtime_ns);
	return out_close(f, path) || rc ? 1 : 0;
}

/* weft check: the verdict on stderr, the JSON report to -o; the exit
 * status: 1 leaks, else the command's own failure passed through, else 0 */
static int check_out(struct session *s)
{
	struct report r = { s->model, s->st, &s->meta, &s->tracer.probes };
	int rc = report__check(stderr, &r, s->o->junit, s->o->label, s->o->junit_suite_only,
			       s->o->verbose);

	if (s->o->output) {
		FILE *f = fopen(s->o->output, "we");

		if (!f) {
			fprintf(stderr, "weft: %s: %s\n", s->o->output, strerror(errno));
			return 2;
		}
		report__json(f, &r);
		if (out_close(f, s->o->output))
			return 2;
	}
	if (!rc && s->child && s->target_gone && WIFEXITED(s->child_status) &&
	    WEXITSTATUS(s->child_status)) {
		fprintf(stderr, "weft check: no leak; the command itself failed (exit %d)\n",
			WEXITSTATUS(s->child_status));
		return WEXITSTATUS(s->child_status);
	}
	return rc;
}

/* How the target ended, in one line. -- CMD: weft's status is the
 * command's own, or 128+N when signal N killed it (as time(1) and perf
 * stat say), unless weft itself failed (rc) or judges (check: 0/1/2). */
static int target_fate(struct session *s, int rc)
{
	int st = s->child_status;

	if (!s->child || (!WIFEXITED(st) && !WIFSIGNALED(st))) {
		fprintf(stderr, "weft: target pid %d exited\n", s->tracer.pid);
		return rc;
	}
	if (WIFSIGNALED(st))
		fprintf(stderr, "weft: target pid %d killed by signal %d (%s)%s\n", s->tracer.pid,
			WTERMSIG(st), strsignal(WTERMSIG(st)), WCOREDUMP(st) ? ", core dumped" : "");
	else if (WEXITSTATUS(st))
		fprintf(stderr, "weft: target pid %d exited with status %d\n", s->tracer.pid,
			WEXITSTATUS(st));
	else
		fprintf(stderr, "weft: target pid %d exited\n", s->tracer.pid);
	if (rc || s->o->cmd == CMD_CHECK)
		return rc;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

void session__say_stopped(int sig, pid_t sender)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", sender);
	if (sender > 0 && (f = fopen(path, "re"))) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	if (sender > 0)
		fprintf(stderr, "weft: stopped by signal %d (%s), from pid %d%s%s%s\n", sig,
			strsignal(sig), sender, *comm ? " (" : "", comm, *comm ? ")" : "");
	else
		fprintf(stderr, "weft: stopped by signal %d (%s)\n", sig, strsignal(sig));
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void session__cleanup(struct session *s)
{
	agent_export__close(s->ax, NULL, NULL); /* set only when the capture never ran */
	go__prefetch_wait();
	ring_buffer__free(s->rb);
	tracer__close(&s->tracer);
	symbolizer__free(s->sym);
	model__free(s->model);
	symtab__free(s->st);
	for (int i = 0; i < s->nr_hooks; i++)
		s->hooks[i].free(s->hooks[i].self);
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->wait_fd >= 0)
		close(s->wait_fd);
}

static int hooks_open(struct session *s)
{
	struct session_io io = { .tracer = &s->tracer, .o = s->o, .st = s->st,
				 .started_here = s->child || s->o->resume, .emit = emit_event,
				 .consume = consume, .ctx = s };
	int rc;

	if ((rc = go_session__hooks(&s->hooks[s->nr_hooks], &io)) < 0)
		return -1;
	s->nr_hooks += rc;
	if ((rc = native_session__hooks(&s->hooks[s->nr_hooks], &io)) < 0)
		return -1;
	s->nr_hooks += rc;
	if ((rc = node_session__hooks(&s->hooks[s->nr_hooks], &io)) < 0)
		return -1;
	if (rc && s->o->node_test_file)
		node_session__begin_file(&s->hooks[s->nr_hooks]);
	s->nr_hooks += rc;
	return 0;
}

static int setup(struct session *s, char *err, size_t len)
{
	struct opts *o = s->o;
	pid_t pid = o->pid;

	if (probes__expand_presets(o, err, len))
		return -1;
	if (o->argv) {
		pid = session__launch(o->argv, err, len);
		if (pid < 0)
			return -1;
		s->child = pid;
	} else if (kill(pid, 0) && errno == ESRCH) {
		snprintf(err, len, "pid %d: no such process", pid);
		return -1;
	}
	s->pidfd = s->child ? -1 : syscall(SYS_pidfd_open, pid, 0);
	s->attach_ns = mono_ns(); /* from the first read of the target's binary */
	{
		char exe[64];

		snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
		go__prefetch(exe);
		if (go__auto_specs(o, exe) < 0) {
			snprintf(err, len, "cannot add the automatic transaction probes (net/http, gRPC): too many probe specs");
			return -1;
		}
		node__auto_specs(o, exe);
	}
	if (tracer__open(&s->tracer, o, pid, err, len) || tracer__attach(&s->tracer, o, err, len)) {
		if (!s->child && kill(pid, 0) && errno == ESRCH)
			snprintf(err, len, "pid %d exited while weft was attaching", pid);
		return -1;
	}
	s->attach_ns = mono_ns() - s->attach_ns;
	s->st = symtab__new();
	s->sym = s->st ? symbolizer__new(pid, s->st) : NULL;
	s->model = s->st ? model_for(&s->tracer.probes, o, s->st) : NULL;
	if (!s->sym || !s->model) {
		snprintf(err, len, "out of memory or no /proc/%d/maps", pid);
		return -1;
	}
	meta_init(s);
	if (o->cmd == CMD_AGENT && !(s->ax = agent_export__new(o, err, len)))
		return -1;
	if (o->cmd == CMD_RECORD && !(s->writer = record_writer__open(o->output, &s->meta))) {
		snprintf(err, len, "%s: cannot write: %s", o->output, strerror(errno));
		return -1;
	}
	s->rb = ring_buffer__new(tracer__ringbuf_fd(&s->tracer), on_event, s, NULL);
	if (!s->rb) {
		snprintf(err, len, "ring buffer: %s", strerror(errno));
		return -1;
	}
	wait_fd_open(s);
	if (hooks_open(s)) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	/* what existed before the probes, first: the model sees it as such */
	{
		const struct weft_event *seeds;
		size_t n = go_tracer__seeds(&s->tracer, &seeds);

		for (size_t i = 0; i < n; i++)
			on_event(s, (void *)&seeds[i], sizeof(seeds[i]));
	}
	return 0;
}

/* Without transactions there are no leaks to judge: say what was found and
 * what would give them, rather than an empty report. */
static void no_txn_hint(const struct tracer *t)
{
	const char *what = t->go     ? "goroutines (a Go program without net/http)"
			   : t->node ? "async resources (a Node.js program without an HTTP server)"
				     : "threads (a native program without weft markers)";

	fprintf(stderr, "weft: no transactions to trace in %s: only %s; name the function "
		"that handles one request or job with --txn FUNC\n", t->exe, what);
}

int session__run(struct opts *o)
{
	return session__run_live(o, NULL);
}

int session__run_live(struct opts *o, const struct session_live *live)
{
	struct session s = { .o = o, .pidfd = -1, .wait_fd = -1, .live = live };
	char err[1024], line[256];
	int rc = 1;

	install_signals();
	if (setup(&s, err, sizeof(err))) {
		errline(err);
		if (s.child) {
			kill(s.child, SIGKILL);
			ptrace(PTRACE_DETACH, s.child, NULL, NULL);
			waitpid(s.child, NULL, 0);
		}
		if (o->resume)
			kill(o->pid, SIGCONT);
		session__cleanup(&s);
		return o->cmd == CMD_CHECK ? 2 : 1; /* check: weft could not trace */
	}
	{
		char go[64] = "";

		if (s.meta.go_version[0])
			snprintf(go, sizeof(go), "; %s, offsets: %s", s.meta.go_version,
				 s.meta.go_offsets);
		fprintf(stderr, "weft: attached to pid %d (%s): %d probes (%d uprobes)%s; %s\n",
			s.tracer.pid, s.tracer.exe, s.tracer.probes.nr, s.tracer.nr_uprobes, go,
			o->duration_ns ? "stops at -d or Ctrl-C" : "Ctrl-C to stop");
		if (o->verbose)
			fprintf(stderr, "weft: attach took %.1f ms (%d links)\n", s.attach_ns / 1e6,
				s.tracer.nr_links);
	}
	if (!s.tracer.probes.txns_traced && o->cmd != CMD_CHECK)
		no_txn_hint(&s.tracer);
	if (s.child)
		ptrace(PTRACE_DETACH, s.child, NULL, NULL);
	if (o->resume)
		kill(s.tracer.pid, SIGCONT);
	loop(&s);
	for (int i = 0; i < s.nr_hooks; i++)
		if (s.hooks[i].finish)
			s.hooks[i].finish(s.hooks[i].self, s.target_gone);
	drain_traps(&s);
	if (s.short_events || s.stacks_lost)
		fprintf(stderr, "weft: warning: %" PRIu64 " events shorter than their head dropped, %"
			PRIu64 " threads without their creation stack (site unknown)\n",
			s.short_events, s.stacks_lost);
	s.meta.end_ns = mono_ns();
	symbolizer__flush(s.sym);
	counters(&s);
	/* Probes off before any output: the target runs untraced from here. */
	ring_buffer__free(s.rb);
	s.rb = NULL;
	{
		uint64_t t0 = mono_ns();

		tracer__close(&s.tracer);
		if (o->verbose)
			fprintf(stderr, "weft: detach took %.1f ms\n", (mono_ns() - t0) / 1e6);
	}
	/* check: what was alive at the exit within its grace is undecided
	 * (an exit cuts cleanup short): said, not called a leak */
	model__finish(s.model, judged_until(&s.meta));
	if (s.writer) {
		if (record_writer__close(s.writer, &s.meta, s.st) || s.write_errno) {
			if (!s.write_errno)
				fprintf(stderr, "weft: %s: write failed: %s\n", o->output,
					strerror(errno));
		} else {
			fprintf(stderr, "[ weft record: %" PRIu64 " events%s, %" PRIu64
					" lost, written to %s ]\n",
				model__nr_events(s.model), profile_note(&s), s.meta.lost, o->output);
			if (report__losses(&s.meta, line, sizeof(line)))
				fprintf(stderr, "weft: warning: %s\n", line);
			rc = 0;
		}
	} else if (o->cmd == CMD_CHECK) {
		rc = check_out(&s);
	} else if (s.ax) {
		struct report r = { s.model, s.st, &s.meta, &s.tracer.probes };

		agent_export__close(s.ax, s.model, &r);
		s.ax = NULL;
		rc = 0;
	} else {
		rc = live ? 0 : report_out(&s);
	}
	if (stop_signal && o->cmd != CMD_AGENT) /* the agent says it stopped them */
		session__say_stopped(stop_signal, stop_sender);
	else if (s.target_gone)
		rc = target_fate(&s, rc);
	session__cleanup(&s);
	return rc;
}
