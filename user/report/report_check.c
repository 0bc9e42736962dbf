// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft check's verdict: one line per leak site and test, the cleanup
 * latency per site, a JUnit XML file. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

struct leak_line {
	const char *txn;
	uint64_t site, start;
	uint32_t kind;
	uint64_t count;
	bool has_wait;
	uint32_t wait;
	uint32_t rule; /* enum verdict_rule */
	const struct segment *first; /* its creation stack is the line's */
};

static const char *test_name(const struct report *r, const struct txn *t)
{
	const char *n = model__txn_name(r->m, t);

	return n && *n ? n : "(no name)";
}

/* A leak, or (cleanup) alive at the exit and judged not one */
static bool wanted(const struct segment *s, bool cleanup)
{
	return cleanup ? s->state == SEG_PENDING && s->rule != RULE_NONE : s->state == SEG_LEAKED;
}

/* Leaked segments (or cleanup's) by (transaction name, site, start, rule),
 * first seen first. */
static size_t leak_lines(const struct report *r, struct leak_line **out, bool cleanup)
{
	struct leak_line *l = NULL;
	size_t n = 0;

	for (size_t i = 0; i < model__nr_segments(r->m); i++) {
		const struct segment *s = model__segment_at(r->m, i);
		const struct txn *t = wanted(s, cleanup) ? model__txn(r->m, s->txn) : NULL;
		const char *name;
		size_t k;

		if (!t)
			continue;
		name = test_name(r, t);
		for (k = 0; k < n; k++)
			if (!strcmp(l[k].txn, name) && l[k].site == s->site && l[k].start == s->start &&
			    l[k].kind == s->kind && l[k].rule == s->rule)
				break;
		if (k == n) {
			struct leak_line *nl = realloc(l, (n + 1) * sizeof(*nl));

			if (!nl)
				break;
			l = nl;
			l[n++] = (struct leak_line){ .txn = name, .site = s->site, .start = s->start,
						     .kind = s->kind, .rule = s->rule, .first = s };
		}
		l[k].count++;
		if (s->has_gstate && !l[k].has_wait) {
			l[k].has_wait = true;
			l[k].wait = s->go_wait_reason;
		}
	}
	*out = l;
	return n;
}

static void describe(const struct report *r, const struct leak_line *l, char *buf, size_t len)
{
	char site[512], wait[96] = "", reason[64];
	const char *start = report__start(r, l->kind, l->start);

	report__site_short(r, l->site, site, sizeof(site));
	if (l->has_wait && *report__wait_reason(r, l->wait, reason, sizeof(reason)))
		snprintf(wait, sizeof(wait), " [%s]", reason);
	snprintf(buf, len, "%s: %" PRIu64 " %s%s created at %s%s%s%s (%s)", l->txn, l->count,
		 kind_name(l->kind), l->count > 1 ? "s" : "", site, *start ? " -> " : "", start,
		 wait, model__rule_name(l->rule));
}

/* The creation stack under a line: each hop's frames, and where a
 * continuation's own stack ends and its creator's begins */
struct stack_out {
	FILE *f;
	const char *prefix; /* before each line */
	int hop;
	bool xml;
};

static void xml_str(FILE *f, const char *s);

static void stack_frame(void *ctx, unsigned hop, uint32_t kind, const char *text)
{
	struct stack_out *o = ctx;

	if ((int)hop != o->hop && o->hop >= 0)
		fprintf(o->f, "%s  (in a %s created at)\n", o->prefix, kind_name(kind));
	o->hop = hop;
	fputs(o->prefix, o->f);
	fputs("  ", o->f);
	if (o->xml)
		xml_str(o->f, text);
	else
		fputs(text, o->f);
	fputc('\n', o->f);
}

static void print_stack(FILE *f, const struct report *r, const struct segment *s,
			const char *prefix, bool xml)
{
	struct stack_out o = { f, prefix, -1, xml };

	report__creation_stack(r, s, stack_frame, &o);
}

static void xml_str(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, f);
		}
}

/* One testcase per transaction name (a test), failed when it leaked. */
static int write_junit(const char *path, const struct report *r, const struct leak_line *l,
		       size_t nl, const char *label, bool suite_only)
{
	FILE *f = fopen(path, "we");
	const char **names = calloc(model__nr_txns(r->m) + 1, sizeof(*names));
	size_t nn = 0, failures = 0;

	if (!f || !names) {
		if (f)
			fclose(f);
		free(names);
		return -1;
	}
	for (size_t i = 0; i < model__nr_txns(r->m); i++) {
		const char *n = test_name(r, model__txn_at(r->m, i));
		size_t k;

		for (k = 0; k < nn && strcmp(names[k], n); k++)
			;
		if (k == nn)
			names[nn++] = n;
	}
	for (size_t k = 0; k < nn; k++)
		for (size_t j = 0; j < nl; j++)
			if (!strcmp(l[j].txn, names[k])) {
				failures++;
				break;
			}
	if (!suite_only)
		fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"weft "
			   "check\" tests=\"%zu\" failures=\"%zu\">\n", nn, failures);
	fputs("  <testsuite name=\"", f);
	xml_str(f, label ? label : r->meta->exe);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\">\n", nn, failures);
	for (size_t k = 0; k < nn; k++) {
		char line[1024];
		bool first = true;

		fputs("    <testcase classname=\"weft.leaks\" name=\"", f);
		xml_str(f, names[k]);
		fputs("\">", f);
		for (size_t j = 0; j < nl; j++) {
			if (strcmp(l[j].txn, names[k]))
				continue;
			describe(r, &l[j], line, sizeof(line));
			if (first) {
				fputs("\n      <failure type=\"leak\" message=\"", f);
				xml_str(f, line);
				fputs("\">", f);
				first = false;
			}
			xml_str(f, line);
			fputc('\n', f);
			print_stack(f, r, l[j].first, "", true);
		}
		fputs(first ? "</testcase>\n" : "</failure>\n    </testcase>\n", f);
	}
	fputs(suite_only ? "  </testsuite>\n" : "  </testsuite>\n</testsuites>\n", f);
	free(names);
	{
		bool bad = fflush(f) || ferror(f); /* a write that failed before the last */

		return fclose(f) || bad ? -1 : 0;
	}
}

