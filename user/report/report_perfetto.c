// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The capture as a Chrome trace-event JSON file (Perfetto UI, chrome://tracing,
 * speedscope): a track per thread and per goroutine, a complete ("X") slice
 * per transaction, per continuation's life and per off-CPU span, a flow arrow
 * from each continuation's creator to it, on-CPU samples as instants.
 *
 * Duration slices on one track must nest (the format says so; Perfetto and
 * speedscope rely on it), but a continuation's life can overlap a transaction
 * on its thread without nesting. So each track is a family of lanes: a slice
 * goes on the first lane where it nests, and overflow lanes are extra tids. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "idmap.h"
#include "report.h"

/* Above Linux's PID_MAX_LIMIT (4M): no real tid collides with a lane or a
 * goroutine track. */
#define SYNTH_TID 4194304u

enum fam_type { FAM_THREAD = 1, FAM_GOROUTINE, FAM_TASKS, FAM_ASYNC, FAM_PROCS };
enum sl_type { SL_TXN, SL_SEG, SL_OFFCPU };
enum out_type { OUT_SLICE, OUT_FLOW_S, OUT_FLOW_F, OUT_SAMPLE };

struct lane {
	uint32_t tid;
	uint64_t *ends; /* stack of the open slices' ends */
	size_t nr, cap;
};

struct family {
	uint32_t type;
	uint64_t key; /* tid, goid, 0 */
	const char *name;
	struct lane *lanes;
	uint32_t nr_lanes;
};

struct slice {
	uint64_t b, e;
	uint32_t fam, tid, type;
	size_t idx; /* into the txns, segments or samples */
};

struct out {
	uint64_t ts;
	uint32_t rank, type;
	size_t idx, seq;
};

struct pf {
	const struct report *r;
	FILE *f;
	uint64_t t0, t_end;
	struct family *fams;
	size_t nr_fams, cap_fams;
	struct idmap fam_idx; /* (type << 56 | key) + 1 -> family */
	struct slice *sl;
	size_t nr_sl, cap_sl;
	struct idmap seg_sl; /* segment id -> its slice (a txn root: the txn's) */
	struct out *out;
	size_t nr_out, cap_out;
	uint32_t next_tid;
	size_t nr_printed;
};

static int grow(void **p, size_t *cap, size_t want, size_t size)
{
	void *n;

	if (want <= *cap)
		return 0;
	n = realloc(*p, (*cap ? *cap * 2 : 64) * size);
	if (!n)
		return -1;
	*p = n;
	*cap = *cap ? *cap * 2 : 64;
	return 0;
}

static int family(struct pf *p, uint32_t type, uint64_t key, const char *name, uint32_t *out)
{
	uint64_t k = ((uint64_t)type << 56 | (key & ((1ULL << 56) - 1))) + 1;
	struct family *fm;

	if (idmap__get(&p->fam_idx, k, out))
		return 0;
	if (grow((void **)&p->fams, &p->cap_fams, p->nr_fams + 1, sizeof(*p->fams)) ||
	    idmap__put(&p->fam_idx, k, (uint32_t)p->nr_fams))
		return -1;
	fm = &p->fams[p->nr_fams];
	memset(fm, 0, sizeof(*fm));
	fm->type = type;
	fm->key = key;
	fm->name = name;
	*out = (uint32_t)p->nr_fams++;
	return 0;
}

static int thread_family(struct pf *p, uint32_t tid, uint32_t *out)
{
	return family(p, FAM_THREAD, tid ? tid : p->r->meta->pid, NULL, out);
}

static int add_slice(struct pf *p, uint32_t fam, uint32_t type, size_t idx, uint64_t b, uint64_t e)
{
	struct slice *s;

	if (grow((void **)&p->sl, &p->cap_sl, p->nr_sl + 1, sizeof(*p->sl)))
		return -1;
	s = &p->sl[p->nr_sl++];
	s->b = b < p->t0 ? p->t0 : b;
	s->e = e && e > s->b ? e : (e ? s->b : p->t_end);
	if (s->e < s->b)
		s->e = s->b;
	s->fam = fam;
	s->type = type;
	s->idx = idx;
	return 0;
}

