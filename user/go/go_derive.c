// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "go_derive.h"
#include "goelf.h"
#include "goflow.h"
#include "gopclntab.h"

#define MAX_SRC 6
/* runtime.g and runtime.m are a few hundred bytes to a few KB */
#define MAX_RUNTIME_OFF 4096
#define MAX_PKG_OFF 1024
#define G_SCANRUNNING 0x1002 /* _Gscan | _Grunning, since Go 1.x */
#define CONN 0x4e4e4f43	  /* "CONN", as one 32-bit compare */

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

/* What each place said about each field. */
struct votes {
	struct {
		const char *where;
		long off;
	} v[GOF_NR][MAX_SRC];
	int n[GOF_NR];
};

static void vote(struct votes *vs, enum go_field f, const char *where, long off)
{
	if (off >= 0 && vs->n[f] < MAX_SRC) {
		vs->v[f][vs->n[f]].where = where;
		vs->v[f][vs->n[f]++].off = off;
	}
}

struct ctx {
	const char *path;
	struct gopcln *tab;
	struct votes vs;
	bool absent[GOF_NR]; /* the package is not linked in */
};

static struct goflow *flow(struct ctx *c, const char *name)
{
	struct gofunc fn;

	if (!c->tab || gopcln__func_by_name(c->tab, name, 0, &fn))
		return NULL;
	return goflow__run(c->path, c->tab, fn.entry, fn.end - fn.entry);
}

static bool has_func(struct ctx *c, const char *name)
{
	struct gofunc fn;

	return c->tab && !gopcln__func_by_name(c->tab, name, 0, &fn);
}

static bool calls(struct ctx *c, const struct gf_ev *e, const char *name)
{
	struct gofunc fn;

	return e->kind == GF_CALL && e->target && !gopcln__func_at(c->tab, e->target, &fn) &&
	       fn.entry == e->target && !strcmp(fn.name, name);
}

static const struct gv *val(const struct goflow *f, int id)
{
	static const struct gv none = { .kind = GV_UNK, .parent = -1 };
	const struct gv *v = goflow__val(f, id);

	return v ? v : &none;
}

#define EACH_EV(f, e) \
	for (size_t i_ = 0; i_ < goflow__nr_events(f) && ((e) = goflow__event(f, i_)); i_++)

/* newproc1(fn *funcval, callergp *g, callerpc uintptr, ...): the new g is
 * what callerpc is stored into; then fn.fn, callergp.goid, goidcache. */
static void from_newproc1(struct ctx *c)
{
	struct goflow *f = flow(c, "runtime.newproc1");
	int fn, callergp, callerpc, newg = -1;
	const struct gf_ev *e, *e2;
	int64_t d;

	if (!f)
		return;
	fn = goflow__arg(f, 0);
	callergp = goflow__arg(f, 1);
	callerpc = goflow__arg(f, 2);
	EACH_EV(f, e)
		if (e->kind == GF_STORE && e->src == callerpc && e->size == 8 &&
		    val(f, e->base)->kind != GV_ARG) {
			vote(&c->vs, GOF_GOPC, "runtime.newproc1", e->disp);
			newg = e->base;
			break;
		}
	EACH_EV(f, e) {
		if (newg < 0 || e->kind != GF_STORE || e->base != newg || e->size != 8)
			continue;
		if (goflow__is_load_of(f, e->src, fn, &d) && d == 0)
			vote(&c->vs, GOF_STARTPC, "runtime.newproc1", e->disp);
		if (goflow__is_load_of(f, e->src, callergp, &d) && d != e->disp) {
			/* not a copy of a field (newg.f = callergp.f) */
			vote(&c->vs, GOF_PARENT_GOID, "runtime.newproc1", e->disp);
			vote(&c->vs, GOF_GOID, "runtime.newproc1 (callergp.goid)", d);
		} else if (val(f, e->src)->kind == GV_LOAD) {
			/* newg.goid = pp.goidcache; pp.goidcache++ */
			d = val(f, e->src)->disp;
			EACH_EV(f, e2)
				if (e2->kind == GF_RMW && e2->disp == d && e2->size == 8 &&
				    (e2->insn == X86_INS_INC || e2->insn == X86_INS_ADD)) {
					vote(&c->vs, GOF_GOID, "runtime.newproc1 (goidcache)",
					     e->disp);
					break;
				}
		}
	}
	/* gostartcallfn(&newg.sched, fn): gobuf.sp is gobuf's first word */
	EACH_EV(f, e)
		if (newg >= 0 && calls(c, e, "runtime.gostartcallfn") &&
		    val(f, e->args[0])->kind == GV_LEA && val(f, e->args[0])->parent == newg) {
			vote(&c->vs, GOF_SCHED_SP, "runtime.newproc1 (gostartcallfn)",
			     val(f, e->args[0])->disp);
			break;
		}
	goflow__free(f);
}

