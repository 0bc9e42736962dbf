// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "elfsym.h"
#include "follow.h"
#include "go_attach.h"
#include "goelf.h"
#include "nodeelf.h"
#include "probes.h"
#include "session.h"
#include "weft/follow.h"
#include "follow.skel.h"
#include "guardian.h"
#include "pid_view.h"
#include "report_out.h"

/* A process being checked: its target, the forked weft checking it. */
struct checked {
	pid_t target, weft;
	int rc; /* the sub-session's exit status; -1 running */
	char label[128];
};

struct follower {
	struct opts *o;
	struct follow_bpf *skel;
	struct ring_buffer *rb;
	pid_t root;
	int root_status;
	bool root_done;
	struct checked *c;
	size_t nr, cap;
	size_t execs; /* descendant execs seen */
	pid_t *node_pids; /* Node processes started with our NODE_OPTIONS */
	size_t nr_node;
	bool closing; /* execs from here on run untraced */
	char dir[64]; /* the sub-sessions' JSON and JUnit parts */
	uint64_t lost; /* processes not followed (follow.bpf.c's follow_lost) */
	struct guardian guardian;
};

static volatile sig_atomic_t stop_signal, stop_sender;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	stop_sender = si ? si->si_pid : 0;
	stop_signal = sig;
}

/* Nothing to do: its arrival interrupts the wait (no SA_RESTART), so a
 * session or the command that ended is reaped at once, not at the timeout */
static void on_child(int sig)
{
}

static void errline(const char *msg)
{
	fprintf(stderr, "weft: %s\n", msg);
}

/* /proc/PID/cmdline's arguments, NUL-separated; the count, or -1. */
static int read_cmdline(pid_t pid, char *buf, size_t len, size_t *used)
{
	char path[64];
	ssize_t n;
	int fd, argc = 0;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	for (ssize_t i = 0; i < n; i++)
		argc += !buf[i];
	*used = n;
	return argc;
}

/* Node's test runner runs each test file in a child with this set. */
static bool node_test_file(pid_t pid, char *label, size_t llen)
{
	char path[64], buf[8192], *last = NULL;
	size_t n = 0;
	bool child = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (char *p = buf; p < buf + n; p += strlen(p) + 1)
		if (!strncmp(p, "NODE_TEST_CONTEXT=child", 23))
			child = true;
	if (!child || read_cmdline(pid, buf, sizeof(buf), &n) < 2)
		return false;
	for (char *p = buf; p < buf + n; p += strlen(p) + 1)
		last = p; /* the test file comes last */
	snprintf(label, llen, "%s", basename(last));
	return true;
}

enum checkable { NOT_CHECKED, CHECKED, CHECKED_NODE_FILE };

/* Whether pid (stopped at its exec) is a process weft check traces, and its
 * label: a Go test binary; a file Node's test runner runs; a binary holding
 * a --txn symbol or weft.h markers. */
static enum checkable checkable(const struct opts *o, pid_t pid, char *label, size_t llen)
{
	char exe[64], path[512], err[256];
	struct node_info ni;
	uint64_t v, sz, off;
	bool user_txn = false;
	ssize_t n;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	n = readlink(exe, path, sizeof(path) - 1);
	if (n <= 0)
		return NOT_CHECKED;
	path[n] = 0;
	snprintf(label, llen, "%s", basename(path));
	for (int i = 0; i < o->nr_specs; i++) {
		const struct probe_spec *s = &o->specs[i];

		if (s->role != ROLE_TXN)
			continue;
		user_txn = true;
		if (s->bin[0])
			continue; /* in a library: resolved by the session, not here */
		if (!elfsym__find(exe, s->sym, &off, err, sizeof(err)) ||
		    !goelf__func(exe, s->sym, &v, &sz, &off))
			return CHECKED;
	}
	if (!o->no_markers && elfsym__has_usdt(exe, "weft", marker_names[0]))
		return CHECKED;
	if (user_txn)
		return NOT_CHECKED;
	if (!goelf__func(exe, GO_TEST_TXN, &v, &sz, &off))
		return CHECKED;
	return nodeelf__open(exe, &ni, err, sizeof(err)) > 0 && node_test_file(pid, label, llen) ?
		       CHECKED_NODE_FILE : NOT_CHECKED;
}

/* A session of its own (forked: every adapter's state stays per process),
 * as with -p on a process stopped at its exec; it continues the process. */
