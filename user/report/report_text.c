// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <string.h>
#include "report.h"

const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case WEFT_KIND_THREAD: return "thread";
	case WEFT_KIND_TASK: return "task";
	case WEFT_KIND_TXN: return "txn";
	case WEFT_KIND_GOROUTINE: return "goroutine";
	case WEFT_KIND_ASYNC: return "async";
	case WEFT_KIND_CALL: return "call";
	case WEFT_KIND_PROCESS: return "process";
	}
	return "?";
}

const char *fmt_duration(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else if (ns < 60000000000ULL)
		snprintf(buf, len, "%.2fs", ns / 1e9);
	else
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", ns / (uint64_t)60000000000,
			 ns / (uint64_t)1000000000 % 60);
	return buf;
}

const char *report__site(const struct report *r, uint64_t addr, char *buf, size_t len)
{
	const struct sym *s = r->st ? symtab__find(r->st, addr) : NULL;

	if (!addr)
		return snprintf(buf, len, "(unknown)"), buf;
	if (!s) {
		snprintf(buf, len, "0x%" PRIx64, addr);
		return buf;
	}
	return sym__format(s, addr, buf, len);
}

const char *report__site_short(const struct report *r, uint64_t addr, char *buf, size_t len)
{
	const struct sym *s = r->st && addr ? symtab__find(r->st, addr) : NULL;

	if (!s || !s->func[0] || !s->line)
		return report__site(r, addr, buf, len);
	snprintf(buf, len, "%s (%s:%u)", s->func, s->file, s->line);
	return buf;
}

const char *report__site_func(const struct report *r, uint64_t addr)
{
	const struct sym *s = r->st && addr ? symtab__find(r->st, addr) : NULL;

	return s ? s->func : "";
}

/* A Node async resource's "start" is its provider type: its name. */
static const char *provider_name(const struct report *r, uint64_t type)
{
	static char bufs[4][48];
	static int next;
	char key[24], *b = bufs[next++ % 4];
	const char *p = r->meta ? r->meta->node_providers : "";
	int n = snprintf(key, sizeof(key), "%llu ", (unsigned long long)type);

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n)) {
			snprintf(b, sizeof(bufs[0]), "%.*s", (int)strcspn(p + n, "\n"), p + n);
			return b;
		}
	snprintf(b, sizeof(bufs[0]), type ? "provider %llu" : "", (unsigned long long)type);
	return b;
}

const char *report__start(const struct report *r, uint32_t kind, uint64_t addr)
{
	const struct sym *s;

	if (kind == WEFT_KIND_ASYNC)
		return provider_name(r, addr);
	if (kind == WEFT_KIND_CALL)
		return model__seg_name(r->m, addr);
	s = r->st && addr ? symtab__find(r->st, addr) : NULL;

	/* Kept only when it is a function's first byte: anything else means
	 * the pthread layout did not match the target's libc. */
	return s && s->off == 0 && s->func[0] ? s->func : "";
}

const char *report__wait_reason(const struct report *r, uint32_t code, char *buf, size_t len)
{
	const char *p = r->meta->go_wait_reasons;
	char key[16];
	int n = snprintf(key, sizeof(key), "%u ", code);

	buf[0] = 0;
	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, key, n)) {
			size_t l = strcspn(p + n, "\n");

			snprintf(buf, len, "%.*s", (int)l, p + n);
			break;
		}
	}
	return buf;
}

static void txn_row(FILE *f, const struct model *m, const char *name, size_t from)
{
	const struct txn_fold *fd = model__fold_named(m, name);
	uint64_t count = fd ? fd->count : 0, segs = fd ? fd->segments : 0, leaked = 0, open = 0;
	char p50[32], p99[32];

	for (size_t j = from; j < model__nr_txns(m); j++) {
		const struct txn *t = model__txn_at(m, j);

		if (strcmp(model__txn_name(m, t), name))
			continue;
		count++;
		segs += t->nr_segments;
		leaked += t->nr_leaked;
		open += !t->end_ns;
	}
	fprintf(f, "  %-38.38s %8" PRIu64 " %9s %9s %9" PRIu64 " %7" PRIu64 " %6" PRIu64 "\n", name,
		count, fmt_duration(model__txn_quantile(m, name, 0.5), p50, sizeof(p50)),
		fmt_duration(model__txn_quantile(m, name, 0.99), p99, sizeof(p99)), segs, leaked,
		open);
}

