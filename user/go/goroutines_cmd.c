// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "goelf.h"
#include "gomem.h"
#include "goroutines_cmd.h"
#include "report.h"
#include "symbolize.h"

#define COLS 100
#define TREE_LINES 60
#define TREE_MAX_DEPTH 24

/* ------------------------------------------------------------ grouping --- */

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static const struct gr_row *sort_rows; /* qsort has no context argument */

static int cmp_row_idx(const void *a, const void *b)
{
	const struct gr_row *x = &sort_rows[*(const size_t *)a], *y = &sort_rows[*(const size_t *)b];
	int c;

	if ((c = cmp_str(x->site, y->site)) || (c = cmp_str(x->start, y->start)) ||
	    (c = cmp_str(x->reason, y->reason)))
		return c;
	return x->g && y->g ? (x->g->goid > y->g->goid) - (x->g->goid < y->g->goid) : 0;
}

static int cmp_group(const void *a, const void *b)
{
	const struct gr_group *x = a, *y = b;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if ((c = cmp_str(x->site, y->site)))
		return c;
	return cmp_str(x->start, y->start);
}

int goroutines__group(const struct gr_row *rows, size_t n, struct gr_group **out)
{
	struct gr_group *gs = NULL;
	size_t *idx = NULL, ng = 0;

	*out = NULL;
	if (!n)
		return 0;
	idx = malloc(n * sizeof(*idx));
	gs = calloc(n, sizeof(*gs));
	if (!idx || !gs) {
		free(idx);
		free(gs);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	sort_rows = rows;
	qsort(idx, n, sizeof(*idx), cmp_row_idx);
	sort_rows = NULL;
	/* rows of a group are contiguous, and within it, those of a reason */
	for (size_t i = 0; i < n;) {
		const struct gr_row *first = &rows[idx[i]];
		struct gr_group *g = &gs[ng++];
		uint32_t best = 0;
		size_t j = i;

		g->site = first->site ? first->site : "";
		g->site_func = first->site_func ? first->site_func : "";
		g->start = first->start ? first->start : "";
		g->wait_reason = "";
		g->max_wait_ns = -1;
		while (j < n && !cmp_str(rows[idx[j]].site, first->site) &&
		       !cmp_str(rows[idx[j]].start, first->start)) {
			const struct gr_row *r = &rows[idx[j]];
			const char *reason = r->reason ? r->reason : "";
			uint32_t run = 0;

			/* one run of the same reason */
			while (j < n && !cmp_str(rows[idx[j]].site, first->site) &&
			       !cmp_str(rows[idx[j]].start, first->start) &&
			       !cmp_str(rows[idx[j]].reason, reason)) {
				r = &rows[idx[j]];
				g->count++;
				if (r->g && r->g->status < GR_NR_STATES)
					g->states[r->g->status]++;
				if (r->wait_ns > g->max_wait_ns)
					g->max_wait_ns = r->wait_ns;
				run++;
				j++;
			}
			if (reason[0] && run > best) {
				best = run;
				g->wait_reason = reason;
			}
		}
		i = j;
	}
	free(idx);
	qsort(gs, ng, sizeof(*gs), cmp_group);
	*out = gs;
	return (int)ng;
}

const char *goroutines__states(const struct gr_group *g, bool with_reason, char *buf, size_t len)
{
	bool done[GR_NR_STATES] = { false };
	size_t at = 0;

	if (!buf || !len)
		return buf;
	buf[0] = 0;
	for (;;) {
		int best = -1;

		for (int s = 0; s < GR_NR_STATES; s++)
			if (!done[s] && g->states[s] &&
			    (best < 0 || g->states[s] > g->states[best]))
				best = s;
		if (best < 0)
			break;
		done[best] = true;
		if (at < len)
			at += snprintf(buf + at, len - at, "%s%u %s", at ? ", " : "",
				       g->states[best], gomem__status_name(best));
		if (best == GO_GWAITING && with_reason && g->wait_reason && g->wait_reason[0] &&
		    at < len)
			at += snprintf(buf + at, len - at, " (%s)", g->wait_reason);
	}
	return buf;
}

bool goroutines__is_system(const char *start)
{
	return start && !strncmp(start, "runtime.", 8) && strcmp(start, "runtime.main") &&
	       strcmp(start, "runtime.corostart") && strcmp(start, "runtime.handleAsyncEvent");
}

/* ------------------------------------------------------------- output --- */

struct snap {
	const struct opts *o;
	pid_t pid;
	char exe[512];
	struct go_info gi;
	uint64_t bias;
	struct go_g *gs;
	size_t n;
	struct gr_row *rows;
	char (*sites)[256];
	char (*reasons)[64];
	struct gr_group *groups;
	size_t ng;
	size_t nr_system;
};

static void json_wait(FILE *f, int64_t ns)
{
	if (ns >= 0)
		fprintf(f, "%" PRId64, ns);
	else
		fputs("null", f);
}

static void out_json(FILE *f, const struct snap *s)
{
	fprintf(f, "{\"target\": {\"pid\": %d, \"exe\": ", s->pid);
	json_str(f, s->exe);
	fputs(", \"go_version\": ", f);
	json_str(f, s->gi.version);
	fputs(", \"go_offsets\": ", f);
	json_str(f, goelf__offsets_src_name(s->gi.offsets_src));
	fputs("},\n\"goroutines\": [", f);
	for (size_t i = 0; i < s->n; i++) {
		const struct gr_row *r = &s->rows[i];

		fprintf(f, "%s\n  {\"goid\": %" PRIu64 ", \"parent_goid\": %" PRIu64 ", \"status\": ",
			i ? "," : "", r->g->goid, r->g->parent_goid);
		json_str(f, gomem__status_name(r->g->status));
		fputs(", \"wait_reason\": ", f);
		json_str(f, r->reason);
		fputs(", \"wait_ns\": ", f);
		json_wait(f, r->wait_ns);
		fputs(", \"site\": ", f);
		json_str(f, r->site);
		fputs(", \"site_func\": ", f);
		json_str(f, r->site_func);
		fputs(", \"start\": ", f);
		json_str(f, r->start);
		fprintf(f, ", \"system\": %s}", goroutines__is_system(r->start) ? "true" : "false");
	}
	fputs("],\n\"groups\": [", f);
	for (size_t i = 0; i < s->ng; i++) {
		const struct gr_group *g = &s->groups[i];
		bool first = true;

		fprintf(f, "%s\n  {\"site\": ", i ? "," : "");
		json_str(f, g->site);
		fputs(", \"site_func\": ", f);
		json_str(f, g->site_func);
		fputs(", \"start\": ", f);
		json_str(f, g->start);
		fprintf(f, ", \"count\": %u, \"states\": {", g->count);
		for (int k = 0; k < GR_NR_STATES; k++) {
			if (!g->states[k])
				continue;
			fprintf(f, "%s\"%s\": %u", first ? "" : ", ", gomem__status_name(k),
				g->states[k]);
			first = false;
		}
		fputs("}, \"wait_reason\": ", f);
		json_str(f, g->wait_reason);
		fputs(", \"max_wait_ns\": ", f);
		json_wait(f, g->max_wait_ns);
		fputc('}', f);
	}
	fputs("]}\n", f);
}

/* s, cut to fit: at most width columns, "..." at the end when cut. */
static void put_cut(FILE *f, const char *s, int width)
{
	int n = (int)strlen(s);

	if (width < 4)
		width = 4;
	if (n <= width)
		fprintf(f, "%s\n", s);
	else
		fprintf(f, "%.*s...\n", width - 3, s);
}

static const struct gr_row *row_by_goid(const struct snap *s, uint64_t goid)
{
	/* rows are sorted by goid */
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->rows[mid].g->goid < goid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->rows[lo].g->goid == goid ? &s->rows[lo] : NULL;
}

struct tree_frame {
	size_t i, next;
	int depth;
};

struct tree {
	const struct snap *s;
	FILE *f;
	bool *seen;
	size_t *kids, *kid_at; /* children of row i: kids[kid_at[i] .. kid_at[i+1]) */
	struct tree_frame *stack; /* n frames: a walk visits each row once */
	int lines;
};

static void tree_line(struct tree *t, size_t i, int depth, const char *note)
{
	const struct gr_row *r = &t->s->rows[i];
	char line[512], wait[32] = "";
	int ind = 2 + 2 * (depth < TREE_MAX_DEPTH ? depth : TREE_MAX_DEPTH);

	if (r->wait_ns >= 0) {
		char d[32];

		snprintf(wait, sizeof(wait), ", %s", fmt_duration(r->wait_ns, d, sizeof(d)));
	}
	snprintf(line, sizeof(line), "%*s%" PRIu64 "  %s  %s%s%s%s%s%s", ind, "", r->g->goid,
		 r->start[0] ? r->start : "?", gomem__status_name(r->g->status),
		 r->reason[0] ? " (" : "", r->reason, r->reason[0] ? ")" : "", wait, note);
	put_cut(t->f, line, COLS);
	t->lines++;
}

/* Depth first, iteratively: a deep chain must not overflow weft's stack. */
static void tree_walk(struct tree *t, size_t root, const char *note)
{
	struct tree_frame *stack = t->stack;
	size_t sp = 0;

	t->seen[root] = true;
	if (t->lines < TREE_LINES)
		tree_line(t, root, 0, note);
	stack[sp++] = (struct tree_frame){ root, t->kid_at[root], 0 };
	while (sp) {
		struct tree_frame *fr = &stack[sp - 1];
		size_t k;

		if (fr->next >= t->kid_at[fr->i + 1]) {
			sp--;
			continue;
		}
		k = t->kids[fr->next++];
		if (t->seen[k])
			continue;
		t->seen[k] = true;
		if (t->lines < TREE_LINES)
			tree_line(t, k, fr->depth + 1, "");
		stack[sp++] = (struct tree_frame){ k, t->kid_at[k], fr->depth + 1 };
	}
}

static void out_tree(FILE *f, const struct snap *s)
{
	struct tree t = { .s = s, .f = f };
	size_t *cnt;

	fprintf(f, "\nGoroutine tree (goid  start  state, by parent goid)\n");
	if (s->gi.g_parent_goid < 0) {
		fprintf(f, "  (needs Go 1.21+: %s has no parent goids)\n", s->gi.version);
		return;
	}
	t.seen = calloc(s->n, sizeof(*t.seen));
	t.kids = calloc(s->n + 1, sizeof(*t.kids));
	t.kid_at = calloc(s->n + 2, sizeof(*t.kid_at));
	cnt = calloc(s->n + 1, sizeof(*cnt));
	t.stack = calloc(s->n, sizeof(*t.stack));
	if (!t.seen || !t.kids || !t.kid_at || !cnt || !t.stack)
		goto out;
	/* children lists in goid order (rows are sorted by goid) */
	for (size_t i = 0; i < s->n; i++) {
		const struct gr_row *p = row_by_goid(s, s->rows[i].g->parent_goid);

		if (p && p != &s->rows[i])
			t.kid_at[p - s->rows + 1]++;
	}
	for (size_t i = 1; i <= s->n; i++)
		t.kid_at[i] += t.kid_at[i - 1];
	for (size_t i = 0; i < s->n; i++) {
		const struct gr_row *p = row_by_goid(s, s->rows[i].g->parent_goid);
		size_t pi = p ? (size_t)(p - s->rows) : 0;

		if (p && p != &s->rows[i])
			t.kids[t.kid_at[pi] + cnt[pi]++] = i;
	}
	/* roots: no parent, or a parent that is gone */
	for (size_t i = 0; i < s->n; i++) {
		const struct gr_row *r = &s->rows[i];
		char note[64] = "";

		if (t.seen[i] || (row_by_goid(s, r->g->parent_goid) &&
				  r->g->parent_goid != r->g->goid))
			continue;
		if (r->g->parent_goid)
			snprintf(note, sizeof(note), "  [parent %" PRIu64 " gone]",
				 r->g->parent_goid);
		tree_walk(&t, i, note);
	}
	/* a cycle (a torn snapshot): its members as roots */
	for (size_t i = 0; i < s->n; i++)
		if (!t.seen[i])
			tree_walk(&t, i, "  [parent cycle]");
	if (s->n > (size_t)t.lines)
		fprintf(f, "  ... %zu more (--format json lists them all)\n",
			s->n - (size_t)t.lines);
out:
	free(t.seen);
	free(t.kids);
	free(t.kid_at);
	free(t.stack);
	free(cnt);
}

static void out_text(FILE *f, const struct snap *s)
{
	bool blocked_any = false;
	char line[1024], states[256], wait[32];

	char rest[160];
	const char *exe = s->exe;
	int head;

	/* one line: a long exe path keeps its end ("...dir/name") */
	snprintf(rest, sizeof(rest), "), %s: %zu goroutines (%zu user, %zu runtime), %zu groups",
		 s->gi.version, s->n, s->n - s->nr_system, s->nr_system, s->ng);
	head = snprintf(line, sizeof(line), "weft: pid %d (", s->pid);
	if (head + strlen(exe) + strlen(rest) > COLS) {
		int room = COLS - head - (int)strlen(rest) - 3;

		if (room < 8)
			room = 8;
		if ((int)strlen(exe) > room)
			exe += strlen(exe) - room;
		fprintf(f, "%s...%s%s\n", line, exe, rest);
	} else {
		fprintf(f, "%s%s%s\n", line, exe, rest);
	}
	fprintf(f, "\n   count   longest  states\n");
	for (size_t i = 0; i < s->ng; i++) {
		const struct gr_group *g = &s->groups[i];
		bool blocked = g->states[GO_GWAITING] || g->states[GO_GSYSCALL];

		if (g->max_wait_ns >= 0)
			fmt_duration(g->max_wait_ns, wait, sizeof(wait));
		else
			snprintf(wait, sizeof(wait), "%s", blocked ? "?" : "-");
		blocked_any |= blocked;
		snprintf(line, sizeof(line), "  %6u  %8s  %s", g->count, wait,
			 goroutines__states(g, true, states, sizeof(states)));
		put_cut(f, line, COLS);
		snprintf(line, sizeof(line), "%20s%s%s%s", "", g->site,
			 g->start[0] ? " -> " : "", g->start);
		if ((int)strlen(line) > COLS && g->start[0]) {
			/* a long site and start: a line each, rather than a name cut */
			snprintf(line, sizeof(line), "%20s%s", "", g->site);
			put_cut(f, line, COLS);
			snprintf(line, sizeof(line), "%22s-> %s", "", g->start);
		}
		put_cut(f, line, COLS);
	}
	if (blocked_any)
		fprintf(f, "\nlongest: since the first GC that found it blocked (the runtime's "
			   "g.waitsince): a lower bound;\n%9s ? = no GC since it blocked (the runtime "
			   "sets waitsince nowhere else)\n", "");
	if (s->o->verbose)
		out_tree(f, s);
}

/* ---------------------------------------------------------------- run --- */

static int cmp_row_goid(const void *a, const void *b)
{
	const struct gr_row *x = a, *y = b;

	return (x->g->goid > y->g->goid) - (x->g->goid < y->g->goid);
}

static int fail(const struct snap *s, const char *msg)
{
	if (s->exe[0])
		fprintf(stderr, "weft: pid %d (%s): %s\n", s->pid, s->exe, msg);
	else
		fprintf(stderr, "weft: pid %d: %s\n", s->pid, msg);
	return 1;
}

static int take(struct snap *s)
{
	char path[64], err[512], msg[640];
	ssize_t n;
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/exe", s->pid);
	n = readlink(path, s->exe, sizeof(s->exe) - 1);
	if (n < 0) {
		int e = errno;

		s->exe[0] = 0;
		if (e == EACCES || e == EPERM)
			return fail(s, "permission denied; run as root (sudo), or as its user");
		if (e != ENOENT)
			return fail(s, strerror(e));
		snprintf(path, sizeof(path), "/proc/%d", s->pid);
		return fail(s, access(path, F_OK) ? "no such process"
						  : "no executable (a kernel thread, or exiting)");
	}
	s->exe[n] = 0;
	if (goelf__open(path, &s->gi, err, sizeof(err))) {
		if (!s->gi.version[0])
			return fail(s, strstr(err, "Go before") ? err : "not a Go binary");
		snprintf(msg, sizeof(msg), "%s: %s", s->gi.version, err);
		return fail(s, msg);
	}
	if (gomem__bias(s->pid, path, &s->bias)) {
		snprintf(msg, sizeof(msg), "cannot find its executable's mapping: %s",
			 errno == ESRCH ? "no such process" : strerror(errno));
		return fail(s, msg);
	}
	rc = gomem__snapshot(s->pid, &s->gi, s->bias, &s->gs, err, sizeof(err));
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", s->gi.version, err);
		return fail(s, strcmp(err, "no such process") ? msg : err);
	}
	s->n = rc;
	return 0;
}

