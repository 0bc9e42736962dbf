/* The pprof export on a synthetic model: the bytes are decoded here by a
 * tiny protobuf reader, independent of the encoder, and checked field by
 * field; then the gzip round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>
#include "model.h"
#include "opts.h"
#include "pprof.h"
#include "report.h"

#define MS 1000000ULL
#define P_TXN 6

/* ---- a minimal decoder: varint and length-delimited fields only ---- */

struct rd {
	const uint8_t *p, *end;
};

static uint64_t rd_varint(struct rd *r)
{
	uint64_t v = 0;

	for (int shift = 0; r->p < r->end; shift += 7) {
		uint8_t c = *r->p++;

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	fail_msg("truncated varint");
	return 0;
}

/* The next field: its number, and its value (varint) or bytes (len). */
static int rd_field(struct rd *r, uint64_t *v, struct rd *sub)
{
	uint64_t key = rd_varint(r);

	if ((key & 7) == 0) {
		*v = rd_varint(r);
	} else if ((key & 7) == 2) {
		uint64_t n = rd_varint(r);

		assert_true(n <= (uint64_t)(r->end - r->p));
		sub->p = r->p;
		sub->end = r->p + n;
		r->p += n;
	} else {
		fail_msg("wire type %d not expected", (int)(key & 7));
	}
	return (int)(key >> 3);
}

/* A repeated scalar, packed or not. */
static void rd_repeated(uint64_t v, struct rd *sub, bool packed, uint64_t *out, size_t *n,
			size_t max)
{
	if (!packed) {
		assert_true(*n < max);
		out[(*n)++] = v;
		return;
	}
	while (sub->p < sub->end) {
		assert_true(*n < max);
		out[(*n)++] = rd_varint(sub);
	}
}

struct dlabel {
	uint64_t key, str, num;
};
struct dsample {
	uint64_t locs[40], vals[4];
	size_t nlocs, nvals, nlabs;
	struct dlabel labs[4];
};
struct dloc {
	uint64_t id, map, addr, func, line;
};
struct dfunc {
	uint64_t id, name, sys, file;
};
struct dmap {
	uint64_t id, lo, hi, file, has_funcs;
};
struct dprof {
	char *str[128];
	size_t nstr, ntypes, nsamples, nlocs, nfuncs, nmaps, ncomments;
	uint64_t type[4], unit[4], comment[4];
	struct dsample s[32];
	struct dloc l[32];
	struct dfunc f[32];
	struct dmap m[8];
	uint64_t time, dur, ptype, punit, period, dflt;
};

static void dec_sample(struct rd *r, struct dsample *s)
{
	struct rd sub = { 0 }, lr;
	uint64_t v = 0;

	while (r->p < r->end) {
		uint64_t key_peek = r->p[0] & 7;
		int f = rd_field(r, &v, &sub);

		if (f == 1)
			rd_repeated(v, &sub, key_peek == 2, s->locs, &s->nlocs, 40);
		else if (f == 2)
			rd_repeated(v, &sub, key_peek == 2, s->vals, &s->nvals, 4);
		else if (f == 3) {
			struct dlabel *l = &s->labs[s->nlabs++];

			lr = sub;
			while (lr.p < lr.end) {
				int g = rd_field(&lr, &v, &sub);

				if (g == 1)
					l->key = v;
				else if (g == 2)
					l->str = v;
				else if (g == 3)
					l->num = v;
			}
		}
	}
}

/* Fields 1..n of a flat message of varints into out[1..n]. */
static void dec_flat(struct rd *r, uint64_t *out, int n, struct rd *nested4)
{
	struct rd sub = { 0 };
	uint64_t v = 0;

	while (r->p < r->end) {
		int f = rd_field(r, &v, &sub);

		if (f == 4 && nested4)
			*nested4 = sub;
		else if (f <= n)
			out[f] = v;
	}
}

static void decode(const uint8_t *buf, size_t len, struct dprof *d)
{
	struct rd r = { buf, buf + len }, sub = { 0 };
	uint64_t v = 0, x[12];

	memset(d, 0, sizeof(*d));
	while (r.p < r.end) {
		uint64_t wire = r.p[0] & 7;
		int f = rd_field(&r, &v, &sub);

		memset(x, 0, sizeof(x));
		switch (f) {
		case 1:
			dec_flat(&sub, x, 2, NULL);
			d->type[d->ntypes] = x[1];
			d->unit[d->ntypes++] = x[2];
			break;
		case 2: dec_sample(&sub, &d->s[d->nsamples++]); break;
		case 3:
			dec_flat(&sub, x, 7, NULL);
			d->m[d->nmaps++] = (struct dmap){ x[1], x[2], x[3], x[5], x[7] };
			break;
		case 4: {
			struct rd line = { 0 };
			uint64_t y[3] = { 0 };

			dec_flat(&sub, x, 3, &line);
			dec_flat(&line, y, 2, NULL);
			d->l[d->nlocs++] = (struct dloc){ x[1], x[2], x[3], y[1], y[2] };
			break;
		}
		case 5:
			dec_flat(&sub, x, 4, NULL);
			d->f[d->nfuncs++] = (struct dfunc){ x[1], x[2], x[3], x[4] };
			break;
		case 6: d->str[d->nstr++] = strndup((const char *)sub.p, sub.end - sub.p); break;
		case 9: d->time = v; break;
		case 10: d->dur = v; break;
		case 11:
			dec_flat(&sub, x, 2, NULL);
			d->ptype = x[1];
			d->punit = x[2];
			break;
		case 12: d->period = v; break;
		case 13: rd_repeated(v, &sub, wire == 2, d->comment, &d->ncomments, 4); break;
		case 14: d->dflt = v; break;
		default: fail_msg("unexpected field %d", f);
		}
	}
}

static void dprof_free(struct dprof *d)
{
	for (size_t i = 0; i < d->nstr; i++)
		free(d->str[i]);
}

static const char *S(const struct dprof *d, uint64_t i)
{
	assert_true(i < d->nstr);
	return d->str[i];
}

static const struct dloc *loc(const struct dprof *d, uint64_t id)
{
	for (size_t i = 0; i < d->nlocs; i++)
		if (d->l[i].id == id)
			return &d->l[i];
	fail_msg("no location %llu", (unsigned long long)id);
	return NULL;
}

static const struct dfunc *func(const struct dprof *d, uint64_t id)
{
	for (size_t i = 0; i < d->nfuncs; i++)
		if (d->f[i].id == id)
			return &d->f[i];
	fail_msg("no function %llu", (unsigned long long)id);
	return NULL;
}

/* A sample as "txn|txn_id|leaf;...;root|v0,v1,v2", to compare as text. */
static void sample_text(const struct dprof *d, const struct dsample *s, char *buf, size_t len)
{
	const char *txn = "?";
	char id[32] = "-";
	size_t n;

	for (size_t i = 0; i < s->nlabs; i++) {
		if (!strcmp(S(d, s->labs[i].key), "txn"))
			txn = S(d, s->labs[i].str);
		else if (!strcmp(S(d, s->labs[i].key), "txn_id"))
			snprintf(id, sizeof(id), "%llu", (unsigned long long)s->labs[i].num);
	}
	n = snprintf(buf, len, "%s|%s|", txn, id);
	for (size_t i = 0; i < s->nlocs; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? ";" : "",
			      S(d, func(d, loc(d, s->locs[i])->func)->name));
	n += snprintf(buf + n, len - n, "|");
	for (size_t i = 0; i < s->nvals; i++)
		n += snprintf(buf + n, len - n, "%s%llu", i ? "," : "",
			      (unsigned long long)s->vals[i]);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the synthetic capture ---- */

static void sample(struct model *m, uint32_t type, uint64_t ts, uint64_t txn, uint64_t weight,
		   const uint64_t *frames, uint32_t nr, uint32_t flags)
{
	struct weft_event e = { .ts_ns = ts, .type = type, .kind = WEFT_KIND_THREAD, .tid = 1,
				.seg = 100, .txn = txn, .nr_frames = nr, .flags = flags };

	if (type == WEFT_EV_OFFCPU)
		e.obj = weight;
	if (nr)
		memcpy(e.frames, frames, nr * sizeof(frames[0]));
	model__feed(m, &e);
}

static void txn(struct model *m, uint32_t type, uint64_t ts, uint64_t id, const char *name)
{
	struct weft_event e = { .ts_ns = ts, .type = type, .kind = WEFT_KIND_TXN, .seg = 10 + id,
				.txn = id, .probe = P_TXN };

	if (name) /* a marker's name: no frames */
		snprintf(e.name, sizeof(e.name), "%s", name);
	else {
		e.frames[0] = 0x1000;
		e.nr_frames = 1;
	}
	model__feed(m, &e);
}

static void add_sym(struct symtab *st, uint64_t addr, const char *func, const char *file,
		    uint32_t line, const char *module)
{
	struct sym s = { .addr = addr, .func = func, .file = file, .line = line, .module = module };

	assert_int_equal(symtab__add(st, &s), 0);
}

struct fixture {
	struct model *m;
	struct symtab *st;
	struct record_meta meta;
	struct report r;
	struct profile_agg *agg;
};

/* txn 1 "GET /users" (a marker) spins and sleeps; txn 2 (named by its
 * probe) sleeps and has a truncated stack; outside: samples of txn 0, of a
 * transaction never seen, and one without a stack. */
static void fixture_make(struct fixture *fx, bool with_samples)
{
	struct model_opts o = { .leak_grace_ns = MS, .txns_traced = true, .sample_period_ns = MS };
	const uint64_t spin[3] = { 0x4010, 0x4100, 0x4200 }, spin2[3] = { 0x9000, 0x4100, 0x4200 };
	const uint64_t nap[2] = { 0x7000, 0x4200 }, cut[1] = { 0x4010 };

	memset(fx, 0, sizeof(*fx));
	o.probe_names[P_TXN] = "handle_request";
	fx->m = model__new(&o);
	fx->st = symtab__new();
	assert_non_null(fx->m);
	add_sym(fx->st, 0x4010, "spin_cpu", "cpushape.c", 40, "/bin/app");
	add_sym(fx->st, 0x4100, "run_spin", "cpushape.c", 70, "/bin/app");
	add_sym(fx->st, 0x4200, "main", "cpushape.c", 99, "/bin/app");
	add_sym(fx->st, 0x7000, "clock_nanosleep@@GLIBC_2.17", "", 0, "/lib/libc.so.6");
	fx->meta = (struct record_meta){ .pid = 42, .sample_hz = 1000, .offcpu_min_ns = 100000,
					 .start_ns = 1000, .end_ns = 1000 + 2000 * MS,
					 .samples_taken = 9 };
	snprintf(fx->meta.exe, sizeof(fx->meta.exe), "/bin/app");
	if (with_samples) {
		txn(fx->m, WEFT_EV_TXN_BEGIN, 2 * MS, 1, "GET /users");
		for (int i = 0; i < 3; i++)
			sample(fx->m, WEFT_EV_SAMPLE, (3 + i) * MS, 1, 0, spin, 3, 0);
		sample(fx->m, WEFT_EV_SAMPLE, 6 * MS, 1, 0, spin2, 3, 0);
		sample(fx->m, WEFT_EV_OFFCPU, 7 * MS, 1, 4 * MS + 7, nap, 2, 0);
		txn(fx->m, WEFT_EV_TXN_END, 20 * MS, 1, NULL);
		txn(fx->m, WEFT_EV_TXN_BEGIN, 30 * MS, 2, NULL);
		sample(fx->m, WEFT_EV_OFFCPU, 31 * MS, 2, 250000, nap, 2, 0);
		sample(fx->m, WEFT_EV_SAMPLE, 32 * MS, 2, 0, cut, 1, WEFT_F_TRUNCATED);
		txn(fx->m, WEFT_EV_TXN_END, 40 * MS, 2, NULL);
		sample(fx->m, WEFT_EV_SAMPLE, 41 * MS, 0, 0, spin, 3, 0);
		sample(fx->m, WEFT_EV_SAMPLE, 42 * MS, 77, 0, spin, 3, 0);
		sample(fx->m, WEFT_EV_OFFCPU, 43 * MS, 0, 3 * MS, NULL, 0, WEFT_F_NOSTACK);
	} else {
		fx->meta.offcpu_min_ns = 0;
	}
	model__finish(fx->m, 100 * MS);
	fx->r = (struct report){ .m = fx->m, .st = fx->st, .meta = &fx->meta };
}

static void fixture_free(struct fixture *fx)
{
	model__free(fx->m);
	symtab__free(fx->st);
}

static void test_encode(void **state)
{
	struct fixture fx;
	struct dprof d;
	uint8_t *buf;
	size_t len;
	char *got[32], text[32][512];
	const char *want[] = {
		"(none)|-|[no stack]|0,0,3000000",
		"(none)|-|spin_cpu;run_spin;main|2,2000000,0",
		"GET_/users|1|[unknown];run_spin;main|1,1000000,0",
		"GET_/users|1|clock_nanosleep;main|0,0,4000007",
		"GET_/users|1|spin_cpu;run_spin;main|3,3000000,0",
		"handle_request|2|clock_nanosleep;main|0,0,250000",
		"handle_request|2|spin_cpu;[truncated]|1,1000000,0",
	};
	uint64_t sum[3] = { 0 };
	bool seen[32] = { false };

	fixture_make(&fx, true);
	assert_int_equal(pprof__encode(&fx.r, 1700000000123456789ULL, &buf, &len), 0);
	decode(buf, len, &d);

	assert_true(d.nstr > 0);
	assert_string_equal(d.str[0], "");
	for (size_t i = 1; i < d.nstr; i++) /* each string once */
		for (size_t j = i + 1; j < d.nstr; j++)
			assert_string_not_equal(d.str[i], d.str[j]);
	assert_int_equal(d.ntypes, 3);
	assert_string_equal(S(&d, d.type[0]), "samples");
	assert_string_equal(S(&d, d.unit[0]), "count");
	assert_string_equal(S(&d, d.type[1]), "cpu");
	assert_string_equal(S(&d, d.unit[1]), "nanoseconds");
	assert_string_equal(S(&d, d.type[2]), "offcpu");
	assert_string_equal(S(&d, d.unit[2]), "nanoseconds");
	assert_string_equal(S(&d, d.ptype), "cpu");
	assert_string_equal(S(&d, d.punit), "nanoseconds");
	assert_int_equal(d.period, MS);
	assert_string_equal(S(&d, d.dflt), "cpu");
	assert_int_equal(d.time, 1700000000123456789ULL);
	assert_int_equal(d.dur, 2000 * MS);
	assert_int_equal(d.ncomments, 1);
	assert_non_null(strstr(S(&d, d.comment[0]), "pid 42 /bin/app"));
	assert_non_null(strstr(S(&d, d.comment[0]), "[truncated]"));

	/* samples: merged by (transaction, stack), exact values */
	assert_int_equal(d.nsamples, 7);
	for (size_t i = 0; i < d.nsamples; i++) {
		assert_int_equal(d.s[i].nvals, 3);
		for (int k = 0; k < 3; k++)
			sum[k] += d.s[i].vals[k];
		sample_text(&d, &d.s[i], text[i], sizeof(text[i]));
		got[i] = text[i];
	}
	qsort(got, d.nsamples, sizeof(got[0]), str_cmp);
	for (size_t i = 0; i < d.nsamples; i++)
		assert_string_equal(got[i], want[i]);
	/* the totals pprof shows are the model's */
	assert_int_equal(sum[0], 3 + 1 + 1 + 2);
	assert_int_equal(sum[0], model__txn(fx.m, 1)->cpu_samples + model__txn(fx.m, 2)->cpu_samples +
					 model__outside(fx.m)->cpu_samples);
	assert_int_equal(sum[1], 7 * MS);
	assert_int_equal(sum[2], model__txn(fx.m, 1)->offcpu_ns + model__txn(fx.m, 2)->offcpu_ns +
					 model__outside(fx.m)->offcpu_ns);

	/* locations: one per address (5) and the two pseudo-frames, ids unique */
	assert_int_equal(d.nlocs, 7);
	for (size_t i = 0; i < d.nlocs; i++) {
		assert_int_not_equal(d.l[i].id, 0);
		assert_false(seen[d.l[i].id]);
		seen[d.l[i].id] = true;
		if (d.l[i].addr == 0x4010) {
			const struct dfunc *f = func(&d, d.l[i].func);

			assert_int_equal(d.l[i].line, 40);
			assert_string_equal(S(&d, f->name), "spin_cpu");
			assert_string_equal(S(&d, f->file), "cpushape.c");
			assert_string_equal(S(&d, d.m[d.l[i].map - 1].file), "/bin/app");
		}
		if (d.l[i].addr == 0x7000) {
			const struct dfunc *f = func(&d, d.l[i].func);

			assert_int_equal(d.l[i].line, 0);
			assert_string_equal(S(&d, f->name), "clock_nanosleep");
			assert_string_equal(S(&d, f->sys), "clock_nanosleep@@GLIBC_2.17");
			assert_string_equal(S(&d, d.m[d.l[i].map - 1].file), "/lib/libc.so.6");
		}
		if (d.l[i].addr == 0x9000)
			assert_int_equal(d.l[i].map, 0);
	}
	/* mappings: the exe first, covering its addresses; symbolized */
	assert_int_equal(d.nmaps, 2);
	assert_string_equal(S(&d, d.m[0].file), "/bin/app");
	assert_int_equal(d.m[0].id, 1);
	assert_int_equal(d.m[0].lo, 0x4010);
	assert_int_equal(d.m[0].hi, 0x4201);
	assert_int_equal(d.m[0].has_funcs, 1);
	assert_int_equal(d.m[1].lo, 0x7000);

	dprof_free(&d);
	free(buf);
	fixture_free(&fx);
}

/* weft agent: an interval's aggregate (samples summed per transaction
 * name and stack, taken from the model) as a profile: labeled by name
 * only (no txn_id: the transactions are gone), values exact. */
static void take_named(void *ctx, const struct sample *s, const struct txn *t)
{
	struct fixture *fx = ctx;

	profile_agg__add(fx->agg, t ? model__txn_name(fx->m, t) : s->txn ? "(unknown)" : "(none)",
			 s->stack, s->flags & WEFT_F_TRUNCATED, s->off_cpu, s->weight_ns);
}

static void test_encode_agg(void **state)
{
	const char *want[] = {
		"(none)|-|[no stack]|0,0,3000000",
		"(none)|-|spin_cpu;run_spin;main|1,1000000,0",
		"(unknown)|-|spin_cpu;run_spin;main|1,1000000,0",
		"GET_/users|-|[unknown];run_spin;main|1,1000000,0",
		"GET_/users|-|clock_nanosleep;main|0,0,4000007",
		"GET_/users|-|spin_cpu;run_spin;main|3,3000000,0",
		"handle_request|-|clock_nanosleep;main|0,0,250000",
		"handle_request|-|spin_cpu;[truncated]|1,1000000,0",
	};
	struct profile_agg agg = { 0 };
	struct pprof_head h = { .time_ns = 5, .duration_ns = 7, .period_ns = MS, .off_cpu = true,
				.exe = "/bin/app", .comment = "an interval" };
	struct fixture fx;
	struct dprof d;
	uint8_t *buf;
	size_t len;
	char *got[32], text[32][512];

	fixture_make(&fx, true);
	fx.agg = &agg;
	assert_int_equal(model__take_samples(fx.m, 100 * MS, 0, true, take_named, &fx), 10);
	assert_int_equal(model__nr_samples(fx.m), 0);
	assert_int_equal(agg.samples, 7);
	assert_int_equal(agg.offcpu_spans, 3);
	assert_int_equal(pprof__encode_agg(&agg, fx.m, fx.st, &h, &buf, &len), 0);
	decode(buf, len, &d);
	assert_int_equal(d.ntypes, 3);
	assert_string_equal(S(&d, d.type[2]), "offcpu");
	assert_int_equal(d.time, 5);
	assert_int_equal(d.dur, 7);
	assert_int_equal(d.period, MS);
	assert_string_equal(S(&d, d.comment[0]), "an interval");
	assert_string_equal(S(&d, d.m[0].file), "/bin/app");
	assert_int_equal(d.nsamples, 8);
	for (size_t i = 0; i < d.nsamples; i++) {
		sample_text(&d, &d.s[i], text[i], sizeof(text[i]));
		got[i] = text[i];
	}
	qsort(got, d.nsamples, sizeof(got[0]), str_cmp);
	for (size_t i = 0; i < d.nsamples; i++)
		assert_string_equal(got[i], want[i]);
	dprof_free(&d);
	free(buf);
	profile_agg__free(&agg);
	fixture_free(&fx);
}

/* No samples, no off-CPU: a valid profile with two sample types, nothing
 * else but the header. */
static void test_empty(void **state)
{
	struct fixture fx;
	struct dprof d;
	uint8_t *buf;
	size_t len;

	fixture_make(&fx, false);
	assert_int_equal(pprof__encode(&fx.r, 0, &buf, &len), 0);
	decode(buf, len, &d);
	assert_int_equal(d.ntypes, 2);
	assert_int_equal(d.nsamples, 0);
	assert_int_equal(d.nlocs, 0);
	assert_int_equal(d.time, 0);
	assert_int_equal(d.period, MS);
	dprof_free(&d);
	free(buf);
	fixture_free(&fx);
}

/* pprof__write: a gzip stream whose content is pprof__encode's bytes. */
static void test_gzip_file(void **state)
{
	struct fixture fx;
	uint8_t *raw, *file, *back;
	size_t len, flen;
	FILE *f = tmpfile();
	z_stream z = { 0 };

	assert_non_null(f);
	fixture_make(&fx, true);
	assert_int_equal(pprof__encode(&fx.r, 5, &raw, &len), 0);
	assert_int_equal(pprof__write(f, "test.pb.gz", &fx.r, 5), 0);
	flen = (size_t)ftell(f);
	file = malloc(flen);
	back = malloc(len + 1);
	rewind(f);
	assert_int_equal(fread(file, 1, flen, f), flen);
	assert_int_equal(file[0], 0x1f); /* gzip magic */
	assert_int_equal(file[1], 0x8b);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = file;
	z.avail_in = flen;
	z.next_out = back;
	z.avail_out = len + 1;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, len);
	assert_memory_equal(back, raw, len);
	inflateEnd(&z);
	fclose(f);
	free(raw);
	free(file);
	free(back);
	fixture_free(&fx);
}

/* --format pprof: trace and report only, and never to stdout. */
static void test_cli(void **state)
{
	char *no_o[] = { "weft", "report", "a.weft", "--format", "pprof", NULL };
	char *ok[] = { "weft", "report", "a.weft", "--format", "pprof", "-o", "a.pb.gz", NULL };
	char *rec[] = { "weft", "record", "--format", "pprof", "-o", "a", "--", "true", NULL };
	struct opts o;
	char err[256];

	assert_int_equal(opts__parse(5, no_o, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "-o FILE"));
	assert_int_equal(opts__parse(7, ok, &o, err, sizeof(err)), 0);
	assert_int_equal(o.format, FMT_PPROF);
	assert_string_equal(o.output, "a.pb.gz");
	assert_int_equal(opts__parse(8, rec, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "belongs to trace and report"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_agg),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_gzip_file),
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