/* One row per transaction name, folded ones (long captures) counted in. */
static void text_txns(FILE *f, const struct report *r)
{
	const struct model *m = r->m;
	size_t n = model__nr_txns(m), nf = model__nr_folds(m);
	const char *seen[256];
	size_t nr_seen = 0;

	fprintf(f, "\nTransactions %34s %9s %9s %9s %7s %6s\n", "count", "p50", "p99", "segments",
		"leaked", "open");
	if (!n && !nf)
		fprintf(f, "  (none)\n");
	for (size_t i = 0; i < nf && nr_seen < 256; i++) {
		seen[nr_seen++] = model__fold_at(m, i)->name;
		txn_row(f, m, seen[nr_seen - 1], 0);
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = model__txn_name(m, model__txn_at(m, i));
		size_t k;

		for (k = 0; k < nr_seen && strcmp(seen[k], name); k++)
			;
		if (k < nr_seen || nr_seen == 256)
			continue;
		seen[nr_seen++] = name;
		txn_row(f, m, name, i);
	}
	if (nf)
		fprintf(f, "  (%" PRIu64 " finished transactions are in these totals only: their "
			   "percentiles within 3%%; --keep-txns 0 keeps each)\n",
			model__nr_folded_txns(m));
}

/* "site -> start" in width columns after indent spaces; when longer, the
 * start routine goes on a line of its own: names are never cut (Go's are
 * long: package paths, receivers, closures). */
static void site_lines(FILE *f, int indent, const char *site, int width)
{
	const char *arrow = strstr(site, " -> ");

	fprintf(f, "%*s", indent, "");
	if ((int)strlen(site) <= width || !arrow)
		fprintf(f, "%s\n", site);
	else
		fprintf(f, "%.*s\n%*s  -> %s\n", (int)(arrow - site), site, indent + 20, "",
			arrow + 4);
}
static void text_groups(FILE *f, const struct report *r, bool leaks)
{
	size_t n = leaks ? model__nr_leaks(r->m) : model__nr_orphans(r->m);
	char site[640], age[32], grace[32];
	const char *start;

	if (leaks)
		fprintf(f, "\nLeaked contexts (alive %s after their transaction ended)\n",
			fmt_duration(r->meta->leak_grace_ns, grace, sizeof(grace)));
	else
		fprintf(f, "\nOrphans (created outside any transaction)\n");
	if (!n) {
		fprintf(f, "  (none)\n");
		return;
	}
	if (leaks)
		fprintf(f, "  %6s  %-9s %8s  %s\n  %8s site -> start routine\n", "count", "kind",
			"oldest", "transactions", "");
	else
		fprintf(f, "  %6s  %-9s %s\n", "count", "kind", "site");
	for (size_t i = 0; i < n; i++) {
		const struct site_group *g = leaks ? model__leak_at(r->m, i) : model__orphan_at(r->m, i);

		report__site_short(r, g->site, site, sizeof(site));
		start = report__start(r, g->kind, g->start);
		if (*start && strlen(site) + 4 < sizeof(site))
			snprintf(site + strlen(site), sizeof(site) - strlen(site), " -> %s", start);
		if (leaks) {
			char names[256] = "";

			for (uint32_t k = 0; k < g->nr_txn_names; k++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					 k ? ", " : "", g->txn_names[k]);
			char wait[128] = "", reason[64], waited[32];

			if (g->has_wait && *report__wait_reason(r, g->wait_reason, reason,
								 sizeof(reason)))
				snprintf(wait, sizeof(wait), "  [%s%s%s]", reason,
					 g->max_waited_ns ? ", " : "",
					 g->max_waited_ns ? fmt_duration(g->max_waited_ns, waited,
									 sizeof(waited)) : "");
			/* two lines: sites and Go start functions are long */
			fprintf(f, "  %6" PRIu64 "  %-9s %8s  %.40s%s\n", g->count,
				kind_name(g->kind), fmt_duration(g->max_age_ns, age, sizeof(age)),
				names, wait);
			site_lines(f, 11, site, 88);
		} else {
			fprintf(f, "  %6" PRIu64 "  %-9s ", g->count, kind_name(g->kind));
			site_lines(f, 0, site, 80);
		}
	}
}

