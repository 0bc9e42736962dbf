// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pprof export: profile.proto written by hand. The schema is small and
 * fixed, so a few wire-format helpers (varints, length-delimited fields,
 * packed repeated scalars) beat a protobuf library. The tables
 * (prof_tab.c) and the string table are written last, so every string is
 * interned while the rest is built. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "pb.h"
#include "pprof.h"
#include "prof_tab.h"

/* Samples merged by (transaction, stack, truncated): their values add up,
 * as pprof would add them. name: the label (NULL: "(none)"). */
struct psample {
	const char *name;
	uint64_t txn, v[3];
	uint32_t stack;
	bool truncated;
};

static int psample_cmp(const void *a, const void *b)
{
	const struct psample *x = a, *y = b;

	if (x->txn != y->txn)
		return x->txn < y->txn ? -1 : 1;
	if (x->stack != y->stack)
		return x->stack < y->stack ? -1 : 1;
	return (int)x->truncated - (int)y->truncated;
}

static size_t merged_samples(const struct model *m, struct psample **out, bool *has_off)
{
	size_t n = model__nr_samples(m), j = 0;
	struct psample *v = calloc(n ? n : 1, sizeof(*v));

	*out = v;
	if (!v)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct sample *s = model__sample_at(m, i);
		const struct txn *t = s->txn ? model__txn(m, s->txn) : NULL;

		v[i].txn = t ? t->id : 0;
		v[i].stack = s->stack;
		v[i].truncated = !!(s->flags & WEFT_F_TRUNCATED);
		/* samples/count counts on-CPU samples only */
		v[i].v[0] = !s->off_cpu;
		v[i].v[s->off_cpu ? 2 : 1] = s->weight_ns;
		*has_off |= s->off_cpu;
	}
	qsort(v, n, sizeof(*v), psample_cmp);
	for (size_t i = 0; i < n; i++) {
		if (j && !psample_cmp(&v[j - 1], &v[i]))
			for (int k = 0; k < 3; k++)
				v[j - 1].v[k] += v[i].v[k];
		else
			v[j++] = v[i];
	}
	for (size_t i = 0; i < j; i++) {
		const struct txn *t = v[i].txn ? model__txn(m, v[i].txn) : NULL;

		v[i].name = t ? model__txn_name(m, t) : NULL;
	}
	return j;
}

/* The label pprof's -tagfocus matches: no spaces ("GET /users" ->
 * "GET_/users"). */
static uint64_t txn_label(struct prof_tab *b, const char *name)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", name ? name : "(none)");
	for (char *p = buf; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n')
			*p = '_';
	return prof_tab__str(b, buf);
}

static void encode_sample(struct prof_tab *b, struct pb *out, const struct psample *ps,
			  size_t nr_types, struct pb *sub)
{
	uint64_t ids[WEFT_MAX_FRAMES + 1];
	uint32_t n = prof_tab__stack(b, ps->stack, ps->truncated, ids);
	struct pb lab = { 0 };

	pb_packed(sub, 1, ids, n);
	pb_packed(sub, 2, ps->v, nr_types);
	pb_uint(&lab, 1, prof_tab__str(b, "txn"));
	pb_uint(&lab, 2, txn_label(b, ps->name));
	pb_msg(sub, 3, &lab);
	if (ps->txn) {
		pb_uint(&lab, 1, prof_tab__str(b, "txn_id"));
		pb_uint(&lab, 3, ps->txn);
		pb_msg(sub, 3, &lab);
	}
	sub->oom |= lab.oom;
	free(lab.p);
	pb_msg(out, 2, sub);
}