static void check_process(struct follower *f, pid_t pid, const char *label, bool root,
			  bool node_file)
{
	struct opts sub = *f->o;
	static char junit[80], output[80];
	struct checked *c;
	pid_t w;

	if (f->nr == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct checked *n = realloc(f->c, cap * sizeof(*n));

		if (!n) {
			kill(pid, SIGCONT);
			return;
		}
		f->c = n;
		f->cap = cap;
	}
	sub.argv = NULL;
	sub.pid = pid;
	sub.resume = true;
	sub.node_test_file = node_file;
	sub.label = root ? NULL : label;
	if (f->o->junit) {
		snprintf(junit, sizeof(junit), "%s/%zu.xml", f->dir, f->nr);
		sub.junit = junit;
		sub.junit_suite_only = true;
	}
	if (f->o->output) {
		snprintf(output, sizeof(output), "%s/%zu.json", f->dir, f->nr);
		sub.output = output;
	}
	fflush(stdout);
	fflush(stderr);
	w = fork();
	if (w == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		_exit(session__run(&sub));
	}
	if (w < 0) {
		fprintf(stderr, "weft check: pid %d (%s): fork: %s; left untraced\n", pid, label,
			strerror(errno));
		kill(pid, SIGCONT);
		return;
	}
	c = &f->c[f->nr++];
	c->target = pid;
	c->weft = w;
	c->rc = -1;
	snprintf(c->label, sizeof(c->label), "%s", label);
}

/* --perf-basic-prof in NODE_OPTIONS: node writes /tmp/perf-PID.map, which
 * names JavaScript functions (leak sites); weft asked for it, weft removes
 * them at the end. */
static void ask_js_names(const struct opts *o)
{
	const char *prev = getenv("NODE_OPTIONS");
	char v[4096];

	if (o->no_js_names || (prev && strstr(prev, "--perf-basic-prof")))
		return;
	snprintf(v, sizeof(v), "%s%s--perf-basic-prof --interpreted-frames-native-stack",
		 prev ? prev : "", prev && *prev ? " " : "");
	setenv("NODE_OPTIONS", v, 1);
}

static void note_node(struct follower *f, pid_t pid)
{
	char exe[64], err[256];
	struct node_info ni;
	pid_t *n;

	if (f->o->no_js_names)
		return;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	if (nodeelf__open(exe, &ni, err, sizeof(err)) <= 0 ||
	    !(n = realloc(f->node_pids, (f->nr_node + 1) * sizeof(*n))))
		return;
	f->node_pids = n;
	n[f->nr_node++] = pid;
}

static void remove_perf_maps(struct follower *f)
{
	char path[64];

	for (size_t i = 0; i < f->nr_node; i++) {
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", f->node_pids[i]);
		unlink(path);
	}
	free(f->node_pids);
}

static int on_exec(void *ctx, void *data, size_t size)
{
	struct follower *f = ctx;
	const struct follow_exec *e = data;
	char label[128];
	enum checkable c;

	if (size < sizeof(*e))
		return 0;
	f->execs++;
	c = stop_signal || f->closing ? NOT_CHECKED : checkable(f->o, e->pid, label, sizeof(label));
	note_node(f, e->pid);
	if (c != NOT_CHECKED)
		check_process(f, e->pid, label, false, c == CHECKED_NODE_FILE);
	else
		kill(e->pid, SIGCONT);
	return 0;
}

static void exited(struct follower *f, pid_t p, int status)
{
	if (p == f->guardian.pid)
		return; /* its own stop reaps it */
	if (p == f->root) {
		f->root_done = true;
		f->root_status = status;
		return;
	}
	for (size_t i = 0; i < f->nr; i++)
		if (f->c[i].weft == p) {
			f->c[i].rc = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
			kill(f->c[i].target, SIGCONT); /* a session that died early */
		}
}

/* false when there is no child left to wait for */
static bool reap(struct follower *f, bool block)
{
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, block ? 0 : WNOHANG)) > 0) {
		exited(f, p, status);
		if (block)
			return true;
	}
	return p == 0 || errno != ECHILD;
}

static bool sessions_done(const struct follower *f)
{
	for (size_t i = 0; i < f->nr; i++)
		if (f->c[i].rc < 0)
			return false;
	return true;
}

