// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "opts.h"
#include "probes.h"

static const struct opts defaults = {
	.format = FMT_TEXT,
	.leak_grace_ns = 500000000ULL,
	.max_threads = 16384,
	.max_tasks = 65536,
	.ringbuf_mb = 8,
	.keep_txns = 10000,
	.otlp_queue_bytes = 32u << 20,
	.profile_every_ns = 60000000000ULL,
};

void opts__usage(FILE *f)
{
	fputs("usage: weft trace  [OPTIONS] (-p PID | -- CMD [ARGS...])\n"
	      "       weft check  [OPTIONS] [--allow SITE<=DUR] [--junit FILE] -- CMD [ARGS...]\n"
	      "       weft record [OPTIONS] -o FILE (-p PID | -- CMD [ARGS...])\n"
	      "       weft report FILE [--format text|json|folded|pprof|perfetto] [--txn NAME] [--off-cpu]\n"
	      "                   [--leak-grace DUR] [--name-by path|pattern]\n"
	      "       weft goroutines -p PID [--format text|json] [-v]\n"
	      "       weft top -p PID [CAPTURE OPTIONS]\n"
	      "       weft agent [--otlp URL] (-p PID | --exe NAME|PATH | --cgroup PATH)...\n"
	      "                  [-F HZ] [--off-cpu] [--pprof-dir DIR] [CAPTURE OPTIONS]\n"
	      "\n"
	      "Traces async context in a running process: which threads and queued tasks\n"
	      "belong to which transaction, and which outlive it (leaks).\n"
	      "check: a test suite's leaks, exit 1 when a test leaked (a line per site),\n"
	      "0 when clean; a Go test binary's tests are its transactions, a file Node's\n"
	      "test runner runs is one; CMD's processes are followed (go test ./...).\n"
	      "top: a live view, refreshed every second: transactions per name (rate,\n"
	      "p50/p99, live, leaked), live continuations per creation site and their growth\n"
	      "per minute (GROWING: a leak in progress); keys q s t c h.\n"
	      "goroutines: a Go process's goroutines by creation site, read from outside\n"
	      "(no probe, no signal, no pause); -v adds the tree by parent (Go 1.21+).\n"
	      "agent: runs until stopped, following every process it selects as it starts\n"
	      "(a restart is a new target) and exporting each transaction, once judged, as\n"
	      "OpenTelemetry spans, with metrics, to a collector (OTLP over HTTP or gRPC).\n"
	      "\n"
	      "Target:\n"
	      "  -p, --pid PID            attach to a running process\n"
	      "  -- CMD ARGS              start CMD, held until every probe is attached\n"
	      "Capture:\n"
	      "  -d, --duration SECONDS   stop after this long (default: target exit or ^C)\n"
	      "  --txn [BIN:]SYM          a transaction from SYM's entry to its return\n"
	      "  --task-create SPEC       a task object is created here (entry)\n"
	      "  --task-begin SPEC        the task starts running on this thread (entry)\n"
	      "  --task-end SPEC          the task's run ends and the task is finished (entry)\n"
	      "  --task-run SPEC          the task runs from entry to return, may run again\n"
	      "  --task-done SPEC         the task's last run: entry to return, then it ends\n"
	      "                           SPEC = [BIN:]SYM:argN[+-OFF], N in 0..5\n"
	      "  --preset libuv           libuv thread-pool work requests as tasks\n"
	      "  --no-markers             ignore weft.h USDT markers in the target\n"
	      "  --no-wire                no TCP hooks: a request the target makes to itself\n"
	      "                           is not seen as a conflation\n"
	      "  --go-lean                Go: no exit probe (1 trap per goroutine); liveness is\n"
	      "                           read from the process at txn end + grace and at the end\n"
	      "  --max-threads N          BPF thread map entries (default 16384)\n"
	      "  --max-tasks N            BPF task map entries (default 65536)\n"
	      "  --ringbuf-mb N           ring buffer size, power of two (default 8)\n"
	      "  -F, --freq HZ            on-CPU samples, HZ per second of each CPU (1..10000),\n"
	      "                           each tagged with its thread's transaction (off by default)\n"
	      "  --off-cpu                time blocked while working for a transaction, with the\n"
	      "                           blocking stack (spans of 100us and more)\n"
	      "Output:\n"
	      "  -o, --output FILE        record: the record file; trace/report: write here\n"
	      "  --format text|json|folded  report format (default text); folded: a line per\n"
	      "                           stack, transaction name as the root frame (on-CPU\n"
	      "                           samples; off-CPU microseconds with --off-cpu)\n"
	      "  --format perfetto        Chrome trace-event JSON: Perfetto UI, chrome://tracing\n"
	      "  --format otlp -o FILE    OpenTelemetry traces (OTLP protobuf): a span per\n"
	      "                           transaction and per continuation, leaks as events;\n"
	      "                           POST it to a collector's /v1/traces\n"
	      "  --format pprof -o FILE   the samples as gzipped profile.proto (go tool pprof):\n"
	      "                           samples, cpu and offcpu values; labels txn, txn_id\n"
	      "  --txn NAME               report --format folded: that transaction name only\n"
	      "  --leak-grace DUR         alive this long after its transaction: a leak (500ms)\n"
	      "  --name-by pattern|path   Go net/http requests named by the ServeMux route that\n"
	      "                           matched (GET /users/{id}, Go 1.22+; default) or by\n"
	      "                           path (GET /users/8123); no route matched: the path\n"
	      "  --keep-txns N            trace/record/top: past N finished transactions in\n"
	      "                           memory, those that can no longer change a verdict are\n"
	      "                           kept as per-name totals only (default 10000; 0: all)\n"
	      "  --allow SITE<=DUR        check: late exits at SITE (creation or start function)\n"
	      "                           are cleanup up to DUR\n"
	      "  --junit FILE             check: a JUnit XML report\n"
	      "  --otlp URL               agent: the collector's base URL (default\n"
	      "                           $OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318,\n"
	      "                           :4317 for grpc)\n"
	      "  --otlp-protocol P        agent: http/protobuf (default) or grpc; else\n"
	      "                           $OTEL_EXPORTER_OTLP_PROTOCOL;\n"
	      "                           OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME honoured;\n"
	      "                           metrics every OTEL_METRIC_EXPORT_INTERVAL ms (60000)\n"
	      "  --otlp-queue SIZE        agent: what may wait on a slow collector, per signal\n"
	      "                           (default 32m); past it batches are dropped, counted\n"
	      "  --pprof-dir DIR          agent, with -F/--off-cpu: a gzipped pprof file per\n"
	      "                           target and interval here (weft.EXE.PID.TIME.pb.gz),\n"
	      "                           samples labeled txn=NAME; the profiles go to the\n"
	      "                           collector as OTLP profiles too, with or without it\n"
	      "  --profile-every DUR      agent: the profiles' interval (default 60s)\n"
	      "  --exe NAME|PATH          agent: follow processes running this executable (a\n"
	      "                           name matches the file's name, a path the whole path)\n"
	      "  --cgroup PATH            agent: follow processes in this cgroup (v2 path, as in\n"
	      "                           /proc/PID/cgroup) or below it: a container, a unit;\n"
	      "                           with --exe, both must match (these programs in these\n"
	      "                           containers); -p is followed whatever they say\n"
	      "  --no-js-names            check: leave NODE_OPTIONS alone (by default weft adds\n"
	      "                           --perf-basic-prof: leak sites named in JavaScript)\n"
	      "  -v, --verbose            more detail on stderr (libbpf messages with -vv)\n"
	      "  -h, --help, -V, --version\n"
	      "\n"
	      "Examples:\n"
	      "  sudo weft trace -p 4242 -d 10 --txn handle_request\n"
	      "  sudo weft trace --txn handle_request -- ./server --port 8080\n"
	      "  sudo weft trace --task-create submit:arg0 --task-run run_task:arg0 -- ./pool\n"
	      "  sudo weft record -p 4242 -d 30 -o server.weft && weft report server.weft\n"
	      "  weft report server.weft --format json | python3 -m json.tool\n"
	      "  sudo weft record -p 4242 -d 30 -F 999 --off-cpu -o api.weft\n"
	      "  weft report api.weft --format folded --txn 'GET /users' | flamegraph.pl >u.svg\n"
	      "  weft report api.weft --format pprof -o api.pb.gz && go tool pprof -top \\\n"
	      "      -tagfocus=txn=GET_/users api.pb.gz\n"
	      "  sudo weft goroutines -p 4242\n"
	      "  sudo weft top -p 4242\n"
	      "  sudo weft agent --otlp http://collector:4318 --exe api-server\n",
	      f);
}

int parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *unit; double mul; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "", 1e9 },
	};
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit)) {
			if (v * units[i].mul > 1e18)
				return -1;
			*ns = (uint64_t)(v * units[i].mul + 0.5);
			return 0;
		}
	return -1;
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

enum {
	OPT_TXN = 256, OPT_TASK_CREATE, OPT_TASK_BEGIN, OPT_TASK_END, OPT_TASK_RUN,
	OPT_TASK_DONE, OPT_PRESET, OPT_FORMAT, OPT_GRACE, OPT_MAX_THREADS, OPT_MAX_TASKS,
	OPT_RINGBUF, OPT_NO_MARKERS, OPT_NO_WIRE, OPT_GO_LEAN, OPT_ALLOW, OPT_JUNIT, OPT_NO_JS_NAMES,
	OPT_OFF_CPU = 400,
	OPT_NAME_BY = 420,
	OPT_KEEP_TXNS,
	OPT_OTLP, OPT_EXE, OPT_CGROUP, OPT_OTLP_QUEUE, OPT_OTLP_PROTOCOL, OPT_PPROF_DIR,
	OPT_PROFILE_EVERY,
};

static const struct option longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "duration", required_argument, NULL, 'd' },
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "txn", required_argument, NULL, OPT_TXN },
	{ "task-create", required_argument, NULL, OPT_TASK_CREATE },
	{ "task-begin", required_argument, NULL, OPT_TASK_BEGIN },
	{ "task-end", required_argument, NULL, OPT_TASK_END },
	{ "task-run", required_argument, NULL, OPT_TASK_RUN },
	{ "task-done", required_argument, NULL, OPT_TASK_DONE },
	{ "preset", required_argument, NULL, OPT_PRESET },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "leak-grace", required_argument, NULL, OPT_GRACE },
	{ "max-threads", required_argument, NULL, OPT_MAX_THREADS },
	{ "max-tasks", required_argument, NULL, OPT_MAX_TASKS },
	{ "ringbuf-mb", required_argument, NULL, OPT_RINGBUF },
	{ "no-markers", no_argument, NULL, OPT_NO_MARKERS },
	{ "no-wire", no_argument, NULL, OPT_NO_WIRE },
	{ "no-js-names", no_argument, NULL, OPT_NO_JS_NAMES },
	{ "go-lean", no_argument, NULL, OPT_GO_LEAN },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "junit", required_argument, NULL, OPT_JUNIT },
	{ "freq", required_argument, NULL, 'F' },
	{ "off-cpu", no_argument, NULL, OPT_OFF_CPU },
	{ "name-by", required_argument, NULL, OPT_NAME_BY },
	{ "keep-txns", required_argument, NULL, OPT_KEEP_TXNS },
	{ "otlp", required_argument, NULL, OPT_OTLP },
	{ "otlp-queue", required_argument, NULL, OPT_OTLP_QUEUE },
	{ "otlp-protocol", required_argument, NULL, OPT_OTLP_PROTOCOL },
	{ "pprof-dir", required_argument, NULL, OPT_PPROF_DIR },
	{ "profile-every", required_argument, NULL, OPT_PROFILE_EVERY },
	{ "exe", required_argument, NULL, OPT_EXE },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ NULL, 0, NULL, 0 },
};