/* The first call of callee in f, or NULL. */
static const struct gf_ev *first_call(struct ctx *c, const struct goflow *f, const char *callee)
{
	const struct gf_ev *e;

	EACH_EV(f, e)
		if (calls(c, e, callee))
			return e;
	return NULL;
}

/* printcreatedby(gp): findfunc(gp.gopc); gp.goid != 1; 1.21+:
 * printcreatedby1(f, pc, gp.parentGoid). */
static void from_printcreatedby(struct ctx *c)
{
	struct goflow *f = flow(c, "runtime.printcreatedby");
	const struct gf_ev *e;
	int gp;
	int64_t d;

	if (!f)
		return;
	gp = goflow__arg(f, 0);
	if ((e = first_call(c, f, "runtime.findfunc")) && goflow__is_load_of(f, e->args[0], gp, &d))
		vote(&c->vs, GOF_GOPC, "runtime.printcreatedby", d);
	EACH_EV(f, e)
		if (e->kind == GF_CMP && e->imm == 1 && e->size == 8 &&
		    goflow__is_load_of(f, e->src, gp, &d)) {
			vote(&c->vs, GOF_GOID, "runtime.printcreatedby", d);
			break;
		}
	if ((e = first_call(c, f, "runtime.printcreatedby1")) &&
	    goflow__is_load_of(f, e->args[3], gp, &d))
		vote(&c->vs, GOF_PARENT_GOID, "runtime.printcreatedby", d);
	goflow__free(f);
}

/* isSystemGoroutine(gp, fixed): findfunc(gp.startpc) first. */
static void from_issystem(struct ctx *c)
{
	struct goflow *f = flow(c, "runtime.isSystemGoroutine");
	const struct gf_ev *e;
	int64_t d;

	if (!f)
		return;
	if ((e = first_call(c, f, "runtime.findfunc")) &&
	    goflow__is_load_of(f, e->args[0], goflow__arg(f, 0), &d))
		vote(&c->vs, GOF_STARTPC, "runtime.isSystemGoroutine", d);
	goflow__free(f);
}

/* goroutineheader(gp): gp.waitreason (the byte it tests), gp.waitsince != 0. */
static void from_goroutineheader(struct ctx *c)
{
	struct goflow *f = flow(c, "runtime.goroutineheader");
	const struct gf_ev *e;
	bool reason = false, since = false;
	int64_t d;

	if (!f)
		return;
	EACH_EV(f, e) {
		if (e->kind != GF_CMP || !goflow__is_load_of(f, e->src, goflow__arg(f, 0), &d))
			continue;
		if (!reason && e->size == 1) {
			vote(&c->vs, GOF_WAITREASON, "runtime.goroutineheader", d);
			reason = true;
		} else if (!since && e->size == 8 && e->imm == 0) {
			vote(&c->vs, GOF_WAITSINCE, "runtime.goroutineheader", d);
			since = true;
		}
	}
	goflow__free(f);
}

/* casgstatus(gp, old, new) and castogscanstatus: CMPXCHG on gp.atomicstatus. */
static void from_cas(struct ctx *c, const char *name)
{
	struct goflow *f = flow(c, name);
	const struct gf_ev *e;

	if (!f)
		return;
	EACH_EV(f, e)
		if (e->kind == GF_RMW && e->insn == X86_INS_CMPXCHG && e->size == 4 &&
		    e->base == goflow__arg(f, 0)) {
			vote(&c->vs, GOF_ATOMICSTATUS, name, e->disp);
			break;
		}
	goflow__free(f);
}

/* gopark(unlockf, lock, reason, ...): mp := acquirem(); gp := mp.curg;
 * readgstatus(gp) vs _Grunning, _Gscanrunning; gp.waitreason = reason. */
