// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The profile's outputs: per transaction name, time on and off CPU per
 * request with the top stacks (text, JSON), and folded stacks. Stacks are
 * merged by their function names, as perf report and flame graphs do: the
 * pcs of one loop make one stack. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

#define TOP_STACKS 3
#define MAX_NAMES 256

/* One transaction name's totals. */
struct name_row {
	const char *name;
	uint64_t count, segments, cpu_samples, cpu_ns, offcpu_ns, offcpu_spans, traps;
};

/* A stack as text, and its weight. */
struct agg {
	char *key;
	uint64_t w;
};

struct aggs {
	struct agg *v;
	size_t nr, cap;
};

static bool profiled(const struct report *r)
{
	return r->meta->sample_hz || r->meta->offcpu_min_ns || model__nr_samples(r->m);
}

/* Rows in the order names first appear among the transactions. */
static size_t name_rows(const struct model *m, struct name_row *rows, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < model__nr_txns(m); i++) {
		const struct txn *t = model__txn_at(m, i);
		const char *name = model__txn_name(m, t);
		size_t k;

		for (k = 0; k < n && strcmp(rows[k].name, name); k++)
			;
		if (k == n) {
			if (n == max)
				continue;
			memset(&rows[n], 0, sizeof(rows[n]));
			rows[n++].name = name;
		}
		rows[k].count++;
		rows[k].segments += t->nr_segments;
		rows[k].cpu_samples += t->cpu_samples;
		rows[k].cpu_ns += t->cpu_ns;
		rows[k].offcpu_ns += t->offcpu_ns;
		rows[k].offcpu_spans += t->offcpu_spans;
		rows[k].traps += t->traps;
	}
	return n;
}

/* A frame's name as flame graphs want it: no ';' (their separator). */
static const char *frame_name(const struct report *r, uint64_t addr, char *buf, size_t len)
{
	const struct sym *s = r->st ? symtab__find(r->st, addr) : NULL;
	const char *b;

	if (s && s->func[0]) /* without a symbol version: clock_gettime@@GLIBC_2.17 */
		snprintf(buf, len, "%.*s", (int)strcspn(s->func, "@"), s->func);
	else if (s && s->module[0]) {
		b = strrchr(s->module, '/');
		snprintf(buf, len, "[%s]", b ? b + 1 : s->module);
	} else
		snprintf(buf, len, "[unknown]");
	for (char *p = buf; *p; p++)
		if (*p == ';')
			*p = ':';
	return buf;
}

static const char *sample_txn_name(const struct report *r, const struct sample *s)
{
	const struct txn *t = s->txn ? model__txn(r->m, s->txn) : NULL;

	return t ? model__txn_name(r->m, t) : "(none)";
}

/* The sample's stack as "a;b;c": outermost first with root (the folded
 * form), else innermost first. */
static char *stack_key(const struct report *r, const struct sample *s, const char *root)
{
	uint32_t nr;
	const uint64_t *fr = model__stack(r->m, s->stack, &nr);
	size_t cap = 256, len = 0;
	char *k = malloc(cap), name[512];

	if (!k)
		return NULL;
	k[0] = 0;
	if (root)
		len = snprintf(k, cap, "%s", root);
	for (uint32_t i = 0; i < nr; i++) {
		uint64_t a = root ? fr[nr - 1 - i] : fr[i];
		size_t l;

		if (!a)
			continue;
		frame_name(r, a, name, sizeof(name));
		l = strlen(name);
		/* a run of code nothing names (a frame-pointer walk through
		 * code without them, JIT code): one frame */
		if (len >= l && !strcmp(name, "[unknown]") && !strcmp(k + len - l, name))
			continue;
		while (len + l + 2 > cap) {
			char *n = realloc(k, cap * 2);

			if (!n) {
				free(k);
				return NULL;
			}
			k = n;
			cap *= 2;
		}
		if (len)
			k[len++] = ';';
		memcpy(k + len, name, l + 1);
		len += l;
	}
	if (!len)
		snprintf(k, cap, "[no stack]");
	return k;
}

static int agg_key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct agg *)a)->key, ((const struct agg *)b)->key);
}

static int agg_w_cmp(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;

	if (x->w != y->w)
		return x->w < y->w ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* The samples on (or off) CPU of transactions named name (NULL: all), one
 * entry per distinct stack, sorted by key. Folded keys are rooted. */
static void aggregate(const struct report *r, const char *name, bool off_cpu, bool folded,
		      struct aggs *out)
{
	size_t j = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < model__nr_samples(r->m); i++) {
		const struct sample *s = model__sample_at(r->m, i);
		const char *tn = sample_txn_name(r, s);
		char *k;

		if (s->off_cpu != off_cpu || (name && strcmp(name, tn)))
			continue;
		k = stack_key(r, s, folded ? tn : NULL);
		if (!k)
			continue;
		if (out->nr == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 256;
			struct agg *n = realloc(out->v, cap * sizeof(*n));

			if (!n) {
				free(k);
				break;
			}
			out->v = n;
			out->cap = cap;
		}
		/* off-CPU weighs its time; on-CPU counts samples */
		out->v[out->nr++] = (struct agg){ k, off_cpu ? s->weight_ns : 1 };
	}
	if (!out->nr)
		return;
	qsort(out->v, out->nr, sizeof(*out->v), agg_key_cmp);
	for (size_t i = 1; i < out->nr; i++) {
		if (!strcmp(out->v[j].key, out->v[i].key)) {
			out->v[j].w += out->v[i].w;
			free(out->v[i].key);
		} else
			out->v[++j] = out->v[i];
	}
	out->nr = j + 1;
}