static int add_out(struct pf *p, uint64_t ts, uint32_t rank, uint32_t type, size_t idx)
{
	struct out *o;

	if (grow((void **)&p->out, &p->cap_out, p->nr_out + 1, sizeof(*p->out)))
		return -1;
	o = &p->out[p->nr_out];
	o->ts = ts < p->t0 ? p->t0 : ts;
	o->rank = rank;
	o->type = type;
	o->idx = idx;
	o->seq = p->nr_out++;
	return 0;
}

/* The family a segment's life goes on. */
static int seg_family(struct pf *p, const struct segment *s, uint32_t *fam)
{
	switch (s->kind) {
	case WEFT_KIND_THREAD:
		return thread_family(p, (uint32_t)(s->obj ? s->obj : s->tid), fam);
	case WEFT_KIND_GOROUTINE:
		return family(p, FAM_GOROUTINE, s->obj, NULL, fam);
	case WEFT_KIND_ASYNC:
		return family(p, FAM_ASYNC, 0, "async resources", fam);
	case WEFT_KIND_PROCESS:
		return family(p, FAM_PROCS, 0, "processes", fam);
	default:
		return family(p, FAM_TASKS, 0, "tasks", fam);
	}
}

/* A transaction goes on the goroutine it began in, else the thread. */
static int txn_family(struct pf *p, const struct txn *t, uint32_t *fam)
{
	const struct segment *root = model__segment(p->r->m, t->root_seg);
	uint32_t i;

	if (idmap__get(&p->seg_sl, t->parent_seg, &i) &&
	    p->fams[p->sl[i].fam].type == FAM_GOROUTINE) {
		*fam = p->sl[i].fam;
		return 0;
	}
	return thread_family(p, root ? root->tid : 0, fam);
}

static int gather_slices(struct pf *p)
{
	const struct model *m = p->r->m;
	uint32_t fam;

	/* threads first, so their tracks carry their start routine's name */
	for (size_t i = 0; i < model__nr_segments(m); i++) {
		const struct segment *s = model__segment_at(m, i);

		if (s->kind == WEFT_KIND_THREAD && seg_family(p, s, &fam) == 0 &&
		    !p->fams[fam].name && *report__start(p->r, s->kind, s->start))
			p->fams[fam].name = report__start(p->r, s->kind, s->start);
	}
	for (size_t i = 0; i < model__nr_segments(m); i++) {
		const struct segment *s = model__segment_at(m, i);

		if (s->kind == WEFT_KIND_TXN)
			continue; /* its transaction's slice stands for it */
		if (seg_family(p, s, &fam) || add_slice(p, fam, SL_SEG, i, s->begin_ns, s->end_ns) ||
		    idmap__put(&p->seg_sl, s->id, (uint32_t)(p->nr_sl - 1)))
			return -1;
	}
	for (size_t i = 0; i < model__nr_txns(m); i++) {
		const struct txn *t = model__txn_at(m, i);

		if (txn_family(p, t, &fam) || add_slice(p, fam, SL_TXN, i, t->begin_ns, t->end_ns) ||
		    idmap__put(&p->seg_sl, t->root_seg, (uint32_t)(p->nr_sl - 1)))
			return -1;
	}
	for (size_t i = 0; i < model__nr_samples(m); i++) {
		const struct sample *s = model__sample_at(m, i);

		if (s->off_cpu && (thread_family(p, s->tid, &fam) ||
				   add_slice(p, fam, SL_OFFCPU, i, s->ts_ns, s->ts_ns + s->weight_ns)))
			return -1;
	}
	return 0;
}

static int by_begin(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;

	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	if (x->e != y->e)
		return x->e > y->e ? -1 : 1; /* the longer one encloses */
	return x->type < y->type ? -1 : x->type > y->type;
}

/* The segment a slice stands for (a transaction: its root). */
static const struct segment *slice_seg(struct pf *p, const struct slice *s)
{
	const struct model *m = p->r->m;

	return s->type == SL_SEG ? model__segment_at(m, s->idx)
				 : model__segment(m, model__txn_at(m, s->idx)->root_seg);
}