static void from_gopark(struct ctx *c)
{
	struct goflow *f = flow(c, "runtime.gopark");
	int reason;
	const struct gf_ev *e;

	if (!f)
		return;
	reason = goflow__arg(f, 2);
	EACH_EV(f, e) {
		const struct gv *gp, *mp;

		if (e->kind == GF_STORE && e->size == 1 && e->src == reason) {
			gp = val(f, e->base);
			mp = val(f, gp->parent);
			if (gp->kind == GV_LOAD && mp->kind == GV_LOAD &&
			    mp->parent == goflow__g(f)) {
				vote(&c->vs, GOF_WAITREASON, "runtime.gopark", e->disp);
				vote(&c->vs, GOF_M_CURG, "runtime.gopark", gp->disp);
				vote(&c->vs, GOF_M, "runtime.gopark", mp->disp);
			}
		}
	}
	EACH_EV(f, e) {
		const struct gv *st = val(f, e->src), *gp = val(f, st->parent),
				*mp = val(f, gp->parent);

		if (e->kind == GF_CMP && e->imm == G_SCANRUNNING && st->kind == GV_LOAD &&
		    st->size == 4 && gp->kind == GV_LOAD && mp->kind == GV_LOAD &&
		    mp->parent == goflow__g(f)) {
			vote(&c->vs, GOF_ATOMICSTATUS, "runtime.gopark", st->disp);
			break;
		}
	}
	goflow__free(f);
}

/* execute(gp, inheritTime): mp := getg().m; mp.curg = gp; gp.m = mp;
 * casgstatus(gp, ...); gp.waitsince = 0. */
static void from_execute(struct ctx *c)
{
	struct goflow *f = flow(c, "runtime.execute");
	bool after_cas = false;
	int gp;
	const struct gf_ev *e;

	if (!f)
		return;
	gp = goflow__arg(f, 0);
	EACH_EV(f, e) {
		const struct gv *b = val(f, e->base), *s = val(f, e->src);

		if (e->kind == GF_CALL && calls(c, e, "runtime.casgstatus"))
			after_cas = true;
		if (e->kind != GF_STORE || e->size != 8)
			continue;
		if (e->src == gp && b->kind == GV_LOAD && b->parent == goflow__g(f)) {
			vote(&c->vs, GOF_M_CURG, "runtime.execute", e->disp);
			vote(&c->vs, GOF_M, "runtime.execute (getg().m)", b->disp);
		} else if (e->base == gp && s->kind == GV_LOAD && s->parent == goflow__g(f) &&
			   s->disp == e->disp) {
			vote(&c->vs, GOF_M, "runtime.execute", e->disp);
		} else if (after_cas && e->base == gp && e->src < 0 && e->imm == 0) {
			vote(&c->vs, GOF_WAITSINCE, "runtime.execute", e->disp);
			after_cas = false; /* the first one only */
		}
	}
	goflow__free(f);
}

/* exitsyscall: getg().waitsince = 0, its first zero word into the g. */
static void from_exitsyscall(struct ctx *c)
{
	struct goflow *f = flow(c, "runtime.exitsyscall");
	const struct gf_ev *e;

	if (!f)
		return;
	EACH_EV(f, e)
		if (e->kind == GF_STORE && e->size == 8 && e->base == goflow__g(f) && e->src < 0 &&
		    e->imm == 0) {
			vote(&c->vs, GOF_WAITSINCE, "runtime.exitsyscall", e->disp);
			break;
		}
	goflow__free(f);
}

/* minit: getg().m.procid = gettid() (an ABI0 call: its result on the stack). */
static void from_minit(struct ctx *c)
{
	struct goflow *f = flow(c, "runtime.minit");
	const struct gf_ev *e, *last = NULL;
	const struct gv *m = NULL;

	if (!f)
		return;
	EACH_EV(f, e) {
		const struct gv *b = val(f, e->base), *s = val(f, e->src);

		if (e->kind == GF_STORE && e->size == 8 && b->kind == GV_LOAD &&
		    b->parent == goflow__g(f) && (s->kind == GV_RET || s->kind == GV_RETSTK)) {
			last = e;
			m = b;
		}
	}
	if (last) {
		vote(&c->vs, GOF_M_PROCID, "runtime.minit", last->disp);
		vote(&c->vs, GOF_M, "runtime.minit (getg().m)", m->disp);
	}
	goflow__free(f);
}