static bool same_spec(const struct probe_spec *a, const struct probe_spec *b)
{
	return a->role == b->role && !strcmp(a->bin, b->bin) && !strcmp(a->sym, b->sym) &&
	       a->arg == b->arg && a->off == b->off;
}

/* A spec given twice is one: two probes would count each hit twice (every
 * transaction a conflation with itself) */
static int add_spec(struct opts *o, const char *s, enum spec_role role, char *err, size_t len)
{
	if (o->nr_specs >= MAX_SPECS) {
		snprintf(err, len, "too many probe specs (at most %d)", MAX_SPECS);
		return -1;
	}
	if (spec__parse(s, role, &o->specs[o->nr_specs], err, len))
		return -1;
	for (int i = 0; i < o->nr_specs; i++)
		if (same_spec(&o->specs[i], &o->specs[o->nr_specs]))
			return 0;
	o->nr_specs++;
	return 0;
}

static enum command parse_command(const char *s)
{
	if (!strcmp(s, "trace")) return CMD_TRACE;
	if (!strcmp(s, "record")) return CMD_RECORD;
	if (!strcmp(s, "report")) return CMD_REPORT;
	if (!strcmp(s, "goroutines")) return CMD_GOROUTINES;
	if (!strcmp(s, "check")) return CMD_CHECK;
	if (!strcmp(s, "top")) return CMD_TOP;
	if (!strcmp(s, "agent")) return CMD_AGENT;
	if (!strcmp(s, "help") || !strcmp(s, "--help") || !strcmp(s, "-h")) return CMD_HELP;
	if (!strcmp(s, "--version") || !strcmp(s, "-V") || !strcmp(s, "version")) return CMD_VERSION;
	return CMD_NONE;
}

