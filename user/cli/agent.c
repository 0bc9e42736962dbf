// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft agent: finds the processes it is asked to follow (-p, --exe,
 * --cgroup) as they exec (a BPF program on sched_process_exec) and by
 * reading /proc every 2 s, and traces each in a process of its own (a
 * fork running the session, which exports as it goes: agent_export.c). A
 * target that cannot be traced costs one line; a restart is a new process,
 * so a new target. The forks die with the agent (PR_SET_PDEATHSIG), and
 * their probes with them.
 *
 * An exec of an --exe program is held (stopped by the BPF program before its
 * first instruction): its tracer continues it once attached, as weft check
 * does with what it follows (opts.resume). Never left stopped: the agent
 * continues it at once when it will not follow it (not selected after all,
 * no fork, the agent stopping), when its tracer ends before (killed,
 * crashed), and if it is still stopped HOLD_MAX_MS after its exec. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "agent_watch.skel.h"
#include "caps.h"
#include "clock.h"
#include "otlp_http.h"
#include "pid_view.h"
#include "proc_stat.h"
#include "session.h"
#include "weft/agent_watch.h"

#define SCAN_EVERY_MS 2000	/* /proc read whole; 200 without exec events */
#define WAKE_MS 200		/* the forks reaped, the exec'd looked at */
#define STOP_WAIT_MS 10000 /* a fork flushes each queue for up to 3 s */
#define HOLD_MAX_MS 10000 /* a target held at its exec: its tracer is stuck */

_Static_assert(AGENT_WATCH_MAX >= MAX_FOLLOW, "agent_watch.bpf.c holds every --exe and --cgroup");

/* A process instance: a pid and its start time (pids are reused) */
struct target {
	pid_t pid, tracer; /* tracer: our fork, 0 once it ended */
	unsigned long long start;
	uint64_t exe;	   /* its executable's path, hashed: an exec is a new target */
	bool gone;	   /* not in /proc at the last scan */
	bool again;	   /* exec'd: traced anew once its tracer has stopped */
	/* held at its exec, for its tracer to continue: until seen stopped
	 * then running (or HOLD_MAX_MS), the agent continues it if need be */
	bool held, seen_stopped;
	uint64_t held_ns;
};

struct agent {
	struct opts *o;
	struct target *t;
	size_t nr, cap;
	char self_exe[PATH_MAX];
	unsigned followed, failed;
	/* exec events: the pids to look at now */
	struct agent_watch_bpf *skel;
	struct ring_buffer *rb;
	struct agent_exec execd[256];
	size_t nr_execd;
};

static volatile sig_atomic_t stop_sig;
static pid_t early_held; /* a tracer's target, held, until its session's handlers */

static void on_stop(int sig)
{
	stop_sig = sig;
}

/* A tracer stopped before its session began: what it held runs on */
static void on_stop_early(int sig)
{
	if (early_held > 0)
		kill(early_held, SIGCONT);
	_exit(128 + sig);
}

/* Its stop, from the BPF side, pending or taken (or it is gone) */
static bool stop_sent(pid_t pid)
{
	char path[64], line[128];
	unsigned long long mask;
	bool sent = true;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (!(f = fopen(path, "re")))
		return true;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "State:", 6)) {
			sent = strchr(line, 'T') != NULL;
		} else if ((!strncmp(line, "ShdPnd:", 7) || !strncmp(line, "SigPnd:", 7)) &&
			   sscanf(line + 7, "%llx", &mask) == 1 && (mask >> (SIGSTOP - 1) & 1)) {
			sent = true;
			break;
		}
	}
	fclose(f);
	return sent;
}

/* Continues a process held at its exec that no tracer will. The SIGSTOP
 * leaves the BPF program by irq_work (the tracepoint runs with preemption
 * off): a SIGCONT before it is queued would not undo it, so it waits for
 * it, up to 50 ms (it is queued before the event is seen, as a rule). */
static void resume(pid_t pid)
{
	struct timespec ms = { 0, 1000000L };

	for (int i = 0; i < 50 && !stop_sent(pid); i++)
		nanosleep(&ms, NULL);
	kill(pid, SIGCONT);
}

/* Its start time, and its state if asked (0: gone) */
static unsigned long long start_time(pid_t pid, char *state)
{
	char path[64], buf[1024];
	const char *p;
	unsigned long long st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	p = proc_stat__fields(path, buf, sizeof(buf));
	/* from the state (field 3) to the start time (field 22) */
	if (p && sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			"%*d %*d %*d %llu", &st) != 1)
		st = 0;
	if (state)
		*state = p ? *p : 0;
	return st;
}