/* Not orphans: what servers start per connection, outside any request,
 * under the server they serve. */
static void text_conns(FILE *f, const struct report *r)
{
	size_t n = model__nr_conns(r->m);
	char site[640];
	const char *start;

	if (!n)
		return;
	fprintf(f, "\nConnections (started by a server for a connection, outside any request)\n");
	fprintf(f, "  %6s  %-9s %s\n", "count", "kind", "site");
	for (size_t i = 0; i < n; i++) {
		const char *server = model__conn_at(r->m, i)->conn;
		bool first = true;

		for (size_t k = 0; k < i && first; k++)
			first = strcmp(model__conn_at(r->m, k)->conn, server);
		if (!first)
			continue;
		fprintf(f, "  %s\n", server);
		for (size_t j = i; j < n; j++) {
			const struct site_group *g = model__conn_at(r->m, j);

			if (strcmp(g->conn, server))
				continue;
			report__site_short(r, g->site, site, sizeof(site));
			start = report__start(r, g->kind, g->start);
			if (*start && strlen(site) + 4 < sizeof(site))
				snprintf(site + strlen(site), sizeof(site) - strlen(site), " -> %s",
					 start);
			fprintf(f, "  %6" PRIu64 "  %-9s ", g->count, kind_name(g->kind));
			site_lines(f, 0, site, 80);
		}
	}
}

static void text_conflations(FILE *f, const struct report *r)
{
	size_t n = model__nr_conflations(r->m);

	fprintf(f, "\nConflations (a transaction began inside another's context)\n");
	if (!n && !model__nr_self_untold(r->m))
		fprintf(f, "  (none)\n");
	for (size_t i = 0; i < n && i < 20; i++) {
		const struct txn *t = model__conflation_at(r->m, i);
		const struct txn *o = model__txn(r->m, t->outer_txn);

		const struct segment *chain[8];
		size_t nc = model__conflation_chain(r->m, t, chain, 8);

		fprintf(f, "  txn %" PRIu64 " %-24.24s inside txn %" PRIu64 " %-24.24s%s%s\n", t->id,
			model__txn_name(r->m, t), t->outer_txn, o ? model__txn_name(r->m, o) : "?",
			t->from_self ? " (a call to itself)" : "",
			t->outer_ended ? " (stale: it had ended)" : "");
		for (size_t k = 0; k < nc; k++) {
			const char *st = report__start(r, chain[k]->kind, chain[k]->start);

			fprintf(f, "      %s %s %s%s%s\n", k ? "<-" : "in", kind_name(chain[k]->kind),
				*st ? st : "", *st ? " from " : "from ",
				report__site_func(r, chain[k]->site)[0] ? report__site_func(r, chain[k]->site)
									: "?");
		}
		if (nc)
			fprintf(f, "      <- txn %" PRIu64 "\n", t->outer_txn);
	}
	if (n > 20)
		fprintf(f, "  ... %zu more (--format json lists all)\n", n - 20);
	if (model__nr_self_untold(r->m))
		fprintf(f, "  %zu more began on a call the target made to itself, from a caller not "
			"told apart (several transactions had a call of that method open)\n",
			model__nr_self_untold(r->m));
}