static int check(struct opts *o, char *err, size_t len)
{
	bool capture = o->cmd == CMD_TRACE || o->cmd == CMD_RECORD || o->cmd == CMD_CHECK ||
		       o->cmd == CMD_TOP;

	if (o->cmd == CMD_TOP && (o->argv || o->output || o->format != FMT_TEXT)) {
		snprintf(err, len, "top watches a running process on the terminal: -p PID, no %s",
			 o->argv ? "-- CMD (its output would cross the screen)" : "-o or --format");
		return -1;
	}

	if (o->cmd == CMD_AGENT) {
		if (!o->pid && !o->nr_exes && !o->nr_cgroups) {
			snprintf(err, len, "agent: nothing to follow; give -p PID, --exe NAME or --cgroup PATH");
			return -1;
		}
		if (o->argv || o->output || o->format != FMT_TEXT || o->duration_ns) {
			snprintf(err, len, "agent runs until stopped and exports to --otlp: no -- CMD, -o, --format or -d");
			return -1;
		}
		/* -F/--off-cpu: OTLP profiles to the collector, and pprof files
		 * with --pprof-dir */
		if (o->pprof_dir && !o->sample_hz && !o->off_cpu) {
			snprintf(err, len, "agent: --pprof-dir needs -F HZ or --off-cpu (what to profile)");
			return -1;
		}
	} else if (o->otlp || o->otlp_protocol || o->nr_exes || o->nr_cgroups || o->pprof_dir ||
		   o->otlp_queue_bytes != defaults.otlp_queue_bytes ||
		   o->profile_every_ns != defaults.profile_every_ns) {
		snprintf(err, len, "--otlp, --otlp-protocol, --otlp-queue, --exe, --cgroup, --pprof-dir and "
			 "--profile-every belong to weft agent");
		return -1;
	}
	if (capture && !o->pid && !o->argv) {
		snprintf(err, len, "no target: give -p PID or -- CMD ARGS");
		return -1;
	}
	if (capture && o->pid && o->argv) {
		snprintf(err, len, "give either -p PID or -- CMD, not both");
		return -1;
	}
	if (o->cmd == CMD_RECORD && !o->output) {
		snprintf(err, len, "record needs -o FILE");
		return -1;
	}
	if (o->cmd == CMD_REPORT && !o->input) {
		snprintf(err, len, "report needs a record FILE (weft report FILE)");
		return -1;
	}
	if (o->cmd == CMD_REPORT && (o->pid || o->argv || o->nr_specs)) {
		snprintf(err, len, "report reads a file: -p, -- CMD and probe specs belong to record");
		return -1;
	}
	if (o->cmd == CMD_GOROUTINES && !o->pid) {
		snprintf(err, len, "goroutines needs -p PID");
		return -1;
	}
	if (o->cmd == CMD_GOROUTINES &&
	    (o->argv || o->nr_specs || o->preset_libuv || o->duration_ns || o->leak_grace_set ||
	     o->name_by_set)) {
		snprintf(err, len, "goroutines takes -p PID, --format, -o and -v only: %s",
			 o->argv ? "no -- CMD (it reads a running process)"
				 : "it attaches no probe and captures nothing");
		return -1;
	}
	if (o->cmd != CMD_CHECK && (o->nr_allows || o->junit || o->no_js_names)) {
		snprintf(err, len, "--allow, --junit and --no-js-names belong to weft check");
		return -1;
	}
	if ((o->sample_hz || o->off_cpu) && o->cmd != CMD_TRACE && o->cmd != CMD_RECORD &&
	    o->cmd != CMD_AGENT &&
	    !(o->cmd == CMD_REPORT && o->off_cpu)) {
		snprintf(err, len, "-F and --off-cpu belong to trace, record and agent");
		return -1;
	}
	if (o->format == FMT_PERFETTO && o->cmd != CMD_TRACE && o->cmd != CMD_REPORT) {
		snprintf(err, len, "--format perfetto belongs to trace and report");
		return -1;
	}
	if (o->format == FMT_FOLDED && o->cmd != CMD_TRACE && o->cmd != CMD_REPORT) {
		snprintf(err, len, "--format folded belongs to trace and report");
		return -1;
	}
	if ((o->format == FMT_PPROF || o->format == FMT_OTLP) &&
	    (o->cmd != CMD_TRACE && o->cmd != CMD_REPORT)) {
		snprintf(err, len, "--format %s belongs to trace and report",
			 o->format == FMT_PPROF ? "pprof" : "otlp");
		return -1;
	}
	if ((o->format == FMT_PPROF || o->format == FMT_OTLP) && !o->output) {
		snprintf(err, len, "--format %s writes a binary file: give it -o FILE",
			 o->format == FMT_PPROF ? "pprof" : "otlp");
		return -1;
	}
	if (o->txn_filter && o->format != FMT_FOLDED) {
		snprintf(err, len, "report --txn NAME filters --format folded");
		return -1;
	}
	if (o->ringbuf_mb & (o->ringbuf_mb - 1)) {
		snprintf(err, len, "--ringbuf-mb %u: must be a power of two", o->ringbuf_mb);
		return -1;
	}
	return 0;
}