/* Puts each slice on the first lane of its family where it nests. */
static int assign_lanes(struct pf *p)
{
	qsort(p->sl, p->nr_sl, sizeof(*p->sl), by_begin);
	/* the slices moved: index them again */
	idmap__free(&p->seg_sl);
	for (size_t i = 0; i < p->nr_sl; i++) {
		const struct slice *s = &p->sl[i];

		const struct segment *sg = s->type != SL_OFFCPU ? slice_seg(p, s) : NULL;

		if (sg && idmap__put(&p->seg_sl, sg->id, (uint32_t)i))
			return -1;
	}
	for (size_t i = 0; i < p->nr_sl; i++) {
		struct slice *s = &p->sl[i];
		struct family *fm = &p->fams[s->fam];
		struct lane *l = NULL;
		uint32_t k;

		for (k = 0; k < fm->nr_lanes; k++) {
			l = &fm->lanes[k];
			while (l->nr && l->ends[l->nr - 1] <= s->b)
				l->nr--;
			if (!l->nr || l->ends[l->nr - 1] >= s->e)
				break;
		}
		if (k == fm->nr_lanes) {
			struct lane *n = realloc(fm->lanes, (k + 1) * sizeof(*n));

			if (!n)
				return -1;
			fm->lanes = n;
			l = &n[fm->nr_lanes++];
			memset(l, 0, sizeof(*l));
			l->tid = fm->type == FAM_THREAD && k == 0 ? (uint32_t)fm->key : p->next_tid++;
		}
		if (grow((void **)&l->ends, &l->cap, l->nr + 1, sizeof(*l->ends)))
			return -1;
		l->ends[l->nr++] = s->e;
		s->tid = l->tid;
	}
	return 0;
}

/* A family's first lane, made if it has none (a track with samples only). */
static uint32_t first_lane(struct pf *p, uint32_t fam)
{
	struct family *fm = &p->fams[fam];

	if (!fm->nr_lanes) {
		fm->lanes = calloc(1, sizeof(*fm->lanes));
		if (!fm->lanes)
			return SYNTH_TID - 1; /* unnamed, but the trace stays valid */
		fm->nr_lanes = 1;
		fm->lanes[0].tid = fm->type == FAM_THREAD ? (uint32_t)fm->key : p->next_tid++;
	}
	return fm->lanes[0].tid;
}

/* The track of a sample: its goroutine's when known, else its thread's. */
static uint32_t sample_tid(struct pf *p, const struct sample *s)
{
	uint32_t fam;

	if (s->obj && family(p, FAM_GOROUTINE, s->obj, NULL, &fam) == 0)
		return first_lane(p, fam);
	if (thread_family(p, s->tid, &fam) == 0)
		return first_lane(p, fam);
	return s->tid;
}