static bool exe_of(pid_t pid, char *exe, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, len - 1);
	if (n <= 0)
		return false; /* a kernel thread, a zombie, or gone */
	exe[n] = 0;
	if (n > 10 && !strcmp(exe + n - 10, " (deleted)"))
		exe[n - 10] = 0; /* replaced on disk while it runs: still itself */
	return true;
}

static bool under(const char *cg, const char *sel, size_t n)
{
	if (n == 1 && *sel == '/')
		return true;
	return !strncmp(cg, sel, n) && (cg[n] == 0 || cg[n] == '/');
}

/* A cgroup path as /proc/PID/cgroup shows it: sel, less the mount
 * (/sys/fs/cgroup, and on a hybrid host the hierarchy's own directory,
 * /sys/fs/cgroup/unified or /sys/fs/cgroup/memory) */
static const char *cgroup_path(const char *sel)
{
	char probe[PATH_MAX];
	const char *rest, *next;

	if (strncmp(sel, "/sys/fs/cgroup/", 15))
		return sel;
	rest = sel + 14;
	if (!access("/sys/fs/cgroup/cgroup.procs", F_OK))
		return rest; /* v2 alone, mounted there */
	next = strchr(rest + 1, '/');
	snprintf(probe, sizeof(probe), "/sys/fs/cgroup/%.*s/cgroup.procs",
		 (int)(next ? next - rest - 1 : (ptrdiff_t)strlen(rest + 1)), rest + 1);
	return access(probe, F_OK) ? rest : next ? next : "/";
}

/* In sel or below it, in any hierarchy (v2, or a v1 controller's on a
 * hybrid host, where container runtimes place processes) */
static bool in_cgroup(pid_t pid, const char *sel)
{
	char path[64], line[4096];
	size_t n;
	bool in = false;
	FILE *f;

	sel = cgroup_path(sel);
	n = strlen(sel);
	while (n > 1 && sel[n - 1] == '/')
		n--;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (!in && fgets(line, sizeof(line), f)) {
		char *cg = strchr(line, ':');

		if (!cg || !(cg = strchr(cg + 1, ':')))
			continue;
		cg++;
		cg[strcspn(cg, "\n")] = 0;
		in = under(cg, sel, n);
	}
	fclose(f);
	return in;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ULL;
	return h;
}

/* -p, or (--exe, if any) and (--cgroup, if any): "these programs, in
 * these containers" */
static bool selected(const struct agent *a, pid_t pid, const char *exe)
{
	const char *base = strrchr(exe, '/');
	bool by_exe = !a->o->nr_exes, by_cgroup = !a->o->nr_cgroups;

	base = base ? base + 1 : exe;
	if (a->o->pid == pid)
		return true;
	if (by_exe && by_cgroup)
		return false; /* -p only */
	for (int i = 0; i < a->o->nr_exes && !by_exe; i++) {
		const char *want = a->o->exes[i];

		by_exe = strchr(want, '/') ? !strcmp(want, exe) : !strcmp(want, base);
	}
	for (int i = 0; by_exe && i < a->o->nr_cgroups && !by_cgroup; i++)
		by_cgroup = in_cgroup(pid, a->o->cgroups[i]);
	return by_exe && by_cgroup;
}

static struct target *find(struct agent *a, pid_t pid)
{
	for (size_t i = 0; i < a->nr; i++)
		if (a->t[i].pid == pid)
			return &a->t[i];
	return NULL;
}

static bool ours(const struct agent *a, pid_t pid)
{
	for (size_t i = 0; i < a->nr; i++)
		if (a->t[i].tracer == pid)
			return true;
	return pid == getpid();
}

/* A tracer for pid; held: stopped at its exec, for the tracer to continue
 * once attached. false: none (the caller continues what was held) */
static bool follow(struct agent *a, pid_t pid, unsigned long long start, const char *exe,
		   bool held)
{
	sigset_t stops, was;
	struct target *t;
	pid_t child;

	if (a->nr == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct target *n = realloc(a->t, cap * sizeof(*n));

		if (!n)
			return false;
		a->t = n;
		a->cap = cap;
	}
	fflush(NULL);
	/* a stop asked of the fork before its handlers are set waits for them */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGHUP);
	sigprocmask(SIG_BLOCK, &stops, &was);
	child = fork();
	if (!child) {
		pid_t parent = getppid();

		early_held = held ? pid : 0;
		signal(SIGINT, on_stop_early);
		signal(SIGTERM, on_stop_early);
		signal(SIGHUP, on_stop_early);
		sigprocmask(SIG_SETMASK, &was, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			on_stop_early(SIGTERM); /* the agent died before we were set */
		a->o->pid = pid;
		a->o->resume = held; /* the session continues it, attached or not */
		_exit(session__run(a->o));
	}
	sigprocmask(SIG_SETMASK, &was, NULL);
	if (child < 0) {
		fprintf(stderr, "weft agent: pid %d: cannot fork: %s; not followed\n", pid,
			strerror(errno));
		return false;
	}
	t = &a->t[a->nr++];
	*t = (struct target){ .pid = pid, .tracer = child, .start = start, .exe = hash_str(exe),
			      .held = held, .held_ns = mono_ns() };
	a->followed++;
	return true;
}

