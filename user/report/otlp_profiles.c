// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* OTLP profiles, v1development (otlp_profiles.h). Index 0 of every
 * dictionary table is its zero value, which prof_tab's ids (from 1) fit. */
#include <stdlib.h>
#include <string.h>
#include "idmap.h"
#include "otlp_int.h"
#include "otlp_profiles.h"
#include "prof_tab.h"
#include "version.h"

/* collector/profiles/v1development: ExportProfilesServiceRequest;
 * profiles/v1development: the rest */
enum {
	REQ_RESOURCE_PROFILES = 1, REQ_DICTIONARY = 2,
	RP_RESOURCE = 1, RP_SCOPE_PROFILES = 2,
	SP_SCOPE = 1, SP_PROFILES = 2,
	SCOPE_NAME = 1, SCOPE_VERSION = 2,
	DICT_MAPPING = 1, DICT_LOCATION = 2, DICT_FUNCTION = 3, DICT_LINK = 4, DICT_STRING = 5,
	DICT_ATTRIBUTE = 6, DICT_STACK = 7,
	PROF_SAMPLE_TYPE = 1, PROF_SAMPLES = 2, PROF_TIME = 3, PROF_DURATION = 4,
	PROF_PERIOD_TYPE = 5, PROF_PERIOD = 6,
	VT_TYPE = 1, VT_UNIT = 2,
	SAMPLE_STACK = 1, SAMPLE_ATTRS = 2, SAMPLE_VALUES = 4,
	MAP_START = 1, MAP_LIMIT = 2, MAP_FILE = 4,
	LOC_MAPPING = 1, LOC_ADDRESS = 2, LOC_LINES = 3,
	LINE_FUNCTION = 1, LINE_LINE = 2,
	FUNC_NAME = 1, FUNC_SYSTEM_NAME = 2, FUNC_FILE = 3,
	KVU_KEY = 1, KVU_VALUE = 2, ANY_STRING = 1,
	STACK_LOCATIONS = 1,
};

#define NR_TYPES 3
static const char *const type_names[NR_TYPES][2] = {
	{ "samples", "count" }, { "cpu", "nanoseconds" }, { "offcpu", "nanoseconds" },
};

struct penc {
	struct prof_tab t;
	struct pb dict, sub, line;
	/* stacks: the model's stack and truncated -> index; rows' stack and
	 * attribute indices */
	struct idmap stack_by_key, attr_by_name;
	uint32_t nr_stacks, nr_attrs;
	uint32_t *row_stack, *row_attr;
};

/* Table entry 0: the zero value, present */
static void zero_entry(struct pb *dict, uint32_t field, struct pb *sub)
{
	sub->len = 0;
	pb_msg(dict, field, sub);
}

static void stacks_and_attrs(struct penc *e, const struct profile_agg *a, struct pb *stacks,
			     struct pb *attrs)
{
	uint64_t ids[WEFT_MAX_FRAMES + 1], key = prof_tab__str(&e->t, "weft.txn.name");
	struct pb any = { 0 };

	zero_entry(stacks, DICT_STACK, &e->sub);
	zero_entry(attrs, DICT_ATTRIBUTE, &e->sub);
	for (size_t i = 0; i < a->nr_rows; i++) {
		const struct profile_row *r = &a->rows[i];
		uint64_t k = ((uint64_t)r->stack << 1 | r->truncated) + 1;
		uint32_t id;

		if (!idmap__get(&e->stack_by_key, k, &id)) {
			uint32_t n = prof_tab__stack(&e->t, r->stack, r->truncated, ids);

			pb_packed(&e->sub, STACK_LOCATIONS, ids, n);
			pb_msg(stacks, DICT_STACK, &e->sub);
			id = ++e->nr_stacks;
			e->t.oom |= idmap__put(&e->stack_by_key, k, id) != 0;
		}
		e->row_stack[i] = id;
		if (!idmap__get(&e->attr_by_name, (uint64_t)r->name + 1, &id)) {
			pb_uint(&e->sub, KVU_KEY, key);
			pb_str(&any, ANY_STRING, a->names[r->name]);
			pb_msg(&e->sub, KVU_VALUE, &any);
			pb_msg(attrs, DICT_ATTRIBUTE, &e->sub);
			id = ++e->nr_attrs;
			e->t.oom |= idmap__put(&e->attr_by_name, (uint64_t)r->name + 1, id) != 0;
		}
		e->row_attr[i] = id;
	}
	e->t.oom |= any.oom;
	pb_free(&any);
}

/* mappings, locations, functions: complete once every stack is in */
static void tables(struct penc *e)
{
	struct prof_tab *t = &e->t;

	zero_entry(&e->dict, DICT_MAPPING, &e->sub);
	for (size_t i = 0; i < t->nr_maps; i++) {
		pb_uint(&e->sub, MAP_START, t->maps[i].lo);
		pb_uint(&e->sub, MAP_LIMIT, t->maps[i].hi + 1);
		pb_uint(&e->sub, MAP_FILE, t->maps[i].file);
		pb_msg(&e->dict, DICT_MAPPING, &e->sub);
	}
	zero_entry(&e->dict, DICT_LOCATION, &e->sub);
	for (size_t i = 0; i < t->nr_locs; i++) {
		pb_uint(&e->sub, LOC_MAPPING, t->locs[i].map);
		pb_uint(&e->sub, LOC_ADDRESS, t->locs[i].addr);
		pb_uint(&e->line, LINE_FUNCTION, t->locs[i].func);
		pb_uint(&e->line, LINE_LINE, t->locs[i].line);
		pb_msg(&e->sub, LOC_LINES, &e->line);
		pb_msg(&e->dict, DICT_LOCATION, &e->sub);
	}
	zero_entry(&e->dict, DICT_FUNCTION, &e->sub);
	for (size_t i = 0; i < t->nr_funcs; i++) {
		pb_uint(&e->sub, FUNC_NAME, t->funcs[i].name);
		pb_uint(&e->sub, FUNC_SYSTEM_NAME, t->funcs[i].sys);
		pb_uint(&e->sub, FUNC_FILE, t->funcs[i].file);
		pb_msg(&e->dict, DICT_FUNCTION, &e->sub);
	}
	zero_entry(&e->dict, DICT_LINK, &e->sub);
}

