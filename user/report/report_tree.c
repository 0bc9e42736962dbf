// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One transaction's tree in the text report: what its root created, at any
 * depth, with each continuation's site, start routine and fate. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

#define TREE_MAX_LINES 40

struct tree {
	const struct report *r;
	const struct txn *t;
	const struct segment **segs; /* the txn's segments, creation order */
	size_t n;
	int lines;
};

static const char *fate(const struct tree *tr, const struct segment *s, char *buf, size_t len)
{
	char d[32];

	switch (s->state) {
	case SEG_LEAKED:
		if (s->end_ns)
			snprintf(buf, len, "LEAKED: ended %s after",
				 fmt_duration(s->end_ns - tr->t->end_ns, d, sizeof(d)));
		else
			snprintf(buf, len, "LEAKED: alive at the end");
		break;
	case SEG_PENDING:
		snprintf(buf, len, "alive, within grace");
		break;
	case SEG_LIVE:
		snprintf(buf, len, "alive");
		break;
	case SEG_POOLED:
		snprintf(buf, len, "pooled: idle, not a leak");
		break;
	default:
		if (tr->t->end_ns && s->end_ns > tr->t->end_ns)
			snprintf(buf, len, "ended %s after the txn",
				 fmt_duration(s->end_ns - tr->t->end_ns, d, sizeof(d)));
		else
			snprintf(buf, len, "ended after %s",
				 fmt_duration(s->end_ns - s->begin_ns, d, sizeof(d)));
	}
	return buf;
}

static void tree_print(FILE *f, struct tree *tr, uint64_t parent, int depth)
{
	char site[512], how[64], line[1200];
	int width;

	for (size_t i = 0; i < tr->n; i++) {
		const struct segment *s = tr->segs[i];
		const char *start;

		if (s->parent != parent)
			continue;
		if (++tr->lines > TREE_MAX_LINES) {
			if (tr->lines == TREE_MAX_LINES + 1)
				fprintf(f, "  ... (--format json has every segment)\n");
			return;
		}
		start = report__start(tr->r, s->kind, s->start);
		report__site_short(tr->r, s->site, site, sizeof(site));
		fate(tr, s, how, sizeof(how));
		/* 100 columns when it fits; else the site on a line of its own
		 * (names are never cut) */
		snprintf(line, sizeof(line), "  %*s%-6s %s%s%s", depth * 2, "", kind_name(s->kind),
			 *start ? start : "", *start ? " from " : "", site);
		width = 100 - 4 - (int)strlen(how);
		if ((int)strlen(line) <= width || !*start)
			fprintf(f, "%s  [%s]\n", line, how);
		else
			fprintf(f, "  %*s%-6s %s  [%s]\n%*sfrom %s\n", depth * 2, "",
				kind_name(s->kind), start, how,
				3 + depth * 2 + (int)(strlen(kind_name(s->kind)) > 6
							  ? strlen(kind_name(s->kind)) : 6),
				"", site);
		tree_print(f, tr, s->id, depth + 1);
	}
}

/* The first transaction with a leak, else the slowest one. */
static const struct txn *pick(const struct model *m)
{
	const struct txn *best = NULL;

	for (size_t i = 0; i < model__nr_txns(m); i++) {
		const struct txn *t = model__txn_at(m, i);

		if (t->nr_leaked)
			return t;
		if (t->end_ns && (!best || t->end_ns - t->begin_ns > best->end_ns - best->begin_ns))
			best = t;
	}
	return best;
}

void report__tree(FILE *f, const struct report *r)
{
	const struct model *m = r->m;
	const struct txn *t = pick(m);
	struct tree tr = { .r = r, .t = t };
	char d[32], site[256];

	if (!t)
		return;
	tr.segs = calloc(t->nr_segments + 1, sizeof(*tr.segs));
	if (!tr.segs)
		return;
	for (size_t i = 0; i < model__nr_segments(m) && tr.n < t->nr_segments; i++) {
		const struct segment *s = model__segment_at(m, i);

		if (s->txn == t->id && s->id != t->root_seg)
			tr.segs[tr.n++] = s;
	}
	fprintf(f, "\nTransaction %" PRIu64 " (%s, %s%s): %" PRIu64 " segments, %" PRIu64
		   " leaked\n",
		t->id, model__txn_name(m, t),
		t->end_ns ? fmt_duration(t->end_ns - t->begin_ns, d, sizeof(d)) : "open",
		t->nr_leaked ? ", the first with a leak" : ", the slowest", t->nr_segments,
		t->nr_leaked);
	{
		const struct segment *root = model__segment(m, t->root_seg);

		/* a named request (HTTP, gRPC) keeps no stack: where it was caught */
		if ((!root || !root->site) && t->name[0] && r->pt && t->probe < (uint32_t)r->pt->nr)
			fprintf(f, "  txn    %s in %s\n", t->name, r->pt->names[t->probe]);
		else
			fprintf(f, "  txn    %s from %s\n", model__txn_name(m, t),
				report__site_short(r, root ? root->site : 0, site, sizeof(site)));
	}
	tree_print(f, &tr, t->root_seg, 1);
	free(tr.segs);
}