/* Forgets processes gone (and not being traced): their pid may come back */
static void forget_gone(struct agent *a)
{
	size_t k = 0;

	for (size_t i = 0; i < a->nr; i++)
		if (!a->t[i].gone || a->t[i].tracer)
			a->t[k++] = a->t[i];
	a->nr = k;
}

/* One process: followed if selected and not yet (or exec'd since). held:
 * stopped at its exec; true: a tracer of its own now continues it, false:
 * the caller must. */
static bool consider(struct agent *a, pid_t pid, bool held)
{
	char exe[PATH_MAX];
	unsigned long long start;
	struct target *t;

	if (pid <= 0 || ours(a, pid))
		return false;
	start = start_time(pid, NULL);
	t = find(a, pid);
	if (!exe_of(pid, exe, sizeof(exe)))
		return false;
	if (t && t->start == start) {
		t->gone = false;
		/* held too: a scan found it first (its tracer will not continue
		 * it), or it exec'd itself again */
		if (t->exe == hash_str(exe) && !t->again)
			return false;
		/* it exec'd (a wrapper script became the server): what its
		 * tracer attached to is gone; traced anew once stopped (and not
		 * held meanwhile: the old tracer may take seconds to flush) */
		if (t->tracer) {
			if (!t->again) {
				fprintf(stderr, "weft agent: pid %d exec'd %s: traced anew\n",
					t->pid, exe);
				kill(t->tracer, SIGTERM);
			}
			t->again = true;
			return false;
		}
		t->pid = 0;
	} else if (t) {
		t->pid = 0; /* the pid came back as another process */
	}
	if (!strcmp(exe, a->self_exe) || !selected(a, pid, exe))
		return false;
	return follow(a, pid, start, exe, held);
}

/* A held target its tracer may not have continued: continued if it is
 * still that process, stopped */
static void release(struct target *t, const char *why)
{
	char state;

	t->held = false;
	if (start_time(t->pid, &state) != t->start || state != 'T')
		return;
	fprintf(stderr, "weft agent: pid %d: %s; continued\n", t->pid, why);
	kill(t->pid, SIGCONT);
}

/* Held targets: seen stopped, then running (its tracer continued it), they
 * are no longer ours to continue; one stopped too long is */
static void watch_held(struct agent *a)
{
	for (size_t i = 0; i < a->nr; i++) {
		struct target *t = &a->t[i];
		char state;

		if (!t->held)
			continue;
		if (mono_ns() - t->held_ns >= HOLD_MAX_MS * 1000000ULL) {
			release(t, "still stopped at its exec (its tracer is slow)");
			continue;
		}
		if (start_time(t->pid, &state) != t->start)
			t->held = false; /* gone */
		else if (state == 'T' || stop_sent(t->pid))
			t->seen_stopped = true;
		else if (t->seen_stopped)
			t->held = false;
	}
}

static void scan(struct agent *a)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	for (size_t i = 0; i < a->nr; i++)
		a->t[i].gone = true;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (!*end)
			consider(a, (pid_t)pid, false);
	}
	closedir(d);
	forget_gone(a);
}

/* Kept until the loop looks at them; full, the rest wait in the ring */
static int on_exec(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;
	const size_t max = sizeof(a->execd) / sizeof(a->execd[0]);

	if (size >= sizeof(struct agent_exec) && a->nr_execd < max)
		a->execd[a->nr_execd++] = *(const struct agent_exec *)data;
	return a->nr_execd < max ? 0 : -1;
}

/* The cgroup v2 directory of a --cgroup path (as given, or as
 * /proc/PID/cgroup shows it, under cgroup2's mount); -1: none, or v1 */