/* mcall (assembly): MOVQ caller's SP, (g_sched+gobuf_sp)(R14). */
static void from_mcall(struct ctx *c)
{
	struct goflow *f = flow(c, "runtime.mcall");
	const struct gf_ev *e;

	if (!f)
		return;
	EACH_EV(f, e)
		if (e->kind == GF_STORE && e->size == 8 && e->base == goflow__g(f) &&
		    val(f, e->src)->kind == GV_SPADDR) {
			vote(&c->vs, GOF_SCHED_SP, "runtime.mcall", e->disp);
			break;
		}
	goflow__free(f);
}

/* Is some value a load through id (id a pointer the code follows)? */
static bool read_through(const struct goflow *f, int id)
{
	for (size_t u = 0; u < goflow__nr_vals(f); u++)
		if (goflow__is_load_of(f, (int)u, id, NULL))
			return true;
	return false;
}

/* (*ServeMux).findHandler (1.22+) or .Handler: if r.Method == "CONNECT"
 * (length 7, "CONN" as one compare), then r.URL.Host/Path. */
static void from_servemux(struct ctx *c, long path)
{
	const char *name = "net/http.(*ServeMux).findHandler";
	struct goflow *f;
	const struct gf_ev *e;
	int r;
	long method = -1;

	if (!has_func(c, name))
		name = "net/http.(*ServeMux).Handler";
	if (!has_func(c, "net/http.(*Request).wantsClose") && !has_func(c, name)) {
		c->absent[GOF_REQ_METHOD] = c->absent[GOF_REQ_URL] = true;
		return;
	}
	if (!(f = flow(c, name)))
		return;
	r = goflow__arg(f, 1);
	EACH_EV(f, e) {
		const struct gv *s = val(f, e->src), *p = val(f, s->parent);
		int64_t d;

		if (e->kind == GF_CMP && e->imm == CONN && e->size == 4 && s->kind == GV_LOAD &&
		    s->disp == 0 && goflow__is_load_of(f, s->parent, r, &d) && p->size == 8) {
			method = d;
			break;
		}
	}
	EACH_EV(f, e) {
		int64_t d;

		if (method >= 0 && e->kind == GF_CMP && e->imm == 7 &&
		    goflow__is_load_of(f, e->src, r, &d) && d == method + 8) {
			vote(&c->vs, GOF_REQ_METHOD, name, method);
			break;
		}
	}
	/* r.URL: the first other word of r read through; with setPath's
	 * Path, a read of URL.Path through it is the second place */
	for (int id = 0; method >= 0 && (size_t)id < goflow__nr_vals(f); id++) {
		int64_t d;

		if (!goflow__is_load_of(f, id, r, &d) || d == method || d == method + 8 ||
		    !read_through(f, id))
			continue;
		vote(&c->vs, GOF_REQ_URL, name, d);
		if (path >= 0 && goflow__load(f, id, path) >= 0)
			vote(&c->vs, GOF_URL_PATH, name, path);
		break;
	}
	goflow__free(f);
}

/* (*URL).setPath(p): path, err := unescape(p, ...); u.Path = path. */
static long from_setpath(struct ctx *c)
{
	struct goflow *f = flow(c, "net/url.(*URL).setPath");
	const struct gf_ev *e, *e2;
	long path = -1;

	if (!f) {
		c->absent[GOF_URL_PATH] = !has_func(c, "net/url.(*URL).setPath");
		return -1;
	}
	EACH_EV(f, e) {
		const struct gv *s = val(f, e->src);

		if (e->kind != GF_STORE || e->base != goflow__arg(f, 0) || s->kind != GV_RET ||
		    s->a != 0 || !calls(c, &(struct gf_ev){ .kind = GF_CALL, .target = s->target },
					 "net/url.unescape"))
			continue;
		/* the length (result 1) one word after */
		EACH_EV(f, e2)
			if (e2->kind == GF_STORE && e2->base == e->base && e2->disp == e->disp + 8 &&
			    val(f, e2->src)->kind == GV_RET && val(f, e2->src)->a == 1 &&
			    val(f, e2->src)->target == s->target) {
				path = e->disp;
				vote(&c->vs, GOF_URL_PATH, "net/url.(*URL).setPath", path);
				break;
			}
		break;
	}
	goflow__free(f);
	return path;
}

/* testing.(*common).Name: return c.name (pointer, length); kept only where
 * something calls it, else inlined away. */