static void value_type(struct penc *e, struct pb *dst, uint32_t field, const char *type,
		       const char *unit)
{
	pb_uint(&e->sub, VT_TYPE, prof_tab__str(&e->t, type));
	pb_uint(&e->sub, VT_UNIT, prof_tab__str(&e->t, unit));
	pb_msg(dst, field, &e->sub);
}

/* The Profile of sample type k: the rows with a value of it */
static void profile(struct penc *e, const struct profile_agg *a, const struct pprof_head *h,
		    int k, struct pb *prof, struct pb *sample)
{
	value_type(e, prof, PROF_SAMPLE_TYPE, type_names[k][0], type_names[k][1]);
	for (size_t i = 0; i < a->nr_rows; i++) {
		uint64_t attr = e->row_attr[i];

		if (!a->rows[i].v[k])
			continue;
		pb_uint(sample, SAMPLE_STACK, e->row_stack[i]);
		pb_packed(sample, SAMPLE_ATTRS, &attr, 1);
		pb_packed(sample, SAMPLE_VALUES, &a->rows[i].v[k], 1);
		pb_msg(prof, PROF_SAMPLES, sample);
	}
	pb_fixed64(prof, PROF_TIME, h->time_ns);
	pb_uint(prof, PROF_DURATION, h->duration_ns);
	if (k == 2) {
		value_type(e, prof, PROF_PERIOD_TYPE, "offcpu", "nanoseconds");
	} else {
		value_type(e, prof, PROF_PERIOD_TYPE, "cpu", "nanoseconds");
		pb_uint(prof, PROF_PERIOD, h->period_ns);
	}
}

int otlp__encode_profiles(const struct profile_agg *a, const struct model *m,
			  const struct symtab *st, const struct pprof_head *h,
			  const struct record_meta *mt, const struct otlp_resource *rsrc,
			  uint8_t **out, size_t *len)
{
	struct penc e = { .t = { .m = m, .st = st } };
	struct pb req = { 0 }, rp = { 0 }, res = { 0 }, sp = { 0 }, scope = { 0 }, prof = { 0 };
	struct pb sample = { 0 }, stacks = { 0 }, attrs = { 0 };
	struct otlp_kv kv = { 0 };
	size_t n = a->nr_rows ? a->nr_rows : 1;
	bool oom;

	e.row_stack = calloc(n, sizeof(*e.row_stack));
	e.row_attr = calloc(n, sizeof(*e.row_attr));
	e.t.oom = !e.row_stack || !e.row_attr;
	prof_tab__str(&e.t, ""); /* index 0, as the format requires */
	if (h->exe && h->exe[0]) /* the exe's mapping first, as in the pprof files */
		prof_tab__map(&e.t, h->exe, 0, false);
	if (!e.t.oom)
		stacks_and_attrs(&e, a, &stacks, &attrs);
	otlp_resource(&kv, &res, mt, rsrc);
	pb_msg(&rp, RP_RESOURCE, &res);
	pb_str(&scope, SCOPE_NAME, "weft");
	pb_str(&scope, SCOPE_VERSION, WEFT_VERSION);
	pb_msg(&sp, SP_SCOPE, &scope);
	for (int k = 0; k < NR_TYPES && !e.t.oom; k++) {
		if (k == 2 && !h->off_cpu)
			break;
		profile(&e, a, h, k, &prof, &sample);
		pb_msg(&sp, SP_PROFILES, &prof);
	}
	pb_msg(&rp, RP_SCOPE_PROFILES, &sp);
	pb_msg(&req, REQ_RESOURCE_PROFILES, &rp);
	/* the dictionary last: every string is in */
	tables(&e);
	for (size_t i = 0; i < e.t.s.nr; i++)
		pb_bytes(&e.dict, DICT_STRING, e.t.s.v[i], strlen(e.t.s.v[i]));
	pb_put(&e.dict, attrs.p, attrs.len);
	pb_put(&e.dict, stacks.p, stacks.len);
	e.dict.oom |= attrs.oom || stacks.oom;
	pb_msg(&req, REQ_DICTIONARY, &e.dict);
	oom = req.oom || otlp_kv_free(&kv) || prof_tab__oom(&e.t) || e.sub.oom || e.line.oom ||
	      sample.oom || prof.oom || sp.oom || rp.oom || res.oom || scope.oom;
	prof_tab__free(&e.t);
	idmap__free(&e.stack_by_key);
	idmap__free(&e.attr_by_name);
	free(e.row_stack);
	free(e.row_attr);
	pb_free(&e.dict);
	pb_free(&e.sub);
	pb_free(&e.line);
	pb_free(&rp);
	pb_free(&res);
	pb_free(&sp);
	pb_free(&scope);
	pb_free(&prof);
	pb_free(&sample);
	pb_free(&stacks);
	pb_free(&attrs);
	if (oom) {
		pb_free(&req);
		return -1;
	}
	*out = req.p;
	*len = req.len;
	return 0;
}
