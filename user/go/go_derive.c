// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "go_derive.h"
#include "goelf.h"
#include "goflow.h"
#include "gopclntab.h"
#include "go_derive_int.h"

/* runtime.g and runtime.m are a few hundred bytes to a few KB */
#define MAX_RUNTIME_OFF 4096
#define MAX_PKG_OFF 1024

static const char *const names[GOF_NR] = {
	[GOF_GOID] = "runtime.g.goid",
	[GOF_PARENT_GOID] = "runtime.g.parentGoid",
	[GOF_GOPC] = "runtime.g.gopc",
	[GOF_STARTPC] = "runtime.g.startpc",
	[GOF_ATOMICSTATUS] = "runtime.g.atomicstatus",
	[GOF_WAITSINCE] = "runtime.g.waitsince",
	[GOF_WAITREASON] = "runtime.g.waitreason",
	[GOF_M] = "runtime.g.m",
	[GOF_SCHED_SP] = "runtime.g.sched.sp",
	[GOF_M_CURG] = "runtime.m.curg",
	[GOF_M_PROCID] = "runtime.m.procid",
	[GOF_REQ_METHOD] = "net/http.Request.Method",
	[GOF_REQ_URL] = "net/http.Request.URL",
	[GOF_URL_PATH] = "net/url.URL.Path",
	[GOF_TEST_NAME] = "testing.common.name",
	[GOF_REQ_PAT] = "net/http.Request.pat",
	[GOF_PATTERN_STR] = "net/http.pattern.str",
	[GOF_URL_HOST] = "net/url.URL.Host",
};

/* Where each field is looked for (the reason given when it is found nowhere). */
static const char *const places[GOF_NR] = {
	[GOF_GOID] = "runtime.newproc1, runtime.printcreatedby",
	[GOF_PARENT_GOID] = "runtime.newproc1, runtime.printcreatedby",
	[GOF_GOPC] = "runtime.newproc1, runtime.printcreatedby",
	[GOF_STARTPC] = "runtime.newproc1, runtime.isSystemGoroutine",
	[GOF_ATOMICSTATUS] = "runtime.casgstatus, runtime.castogscanstatus, runtime.gopark",
	[GOF_WAITSINCE] = "runtime.execute, runtime.exitsyscall, runtime.goroutineheader",
	[GOF_WAITREASON] = "runtime.gopark, runtime.goroutineheader",
	[GOF_M] = "runtime.execute, runtime.gopark, runtime.minit",
	[GOF_SCHED_SP] = "runtime.mcall, runtime.newproc1",
	[GOF_M_CURG] = "runtime.execute, runtime.gopark",
	[GOF_M_PROCID] = "runtime.minit",
	[GOF_REQ_METHOD] = "net/http.(*ServeMux).findHandler or .Handler",
	[GOF_REQ_URL] = "net/http.(*ServeMux).findHandler or .Handler",
	[GOF_URL_PATH] = "net/url.(*URL).setPath, net/http.(*ServeMux).Handler",
	[GOF_TEST_NAME] = "testing.(*matcher).fullName, testing.(*common).Name",
	[GOF_REQ_PAT] = "net/http.(*ServeMux).ServeHTTP",
	[GOF_PATTERN_STR] = "net/http.(*pattern).String",
	[GOF_URL_HOST] = "net/http.canonicalAddr, httpproxy.canonicalAddr",
};

const char *go_derive__field_name(enum go_field f)
{
	return f < GOF_NR ? names[f] : "?";
}

int *go_derive__field(struct go_offsets *o, enum go_field f)
{
	switch (f) {
	case GOF_GOID: return &o->g_goid;
	case GOF_PARENT_GOID: return &o->g_parent_goid;
	case GOF_GOPC: return &o->g_gopc;
	case GOF_STARTPC: return &o->g_startpc;
	case GOF_ATOMICSTATUS: return &o->g_atomicstatus;
	case GOF_WAITSINCE: return &o->g_waitsince;
	case GOF_WAITREASON: return &o->g_waitreason;
	case GOF_M: return &o->g_m;
	case GOF_SCHED_SP: return &o->g_sched_sp;
	case GOF_M_CURG: return &o->m_curg;
	case GOF_M_PROCID: return &o->m_procid;
	case GOF_REQ_METHOD: return &o->req_method;
	case GOF_REQ_URL: return &o->req_url;
	case GOF_URL_PATH: return &o->url_path;
	case GOF_TEST_NAME: return &o->test_name;
	case GOF_REQ_PAT: return &o->req_pat;
	case GOF_PATTERN_STR: return &o->pattern_str;
	case GOF_URL_HOST: return &o->url_host;
	default: return NULL;
	}
}


void gd_vote(struct votes *vs, enum go_field f, const char *where, long off)
{
	if (off >= 0 && vs->n[f] < MAX_SRC) {
		vs->v[f][vs->n[f]].where = where;
		vs->v[f][vs->n[f]++].off = off;
	}
}


struct goflow *gd_flow(struct ctx *c, const char *name)
{
	struct gofunc fn;

	if (!c->tab || gopcln__func_by_name(c->tab, name, 0, &fn))
		return NULL;
	return goflow__run(c->path, c->tab, fn.entry, fn.end - fn.entry);
}

bool gd_has_func(struct ctx *c, const char *name)
{
	struct gofunc fn;

	return c->tab && !gopcln__func_by_name(c->tab, name, 0, &fn);
}

bool gd_calls(struct ctx *c, const struct gf_ev *e, const char *name)
{
	struct gofunc fn;

	return e->kind == GF_CALL && e->target && !gopcln__func_at(c->tab, e->target, &fn) &&
	       fn.entry == e->target && !strcmp(fn.name, name);
}

