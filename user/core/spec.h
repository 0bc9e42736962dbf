/* Probe specs from the command line: where a runtime schedules work. */
#ifndef WEFT_SPEC_H
#define WEFT_SPEC_H

#include <stddef.h>
#include <stdint.h>

enum spec_role {
	ROLE_TXN,	  /* entry begins a transaction, return ends it */
	ROLE_TASK_CREATE, /* entry: task object created */
	ROLE_TASK_BEGIN,  /* entry: task's segment becomes current */
	ROLE_TASK_END,	  /* entry: run ends, task ends */
	ROLE_TASK_RUN,	  /* entry..return: one run, task continues */
	ROLE_TASK_DONE,	  /* entry..return: last run, then task ends */
	ROLE_MARKER,	  /* a weft.h USDT marker (built in) */
};

struct probe_spec {
	enum spec_role role;
	char bin[512]; /* "" = the target executable, then its libraries */
	char sym[256];
	int arg;       /* -1 for ROLE_TXN */
	int64_t off;   /* added to the argument */
	char text[800]; /* as the user wrote it, for reports */
	const char *preset; /* "libuv": added by --preset, not written by the user */
};

/* "[BIN:]SYM" for ROLE_TXN, "[BIN:]SYM:argN[+-OFF]" for tasks. 0 or -1 with
 * a one-line reason in err. */
int spec__parse(const char *s, enum spec_role role, struct probe_spec *out, char *err,
		size_t errlen);
const char *spec__role_flag(enum spec_role role); /* "--task-run" */

#endif