/* Node: JavaScript timers (a Timeout lives only in JavaScript) still
 * scheduled when a file tore down: said, with when the next was due */
static void timers_at_teardown(FILE *f, const struct report *r, const char *who)
{
	for (size_t i = 0; i < model__nr_txns(r->m); i++) {
		const struct txn *t = model__txn_at(r->m, i);
		char due[32];

		/* the longest delay Node allows (2^31-1 ms), a guard of the
		 * test runner's that never fires: not the file's */
		if (!t->teardown || !t->js_timer_due ||
		    t->js_timer_due - 1 >= (2147483647ULL - 3600000) * 1000000)
			continue;
		fmt_duration(t->js_timer_due - 1, due, sizeof(due));
		if (t->js_timer_due - 1 <= r->meta->leak_grace_ns)
			fprintf(f, "weft check: %s%s: JavaScript timers still scheduled at teardown, "
				   "the next due in %s, within the grace: pending cleanup, not a leak\n",
				who, test_name(r, t), due);
		else
			fprintf(f, "weft check: %s%s: JavaScript timers still scheduled at teardown, "
				   "the next due in %s (a setInterval never cleared, or a setTimeout "
				   "that would run past the grace)\n", who, test_name(r, t), due);
	}
}

int report__check(FILE *f, const struct report *r, const char *junit, const char *label,
		  bool suite_only, bool stacks)
{
	struct leak_line *l, *cl;
	size_t nl = leak_lines(r, &l, false), ncl = leak_lines(r, &cl, true);
	size_t nlate = model__nr_late(r->m), tests = 0;
	uint64_t total = 0;
	char line[1024], a[32], b[32], c[32], site[512], who[300] = "";

	tests = model__nr_txns(r->m);
	if (label) /* a process followed among others: its lines say which */
		snprintf(who, sizeof(who), "[%s] ", label);
	for (size_t j = 0; j < nl; j++) {
		describe(r, &l[j], line, sizeof(line));
		fprintf(f, "weft check: LEAK %s%s\n", who, line);
		if (stacks)
			print_stack(f, r, l[j].first, "weft check:   ", false);
		total += l[j].count;
	}
	for (size_t j = 0; j < ncl; j++) {
		describe(r, &cl[j], line, sizeof(line));
		fprintf(f, "weft check: %scleanup at exit, not a leak: %s\n", who, line);
	}
	free(cl);
	if (nlate) {
		fprintf(f, "weft check: %scleanup after the transaction, per site (exits within "
			   "the grace are cleanup, later are leaks):\n", who);
		fprintf(f, "weft check:   %6s %9s %9s %9s  %s\n", "exits", "p50", "p99", "max",
			"site -> start");
	}
	for (size_t i = 0; i < nlate; i++) {
		const struct late_group *g = model__late_at(r->m, i);
		const char *start = report__start(r, g->kind, g->start);

		report__site_short(r, g->site, site, sizeof(site));
		fprintf(f, "weft check:   %6" PRIu64 " %9s %9s %9s  %s%s%s%s\n", g->count,
			fmt_duration(g->p50_ns, a, sizeof(a)), fmt_duration(g->p99_ns, b, sizeof(b)),
			fmt_duration(g->max_ns, c, sizeof(c)), site, *start ? " -> " : "", start,
			g->leaked ? " (some past the grace: leaks)" : "");
	}
	{
		uint64_t pending = 0;

		for (size_t i = 0; i < model__nr_segments(r->m); i++) {
			const struct segment *s = model__segment_at(r->m, i);

			pending += s->state == SEG_PENDING && s->rule == RULE_NONE;
		}
		if (pending)
			fprintf(f, "weft check: %s%" PRIu64 " continuation%s still alive at the end, "
				   "within the grace of %s transaction: not judged (keep the command "
				   "running a grace longer to judge them)\n", who, pending,
				pending == 1 ? "" : "s",
				pending == 1 ? "its" : "their");
	}
	timers_at_teardown(f, r, who);
	if (report__losses(r->meta, line, sizeof(line)))
		fprintf(f, "weft check: %swarning: %s\n", who, line);
	fprintf(f, "weft check: %s%s: %zu transactions, %" PRIu64 " leaked continuation%s at %zu "
		   "site%s\n", who, nl ? "FAIL" : "ok", tests, total, total == 1 ? "" : "s", nl,
		nl == 1 ? "" : "s");
	if (junit && write_junit(junit, r, l, nl, label, suite_only)) {
		/* CI reads the verdict there: no file is no verdict */
		fprintf(stderr, "weft: %s: write failed: %s\n", junit,
			strerror(errno ? errno : EIO));
		free(l);
		return 2;
	}
	free(l);
	return nl ? 1 : 0;
}
