// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include "report.h"

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_u64_or_null(FILE *f, uint64_t v, int present)
{
	if (present)
		fprintf(f, "%" PRIu64, v);
	else
		fputs("null", f);
}

static void json_site(FILE *f, const struct report *r, uint64_t addr)
{
	char site[512];

	fputs("\"site\": ", f);
	json_str(f, report__site(r, addr, site, sizeof(site)));
	fputs(", \"site_func\": ", f);
	json_str(f, report__site_func(r, addr));
}

const char *seg_state_name(uint32_t s)
{
	switch (s) {
	case SEG_LIVE: return "live";
	case SEG_ENDED: return "ended";
	case SEG_PENDING: return "pending";
	case SEG_LEAKED: return "leaked";
	case SEG_POOLED: return "pooled";
	}
	return "?";
}

static void json_capture(FILE *f, const struct report *r)
{
	const struct record_meta *mt = r->meta;

	fprintf(f, "\"target\": {\"pid\": %u, \"exe\": ", mt->pid);
	json_str(f, mt->exe);
	if (mt->go_version[0]) {
		fputs(", \"go_version\": ", f);
		json_str(f, mt->go_version);
		fputs(", \"go_offsets\": ", f); /* "DWARF", "table" or "derived" */
		json_str(f, mt->go_offsets);
	}
	fprintf(f, "},\n\"capture\": {\"duration_ns\": %" PRIu64 ", \"events\": %" PRIu64
		   ", \"lost_events\": %" PRIu64 ", \"evicted\": %" PRIu64
		   ", \"nest_overflow\": %" PRIu64 ", \"go_reads_failed\": %" PRIu64
		   ", \"leak_grace_ns\": %" PRIu64 ", \"duplicate_ids\": %" PRIu64 ", \"host\": ",
		mt->end_ns - mt->start_ns, model__nr_events(r->m), mt->lost, mt->evicted,
		mt->nest_overflow, mt->go_reads_failed, mt->leak_grace_ns, model__nr_dup_ids(r->m));
	json_str(f, mt->host);
	if (mt->cut)
		fprintf(f, ", \"recording_cut\": {\"chunks\": %" PRIu64 ", \"events\": %" PRIu64
			   ", \"dropped_bytes\": %" PRIu64 "}",
			mt->cut_chunks, mt->cut_events, mt->cut_bytes);
	else
		fputs(", \"recording_cut\": null", f);
	if (mt->node_providers[0])
		fprintf(f, ", \"node_layout_suspect\": %" PRIu64, mt->node_suspect);
	if (mt->node_providers[0])
		fputs(", \"unseen\": \"Node continuations that exist only in JavaScript (timers, "
		      "nextTick, setImmediate, promises): no native event\"", f);
	fputs(", \"kernel\": ", f);
	json_str(f, mt->kernel);
	fputs(", \"probes\": [", f);
	for (int i = 0; i < r->pt->nr; i++) {
		fprintf(f, "%s\n  {\"id\": %d, \"name\": ", i ? "," : "", i);
		json_str(f, r->pt->names[i]);
		fputs(", \"spec\": ", f);
		json_str(f, r->pt->descs[i]);
		fprintf(f, ", \"hits\": %" PRIu64 ", \"sites\": [", mt->hits[i]);
		for (int j = 0; j < PROBE_SITE_KINDS && r->pt->sites[i][j].count; j++) {
			fprintf(f, "%s{\"insn\": ", j ? ", " : "");
			json_str(f, r->pt->sites[i][j].insn);
			fputs(", \"path\": ", f);
			json_str(f, r->pt->sites[i][j].path);
			fprintf(f, ", \"count\": %u}", r->pt->sites[i][j].count);
		}
		fputs("]}", f);
	}
	fputs("]},\n", f);
}