int opts__parse(int argc, char **argv, struct opts *o, char *err, size_t len)
{
	const struct { enum spec_role role; int opt; } roles[] = {
		{ ROLE_TXN, OPT_TXN }, { ROLE_TASK_CREATE, OPT_TASK_CREATE },
		{ ROLE_TASK_BEGIN, OPT_TASK_BEGIN }, { ROLE_TASK_END, OPT_TASK_END },
		{ ROLE_TASK_RUN, OPT_TASK_RUN }, { ROLE_TASK_DONE, OPT_TASK_DONE },
	};
	int c, i;
	uint32_t pid;

	*o = defaults;
	o->full_argv = argv;
	if (argc < 2) {
		snprintf(err, len, "no command; try 'weft --help'");
		return -1;
	}
	o->cmd = parse_command(argv[1]);
	if (o->cmd == CMD_NONE) {
		snprintf(err, len, "unknown command '%s'; try 'weft --help'", argv[1]);
		return -1;
	}
	if (o->cmd == CMD_HELP || o->cmd == CMD_VERSION)
		return 0;
	optind = 0; /* glibc: 0 re-initializes, and we parse more than once in tests */
	opterr = 0;
	argc--;
	argv++;
	/* report permutes (FILE may come first); capture stops at CMD */
	while ((c = getopt_long(argc, argv, o->cmd == CMD_REPORT ? "p:d:o:F:vhV" : "+p:d:o:F:vhV",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_u32(optarg, 1, 0x3fffffff, &pid)) {
				snprintf(err, len, "-p '%s': not a process id", optarg);
				return -1;
			}
			o->pid = pid;
			break;
		case 'd':
			if (parse_duration(optarg, &o->duration_ns) || !o->duration_ns) {
				snprintf(err, len, "-d '%s': not a duration (e.g. 10, 2.5, 500ms)",
					 optarg);
				return -1;
			}
			break;
		case 'o': o->output = optarg; break;
		case 'F':
			if (parse_u32(optarg, 1, 10000, &o->sample_hz)) {
				snprintf(err, len, "-F '%s': expected a sampling frequency in 1..10000 Hz",
					 optarg);
				return -1;
			}
			break;
		case OPT_OFF_CPU: o->off_cpu = true; break;
		case 'v': o->verbose++; break;
		case 'h': o->cmd = CMD_HELP; return 0;
		case 'V': o->cmd = CMD_VERSION; return 0;
		case OPT_PRESET:
			if (strcmp(optarg, "libuv")) {
				snprintf(err, len, "--preset '%s': unknown (known: libuv)", optarg);
				return -1;
			}
			o->preset_libuv = true;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "text"))
				o->format = FMT_TEXT;
			else if (!strcmp(optarg, "json"))
				o->format = FMT_JSON;
			else if (!strcmp(optarg, "perfetto"))
				o->format = FMT_PERFETTO;
			else if (!strcmp(optarg, "folded"))
				o->format = FMT_FOLDED;
			else if (!strcmp(optarg, "pprof"))
				o->format = FMT_PPROF;
			else if (!strcmp(optarg, "otlp"))
				o->format = FMT_OTLP;
			else {
				snprintf(err, len, "--format '%s': unknown (text, json, folded, pprof, perfetto or otlp)",
					 optarg);
				return -1;
			}
			break;
		case OPT_NAME_BY:
			if (strcmp(optarg, "path") && strcmp(optarg, "pattern")) {
				snprintf(err, len, "--name-by '%s': unknown (path or pattern)", optarg);
				return -1;
			}
			o->name_by_path = !strcmp(optarg, "path");
			o->name_by_set = true;
			break;
		case OPT_KEEP_TXNS:
			if (strcmp(optarg, "0") && parse_u32(optarg, 100, 1 << 30, &o->keep_txns)) {
				snprintf(err, len, "--keep-txns '%s': expected 0 (keep all) or "
					 "100..1073741824", optarg);
				return -1;
			}
			if (!strcmp(optarg, "0"))
				o->keep_txns = 0;
			break;
		case OPT_GRACE:
			if (parse_duration(optarg, &o->leak_grace_ns)) {
				snprintf(err, len, "--leak-grace '%s': not a duration (e.g. 500ms, 2s)",
					 optarg);
				return -1;
			}
			o->leak_grace_set = true;
			break;
		case OPT_MAX_THREADS:
		case OPT_MAX_TASKS:
			if (parse_u32(optarg, 16, 1 << 24,
				      c == OPT_MAX_THREADS ? &o->max_threads : &o->max_tasks)) {
				snprintf(err, len, "%s '%s': expected a number in 16..16777216",
					 c == OPT_MAX_THREADS ? "--max-threads" : "--max-tasks", optarg);
				return -1;
			}
			break;
		case OPT_RINGBUF:
			if (parse_u32(optarg, 1, 1024, &o->ringbuf_mb)) {
				snprintf(err, len, "--ringbuf-mb '%s': expected 1..1024", optarg);
				return -1;
			}
			break;
		case OPT_OTLP: o->otlp = optarg; break;
		case OPT_PPROF_DIR: o->pprof_dir = optarg; break;
		case OPT_PROFILE_EVERY:
			if (parse_duration(optarg, &o->profile_every_ns) ||
			    o->profile_every_ns < 1000000000ULL) {
				snprintf(err, len, "--profile-every '%s': expected a duration of 1s or more "
					 "(60s, 5m)", optarg);
				return -1;
			}
			break;
		case OPT_OTLP_PROTOCOL:
			if (strcmp(optarg, "grpc") && strcmp(optarg, "http/protobuf")) {
				snprintf(err, len, "--otlp-protocol '%s': grpc or http/protobuf", optarg);
				return -1;
			}
			o->otlp_protocol = optarg;
			break;
		case OPT_OTLP_QUEUE: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			unsigned long mul = !strcmp(end, "k") ? 1024 : !strcmp(end, "m") ? 1 << 20 : 0;

			if (*optarg == '-' || !mul || !v || v * mul > (1ul << 30)) {
				snprintf(err, len, "--otlp-queue '%s': expected a size such as 256k or "
					 "32m (at most 1024m)", optarg);
				return -1;
			}
			o->otlp_queue_bytes = (uint32_t)(v * mul);
			break;
		}
		case OPT_EXE:
		case OPT_CGROUP: {
			int *n = c == OPT_EXE ? &o->nr_exes : &o->nr_cgroups;

			if (*n >= MAX_FOLLOW || !*optarg) {
				snprintf(err, len, "%s '%s': empty, or more than %d", c == OPT_EXE ?
					 "--exe" : "--cgroup", optarg, MAX_FOLLOW);
				return -1;
			}
			(c == OPT_EXE ? o->exes : o->cgroups)[(*n)++] = optarg;
			break;
		}
		case OPT_NO_MARKERS: o->no_markers = true; break;
		case OPT_NO_WIRE: o->no_wire = true; break;
		case OPT_NO_JS_NAMES: o->no_js_names = true; break;
		case OPT_GO_LEAN: o->go_lean = true; break;
		case OPT_JUNIT: o->junit = optarg; break;
		case OPT_ALLOW: {
			char *le = strstr(optarg, "<=");
			struct allow *a = &o->allows[o->nr_allows];

			if (o->nr_allows >= MAX_ALLOWS || !le || le == optarg ||
			    (size_t)(le - optarg) >= sizeof(a->site) || parse_duration(le + 2, &a->ns)) {
				snprintf(err, len, "--allow '%s': expected SITE<=DURATION, e.g. "
					 "'pkg.(*T).forward<=50ms' (at most %d)", optarg, MAX_ALLOWS);
				return -1;
			}
			snprintf(a->site, sizeof(a->site), "%.*s", (int)(le - optarg), optarg);
			o->nr_allows++;
			break;
		}
		case '?':
			if (optopt)
				snprintf(err, len, "option -%c: unknown or missing its value; try 'weft --help'",
					 optopt);
			else
				snprintf(err, len, "option '%s': unknown or missing its value; try 'weft --help'",
					 argv[optind - 1]);
			return -1;
		default:
			if (c == OPT_TXN && o->cmd == CMD_REPORT) { /* a name to filter by */
				o->txn_filter = optarg;
				break;
			}
			for (i = 0; i < (int)(sizeof(roles) / sizeof(roles[0])); i++)
				if (roles[i].opt == c && add_spec(o, optarg, roles[i].role, err, len))
					return -1;
		}
	}
	if (o->cmd == CMD_REPORT) {
		if (optind < argc)
			o->input = argv[optind++];
		if (optind < argc) {
			snprintf(err, len, "report: unexpected argument '%s'", argv[optind]);
			return -1;
		}
	} else if (optind < argc) {
		o->argv = &argv[optind];
	}
	return check(o, err, len);
}

int probes__from_opts(struct probe_table *pt, const struct opts *o)
{
	return probes__from_specs(pt, o->specs, o->nr_specs, o->go_lean);
}

int probes__expand_presets(struct opts *o, char *err, size_t len)
{
	/* uv_queue_work(loop, req, ...) submits; the pool runs uv__queue_work(&req->work_req)
	 * and the loop runs uv__queue_done(&req->work_req, status); work_req sits at 88. */
	static const struct { enum spec_role role; const char *spec; } libuv[] = {
		{ ROLE_TASK_CREATE, "uv_queue_work:arg1" },
		{ ROLE_TASK_RUN, "uv__queue_work:arg0-88" },
		{ ROLE_TASK_DONE, "uv__queue_done:arg0-88" },
	};

	if (!o->preset_libuv)
		return 0;
	for (size_t i = 0; i < sizeof(libuv) / sizeof(libuv[0]); i++) {
		int n = o->nr_specs;

		if (add_spec(o, libuv[i].spec, libuv[i].role, err, len))
			return -1;
		if (o->nr_specs > n)
			o->specs[n].preset = "libuv";
	}
	return 0;
}
