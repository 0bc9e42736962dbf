/* OTLP profiles (v1development) of an interval's aggregate, on a synthetic
 * model (test_pprof.c's shapes): the request decoded here by a generic
 * protobuf reader, independent of the encoder; the dictionary's zero
 * entries, the sample types, each sample's name, stack and value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model.h"
#include "otlp_profiles.h"
#include "profile_agg.h"
#include "record.h"
#include "symtab.h"

#define MS 1000000ULL
#define P_TXN 6

/* ---- a message's fields, any wire type ---- */

struct fld {
	int f, wt;
	uint64_t v;
	const uint8_t *p;
	size_t n;
};
struct msg {
	struct fld f[512];
	size_t n;
};

static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	for (int shift = 0; *p < end; shift += 7) {
		uint8_t c = *(*p)++;

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	fail_msg("truncated varint");
	return 0;
}

static void parse(const uint8_t *p, size_t n, struct msg *m)
{
	const uint8_t *end = p + n;

	m->n = 0;
	while (p < end) {
		uint64_t key = varint(&p, end);
		struct fld *f = &m->f[m->n++];

		assert_true(m->n <= 512);
		*f = (struct fld){ .f = (int)(key >> 3), .wt = (int)(key & 7) };
		if (f->wt == 0) {
			f->v = varint(&p, end);
		} else if (f->wt == 1) {
			assert_true(end - p >= 8);
			for (int i = 0; i < 8; i++)
				f->v |= (uint64_t)p[i] << (8 * i);
			p += 8;
		} else if (f->wt == 2) {
			f->n = varint(&p, end);
			assert_true(f->n <= (size_t)(end - p));
			f->p = p;
			p += f->n;
		} else {
			fail_msg("wire type %d", f->wt);
		}
	}
}

/* The i-th field numbered f (NULL: none) */
static const struct fld *nth(const struct msg *m, int f, size_t i)
{
	for (size_t k = 0; k < m->n; k++)
		if (m->f[k].f == f && !i--)
			return &m->f[k];
	return NULL;
}

static size_t count(const struct msg *m, int f)
{
	size_t n = 0;

	while (nth(m, f, n))
		n++;
	return n;
}

static uint64_t uint_of(const struct msg *m, int f)
{
	const struct fld *x = nth(m, f, 0);

	return x ? x->v : 0;
}

static void sub(const struct msg *m, int f, size_t i, struct msg *out)
{
	const struct fld *x = nth(m, f, i);

	assert_non_null(x);
	assert_int_equal(x->wt, 2);
	parse(x->p, x->n, out);
}

/* a packed repeated varint field's first value */
static uint64_t packed0(const struct msg *m, int f, size_t *n)
{
	const struct fld *x = nth(m, f, 0);
	const uint8_t *p;
	uint64_t v0 = 0;

	*n = 0;
	if (!x)
		return 0;
	p = x->p;
	while (p < x->p + x->n) {
		uint64_t v = varint(&p, x->p + x->n);

		if (!(*n)++)
			v0 = v;
	}
	return v0;
}

/* ---- the request ---- */

struct req {
	struct msg top, dict, rp, sp;
	char str[128][256];
	size_t nstr;
};

static const char *S(const struct req *r, uint64_t i)
{
	assert_true(i < r->nstr);
	return r->str[i];
}

static void decode(const uint8_t *buf, size_t len, struct req *r)
{
	parse(buf, len, &r->top);
	assert_int_equal(count(&r->top, 1), 1); /* one ResourceProfiles */
	sub(&r->top, 2, 0, &r->dict);
	sub(&r->top, 1, 0, &r->rp);
	assert_int_equal(count(&r->rp, 2), 1); /* one ScopeProfiles */
	sub(&r->rp, 2, 0, &r->sp);
	r->nstr = count(&r->dict, 5);
	assert_true(r->nstr <= 128);
	for (size_t i = 0; i < r->nstr; i++) {
		const struct fld *x = nth(&r->dict, 5, i);

		snprintf(r->str[i], sizeof(r->str[i]), "%.*s", (int)x->n, (const char *)x->p);
	}
}

