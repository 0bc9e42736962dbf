// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "spec.h"

const char *spec__role_flag(enum spec_role role)
{
	switch (role) {
	case ROLE_TXN: return "--txn";
	case ROLE_TASK_CREATE: return "--task-create";
	case ROLE_TASK_BEGIN: return "--task-begin";
	case ROLE_TASK_END: return "--task-end";
	case ROLE_TASK_RUN: return "--task-run";
	case ROLE_TASK_DONE: return "--task-done";
	case ROLE_MARKER: return "usdt";
	}
	return "?";
}

/* "arg2", "arg0+16", "ARG1-0x58" */
static int parse_arg(const char *s, int *arg, int64_t *off)
{
	char *end;
	long a;

	if (strncasecmp(s, "arg", 3) || !isdigit((unsigned char)s[3]))
		return -1;
	errno = 0;
	a = strtol(s + 3, &end, 10);
	if (errno || a < 0 || a > 5)
		return -1;
	*arg = a;
	*off = 0;
	if (*end == '+' || *end == '-') {
		char *e2;
		long long o;

		if (!isdigit((unsigned char)end[1]))
			return -1;
		errno = 0;
		o = strtoll(end + 1, &e2, 0);
		if (errno || *e2 || o > 0x7fffffffLL)
			return -1;
		*off = *end == '-' ? -o : o;
		return 0;
	}
	return *end ? -1 : 0;
}

int spec__parse(const char *s, enum spec_role role, struct probe_spec *out, char *err,
		size_t errlen)
{
	char buf[800], *sym, *colon;
	const char *hint = role == ROLE_TXN ? "[BIN:]SYM" : "[BIN:]SYM:argN[+-OFF], N in 0..5";

	memset(out, 0, sizeof(*out));
	out->role = role;
	out->arg = -1;
	if (!s || !*s || strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: empty or too long spec; expected %s",
			 spec__role_flag(role), hint);
		return -1;
	}
	strcpy(out->text, s);
	strcpy(buf, s);
	if (role != ROLE_TXN) {
		colon = strrchr(buf, ':');
		if (!colon || parse_arg(colon + 1, &out->arg, &out->off)) {
			snprintf(err, errlen, "%s '%s': bad argument; expected %s (e.g. submit:arg0)",
				 spec__role_flag(role), s, hint);
			return -1;
		}
		*colon = 0;
	}
	sym = buf;
	colon = strrchr(buf, ':');
	if (colon) {
		*colon = 0;
		sym = colon + 1;
		if (!*buf || strlen(buf) >= sizeof(out->bin)) {
			snprintf(err, errlen, "%s '%s': bad binary path; expected %s",
				 spec__role_flag(role), s, hint);
			return -1;
		}
		strcpy(out->bin, buf);
	}
	if (!*sym || strlen(sym) >= sizeof(out->sym)) {
		snprintf(err, errlen, "%s '%s': missing symbol; expected %s", spec__role_flag(role),
			 s, hint);
		return -1;
	}
	for (const char *p = sym; *p; p++)
		if (isspace((unsigned char)*p)) {
			snprintf(err, errlen, "%s '%s': symbol contains a space; expected %s",
				 spec__role_flag(role), s, hint);
			return -1;
		}
	strcpy(out->sym, sym);
	return 0;
}