static void from_test_name(struct ctx *c)
{
	struct goflow *f = flow(c, "testing.(*common).Name");
	const struct gf_ev *e;

	if (!f)
		return;
	EACH_EV(f, e) {
		int64_t p, l;

		if (e->kind == GF_RET && goflow__is_load_of(f, e->args[0], goflow__arg(f, 0), &p) &&
		    goflow__is_load_of(f, e->args[1], goflow__arg(f, 0), &l) && l == p + 8) {
			vote(&c->vs, GOF_TEST_NAME, "testing.(*common).Name", p);
			break;
		}
	}
	goflow__free(f);
}

/* (*matcher).fullName(c *common, subname): m.unique(c.name, ...), in every
 * test binary (t.Run names subtests with it). */
static void from_fullname(struct ctx *c)
{
	struct goflow *f = flow(c, "testing.(*matcher).fullName");
	const struct gf_ev *e;

	if (!f) {
		c->absent[GOF_TEST_NAME] = !has_func(c, "testing.(*matcher).fullName") &&
					   !has_func(c, "testing.(*common).Name");
		return;
	}
	EACH_EV(f, e) {
		int64_t p, l;

		if (calls(c, e, "testing.(*matcher).unique") &&
		    goflow__is_load_of(f, e->args[1], goflow__arg(f, 1), &p) &&
		    goflow__is_load_of(f, e->args[2], goflow__arg(f, 1), &l) && l == p + 8) {
			vote(&c->vs, GOF_TEST_NAME, "testing.(*matcher).fullName", p);
			break;
		}
	}
	goflow__free(f);
}

/* (*ServeMux).ServeHTTP(w, r) (1.22+): h, ..., r.pat, r.matches =
 * mux.findHandler(r): r.pat is where findHandler's 5th result (the
 * *pattern, RSI) is stored through r (the 4th argument: mux, then w's two
 * words). */
static void from_servehttp(struct ctx *c)
{
	struct goflow *f = flow(c, "net/http.(*ServeMux).ServeHTTP");
	const struct gf_ev *e;

	if (!f) {
		c->absent[GOF_REQ_PAT] = !has_func(c, "net/http.(*ServeMux).ServeHTTP");
		return;
	}
	EACH_EV(f, e) {
		const struct gv *s = val(f, e->src);

		if (e->kind == GF_STORE && e->size == 8 && e->base == goflow__arg(f, 3) &&
		    s->kind == GV_RET && s->a == 4 &&
		    calls(c, &(struct gf_ev){ .kind = GF_CALL, .target = s->target },
			  "net/http.(*ServeMux).findHandler")) {
			vote(&c->vs, GOF_REQ_PAT, "net/http.(*ServeMux).ServeHTTP", e->disp);
			break;
		}
	}
	goflow__free(f);
}

/* (*pattern).String: return p.str (pointer, length). */
static void from_pattern_string(struct ctx *c)
{
	struct goflow *f = flow(c, "net/http.(*pattern).String");
	const struct gf_ev *e;

	if (!f) {
		c->absent[GOF_PATTERN_STR] = !has_func(c, "net/http.(*ServeMux).ServeHTTP");
		return;
	}
	EACH_EV(f, e) {
		int64_t p, l;

		if (e->kind == GF_RET && goflow__is_load_of(f, e->args[0], goflow__arg(f, 0), &p) &&
		    goflow__is_load_of(f, e->args[1], goflow__arg(f, 0), &l) && l == p + 8) {
			vote(&c->vs, GOF_PATTERN_STR, "net/http.(*pattern).String", p);
			break;
		}
	}
	goflow__free(f);
}

/* canonicalAddr(url *URL): url.Hostname() (inlined) calls
 * splitHostPort(u.Host): its string argument, two words of arg 0. */
static void from_canonicaladdr(struct ctx *c, const char *name)
{
	struct goflow *f = flow(c, name);
	const struct gf_ev *e;

	if (!f)
		return;
	EACH_EV(f, e) {
		int64_t p, l;

		if (calls(c, e, "net/url.splitHostPort") &&
		    goflow__is_load_of(f, e->args[0], goflow__arg(f, 0), &p) &&
		    goflow__is_load_of(f, e->args[1], goflow__arg(f, 0), &l) && l == p + 8) {
			vote(&c->vs, GOF_URL_HOST, name, p);
			break;
		}
	}
	goflow__free(f);
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
	c.absent[GOF_URL_HOST] = !has_func(&c, "net/http.canonicalAddr");
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