static void aggs_free(struct aggs *a)
{
	for (size_t i = 0; i < a->nr; i++)
		free(a->v[i].key);
	free(a->v);
}

void report__folded(FILE *f, const struct report *r, const char *txn, bool off_cpu)
{
	struct aggs a;

	aggregate(r, txn, off_cpu, true, &a);
	for (size_t i = 0; i < a.nr; i++) {
		uint64_t w = off_cpu ? (a.v[i].w + 500) / 1000 : a.v[i].w;

		if (w)
			fprintf(f, "%s %" PRIu64 "\n", a.v[i].key, w);
	}
	aggs_free(&a);
}

/* "a;b;c" (innermost first) printed as perf report's call chain. */
static void text_stack(FILE *f, const char *key, const char *head)
{
	const char *p = key;
	bool first = true;

	while (*p) {
		size_t l = strcspn(p, ";");

		fprintf(f, "    %-18s %.*s\n", first ? head : "", (int)l, p);
		first = false;
		p += l + (p[l] == ';');
	}
}

static void text_top(FILE *f, const struct report *r, const char *name, bool off_cpu,
		     uint64_t total)
{
	struct aggs a;
	char head[64], dur[32];

	aggregate(r, name, off_cpu, false, &a);
	if (!a.nr || !total) {
		aggs_free(&a);
		return;
	}
	qsort(a.v, a.nr, sizeof(*a.v), agg_w_cmp);
	fprintf(f, "  %s, %s:\n", name, off_cpu ? "off-CPU" : "on-CPU");
	for (size_t i = 0; i < a.nr && i < TOP_STACKS; i++) {
		if (off_cpu)
			snprintf(head, sizeof(head), "%5.1f%% %s", 100.0 * a.v[i].w / total,
				 fmt_duration(a.v[i].w, dur, sizeof(dur)));
		else
			snprintf(head, sizeof(head), "%5.1f%% %" PRIu64, 100.0 * a.v[i].w / total,
				 a.v[i].w);
		text_stack(f, a.v[i].key, head);
	}
	aggs_free(&a);
}

void report__profile_text(FILE *f, const struct report *r)
{
	const struct record_meta *mt = r->meta;
	const struct profile_outside *out = model__outside(r->m);
	struct name_row rows[MAX_NAMES];
	size_t n;
	char a[32], b[32], c[32], d[32], cpu[32];

	if (!profiled(r))
		return;
	n = name_rows(r->m, rows, MAX_NAMES);
	fprintf(f, "\nProfile per request (");
	if (mt->sample_hz)
		fprintf(f, "-F %" PRIu64 ": %" PRIu64 " samples, %" PRIu64 " lost", mt->sample_hz,
			mt->samples_taken, mt->samples_lost);
	else
		fprintf(f, "on-CPU not sampled");
	if (mt->offcpu_min_ns)
		fprintf(f, "; off-CPU spans >= %s, %" PRIu64 " shorter",
			fmt_duration(mt->offcpu_min_ns, a, sizeof(a)), mt->offcpu_short);
	fprintf(f, ")\n  %-30s %7s %9s %9s %10s %10s %8s %8s\n", "transaction", "count", "p50",
		"p99", "on-CPU", "off-CPU", "cont.", "traps");
	for (size_t i = 0; i < n; i++) {
		const struct name_row *w = &rows[i];

		fprintf(f, "  %-30.30s %7" PRIu64 " %9s %9s %10s %10s %8.1f %8.1f\n", w->name, w->count,
			fmt_duration(model__txn_quantile(r->m, w->name, 0.5), a, sizeof(a)),
			fmt_duration(model__txn_quantile(r->m, w->name, 0.99), b, sizeof(b)),
			fmt_duration(w->cpu_ns / w->count, c, sizeof(c)),
			fmt_duration(w->offcpu_ns / w->count, d, sizeof(d)),
			(double)w->segments / w->count, (double)w->traps / w->count);
	}
	if (out->cpu_samples || out->offcpu_spans)
		fprintf(f, "  %-30s %7s %9s %9s %10s %10s\n", "(outside any, in all)", "", "", "",
			fmt_duration(out->cpu_ns, cpu, sizeof(cpu)),
			fmt_duration(out->offcpu_ns, d, sizeof(d)));
	fprintf(f, "\nTop stacks (innermost first; on-CPU: share, samples; off-CPU: share, time)\n");
	for (size_t i = 0; i < n; i++) {
		text_top(f, r, rows[i].name, false, rows[i].cpu_samples);
		text_top(f, r, rows[i].name, true, rows[i].offcpu_ns);
	}
	text_top(f, r, "(none)", false, out->cpu_samples);
	for (size_t i = 0; i < model__nr_samples(r->m); i++)
		if (model__sample_at(r->m, i)->flags & WEFT_F_TRUNCATED) {
			fprintf(f, "  note: some stacks were cut at %d frames (their outermost "
				   "frames are missing)\n", WEFT_MAX_FRAMES);
			break;
		}
}