static void encode_tables(struct prof_tab *b, struct pb *out, struct pb *sub)
{
	struct pb line = { 0 };

	for (size_t i = 0; i < b->nr_maps; i++) {
		const struct prof_map *m = &b->maps[i];

		pb_uint(sub, 1, i + 1);
		pb_uint(sub, 2, m->lo);
		pb_uint(sub, 3, m->hi + 1);
		pb_uint(sub, 5, m->file);
		pb_uint(sub, 7, 1); /* has_functions: symbolized, pprof must not redo it */
		pb_uint(sub, 8, m->lines);
		pb_uint(sub, 9, m->lines);
		pb_msg(out, 3, sub);
	}
	for (size_t i = 0; i < b->nr_locs; i++) {
		const struct prof_loc *l = &b->locs[i];

		pb_uint(sub, 1, i + 1);
		pb_uint(sub, 2, l->map);
		pb_uint(sub, 3, l->addr);
		pb_uint(&line, 1, l->func);
		pb_uint(&line, 2, l->line);
		pb_msg(sub, 4, &line);
		pb_msg(out, 4, sub);
	}
	for (size_t i = 0; i < b->nr_funcs; i++) {
		pb_uint(sub, 1, i + 1);
		pb_uint(sub, 2, b->funcs[i].name);
		pb_uint(sub, 3, b->funcs[i].sys);
		pb_uint(sub, 4, b->funcs[i].file);
		pb_msg(out, 5, sub);
	}
	out->oom |= line.oom;
	free(line.p);
}

static void value_type(struct prof_tab *b, struct pb *out, uint32_t field, struct pb *sub,
		       const char *type, const char *unit)
{
	pb_uint(sub, 1, prof_tab__str(b, type));
	pb_uint(sub, 2, prof_tab__str(b, unit));
	pb_msg(out, field, sub);
}

static int encode(struct prof_tab *b, const struct psample *ps, size_t n,
		  const struct pprof_head *h, uint8_t **out, size_t *len)
{
	struct pb o = { 0 }, samples = { 0 }, sub = { 0 };
	size_t nr_types = h->off_cpu ? 3 : 2;
	uint64_t comment;
	int rc = -1;

	prof_tab__str(b, ""); /* index 0, as the format requires */
	value_type(b, &o, 1, &sub, "samples", "count");
	value_type(b, &o, 1, &sub, "cpu", "nanoseconds");
	if (h->off_cpu)
		value_type(b, &o, 1, &sub, "offcpu", "nanoseconds");
	/* the exe's mapping first: pprof names the profile's "File" by it */
	if (h->exe && h->exe[0])
		prof_tab__map(b, h->exe, 0, false);
	for (size_t i = 0; i < n; i++)
		encode_sample(b, &samples, &ps[i], nr_types, &sub);
	pb_put(&o, samples.p, samples.len);
	o.oom |= samples.oom;
	encode_tables(b, &o, &sub);
	comment = prof_tab__str(b, h->comment ? h->comment : "");
	{
		uint64_t per_t = prof_tab__str(b, "cpu"), per_u = prof_tab__str(b, "nanoseconds");
		uint64_t def = prof_tab__str(b, h->period_ns || !h->off_cpu ? "cpu" : "offcpu");

		/* the string table: complete now */
		for (size_t i = 0; i < b->s.nr; i++)
			pb_bytes(&o, 6, b->s.v[i], strlen(b->s.v[i]));
		pb_uint(&o, 9, h->time_ns);
		pb_uint(&o, 10, h->duration_ns);
		pb_uint(&sub, 1, per_t);
		pb_uint(&sub, 2, per_u);
		pb_msg(&o, 11, &sub);
		pb_uint(&o, 12, h->period_ns);
		pb_packed(&o, 13, &comment, 1);
		pb_uint(&o, 14, def);
	}
	if (!(o.oom || sub.oom || samples.oom || prof_tab__oom(b))) {
		*out = o.p;
		*len = o.len;
		o.p = NULL;
		rc = 0;
	}
	free(o.p);
	free(sub.p);
	free(samples.p);
	prof_tab__free(b);
	return rc;
}

