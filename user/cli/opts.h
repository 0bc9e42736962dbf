/* Command line: one shape for every subcommand. */
#ifndef WEFT_OPTS_H
#define WEFT_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "spec.h"

#define MAX_SPECS 48

enum command { CMD_NONE, CMD_TRACE, CMD_RECORD, CMD_REPORT, CMD_HELP, CMD_VERSION, CMD_GOROUTINES,
	       CMD_CHECK, CMD_TOP, CMD_AGENT };

#define MAX_ALLOWS 32
#define MAX_FOLLOW 16 /* agent: --exe and --cgroup selectors, each */

/* weft check --allow SITE<=DUR: late exits at SITE (a creation site's or
 * start function's name) accepted up to DUR */
struct allow {
	char site[256];
	uint64_t ns;
};
enum format { FMT_TEXT, FMT_JSON, FMT_FOLDED, FMT_PPROF, FMT_PERFETTO, FMT_OTLP };

struct opts {
	enum command cmd;
	pid_t pid;
	char **argv; /* -- CMD ARGS, NULL-terminated */
	char **full_argv; /* weft's own, for the record file */
	uint64_t duration_ns; /* 0: until target exit or a signal */
	const char *output;
	const char *input; /* report FILE */
	enum format format;
	uint64_t leak_grace_ns;
	bool leak_grace_set; /* report: override the file's */
	int verbose;
	struct probe_spec specs[MAX_SPECS];
	int nr_specs;
	bool preset_libuv;
	bool no_markers;
	bool no_wire; /* no TCP hooks: a request to itself is not seen */
	bool go_lean; /* Go: no exit probe, liveness read from memory */
	uint32_t max_threads, max_tasks; /* BPF map sizes */
	uint32_t ringbuf_mb;
	struct allow allows[MAX_ALLOWS]; /* check */
	int nr_allows;
	const char *junit; /* check: a JUnit XML file */
	uint32_t sample_hz; /* -F: on-CPU samples per second of each CPU, 0 off */
	bool off_cpu;	    /* --off-cpu: blocked time (capture; folded: its stacks) */
	const char *txn_filter; /* report --txn NAME: folded stacks of that name only */
	bool name_by_path; /* --name-by path: Go requests by path, not route pattern */
	bool name_by_set;  /* report: override the file's */
	uint32_t keep_txns; /* --keep-txns: finished transactions kept whole (0: all) */
	/* check, a followed process (set by follow.c, not the command line):
	 * stopped at its exec, continued once attached; its lines and JUnit
	 * suite named by label; the JUnit file a <testsuite> to merge */
	bool resume;
	bool node_test_file; /* a file Node's test runner runs: the process is the txn */
	bool no_js_names; /* check: NODE_OPTIONS left alone (no perf map asked for) */
	const char *label;
	bool junit_suite_only;
	/* agent: where to (--otlp, a base URL), and what to follow */
	const char *otlp;
	const char *otlp_protocol; /* --otlp-protocol: grpc or http/protobuf (NULL: the env's) */
	uint32_t otlp_queue_bytes; /* --otlp-queue: each signal's, waiting on the collector */
	const char *exes[MAX_FOLLOW], *cgroups[MAX_FOLLOW];
	int nr_exes, nr_cgroups;
	/* agent, -F/--off-cpu: a pprof file per target and interval, here
	 * (NULL: none; the OTLP profiles go to the collector either way) */
	const char *pprof_dir;
	uint64_t profile_every_ns; /* --profile-every: the interval (60 s) */
};

/* Parses argv; 0 ok, -1 with a one-line reason in err. */
int opts__parse(int argc, char **argv, struct opts *o, char *err, size_t errlen);
/* "500ms", "2s", "1.5", "250us", "10ns" (no unit: seconds). 0 or -1. */
int parse_duration(const char *s, uint64_t *ns);
void opts__usage(FILE *f);

/* The probe table from the options (presets expanded beforehand). */
struct probe_table;
int probes__from_opts(struct probe_table *pt, const struct opts *o);
/* Expands --preset libuv into task specs. */
int probes__expand_presets(struct opts *o, char *err, size_t len);

#endif