static int by_ts(const void *a, const void *b)
{
	const struct out *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Where the arrow leaves the parent: the child's birth, kept inside the
 * parent's slice so that it binds to it. */
static uint64_t flow_start(const struct slice *parent, uint64_t ts)
{
	if (ts < parent->b)
		return parent->b;
	if (ts >= parent->e)
		return parent->e > parent->b ? parent->e - 1 : parent->b;
	return ts;
}

static int gather_out(struct pf *p)
{
	const struct model *m = p->r->m;
	uint32_t pi;

	for (size_t i = 0; i < p->nr_sl; i++)
		if (add_out(p, p->sl[i].b, 0, OUT_SLICE, i))
			return -1;
	for (size_t i = 0; i < p->nr_sl; i++) {
		const struct slice *s = &p->sl[i];
		const struct segment *sg = s->type != SL_OFFCPU ? slice_seg(p, s) : NULL;

		if (!sg || !sg->parent || !idmap__get(&p->seg_sl, sg->parent, &pi) || pi == i)
			continue;
		if (add_out(p, flow_start(&p->sl[pi], s->b), 1, OUT_FLOW_S, i) ||
		    add_out(p, s->b, 1, OUT_FLOW_F, i))
			return -1;
	}
	for (size_t i = 0; i < model__nr_samples(m); i++) {
		const struct sample *s = model__sample_at(m, i);

		if (s->off_cpu)
			continue;
		sample_tid(p, s); /* makes its goroutine's track, named with the others */
		if (add_out(p, s->ts_ns, 2, OUT_SAMPLE, i))
			return -1;
	}
	qsort(p->out, p->nr_out, sizeof(*p->out), by_ts);
	return 0;
}

/* Microseconds since the capture's start, to the nanosecond. */
static void put_us(FILE *f, const char *key, uint64_t ns)
{
	fprintf(f, ", \"%s\": %" PRIu64 ".%03u", key, ns / 1000, (unsigned)(ns % 1000));
}

/* A frame's function, else its address. */
static const char *frame_name(const struct report *r, uint64_t pc, char *buf, size_t len)
{
	const char *fn = report__site_func(r, pc);

	if (*fn)
		return fn;
	snprintf(buf, len, "0x%" PRIx64, pc);
	return buf;
}

/* "inner <- caller <- ..." */
static const char *stack_text(const struct report *r, const struct sample *s, char *buf, size_t len)
{
	uint32_t nr = 0;
	const uint64_t *pcs = model__stack(r->m, s->stack, &nr);
	size_t n = 0;

	buf[0] = 0;
	for (uint32_t i = 0; pcs && i < nr && n + 1 < len; i++) {
		char a[24];

		n += snprintf(buf + n, len - n, "%s%s", i ? " <- " : "", frame_name(r, pcs[i], a, sizeof(a)));
	}
	return buf;
}

static const char *inner_name(const struct report *r, const struct sample *s, char *buf, size_t len)
{
	uint32_t nr = 0;
	const uint64_t *pcs = model__stack(r->m, s->stack, &nr);

	return pcs && nr ? frame_name(r, pcs[0], buf, len) : "(no stack)";
}

static void ev_head(struct pf *p, const char *ph, uint32_t tid, uint64_t ts)
{
	fprintf(p->f, "%s\n{\"ph\": \"%s\", \"pid\": %u, \"tid\": %u", p->nr_printed++ ? "," : "", ph,
		p->r->meta->pid, tid);
	put_us(p->f, "ts", ts - p->t0);
}

static void emit_txn(struct pf *p, const struct slice *s)
{
	const struct txn *t = model__txn_at(p->r->m, s->idx);

	fputs(", \"cat\": \"txn\", \"name\": ", p->f);
	json_str(p->f, model__txn_name(p->r->m, t));
	fprintf(p->f, ", \"args\": {\"txn\": %" PRIu64 ", \"leaked\": %" PRIu64
		      ", \"segments\": %" PRIu64 ", \"state\": \"%s\"}}",
		t->id, t->nr_leaked, t->nr_segments, t->end_ns ? "ended" : "open");
}

static void emit_seg(struct pf *p, const struct slice *s)
{
	const struct segment *sg = model__segment_at(p->r->m, s->idx);
	const struct txn *t = sg->txn ? model__txn(p->r->m, sg->txn) : NULL;
	const char *start = report__start(p->r, sg->kind, sg->start);
	const char *from = report__site_func(p->r, sg->site);
	char name[512], site[512];

	if (*start)
		snprintf(name, sizeof(name), "%s %s", kind_name(sg->kind), start);
	else if (*from)
		snprintf(name, sizeof(name), "%s from %s", kind_name(sg->kind), from);
	else
		snprintf(name, sizeof(name), "%s", kind_name(sg->kind));
	fputs(", \"cat\": \"segment\", \"name\": ", p->f);
	json_str(p->f, name);
	fprintf(p->f, ", \"args\": {\"seg\": %" PRIu64 ", \"parent\": %" PRIu64 ", \"txn\": %" PRIu64
		      ", \"txn_name\": ",
		sg->id, sg->parent, sg->txn);
	json_str(p->f, t ? model__txn_name(p->r->m, t) : "");
	fprintf(p->f, ", \"kind\": \"%s\", \"obj\": %" PRIu64 ", \"state\": \"%s\", \"site\": ",
		kind_name(sg->kind), sg->obj, seg_state_name(sg->state));
	json_str(p->f, report__site_short(p->r, sg->site, site, sizeof(site)));
	fprintf(p->f, ", \"preattach\": %s}}", (sg->flags & WEFT_F_PREATTACH) ? "true" : "false");
}

static void emit_sample_args(struct pf *p, const struct sample *s)
{
	const struct txn *t = s->txn ? model__txn(p->r->m, s->txn) : NULL;
	char stack[2048];

	fprintf(p->f, ", \"args\": {\"txn\": %" PRIu64 ", \"txn_name\": ", s->txn);
	json_str(p->f, t ? model__txn_name(p->r->m, t) : "");
	fprintf(p->f, ", \"seg\": %" PRIu64 ", \"truncated\": %s, \"stack\": ", s->seg,
		(s->flags & WEFT_F_TRUNCATED) ? "true" : "false");
	json_str(p->f, stack_text(p->r, s, stack, sizeof(stack)));
	fputs("}}", p->f);
}

static void emit_slice(struct pf *p, const struct slice *s)
{
	ev_head(p, "X", s->tid, s->b);
	put_us(p->f, "dur", s->e - s->b);
	if (s->type == SL_TXN) {
		emit_txn(p, s);
	} else if (s->type == SL_SEG) {
		emit_seg(p, s);
	} else {
		const struct sample *sm = model__sample_at(p->r->m, s->idx);
		char a[24], name[300];

		snprintf(name, sizeof(name), "off-CPU %s", inner_name(p->r, sm, a, sizeof(a)));
		fputs(", \"cat\": \"offcpu\", \"name\": ", p->f);
		json_str(p->f, name);
		emit_sample_args(p, sm);
	}
}

/* v1 flow events: "s" binds to the slice open on the parent's track, "f"
 * with bp "e" to the one open on the child's (the child's own). */
static void emit_flow(struct pf *p, const struct out *o)
{
	const struct slice *s = &p->sl[o->idx];
	const struct segment *sg = slice_seg(p, s);
	uint32_t pi = 0;

	if (o->type == OUT_FLOW_S)
		idmap__get(&p->seg_sl, sg->parent, &pi);
	ev_head(p, o->type == OUT_FLOW_S ? "s" : "f", o->type == OUT_FLOW_S ? p->sl[pi].tid : s->tid,
		o->ts);
	fprintf(p->f, ", \"cat\": \"flow\", \"name\": \"created\", \"id\": \"0x%" PRIx64 "\"%s}",
		sg->id, o->type == OUT_FLOW_F ? ", \"bp\": \"e\"" : "");
}

static void emit_sample(struct pf *p, const struct out *o)
{
	const struct sample *s = model__sample_at(p->r->m, o->idx);
	char a[24];

	ev_head(p, "i", sample_tid(p, s), o->ts);
	fputs(", \"s\": \"t\", \"cat\": \"cpu\", \"name\": ", p->f);
	json_str(p->f, inner_name(p->r, s, a, sizeof(a)));
	emit_sample_args(p, s);
}

static void emit_meta(struct pf *p, const char *what, uint32_t tid, const char *name, uint64_t sort)
{
	fprintf(p->f, "%s\n{\"ph\": \"M\", \"pid\": %u, \"tid\": %u, \"name\": \"%s\", \"args\": {",
		p->nr_printed++ ? "," : "", p->r->meta->pid, tid, what);
	if (name) {
		fputs("\"name\": ", p->f);
		json_str(p->f, name);
	} else {
		fprintf(p->f, "\"sort_index\": %" PRIu64, sort);
	}
	fputs("}}", p->f);
}

/* Names the tracks: a thread by its start routine, a goroutine by its id,
 * an overflow lane by its family and number. */
static void emit_tracks(struct pf *p)
{
	const char *exe = strrchr(p->r->meta->exe, '/');

	emit_meta(p, "process_name", 0, exe ? exe + 1 : p->r->meta->exe, 0);
	for (size_t i = 0; i < p->nr_fams; i++) {
		const struct family *fm = &p->fams[i];

		for (uint32_t k = 0; k < fm->nr_lanes; k++) {
			char name[300], base[280];

			if (fm->type == FAM_GOROUTINE)
				snprintf(base, sizeof(base), "goroutine %" PRIu64, fm->key);
			else if (fm->type == FAM_THREAD)
				snprintf(base, sizeof(base), "%s", fm->name ? fm->name
						: fm->key == p->r->meta->pid ? "main" : "thread");
			else
				snprintf(base, sizeof(base), "%s", fm->name);
			if (k && fm->type == FAM_THREAD)
				snprintf(name, sizeof(name), "%s %" PRIu64 " (lane %u)", base, fm->key, k + 1);
			else if (k)
				snprintf(name, sizeof(name), "%s (lane %u)", base, k + 1);
			else
				snprintf(name, sizeof(name), "%s", base);
			emit_meta(p, "thread_name", fm->lanes[k].tid, name, 0);
			/* a thread's lanes after it, goroutines by id after the threads */
			emit_meta(p, "thread_sort_index", fm->lanes[k].tid, NULL,
				  fm->type == FAM_THREAD ? fm->key * 16 + (k < 15 ? k : 15)
				  : fm->type == FAM_GOROUTINE ? (SYNTH_TID + fm->key) * 16 + (k < 15 ? k : 15)
							     : (uint64_t)fm->lanes[k].tid * 16);
		}
	}
}

static void emit_trace(struct pf *p)
{
	fprintf(p->f, "{\"displayTimeUnit\": \"ns\", \"otherData\": {\"tool\": \"weft\", \"pid\": %u"
		      ", \"exe\": ", p->r->meta->pid);
	json_str(p->f, p->r->meta->exe);
	fprintf(p->f, ", \"capture_start_ns\": %" PRIu64 ", \"duration_ns\": %" PRIu64
		      ", \"lost_events\": %" PRIu64 ", \"evicted\": %" PRIu64
		      ", \"samples_lost\": %" PRIu64 ", \"recording_cut\": %s"
		      ", \"samples\": \"on-CPU: instant events, cat cpu; off-CPU: X slices, cat offcpu\"},"
		      "\n\"traceEvents\": [",
		p->t0, p->t_end - p->t0, p->r->meta->lost, p->r->meta->evicted,
		p->r->meta->samples_lost, p->r->meta->cut ? "true" : "false");
	emit_tracks(p);
	for (size_t i = 0; i < p->nr_out; i++) {
		const struct out *o = &p->out[i];

		if (o->type == OUT_SLICE)
			emit_slice(p, &p->sl[o->idx]);
		else if (o->type == OUT_SAMPLE)
			emit_sample(p, o);
		else
			emit_flow(p, o);
	}
	fputs("\n]}\n", p->f);
}

void report__perfetto(FILE *f, const struct report *r)
{
	const struct model *m = r->m;
	struct pf p = { .r = r, .f = f, .next_tid = SYNTH_TID };
	uint64_t first = model__first_ns(m), last = model__last_ns(m);

	p.t0 = r->meta->start_ns && (!first || r->meta->start_ns < first) ? r->meta->start_ns
									    : first;
	p.t_end = r->meta->end_ns > last ? r->meta->end_ns : last;
	if (p.t_end < p.t0)
		p.t_end = p.t0;
	if (gather_slices(&p) || assign_lanes(&p) || gather_out(&p)) {
		fprintf(stderr, "weft: perfetto export: out of memory\n");
		fputs("{\"traceEvents\": []}\n", f);
		goto cleanup;
	}
	emit_trace(&p);
cleanup:
	for (size_t i = 0; i < p.nr_fams; i++) {
		for (uint32_t k = 0; k < p.fams[i].nr_lanes; k++)
			free(p.fams[i].lanes[k].ends);
		free(p.fams[i].lanes);
	}
	free(p.fams);
	free(p.sl);
	free(p.out);
	idmap__free(&p.fam_idx);
	idmap__free(&p.seg_sl);
}