static void json_txns(FILE *f, const struct report *r)
{
	fputs("\"transactions\": [", f);
	for (size_t i = 0; i < model__nr_txns(r->m); i++) {
		const struct txn *t = model__txn_at(r->m, i);

		fprintf(f, "%s\n  {\"id\": %" PRIu64 ", \"name\": ", i ? "," : "", t->id);
		json_str(f, model__txn_name(r->m, t));
		fprintf(f, ", \"root_segment\": %" PRIu64 ", \"parent_segment\": %" PRIu64
			   ", \"begin_ns\": %" PRIu64 ", \"end_ns\": ",
			t->root_seg, t->parent_seg, t->begin_ns);
		json_u64_or_null(f, t->end_ns, t->end_ns != 0);
		fputs(", \"duration_ns\": ", f);
		json_u64_or_null(f, t->end_ns - t->begin_ns, t->end_ns != 0);
		fprintf(f, ", \"segments\": %" PRIu64 ", \"leaked\": %" PRIu64 ", \"conflated_with\": ",
			t->nr_segments, t->nr_leaked);
		json_u64_or_null(f, t->outer_txn, t->outer_txn != 0);
		fprintf(f, ", \"conflation_stale\": %s, \"to_itself\": %s, \"nested_in\": ",
			t->outer_ended ? "true" : "false", t->from_self ? "true" : "false");
		json_u64_or_null(f, t->nested_in, t->nested_in != 0);
		if (t->teardown) {
			/* Node: JavaScript's timers, armed when the process tore down */
			fprintf(f, ", \"timers_armed_at_teardown\": %" PRIu64 ", \"js_timer_due_ns\": ",
				t->timers_armed);
			json_u64_or_null(f, t->js_timer_due - 1, t->js_timer_due != 0);
		}
		fprintf(f, ", \"cpu_samples\": %" PRIu64 ", \"cpu_ns\": %" PRIu64
			   ", \"offcpu_ns\": %" PRIu64 ", \"traps\": %" PRIu64, t->cpu_samples, t->cpu_ns,
			t->offcpu_ns, t->traps);
		fputs("}", f);
	}
	fputs("],\n", f);
}

/* Long captures: the finished transactions kept only as totals */
static void json_folds(FILE *f, const struct report *r)
{
	const struct model *m = r->m;

	fprintf(f, "\"folded_segments\": %" PRIu64 ",\n\"folded_transactions\": [",
		model__nr_folded_segments(m));
	for (size_t i = 0; i < model__nr_folds(m); i++) {
		const struct txn_fold *fd = model__fold_at(m, i);

		fputs(i ? ",\n  {\"name\": " : "\n  {\"name\": ", f);
		json_str(f, fd->name);
		fprintf(f, ", \"count\": %" PRIu64 ", \"segments\": %" PRIu64 ", \"traps\": %" PRIu64
			   ", \"p50_ns\": %" PRIu64 ", \"p99_ns\": %" PRIu64 "}",
			fd->count, fd->segments, fd->traps, model__txn_quantile(m, fd->name, 0.5),
			model__txn_quantile(m, fd->name, 0.99));
	}
	fputs("],\n", f);
}

struct json_stack {
	FILE *f;
	int hop;
};

static void json_frame(void *ctx, unsigned hop, uint32_t kind, const char *text)
{
	struct json_stack *o = ctx;

	fputs((int)hop == o->hop ? ", " : o->hop < 0 ? "[" : "], [", o->f);
	(void)kind;
	o->hop = hop;
	json_str(o->f, text);
}

/* A leak's creation stack: one array of frames per continuation, its own
 * first, then its creator's... up to its transaction's root */
static void json_creation_stack(FILE *f, const struct report *r, const struct segment *s)
{
	struct json_stack o = { f, -1 };

	fputs(", \"creation_stack\": [", f);
	report__creation_stack(r, s, json_frame, &o);
	fputs(o.hop < 0 ? "]" : "]]", f);
}

static void json_segments(FILE *f, const struct report *r)
{
	fputs("\"segments\": [", f);
	for (size_t i = 0; i < model__nr_segments(r->m); i++) {
		const struct segment *s = model__segment_at(r->m, i);
		const char *start = report__start(r, s->kind, s->start);

		fprintf(f, "%s\n  {\"id\": %" PRIu64 ", \"parent\": %" PRIu64 ", \"txn\": %" PRIu64
			   ", \"kind\": \"%s\", \"obj\": %" PRIu64 ", \"tid\": %u, ",
			i ? "," : "", s->id, s->parent, s->txn, kind_name(s->kind), s->obj, s->tid);
		json_site(f, r, s->site);
		fputs(", \"start\": ", f);
		if (*start)
			json_str(f, start);
		else
			fputs("null", f);
		fprintf(f, ", \"begin_ns\": %" PRIu64 ", \"end_ns\": ", s->begin_ns);
		json_u64_or_null(f, s->end_ns, s->end_ns != 0);
		fprintf(f, ", \"state\": \"%s\", \"rule\": ", seg_state_name(s->state));
		if (s->rule)
			json_str(f, model__rule_name(s->rule));
		else
			fputs("null", f);
		if (s->state == SEG_LEAKED)
			json_creation_stack(f, r, s);
		fprintf(f, ", \"preattach\": %s, \"pooled\": %s, \"runs\": %" PRIu64 "}",
			(s->flags & WEFT_F_PREATTACH) ? "true" : "false", s->pooled ? "true" : "false",
			s->runs);
	}
	fputs("],\n", f);
}