void report__text(FILE *f, const struct report *r)
{
	const struct record_meta *mt = r->meta;
	char dur[32], line[256];
	uint64_t pending = 0, live = 0, pooled = 0;

	for (size_t i = 0; i < model__nr_segments(r->m); i++) {
		const struct segment *s = model__segment_at(r->m, i);

		pending += s->state == SEG_PENDING;
		pooled += s->state == SEG_POOLED;
		live += s->state == SEG_LIVE && s->kind != WEFT_KIND_TXN;
	}
	fprintf(f, "weft: pid %u (%s), %s, %" PRIu64 " events, %" PRIu64 " lost, %" PRIu64
		   " evicted\n",
		mt->pid, mt->exe, fmt_duration(mt->end_ns - mt->start_ns, dur, sizeof(dur)),
		model__nr_events(r->m), mt->lost, mt->evicted);
	if (mt->go_version[0])
		fprintf(f, "go: %s, runtime layout %s\n", mt->go_version,
			!strcmp(mt->go_offsets, "derived") ? "derived from its code (no DWARF, no table row)"
			: !strcmp(mt->go_offsets, "table") ? "from the offsets table (no DWARF)"
			: "from its DWARF");
	fprintf(f, "segments: %" PRIu64 ", live at end: %" PRIu64 ", pending (within grace): %"
		   PRIu64 "%s",
		model__nr_segments(r->m) + model__nr_folded_segments(r->m), live, pending,
		pooled ? "" : "\n");
	if (pooled)
		fprintf(f, ", pooled (idle in a pool): %" PRIu64 "\n", pooled);
	text_txns(f, r);
	report__profile_text(f, r);
	text_groups(f, r, true);
	if (r->pt->txns_traced) {
		text_groups(f, r, false);
		text_conns(f, r);
	}
	text_conflations(f, r);
	report__tree(f, r);
	fprintf(f, "\nProbes %57s\n", "hits");
	for (int i = 0; i < r->pt->nr; i++) {
		if (!mt->hits[i] && i < PROBE_FIRST_SPEC)
			continue; /* built-in probes that were not attached or never fired */
		fprintf(f, "  %-16.16s %-40.40s %12" PRIu64 "\n", r->pt->names[i], r->pt->descs[i],
			mt->hits[i]);
		/* where its traps are, and what the kernel does at each */
		for (int j = 0; j < PROBE_SITE_KINDS && r->pt->sites[i][j].count; j++)
			fprintf(f, "  %16s   at %u x %s: %s\n", "", r->pt->sites[i][j].count,
				r->pt->sites[i][j].insn, r->pt->sites[i][j].path);
	}
	if (mt->nest_overflow)
		fprintf(f, "\nwarning: %" PRIu64 " task runs or transactions nested deeper than the "
			   "per-thread limit were not tracked\n", mt->nest_overflow);
	if (mt->node_providers[0])
		fprintf(f, "\nnote: Node continuations that exist only in JavaScript (timers, nextTick, "
			   "setImmediate,\n      promises) have no native event: weft does not see them, "
			   "nor guess them.\n      What their callbacks create has the context of the "
			   "resource that created it natively.\n");
	if (mt->node_suspect)
		fprintf(f, "\nwarning: %" PRIu64 " Node resources broke the layout's invariants (type out "
			   "of range, ids not growing): the offsets may not fit this build\n",
			mt->node_suspect);
	if (mt->go_reads_failed)
		fprintf(f, "\nwarning: %" PRIu64 " reads of the goroutine list failed (--go-lean): "
			   "exits near them are known late\n", mt->go_reads_failed);
	if (mt->samples_lost)
		fprintf(f, "\nwarning: %" PRIu64 " of %" PRIu64 " samples lost (ring buffer full): "
			   "raise --ringbuf-mb or lower -F\n", mt->samples_lost, mt->samples_taken);
	if (report__losses(mt, line, sizeof(line)))
		fprintf(f, "\nwarning: %s\n", line);
	if (model__nr_dup_ids(r->m))
		fprintf(f, "\nwarning: %" PRIu64 " continuations or transactions began with an id "
			   "already given (the first kept): a weft bug, please report it\n",
			model__nr_dup_ids(r->m));
}

bool report__losses(const struct record_meta *mt, char *buf, size_t len)
{
	char lost[48] = "", evicted[64] = "";

	if (mt->lost)
		snprintf(lost, sizeof(lost), "%" PRIu64 " events lost", mt->lost);
	if (mt->evicted)
		snprintf(evicted, sizeof(evicted), "%" PRIu64 " map entries not stored", mt->evicted);
	snprintf(buf, len, "%s%s%s: the report misses what they held; raise %s%s%s", lost,
		 lost[0] && evicted[0] ? " and " : "", evicted, lost[0] ? "--ringbuf-mb" : "",
		 lost[0] && evicted[0] ? ", " : "", evicted[0] ? "--max-threads or --max-tasks" : "");
	return mt->lost || mt->evicted;
}