static int open_follow(struct follower *f, char *err, size_t len)
{
	struct pid_view view;
	__u32 root;
	__u8 one = 1;

	if (pid_view__resolve(f->root, &view, err, len))
		return -1;
	root = view.kernel_tgid;
	f->skel = follow_bpf__open();
	if (f->skel) {
		f->skel->rodata->view_level = view.level;
		f->skel->rodata->view_ns_ino = view.ns_ino;
		if (follow_bpf__load(f->skel)) {
			follow_bpf__destroy(f->skel);
			f->skel = NULL;
		}
	}
	if (!f->skel) {
		snprintf(err, len, "failed to load the BPF program that follows the command's "
			 "processes: %s; run as root", strerror(errno));
		return -1;
	}
	if (bpf_map__update_elem(f->skel->maps.followed, &root, sizeof(root), &one, sizeof(one),
				 BPF_ANY) ||
	    follow_bpf__attach(f->skel)) {
		snprintf(err, len, "cannot follow the command's processes: %s", strerror(errno));
		return -1;
	}
	f->rb = ring_buffer__new(bpf_map__fd(f->skel->maps.execs), on_exec, f, NULL);
	if (!f->rb) {
		snprintf(err, len, "ring buffer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* open_follow in a thread, while the command's binary is read */
struct follow_opening {
	struct follower *f;
	pthread_t thread;
	bool started;
	int rc;
	char err[512];
};

static void *open_follow_run(void *arg)
{
	struct follow_opening *fo = arg;

	fo->rc = open_follow(fo->f, fo->err, sizeof(fo->err));
	return NULL;
}

/* 0: started; else open_follow is to be called here */
static int open_follow_start(struct follower *f, struct follow_opening *fo)
{
	fo->started = !pthread_create(&fo->thread, NULL, open_follow_run, fo);
	return !fo->started;
}

static int open_follow_wait(struct follow_opening *fo)
{
	pthread_join(fo->thread, NULL);
	fo->started = false;
	return fo->rc;
}

/* Stops following; an exec stopped meanwhile is continued, never left. */
static void close_follow(struct follower *f)
{
	if (!f->skel)
		return;
	follow_bpf__detach(f->skel);
	f->lost = f->skel->bss->follow_lost;
	f->closing = true;
	if (f->rb)
		ring_buffer__consume(f->rb);
	ring_buffer__free(f->rb);
	f->rb = NULL;
	follow_bpf__destroy(f->skel);
	f->skel = NULL;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);

			if (!nb)
				break;
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}

/* One <testsuites> of every process's <testsuite>. */
static int merge_junit(const struct follower *f)
{
	FILE *out = fopen(f->o->junit, "we");
	unsigned long tests = 0, failures = 0;
	char path[96];

	if (!out) {
		fprintf(stderr, "weft: %s: %s\n", f->o->junit, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < f->nr; i++) {
		size_t n;
		char *s, *a;
		unsigned long t = 0, fl = 0;

		snprintf(path, sizeof(path), "%s/%zu.xml", f->dir, i);
		s = slurp(path, &n);
		if (s && (a = strstr(s, "\" tests=\"")) && sscanf(a, "\" tests=\"%lu\" failures=\"%lu\"",
								   &t, &fl) == 2) {
			tests += t;
			failures += fl;
		}
		free(s);
	}
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"weft check\" "
		     "tests=\"%lu\" failures=\"%lu\">\n", tests, failures);
	for (size_t i = 0; i < f->nr; i++) {
		size_t n;
		char *s;

		snprintf(path, sizeof(path), "%s/%zu.xml", f->dir, i);
		if ((s = slurp(path, &n)))
			fwrite(s, 1, n, out);
		free(s);
	}
	fputs("</testsuites>\n", out);
	return out_close(out, f->o->junit);
}

/* One process: its report as weft report gives it; more: {"processes": [...]}. */
static int merge_json(const struct follower *f)
{
	FILE *out = fopen(f->o->output, "we");
	char path[96];
	size_t parts = 0;

	if (!out) {
		fprintf(stderr, "weft: %s: %s\n", f->o->output, strerror(errno));
		return -1;
	}
	if (f->nr != 1)
		fputs("{\"processes\": [", out);
	for (size_t i = 0; i < f->nr; i++) {
		size_t n;
		char *s;

		snprintf(path, sizeof(path), "%s/%zu.json", f->dir, i);
		if (!(s = slurp(path, &n)))
			continue;
		if (parts++)
			fputs(",\n", out);
		fwrite(s, 1, n, out);
		free(s);
	}
	if (f->nr != 1)
		fputs("]}\n", out);
	return out_close(out, f->o->output);
}

static void remove_parts(const struct follower *f)
{
	char path[96];

	for (size_t i = 0; i < f->nr; i++) {
		snprintf(path, sizeof(path), "%s/%zu.xml", f->dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%zu.json", f->dir, i);
		unlink(path);
	}
	rmdir(f->dir);
}

/* 1 leaks; 2 a process weft could not trace (said by its session) or none
 * to check; else the command's own failure; else 0. */
static int verdict(const struct follower *f)
{
	bool leaks = false, failed = false;
	int rs = f->root_status;

	for (size_t i = 0; i < f->nr; i++) {
		leaks |= f->c[i].rc == 1;
		failed |= f->c[i].rc >= 2;
	}
	if (f->nr > 1 || (f->nr == 1 && f->c[0].target != f->root))
		fprintf(stderr, "weft check: %s: %zu test process%s checked, of %zu exec%s the "
			"command made\n", leaks ? "FAIL" : failed ? "incomplete" : "ok", f->nr,
			f->nr == 1 ? "" : "es", f->execs, f->execs == 1 ? "" : "s");
	if (leaks)
		return 1;
	if (f->lost) {
		fprintf(stderr, "weft check: %llu process%s the command started could not be followed "
			"(the follower's map or ring buffer was full): they ran unchecked\n", (unsigned long long)f->lost,
			f->lost == 1 ? "" : "es");
		return 2;
	}
	if (failed)
		return 2;
	if (f->root_done && WIFEXITED(rs) && WEXITSTATUS(rs)) {
		if (!f->nr)
			fprintf(stderr, "weft check: no test process ran\n");
		fprintf(stderr, "weft check: no leak; the command itself failed (exit %d)\n",
			WEXITSTATUS(rs));
		return WEXITSTATUS(rs);
	}
	if (f->root_done && WIFSIGNALED(rs)) {
		fprintf(stderr, "weft check: no leak; the command was killed by signal %d\n",
			WTERMSIG(rs));
		return 128 + WTERMSIG(rs);
	}
	if (!f->nr && !stop_signal) {
		fprintf(stderr, "weft check: nothing checked: no process the command ran was a Go "
			"test binary, a Node test file, or held --txn's symbol or weft.h markers "
			"(go test does not rerun cached results: add -count=1)\n");
		return 2;
	}
	return 0;
}

int follow__check(struct opts *o)
{
	struct follower f = { .o = o };
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	char err[1024], label[128];
	bool forwarded = false, failed_out;
	struct follow_opening fo = { .f = &f };
	enum checkable c = NOT_CHECKED;
	int rc, follow_failed = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = 0;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	snprintf(f.dir, sizeof(f.dir), "/tmp/weft-check.XXXXXX");
	if ((o->junit || o->output) && !mkdtemp(f.dir)) {
		fprintf(stderr, "weft: %s: %s\n", f.dir, strerror(errno));
		return 2;
	}
	ask_js_names(o);
	f.root = session__launch(o->argv, err, sizeof(err));
	if (f.root >= 0 && open_follow_start(&f, &fo))
		follow_failed = open_follow(&f, err, sizeof(err));
	if (f.root >= 0) {
		/* beside the follow object's load: is the command itself a
		 * test process (stopped the same way)? */
		note_node(&f, f.root);
		c = checkable(o, f.root, label, sizeof(label));
		if (fo.started && (follow_failed = open_follow_wait(&fo)))
			snprintf(err, sizeof(err), "%s", fo.err);
	}
	/* from here, a weft that dies leaves no process stopped */
	if (f.root >= 0 && !follow_failed && guardian__start(&f.guardian, f.root))
		fprintf(stderr, "weft check: no guardian (%s): if weft dies, processes it stopped "
			"stay stopped\n", strerror(errno));
	if (f.root < 0 || follow_failed) {
		errline(err);
		if (f.root > 0) {
			kill(f.root, SIGKILL);
			ptrace(PTRACE_DETACH, f.root, NULL, NULL);
			waitpid(f.root, NULL, 0);
		}
		close_follow(&f);
		rmdir(f.dir);
		return 2;
	}
	if (c != NOT_CHECKED) {
		ptrace(PTRACE_DETACH, f.root, NULL, (void *)(long)SIGSTOP);
		check_process(&f, f.root, label, true, c == CHECKED_NODE_FILE);
	} else {
		ptrace(PTRACE_DETACH, f.root, NULL, NULL);
	}
	while (!(f.root_done && sessions_done(&f))) {
		int n = f.rb ? ring_buffer__poll(f.rb, 100) : (usleep(100000), 0);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "weft: ring buffer: %s\n", strerror(-n));
			break;
		}
		reap(&f, false);
		if (stop_signal && !forwarded) {
			/* each session stops, detaches and says what it saw */
			for (size_t i = 0; i < f.nr; i++)
				if (f.c[i].rc < 0)
					kill(f.c[i].weft, SIGTERM);
			forwarded = true;
			close_follow(&f);
		}
		if (stop_signal && sessions_done(&f))
			break;
	}
	close_follow(&f);
	while (!sessions_done(&f) && reap(&f, true))
		;
	/* CI reads the verdict in these: one not written is no verdict (2) */
	failed_out = o->junit && merge_junit(&f);
	failed_out |= o->output && merge_json(&f);
	remove_parts(&f);
	remove_perf_maps(&f);
	guardian__stop(&f.guardian); /* nothing stopped is left: it goes quietly */
	rc = failed_out ? 2 : verdict(&f);
	if (stop_signal)
		session__say_stopped(stop_signal, stop_sender);
	free(f.c);
	return rc;
}