int pprof__encode(const struct report *r, uint64_t time_ns, uint8_t **out, size_t *len)
{
	struct prof_tab b = { .m = r->m, .st = r->st };
	const struct record_meta *mt = r->meta;
	struct psample *ps;
	bool has_off = mt->offcpu_min_ns != 0, truncated = false;
	size_t n = merged_samples(r->m, &ps, &has_off);
	char text[1024];
	struct pprof_head h = {
		.time_ns = time_ns,
		.duration_ns = mt->end_ns > mt->start_ns ? mt->end_ns - mt->start_ns : 0,
		.period_ns = mt->sample_hz ? 1000000000ULL / mt->sample_hz : 0,
		.off_cpu = has_off,
		.exe = mt->exe,
		.comment = text,
	};
	int rc;

	if (!ps)
		return -1;
	for (size_t i = 0; i < n; i++)
		truncated |= ps[i].truncated;
	snprintf(text, sizeof(text), "weft: pid %u %s; -F %llu: %llu samples taken, %llu lost; "
		 "%llu events lost, %llu map entries not stored%s%s",
		 mt->pid, mt->exe, (unsigned long long)mt->sample_hz,
		 (unsigned long long)mt->samples_taken, (unsigned long long)mt->samples_lost,
		 (unsigned long long)mt->lost, (unsigned long long)mt->evicted,
		 mt->cut ? "; the recording was cut: its end is missing" : "",
		 truncated ? "; some stacks cut short ([truncated])" : "");
	rc = encode(&b, ps, n, &h, out, len);
	free(ps);
	return rc;
}

int pprof__encode_agg(const struct profile_agg *a, const struct model *m, const struct symtab *st,
		      const struct pprof_head *h, uint8_t **out, size_t *len)
{
	struct prof_tab b = { .m = m, .st = st };
	struct psample *ps = calloc(a->nr_rows ? a->nr_rows : 1, sizeof(*ps));
	int rc;

	if (!ps)
		return -1;
	for (size_t i = 0; i < a->nr_rows; i++) {
		const struct profile_row *r = &a->rows[i];

		ps[i] = (struct psample){ .name = a->names[r->name], .stack = r->stack,
					  .truncated = r->truncated };
		memcpy(ps[i].v, r->v, sizeof(r->v));
	}
	rc = encode(&b, ps, a->nr_rows, h, out, len);
	free(ps);
	return rc;
}

int pprof__gzip(const uint8_t *buf, size_t len, uint8_t **out, size_t *outlen)
{
	z_stream z = { 0 };
	uint8_t *o;
	size_t cap;

	/* 15 + 16: a gzip wrapper, which pprof expects, not zlib's */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
		return -1;
	cap = deflateBound(&z, len);
	o = malloc(cap);
	if (!o || len > UINT32_MAX) {
		free(o);
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)buf;
	z.avail_in = (uInt)len;
	z.next_out = o;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		free(o);
		deflateEnd(&z);
		return -1;
	}
	*out = o;
	*outlen = z.total_out;
	deflateEnd(&z);
	return 0;
}

int pprof__write(FILE *f, const char *path, const struct report *r, uint64_t time_ns)
{
	uint8_t *raw = NULL, *gz = NULL;
	size_t len, gzlen;
	int rc = -1;

	if (pprof__encode(r, time_ns, &raw, &len) || pprof__gzip(raw, len, &gz, &gzlen)) {
		fprintf(stderr, "weft: %s: out of memory\n", path);
		goto out;
	}
	if (fwrite(gz, 1, gzlen, f) != gzlen || fflush(f)) {
		fprintf(stderr, "weft: %s: write failed: %s\n", path, strerror(errno));
		goto out;
	}
	if (!model__nr_samples(r->m))
		fprintf(stderr, "weft: %s: the profile is empty: the capture has no samples "
				"(record with -F HZ or --off-cpu)\n", path);
	rc = 0;
out:
	free(raw);
	free(gz);
	return rc;
}