static int symbolize(struct snap *s, struct symtab *st)
{
	struct symbolizer *sy = symbolizer__new(s->pid, st);
	static struct weft_event ev; /* a start routine: looked up as a function entry */
	struct report r = { .st = st };
	int64_t now = gomem__nanotime(s->pid);

	if (!sy)
		return -1;
	s->rows = calloc(s->n, sizeof(*s->rows));
	s->sites = calloc(s->n, sizeof(*s->sites));
	s->reasons = calloc(s->n, sizeof(*s->reasons));
	if (!s->rows || !s->sites || !s->reasons) {
		symbolizer__free(sy);
		return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct go_g *g = &s->gs[i];
		struct gr_row *row = &s->rows[i];

		symbolizer__add(sy, g->gopc); /* a return address: its call is the line */
		ev.type = WEFT_EV_SEG_BEGIN;
		ev.site = g->startpc;
		symbolizer__event(sy, &ev);
		row->g = g;
		row->site = report__site_short(&r, g->gopc, s->sites[i], sizeof(s->sites[i]));
		row->site_func = report__site_func(&r, g->gopc);
		row->start = report__start(&r, WEFT_KIND_GOROUTINE, g->startpc);
		row->reason = "";
		if (g->status == GO_GWAITING)
			row->reason = gomem__wait_reason(s->pid, &s->gi, s->bias, g->waitreason,
							 s->reasons[i], sizeof(s->reasons[i]));
		row->wait_ns = -1;
		if ((g->status == GO_GWAITING || g->status == GO_GSYSCALL) && g->waitsince > 0 &&
		    now >= g->waitsince)
			row->wait_ns = now - g->waitsince;
		s->nr_system += goroutines__is_system(row->start);
	}
	symbolizer__free(sy);
	qsort(s->rows, s->n, sizeof(*s->rows), cmp_row_goid);
	return 0;
}

int goroutines__run(const struct opts *o)
{
	struct snap s = { .o = o, .pid = o->pid };
	struct symtab *st = symtab__new();
	FILE *f = stdout;
	int rc = 1, ng;

	if (!st)
		return fail(&s, "out of memory");
	if (take(&s))
		goto out;
	if (symbolize(&s, st)) {
		fail(&s, "out of memory, or its /proc maps unreadable");
		goto out;
	}
	ng = goroutines__group(s.rows, s.n, &s.groups);
	if (ng < 0) {
		fail(&s, "out of memory");
		goto out;
	}
	s.ng = ng;
	if (o->output && !(f = fopen(o->output, "we"))) {
		fprintf(stderr, "weft: %s: %s\n", o->output, strerror(errno));
		goto out;
	}
	if (o->format == FMT_JSON)
		out_json(f, &s);
	else
		out_text(f, &s);
	if (f != stdout ? fclose(f) : fflush(f)) {
		fprintf(stderr, "weft: %s: write failed: %s\n", o->output ? o->output : "stdout",
			strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(s.gs);
	free(s.rows);
	free(s.sites);
	free(s.reasons);
	free(s.groups);
	symtab__free(st);
	return rc;
}