static int cgroup_fd(const char *sel)
{
	static const char *const mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	char path[PATH_MAX];
	struct statfs sf;
	int fd = -1;

	for (size_t i = 0; fd < 0 && i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		if (!strncmp(sel, "/sys/fs/cgroup/", 15))
			snprintf(path, sizeof(path), "%s", sel);
		else if (statfs(mounts[i], &sf) || sf.f_type != CGROUP2_SUPER_MAGIC)
			continue;
		else
			snprintf(path, sizeof(path), "%s%s", mounts[i], sel);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && (fstatfs(fd, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC)) {
			close(fd);
			fd = -1;
		}
	}
	return fd;
}

/* The --exe names (their last component's hash, as hash_str) for the BPF
 * side to hold those programs' execs; with --cgroup, in those cgroups that
 * are v2 only (none: nothing is held) */
static void watch_holds(struct agent *a)
{
	struct agent_watch_bpf__rodata *ro = a->skel->rodata;

	for (int i = 0; i < a->o->nr_exes; i++) {
		const char *base = strrchr(a->o->exes[i], '/');

		ro->exe_hash[ro->nr_exe_hash++] = hash_str(base ? base + 1 : a->o->exes[i]);
	}
	ro->by_cgroup = a->o->nr_cgroups > 0;
}

/* Filled between load and attach: an empty slot holds nothing */
static void watch_cgroups(struct agent *a)
{
	int map = bpf_map__fd(a->skel->maps.cgroups);
	__u32 n = 0;

	for (int i = 0; i < a->o->nr_cgroups; i++) {
		int fd = cgroup_fd(a->o->cgroups[i]);

		if (fd < 0)
			continue; /* its processes are found by their exec, not held */
		if (!bpf_map_update_elem(map, &n, &fd, BPF_ANY))
			n++;
		close(fd);
	}
}

/* Exec events, if BPF lets us; else /proc alone, more often */
static void watch_open(struct agent *a)
{
	struct pid_view v;
	char err[256];
	int bad;

	if (pid_view__resolve(getpid(), &v, err, sizeof(err)) || !(a->skel = agent_watch_bpf__open()))
		return;
	a->skel->rodata->view_level = v.level;
	a->skel->rodata->view_ns_ino = v.ns_ino;
	watch_holds(a);
	bad = agent_watch_bpf__load(a->skel);
	if (!bad) {
		watch_cgroups(a);
		bad = agent_watch_bpf__attach(a->skel);
	}
	if (bad || !(a->rb = ring_buffer__new(bpf_map__fd(a->skel->maps.execs), on_exec, a, NULL))) {
		fprintf(stderr, "weft agent: no exec events (sched_process_exec): /proc is read "
			"every %d ms instead\n", WAKE_MS);
		agent_watch_bpf__destroy(a->skel);
		a->skel = NULL;
	}
}

/* A tracer ended: one that exited continued what it held (its session
 * does, attached or not); one killed may not have */
static void ended(struct agent *a, pid_t c, int st)
{
	for (size_t i = 0; i < a->nr; i++) {
		struct target *t = &a->t[i];

		if (t->tracer != c)
			continue;
		t->tracer = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			a->failed++;
		if (t->held && WIFSIGNALED(st))
			release(t, "its tracer ended before continuing it");
		t->held = false;
	}
}

static void reap(struct agent *a)
{
	int st;
	pid_t c;

	while ((c = waitpid(-1, &st, WNOHANG)) > 0)
		ended(a, c, st);
}

/* The exec events not yet looked at, once no more can come: none is
 * followed, each held is continued */
static void drain_execs(struct agent *a)
{
	struct timespec nap = { 0, 20 * 1000000L };
	int n;

	if (!a->rb)
		return;
	agent_watch_bpf__detach(a->skel);
	nanosleep(&nap, NULL); /* a run under way as it was detached submits still */
	do {
		a->nr_execd = 0;
		n = ring_buffer__consume(a->rb);
		for (size_t i = 0; i < a->nr_execd; i++)
			if (a->execd[i].stopped)
				resume(a->execd[i].pid);
	} while (n != 0);
}

static size_t tracing(const struct agent *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->nr; i++)
		n += a->t[i].tracer != 0;
	return n;
}

static void stop_all(struct agent *a)
{
	struct timespec nap = { 0, 20 * 1000000L };
	int st;
	pid_t c;

	for (size_t i = 0; i < a->nr; i++)
		if (a->t[i].tracer)
			kill(a->t[i].tracer, SIGTERM);
	for (int ms = 0; tracing(a) && ms < STOP_WAIT_MS; ms += 20) {
		nanosleep(&nap, NULL);
		reap(a);
	}
	for (size_t i = 0; i < a->nr; i++)
		if (a->t[i].tracer) {
			fprintf(stderr, "weft agent: the tracer of pid %d did not stop; killed\n",
				a->t[i].pid);
			kill(a->t[i].tracer, SIGKILL);
		}
	while ((c = waitpid(-1, &st, 0)) > 0)
		ended(a, c, st);
}