static void json_conns(FILE *f, const struct report *r)
{
	fputs("\"connections\": [", f);
	for (size_t i = 0; i < model__nr_conns(r->m); i++) {
		const struct site_group *g = model__conn_at(r->m, i);
		const char *start = report__start(r, g->kind, g->start);

		fprintf(f, "%s\n  {", i ? "," : "");
		json_site(f, r, g->site);
		fputs(", \"start\": ", f);
		if (*start)
			json_str(f, start);
		else
			fputs("null", f);
		fputs(", \"server\": ", f);
		json_str(f, g->conn);
		fprintf(f, ", \"kind\": \"%s\", \"count\": %" PRIu64 "}", kind_name(g->kind), g->count);
	}
	fputs("],\n", f);
}

static void json_groups(FILE *f, const struct report *r, bool leaks)
{
	size_t n = leaks ? model__nr_leaks(r->m) : model__nr_orphans(r->m);

	fprintf(f, "\"%s\": [", leaks ? "leaks" : "orphans");
	for (size_t i = 0; i < n; i++) {
		const struct site_group *g = leaks ? model__leak_at(r->m, i) : model__orphan_at(r->m, i);

		fprintf(f, "%s\n  {", i ? "," : "");
		json_site(f, r, g->site);
		fputs(", \"start\": ", f);
		if (*report__start(r, g->kind, g->start))
			json_str(f, report__start(r, g->kind, g->start));
		else
			fputs("null", f);
		fprintf(f, ", \"kind\": \"%s\", \"count\": %" PRIu64, kind_name(g->kind), g->count);
		if (leaks) {
			fputs(", \"txns\": [", f);
			for (uint32_t k = 0; k < g->nr_txn_names; k++) {
				fputs(k ? ", " : "", f);
				json_str(f, g->txn_names[k]);
			}
			fprintf(f, "], \"max_age_ns\": %" PRIu64, g->max_age_ns);
			{
				char reason[64];

				fputs(", \"wait_reason\": ", f);
				if (g->has_wait &&
				    *report__wait_reason(r, g->wait_reason, reason, sizeof(reason)))
					json_str(f, reason);
				else
					fputs("null", f);
				fputs(", \"max_wait_ns\": ", f);
				json_u64_or_null(f, g->max_waited_ns, g->max_waited_ns != 0);
			}
		}
		fputs("}", f);
	}
	fputs("],\n", f);
}

static void json_conflations(FILE *f, const struct report *r)
{
	fputs("\"conflations\": [", f);
	for (size_t i = 0; i < model__nr_conflations(r->m); i++) {
		const struct txn *t = model__conflation_at(r->m, i);
		const struct txn *o = model__txn(r->m, t->outer_txn);

		fprintf(f, "%s\n  {\"txn\": %" PRIu64 ", \"txn_name\": ", i ? "," : "", t->id);
		json_str(f, model__txn_name(r->m, t));
		fprintf(f, ", \"outer_txn\": %" PRIu64 ", \"outer_name\": ", t->outer_txn);
		json_str(f, o ? model__txn_name(r->m, o) : "?");
		fprintf(f, ", \"stale\": %s, \"to_itself\": %s, \"chain\": [",
			t->outer_ended ? "true" : "false", t->from_self ? "true" : "false");
		{
			const struct segment *chain[16];
			size_t nc = model__conflation_chain(r->m, t, chain, 16);

			for (size_t k = 0; k < nc; k++) {
				fprintf(f, "%s{\"seg\": %" PRIu64 ", \"kind\": \"%s\", \"start\": ",
					k ? ", " : "", chain[k]->id, kind_name(chain[k]->kind));
				json_str(f, report__start(r, chain[k]->kind, chain[k]->start));
				fputs(", \"site_func\": ", f);
				json_str(f, report__site_func(r, chain[k]->site));
				fputs("}", f);
			}
		}
		fputs("]}", f);
	}
	fprintf(f, "],\n\"self_calls_untold\": %zu\n", model__nr_self_untold(r->m));
}

void report__json(FILE *f, const struct report *r)
{
	fputs("{", f);
	json_capture(f, r);
	report__profile_json(f, r);
	json_txns(f, r);
	json_folds(f, r);
	json_segments(f, r);
	json_groups(f, r, true);
	json_groups(f, r, false);
	json_conns(f, r);
	json_conflations(f, r);
	fputs("}\n", f);
}