/* "NAME|FUNC;FUNC|VALUE" of the sample */
static void sample_text(struct req *r, const struct msg *s, char *buf, size_t len)
{
	struct msg stack, loc, line, fn, attr, any;
	size_t n, nv, na, nl;
	uint64_t v = packed0(s, 4, &nv), a = packed0(s, 2, &na);
	int k;

	assert_int_equal(nv, 1);
	assert_int_equal(na, 1);
	sub(&r->dict, 6, a, &attr);
	assert_string_equal(S(r, uint_of(&attr, 1)), "weft.txn.name");
	sub(&attr, 2, 0, &any);
	k = snprintf(buf, len, "%.*s|", (int)nth(&any, 1, 0)->n, (const char *)nth(&any, 1, 0)->p);
	sub(&r->dict, 7, uint_of(s, 1), &stack);
	packed0(&stack, 1, &nl);
	for (n = 0; n < nl; n++) {
		const struct fld *x = nth(&stack, 1, 0);
		const uint8_t *p = x->p;
		uint64_t id = 0;

		for (size_t i = 0; i <= n; i++)
			id = varint(&p, x->p + x->n);
		sub(&r->dict, 2, id, &loc);
		sub(&loc, 3, 0, &line);
		sub(&r->dict, 3, uint_of(&line, 1), &fn);
		k += snprintf(buf + k, len - k, "%s%s", n ? ";" : "", S(r, uint_of(&fn, 1)));
	}
	snprintf(buf + k, len - k, "|%llu", (unsigned long long)v);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the synthetic capture (test_pprof.c's shapes), as a table ---- */

struct step {
	uint32_t type;
	uint64_t ms, txn, weight;
	int stack; /* into stacks[] (-1: none) */
	uint32_t flags;
	const char *name; /* TXN_BEGIN: a marker's name (NULL: its probe's) */
};

static const uint64_t stacks[][4] = {
	{ 3, 0x4010, 0x4100, 0x4200 }, /* spin: the count first */
	{ 3, 0x9000, 0x4100, 0x4200 }, /* spin, its leaf unknown */
	{ 2, 0x7000, 0x4200 },	       /* nap */
	{ 1, 0x4010 },		       /* cut short */
};

static const struct step steps[] = {
	{ WEFT_EV_TXN_BEGIN, 2, 1, 0, -1, 0, "GET /users" },
	{ WEFT_EV_SAMPLE, 3, 1, 0, 0, 0, NULL },
	{ WEFT_EV_SAMPLE, 4, 1, 0, 0, 0, NULL },
	{ WEFT_EV_SAMPLE, 5, 1, 0, 0, 0, NULL },
	{ WEFT_EV_SAMPLE, 6, 1, 0, 1, 0, NULL },
	{ WEFT_EV_OFFCPU, 7, 1, 4 * MS + 7, 2, 0, NULL },
	{ WEFT_EV_TXN_END, 20, 1, 0, -1, 0, NULL },
	{ WEFT_EV_TXN_BEGIN, 30, 2, 0, -1, 0, NULL },
	{ WEFT_EV_OFFCPU, 31, 2, 250000, 2, 0, NULL },
	{ WEFT_EV_SAMPLE, 32, 2, 0, 3, WEFT_F_TRUNCATED, NULL },
	{ WEFT_EV_TXN_END, 40, 2, 0, -1, 0, NULL },
	{ WEFT_EV_SAMPLE, 41, 0, 0, 0, 0, NULL },
	{ WEFT_EV_SAMPLE, 42, 77, 0, 0, 0, NULL }, /* a transaction never seen */
	{ WEFT_EV_OFFCPU, 43, 0, 3 * MS, -1, WEFT_F_NOSTACK, NULL },
};

static void feed(struct model *m)
{
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct step *p = &steps[i];
		bool txn = p->type == WEFT_EV_TXN_BEGIN || p->type == WEFT_EV_TXN_END;
		struct weft_event e = { .ts_ns = p->ms * MS, .type = p->type, .txn = p->txn,
					.kind = txn ? WEFT_KIND_TXN : WEFT_KIND_THREAD,
					.seg = txn ? 10 + p->txn : 100, .tid = 1, .flags = p->flags,
					.probe = P_TXN };

		if (p->type == WEFT_EV_OFFCPU)
			e.obj = p->weight;
		if (p->stack >= 0) {
			e.nr_frames = (uint32_t)stacks[p->stack][0];
			memcpy(e.frames, &stacks[p->stack][1], e.nr_frames * sizeof(e.frames[0]));
		} else if (p->name) {
			snprintf(e.name, sizeof(e.name), "%s", p->name);
		} else if (txn) { /* named by its probe, at a frame */
			e.frames[0] = 0x1000;
			e.nr_frames = 1;
		}
		model__feed(m, &e);
	}
}

static const struct sym syms[] = {
	{ .addr = 0x4010, .func = "spin_cpu", .file = "cpushape.c", .line = 40, .module = "/bin/app" },
	{ .addr = 0x4100, .func = "run_spin", .file = "cpushape.c", .line = 70, .module = "/bin/app" },
	{ .addr = 0x4200, .func = "main", .file = "cpushape.c", .line = 99, .module = "/bin/app" },
	{ .addr = 0x7000, .func = "clock_nanosleep@@GLIBC_2.17", .file = "", .module = "/lib/libc.so.6" },
};

struct ctx {
	struct model *m;
	struct profile_agg *agg;
};

static void take(void *c, const struct sample *s, const struct txn *t)
{
	struct ctx *x = c;

	profile_agg__add(x->agg, t ? model__txn_name(x->m, t) : s->txn ? "(unknown)" : "(none)",
			 s->stack, s->flags & WEFT_F_TRUNCATED, s->off_cpu, s->weight_ns);
}

static void test_encode(void **state)
{
	static const char *const want[3][5] = {
		{ "(none)|spin_cpu;run_spin;main|1", "(unknown)|spin_cpu;run_spin;main|1",
		  "GET /users|[unknown];run_spin;main|1", "GET /users|spin_cpu;run_spin;main|3",
		  "handle_request|spin_cpu;[truncated]|1" },
		{ "(none)|spin_cpu;run_spin;main|1000000", "(unknown)|spin_cpu;run_spin;main|1000000",
		  "GET /users|[unknown];run_spin;main|1000000",
		  "GET /users|spin_cpu;run_spin;main|3000000",
		  "handle_request|spin_cpu;[truncated]|1000000" },
		{ "(none)|[no stack]|3000000", "GET /users|clock_nanosleep;main|4000007",
		  "handle_request|clock_nanosleep;main|250000" },
	};
	static const size_t nwant[3] = { 5, 5, 3 };
	static const char *const types[3][2] = { { "samples", "count" }, { "cpu", "nanoseconds" },
						  { "offcpu", "nanoseconds" } };
	struct model_opts o = { .leak_grace_ns = MS, .txns_traced = true, .sample_period_ns = MS };
	struct pprof_head h = { .time_ns = 5, .duration_ns = 7, .period_ns = MS, .off_cpu = true,
				.exe = "/bin/app" };
	struct record_meta meta = { .pid = 42, .sample_hz = 1000 };
	struct profile_agg agg = { 0 };
	struct req *r = calloc(1, sizeof(*r));
	struct msg *prof = calloc(1, sizeof(*prof)), *s = calloc(1, sizeof(*s));
	struct msg *res = calloc(1, sizeof(*res)), *kv = calloc(1, sizeof(*kv));
	struct symtab *st = symtab__new();
	struct model *m;
	struct ctx x;
	uint8_t *buf;
	size_t len;
	bool pid = false;

	(void)state;
	o.probe_names[P_TXN] = "handle_request";
	m = model__new(&o);
	assert_non_null(m);
	assert_non_null(r);
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		assert_int_equal(symtab__add(st, &syms[i]), 0);
	snprintf(meta.exe, sizeof(meta.exe), "/bin/app");
	feed(m);
	model__finish(m, 100 * MS);
	x = (struct ctx){ m, &agg };
	assert_int_equal(model__take_samples(m, 100 * MS, 0, true, take, &x), 10);

	assert_int_equal(otlp__encode_profiles(&agg, m, st, &h, &meta, NULL, &buf, &len), 0);
	decode(buf, len, r);
	/* each table's entry 0: present, the zero value */
	assert_string_equal(S(r, 0), "");
	for (int t = 1; t <= 7; t++) {
		if (t == 5)
			continue;
		assert_true(count(&r->dict, t) >= 1);
		assert_int_equal(nth(&r->dict, t, 0)->n, 0);
	}
	assert_int_equal(count(&r->dict, 4), 1); /* links: none but the zero */
	/* the exe's mapping first */
	sub(&r->dict, 1, 1, s);
	assert_string_equal(S(r, uint_of(s, 4)), "/bin/app");
	/* the resource: the process */
	sub(&r->rp, 1, 0, res);
	for (size_t i = 0; i < count(res, 1); i++) {
		struct msg any;
		const struct fld *k;

		sub(res, 1, i, kv);
		k = nth(kv, 1, 0);
		if (k->n == 11 && !memcmp(k->p, "process.pid", 11)) {
			sub(kv, 2, 0, &any);
			assert_int_equal(uint_of(&any, 3), 42);
			pid = true;
		}
	}
	assert_true(pid);
	/* a Profile per sample type */
	assert_int_equal(count(&r->sp, 2), 3);
	for (int t = 0; t < 3; t++) {
		char text[8][512], *got[8];
		struct msg vt;
		size_t n;

		sub(&r->sp, 2, t, prof);
		sub(prof, 1, 0, &vt);
		assert_string_equal(S(r, uint_of(&vt, 1)), types[t][0]);
		assert_string_equal(S(r, uint_of(&vt, 2)), types[t][1]);
		assert_int_equal(uint_of(prof, 3), 5); /* time_unix_nano, fixed64 */
		assert_int_equal(nth(prof, 3, 0)->wt, 1);
		assert_int_equal(uint_of(prof, 4), 7);
		assert_int_equal(uint_of(prof, 6), t < 2 ? MS : 0);
		n = count(prof, 2);
		assert_int_equal(n, nwant[t]);
		for (size_t i = 0; i < n; i++) {
			sub(prof, 2, i, s);
			sample_text(r, s, text[i], sizeof(text[i]));
			got[i] = text[i];
		}
		qsort(got, n, sizeof(got[0]), str_cmp);
		for (size_t i = 0; i < n; i++)
			assert_string_equal(got[i], want[t][i]);
	}
	free(buf);
	profile_agg__free(&agg);
	model__free(m);
	symtab__free(st);
	free(r);
	free(prof);
	free(s);
	free(res);
	free(kv);
}

/* Without --off-cpu: two Profiles; nothing sampled: still a valid request */
static void test_empty(void **state)
{
	struct model_opts o = { .leak_grace_ns = MS, .txns_traced = true, .sample_period_ns = MS };
	struct pprof_head h = { .time_ns = 5, .duration_ns = 7, .period_ns = MS };
	struct record_meta meta = { .pid = 42 };
	struct profile_agg agg = { 0 };
	struct req *r = calloc(1, sizeof(*r));
	struct model *m = model__new(&o);
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_non_null(r);
	assert_int_equal(otlp__encode_profiles(&agg, m, NULL, &h, &meta, NULL, &buf, &len), 0);
	decode(buf, len, r);
	assert_int_equal(count(&r->sp, 2), 2);
	assert_string_equal(S(r, 0), "");
	free(buf);
	model__free(m);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
