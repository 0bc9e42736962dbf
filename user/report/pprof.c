// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pprof export: profile.proto written by hand. The schema is small and
 * fixed, so a few wire-format helpers (varints, length-delimited fields,
 * packed repeated scalars) beat a protobuf library. The string table is
 * written last, so every string is interned while the rest is built. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "idmap.h"
#include "pb.h"
#include "pprof.h"

/* ---- string table: "" first, each string once ---- */

struct strtab {
	char **v;
	size_t nr, cap;
	uint32_t *slot; /* index + 1; 0 empty */
	size_t nslot;	/* power of two */
	bool oom;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

static size_t str_slot(const struct strtab *t, const char *s)
{
	size_t i = str_hash(s) & (t->nslot - 1);

	while (t->slot[i] && strcmp(t->v[t->slot[i] - 1], s))
		i = (i + 1) & (t->nslot - 1);
	return i;
}

static int str_grow(struct strtab *t)
{
	size_t n = t->nslot ? t->nslot * 2 : 256;
	uint32_t *old = t->slot;

	t->slot = calloc(n, sizeof(*t->slot));
	if (!t->slot) {
		t->slot = old;
		return -1;
	}
	t->nslot = n;
	for (size_t i = 0; i < t->nr; i++)
		t->slot[str_slot(t, t->v[i])] = i + 1;
	free(old);
	return 0;
}

static uint64_t str_id(struct strtab *t, const char *s)
{
	size_t i;
	char *c;

	if (t->oom || ((t->nr + 1) * 2 > t->nslot && str_grow(t)))
		goto oom;
	i = str_slot(t, s);
	if (t->slot[i])
		return t->slot[i] - 1;
	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		char **v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			goto oom;
		t->v = v;
		t->cap = cap;
	}
	if (!(c = strdup(s)))
		goto oom;
	t->v[t->nr++] = c;
	t->slot[i] = t->nr;
	return t->nr - 1;
oom:
	t->oom = true;
	return 0;
}

static void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->nr; i++)
		free(t->v[i]);
	free(t->v);
	free(t->slot);
}

/* ---- the profile ---- */

struct loc {
	uint64_t addr, func, map, line;
};
struct func {
	uint64_t name, sys, file;
};
struct map {
	uint64_t lo, hi, file;
	bool lines;
};

struct builder {
	const struct model *m;
	const struct symtab *st;
	struct strtab s;
	struct idmap loc_by_addr, func_by_key, map_by_file; /* -> id (index + 1) */
	struct loc *locs;
	struct func *funcs;
	struct map *maps;
	size_t nr_locs, cap_locs, nr_funcs, cap_funcs, nr_maps, cap_maps;
	uint64_t no_stack, truncated; /* pseudo-frames' locations, 0 not made */
	bool oom;
};

/* Room for one more of *v; false when out of memory. */
static bool room(struct builder *b, void **v, size_t nr, size_t *cap, size_t sz)
{
	void *n;

	if (nr < *cap)
		return true;
	n = realloc(*v, (*cap ? *cap * 2 : 64) * sz);
	if (!n) {
		b->oom = true;
		return false;
	}
	*v = n;
	*cap = *cap ? *cap * 2 : 64;
	return true;
}

static uint64_t func_id(struct builder *b, const char *name, const char *sys, const char *file)
{
	uint64_t n = str_id(&b->s, name), f = str_id(&b->s, file);
	uint64_t key = n << 32 | f; /* name never "": key never 0 */
	uint32_t id;

	if (idmap__get(&b->func_by_key, key, &id))
		return id;
	if (!room(b, (void **)&b->funcs, b->nr_funcs, &b->cap_funcs, sizeof(*b->funcs)))
		return 0;
	b->funcs[b->nr_funcs++] = (struct func){ n, str_id(&b->s, sys), f };
	if (idmap__put(&b->func_by_key, key, b->nr_funcs))
		b->oom = true;
	return b->nr_funcs;
}

/* The module's mapping, its range grown to cover addr. */
static uint64_t map_id(struct builder *b, const char *module, uint64_t addr, bool line)
{
	uint64_t f = str_id(&b->s, module);
	uint32_t id;
	struct map *m;

	if (!idmap__get(&b->map_by_file, f, &id)) {
		if (!room(b, (void **)&b->maps, b->nr_maps, &b->cap_maps, sizeof(*b->maps)))
			return 0;
		b->maps[b->nr_maps++] = (struct map){ addr, addr, f, false };
		id = b->nr_maps;
		if (idmap__put(&b->map_by_file, f, id))
			b->oom = true;
	}
	m = &b->maps[id - 1];
	if (addr && (addr < m->lo || !m->lo))
		m->lo = addr;
	if (addr > m->hi)
		m->hi = addr;
	m->lines |= line;
	return id;
}

static uint64_t add_loc(struct builder *b, struct loc l)
{
	if (!room(b, (void **)&b->locs, b->nr_locs, &b->cap_locs, sizeof(*b->locs)))
		return 0;
	b->locs[b->nr_locs++] = l;
	return b->nr_locs;
}