const struct gv *gd_val(const struct goflow *f, int id)
{
	static const struct gv none = { .kind = GV_UNK, .parent = -1 };
	const struct gv *v = goflow__val(f, id);

	return v ? v : &none;
}

/* The field's value when its places agree; -1 with why otherwise. */
static int settle(struct ctx *c, struct go_derivation *d, enum go_field f)
{
	const struct votes *vs = &c->vs;
	int *slot = go_derive__field(&d->o, f);

	*slot = -1;
	if (!vs->n[f]) {
		snprintf(d->why[f], sizeof(d->why[f]), "%s", c->absent[f] ? "package not linked in"
			 : places[f]);
		return -1;
	}
	for (int i = 1; i < vs->n[f]; i++)
		if (vs->v[f][i].off != vs->v[f][0].off) {
			snprintf(d->why[f], sizeof(d->why[f]), "%s says %ld, %s says %ld",
				 vs->v[f][0].where, vs->v[f][0].off, vs->v[f][i].where,
				 vs->v[f][i].off);
			return -1;
		}
	if (vs->v[f][0].off > INT_MAX) { /* as an int it could pass for a small one */
		snprintf(d->why[f], sizeof(d->why[f]), "%s gives %ld: out of the struct",
			 vs->v[f][0].where, vs->v[f][0].off);
		return -1;
	}
	*slot = (int)vs->v[f][0].off;
	d->nr_from[f] = vs->n[f];
	for (int i = 0, n = 0; i < vs->n[f] && n < (int)sizeof(d->from[f]); i++)
		n += snprintf(d->from[f] + n, sizeof(d->from[f]) - n, "%s%s", i ? ", " : "",
			      vs->v[f][i].where);
	return 0;
}

/* An offset that cannot be right: out of the struct, misaligned, or out of
 * the order every Go version has kept. */
static const char *implausible(const struct go_offsets *o, enum go_field f, int off)
{
	int align = f == GOF_WAITREASON ? 1 : f == GOF_ATOMICSTATUS ? 4 : 8;
	int max = f >= GOF_REQ_METHOD ? MAX_PKG_OFF : MAX_RUNTIME_OFF;

	if (off < 0 || off >= max)
		return "out of the struct";
	if (off % align)
		return "misaligned";
	if (f == GOF_SCHED_SP && o->g_m >= 0 && off <= o->g_m)
		return "not after g.m";
	if (f == GOF_STARTPC && o->g_gopc >= 0 && off <= o->g_gopc)
		return "not after g.gopc";
	if (f == GOF_REQ_URL && o->req_method >= 0 && off < o->req_method + 16)
		return "overlaps Request.Method";
	if (f <= GOF_SCHED_SP)
		for (int g = 0; g <= GOF_SCHED_SP; g++)
			if (g != (int)f && *go_derive__field((struct go_offsets *)o, g) == off)
				return "the same as another field of runtime.g";
	return NULL;
}

int go_derive__run(const char *path, int major, int minor, struct go_derivation *d, char *err,
		   size_t len)
{
	struct ctx c = { .path = path, .tab = goelf__pclntab(path) };
	bool has_parent = major > 1 || minor >= 21;
	int rc = 0;
	long p;

	memset(d, 0, sizeof(*d));
	d->o.major = major;
	d->o.minor = minor;
	d->o.built_with = "derived";
	if (!c.tab) {
		for (int f = 0; f < GOF_NR; f++) {
			*go_derive__field(&d->o, f) = -1;
			snprintf(d->why[f], sizeof(d->why[f]), "no pclntab");
		}
		snprintf(err, len, "go%d.%d: could not derive offsets: no pclntab", major, minor);
		return -1;
	}
	from_newproc1(&c);
	from_cas(&c, "runtime.casgstatus");
	from_cas(&c, "runtime.castogscanstatus");
	from_gopark(&c);
	from_execute(&c);
	from_exitsyscall(&c);
	from_minit(&c);
	from_mcall(&c);
	from_printcreatedby(&c);
	from_issystem(&c);
	from_goroutineheader(&c);
	p = from_setpath(&c);
	from_servemux(&c, p);
	from_fullname(&c);
	from_test_name(&c);
	from_canonicaladdr(&c, "net/http.canonicalAddr");
	from_canonicaladdr(&c, "vendor/golang.org/x/net/http/httpproxy.canonicalAddr");
	c.absent[GOF_URL_HOST] = !gd_has_func(&c, "net/http.canonicalAddr");
	if (major > 1 || minor >= 22) {
		from_servehttp(&c);
		from_pattern_string(&c);
	}
	if (!has_parent)
		c.vs.n[GOF_PARENT_GOID] = 0;
	for (int f = 0; f < GOF_NR; f++)
		settle(&c, d, f);
	if (!has_parent)
		snprintf(d->why[GOF_PARENT_GOID], sizeof(d->why[0]), "none before Go 1.21");
	for (int f = 0; f < GOF_NR; f++) {
		int *slot = go_derive__field(&d->o, f);
		const char *bad;

		if (*slot >= 0 && (bad = implausible(&d->o, f, *slot))) {
			snprintf(d->why[f], sizeof(d->why[f]), "%s gives %d: %s", c.vs.v[f][0].where,
				 *slot, bad);
			*slot = -1;
			d->nr_from[f] = 0;
			d->from[f][0] = 0;
		}
	}
	/* the runtime's fields are needed; the packages' only for names */
	for (int f = 0; f <= GOF_M_PROCID && !rc; f++) {
		if (*go_derive__field(&d->o, f) >= 0 || (f == GOF_PARENT_GOID && !has_parent))
			continue;
		snprintf(err, len, "go%d.%d: could not derive %s from %s", major, minor, names[f],
			 d->why[f]);
		rc = -1;
	}
	return rc;
}