static void say_what(const struct agent *a, const char *url, bool grpc)
{
	char buf[2048];
	size_t n = 0;

	if (a->o->pid)
		n += snprintf(buf + n, sizeof(buf) - n, " pid %d", a->o->pid);
	for (int i = 0; i < a->o->nr_exes && n < sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - n, " exe %s", a->o->exes[i]);
	for (int i = 0; i < a->o->nr_cgroups && n < sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - n, " cgroup %s", a->o->cgroups[i]);
	if ((a->o->sample_hz || a->o->off_cpu) && n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n, "; profiles every %llus%s%s",
			      (unsigned long long)(a->o->profile_every_ns / 1000000000ULL),
			      a->o->pprof_dir ? ", also as pprof files in " : "",
			      a->o->pprof_dir ? a->o->pprof_dir : "");
	fprintf(stderr, "weft agent: following%s; exporting to %s (%s); Ctrl-C to stop\n", buf, url,
		grpc ? "OTLP/gRPC" : "OTLP/HTTP");
}

int agent__run(struct opts *o)
{
	struct agent a = { .o = o };
	struct sigaction sa = { .sa_handler = on_stop };
	struct timespec nap = { 0, WAKE_MS * 1000000L };
	char url[512], err[512];
	struct stat st;
	bool grpc;
	ssize_t n;

	if (otlp_http__url(o->otlp, o->otlp_protocol, "metrics", url, sizeof(url), &grpc, err,
			   sizeof(err)) ||
	    otlp_http__url(o->otlp, o->otlp_protocol, "traces", url, sizeof(url), &grpc, err,
			   sizeof(err))) {
		fprintf(stderr, "weft: %s\n", err);
		return 2;
	}
	/* here, not once per target: each tracer would say it again */
	if (o->pprof_dir && ((mkdir(o->pprof_dir, 0755) && errno != EEXIST) ||
			     stat(o->pprof_dir, &st) || (!S_ISDIR(st.st_mode) && (errno = ENOTDIR)) ||
			     access(o->pprof_dir, W_OK | X_OK))) {
		fprintf(stderr, "weft: --pprof-dir %s: %s; give a directory the agent can write\n",
			o->pprof_dir, strerror(errno));
		return 2;
	}
	if (caps__missing(WCAP_AGENT)) {
		fprintf(stderr, "weft: agent: missing %s; run it as root, or with CAP_BPF, "
			"CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH and CAP_KILL\n",
			caps__names(caps__missing(WCAP_AGENT), err, sizeof(err)));
		return 2;
	}
	if (o->pid && kill(o->pid, 0) && errno == ESRCH && !o->nr_exes && !o->nr_cgroups) {
		fprintf(stderr, "weft: pid %d: no such process\n", o->pid);
		return 2;
	}
	n = readlink("/proc/self/exe", a.self_exe, sizeof(a.self_exe) - 1);
	a.self_exe[n > 0 ? n : 0] = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	watch_open(&a);
	say_what(&a, url, grpc);
	for (uint64_t last = 0; !stop_sig;) {
		reap(&a);
		if (mono_ns() - last >= (a.rb ? SCAN_EVERY_MS : WAKE_MS) * 1000000ULL) {
			scan(&a);
			last = mono_ns();
		}
		/* only pids asked for, all gone: nothing more can come */
		if (!o->nr_exes && !o->nr_cgroups && a.followed && !tracing(&a))
			break;
		if (!a.rb) {
			nanosleep(&nap, NULL);
			continue;
		}
		a.nr_execd = 0;
		ring_buffer__poll(a.rb, WAKE_MS);
		for (size_t i = 0; i < a.nr_execd; i++) {
			const struct agent_exec *e = &a.execd[i];

			/* held, not followed after all: it runs on at once */
			if ((stop_sig || !consider(&a, e->pid, e->stopped)) && e->stopped)
				resume(e->pid);
		}
		watch_held(&a);
	}
	drain_execs(&a);
	ring_buffer__free(a.rb);
	agent_watch_bpf__destroy(a.skel);
	stop_all(&a);
	fprintf(stderr, "weft agent: %s; %u processes followed, %u could not be traced\n",
		stop_sig ? "stopped" : "every target gone", a.followed, a.failed);
	free(a.t);
	return 0;
}