/* One location per distinct address, named as the folded stacks name it. */
static uint64_t loc_id(struct builder *b, uint64_t addr)
{
	const struct sym *s = b->st ? symtab__find(b->st, addr) : NULL;
	struct loc l = { .addr = addr };
	char name[512];
	uint32_t id;

	if (idmap__get(&b->loc_by_addr, addr, &id))
		return id;
	if (s && s->func[0]) { /* without a symbol version: clock_gettime@@GLIBC_2.17 */
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(s->func, "@"), s->func);
		l.func = func_id(b, name, s->func, s->file);
		l.line = s->line;
	} else {
		const char *base = s && s->module[0] ? strrchr(s->module, '/') : NULL;

		snprintf(name, sizeof(name), "[%s]",
			 base ? base + 1 : s && s->module[0] ? s->module : "unknown");
		l.func = func_id(b, name, "", "");
	}
	if (s && s->module[0])
		l.map = map_id(b, s->module, addr, s->line != 0);
	id = add_loc(b, l);
	if (id && idmap__put(&b->loc_by_addr, addr, id))
		b->oom = true;
	return id;
}

static uint64_t pseudo_loc(struct builder *b, uint64_t *id, const char *name)
{
	if (!*id)
		*id = add_loc(b, (struct loc){ .func = func_id(b, name, "", "") });
	return *id;
}

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
static uint64_t txn_label(struct builder *b, const char *name)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", name ? name : "(none)");
	for (char *p = buf; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n')
			*p = '_';
	return str_id(&b->s, buf);
}

static void encode_sample(struct builder *b, struct pb *out, const struct psample *ps,
			  size_t nr_types, struct pb *sub)
{
	uint64_t ids[WEFT_MAX_FRAMES + 1];
	uint32_t nr, n = 0;
	const uint64_t *fr = model__stack(b->m, ps->stack, &nr);
	struct pb lab = { 0 };

	for (uint32_t i = 0; i < nr && n < WEFT_MAX_FRAMES; i++)
		if (fr[i]) /* innermost first, as pprof wants */
			ids[n++] = loc_id(b, fr[i]);
	if (ps->truncated) /* the outermost frames are missing: say so */
		ids[n++] = pseudo_loc(b, &b->truncated, "[truncated]");
	if (!n)
		ids[n++] = pseudo_loc(b, &b->no_stack, "[no stack]");
	pb_packed(sub, 1, ids, n);
	pb_packed(sub, 2, ps->v, nr_types);
	pb_uint(&lab, 1, str_id(&b->s, "txn"));
	pb_uint(&lab, 2, txn_label(b, ps->name));
	pb_msg(sub, 3, &lab);
	if (ps->txn) {
		pb_uint(&lab, 1, str_id(&b->s, "txn_id"));
		pb_uint(&lab, 3, ps->txn);
		pb_msg(sub, 3, &lab);
	}
	sub->oom |= lab.oom;
	free(lab.p);
	pb_msg(out, 2, sub);
}

static void encode_tables(struct builder *b, struct pb *out, struct pb *sub)
{
	struct pb line = { 0 };

	for (size_t i = 0; i < b->nr_maps; i++) {
		const struct map *m = &b->maps[i];

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
		const struct loc *l = &b->locs[i];

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

static void value_type(struct builder *b, struct pb *out, uint32_t field, struct pb *sub,
		       const char *type, const char *unit)
{
	pb_uint(sub, 1, str_id(&b->s, type));
	pb_uint(sub, 2, str_id(&b->s, unit));
	pb_msg(out, field, sub);
}

static int encode(struct builder *b, const struct psample *ps, size_t n,
		  const struct pprof_head *h, uint8_t **out, size_t *len)
{
	struct pb o = { 0 }, samples = { 0 }, sub = { 0 };
	size_t nr_types = h->off_cpu ? 3 : 2;
	uint64_t comment;
	int rc = -1;

	str_id(&b->s, ""); /* index 0, as the format requires */
	value_type(b, &o, 1, &sub, "samples", "count");
	value_type(b, &o, 1, &sub, "cpu", "nanoseconds");
	if (h->off_cpu)
		value_type(b, &o, 1, &sub, "offcpu", "nanoseconds");
	/* the exe's mapping first: pprof names the profile's "File" by it */
	if (h->exe && h->exe[0])
		map_id(b, h->exe, 0, false);
	for (size_t i = 0; i < n; i++)
		encode_sample(b, &samples, &ps[i], nr_types, &sub);
	pb_put(&o, samples.p, samples.len);
	o.oom |= samples.oom;
	encode_tables(b, &o, &sub);
	comment = str_id(&b->s, h->comment ? h->comment : "");
	{
		uint64_t per_t = str_id(&b->s, "cpu"), per_u = str_id(&b->s, "nanoseconds");
		uint64_t def = str_id(&b->s, h->period_ns || !h->off_cpu ? "cpu" : "offcpu");

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
	if (!(o.oom || sub.oom || samples.oom || b->s.oom || b->oom)) {
		*out = o.p;
		*len = o.len;
		o.p = NULL;
		rc = 0;
	}
	free(o.p);
	free(sub.p);
	free(samples.p);
	free(b->locs);
	free(b->funcs);
	free(b->maps);
	idmap__free(&b->loc_by_addr);
	idmap__free(&b->func_by_key);
	idmap__free(&b->map_by_file);
	strtab_free(&b->s);
	return rc;
}

int pprof__encode(const struct report *r, uint64_t time_ns, uint8_t **out, size_t *len)
{
	struct builder b = { .m = r->m, .st = r->st };
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
	struct builder b = { .m = m, .st = st };
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