static void json_top(FILE *f, const struct report *r, const char *name, bool off_cpu)
{
	struct aggs a;

	aggregate(r, name, off_cpu, false, &a);
	qsort(a.v, a.nr, sizeof(*a.v), agg_w_cmp);
	fprintf(f, "\"%s\": [", off_cpu ? "top_offcpu_stacks" : "top_cpu_stacks");
	for (size_t i = 0; i < a.nr && i < TOP_STACKS; i++) {
		const char *p = a.v[i].key;

		fprintf(f, "%s{\"%s\": %" PRIu64 ", \"frames\": [", i ? ", " : "",
			off_cpu ? "offcpu_ns" : "samples", a.v[i].w);
		for (bool first = true; *p; first = false) {
			size_t l = strcspn(p, ";");
			char buf[512];

			snprintf(buf, sizeof(buf), "%.*s", (int)l, p);
			fputs(first ? "" : ", ", f);
			json_str(f, buf);
			p += l + (p[l] == ';');
		}
		fputs("]}", f);
	}
	fputs("]", f);
	aggs_free(&a);
}

void report__profile_json(FILE *f, const struct report *r)
{
	const struct record_meta *mt = r->meta;
	const struct profile_outside *out = model__outside(r->m);
	struct name_row rows[MAX_NAMES];
	size_t n = name_rows(r->m, rows, MAX_NAMES);
	bool truncated = false;

	for (size_t i = 0; i < model__nr_samples(r->m); i++)
		truncated |= !!(model__sample_at(r->m, i)->flags & WEFT_F_TRUNCATED);
	fprintf(f, "\"profile\": {\"sample_hz\": %" PRIu64 ", \"sample_period_ns\": %" PRIu64
		   ", \"samples_taken\": %" PRIu64 ", \"samples_lost\": %" PRIu64
		   ", \"offcpu_min_ns\": %" PRIu64 ", \"offcpu_short\": %" PRIu64
		   ", \"offcpu_short_ns\": %" PRIu64 ", \"stacks_truncated\": %s",
		mt->sample_hz, (uint64_t)(mt->sample_hz ? 1000000000ULL / mt->sample_hz : 0), mt->samples_taken,
		mt->samples_lost, mt->offcpu_min_ns, mt->offcpu_short, mt->offcpu_short_ns,
		truncated ? "true" : "false");
	fprintf(f, ",\n  \"outside\": {\"cpu_samples\": %" PRIu64 ", \"cpu_ns\": %" PRIu64
		   ", \"offcpu_ns\": %" PRIu64 ", \"offcpu_spans\": %" PRIu64 ", ",
		out->cpu_samples, out->cpu_ns, out->offcpu_ns, out->offcpu_spans);
	json_top(f, r, "(none)", false);
	fputs("},\n  \"by_name\": [", f);
	for (size_t i = 0; i < n; i++) {
		const struct name_row *w = &rows[i];

		fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
		json_str(f, w->name);
		fprintf(f, ", \"count\": %" PRIu64 ", \"p50_ns\": %" PRIu64 ", \"p99_ns\": %" PRIu64
			   ", \"cpu_samples\": %" PRIu64 ", \"cpu_ns\": %" PRIu64
			   ", \"offcpu_ns\": %" PRIu64 ", \"offcpu_spans\": %" PRIu64
			   ", \"cpu_ns_per_txn\": %" PRIu64 ", \"offcpu_ns_per_txn\": %" PRIu64
			   ", \"continuations_per_txn\": %.3f, \"traps\": %" PRIu64
			   ", \"traps_per_txn\": %.3f, ",
			w->count, model__txn_quantile(r->m, w->name, 0.5),
			model__txn_quantile(r->m, w->name, 0.99), w->cpu_samples, w->cpu_ns,
			w->offcpu_ns, w->offcpu_spans, w->cpu_ns / w->count, w->offcpu_ns / w->count,
			(double)w->segments / w->count, w->traps, (double)w->traps / w->count);
		json_top(f, r, w->name, false);
		fputs(", ", f);
		json_top(f, r, w->name, true);
		fputs("}", f);
	}
	fputs("]},\n", f);
}
