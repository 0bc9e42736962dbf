// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Where the runtime's own code shows runtime.g's and runtime.m's fields */
#include <string.h>
#include <capstone/capstone.h>
#include "go_derive_int.h"

#define G_SCANRUNNING 0x1002 /* _Gscan | _Grunning, since Go 1.x */

/* newproc1(fn *funcval, callergp *g, callerpc uintptr, ...): the new g is
 * what callerpc is stored into; then fn.fn, callergp.goid, goidcache. */
void from_newproc1(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "runtime.newproc1");
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
		    gd_val(f, e->base)->kind != GV_ARG) {
			gd_vote(&c->vs, GOF_GOPC, "runtime.newproc1", e->disp);
			newg = e->base;
			break;
		}
	EACH_EV(f, e) {
		if (newg < 0 || e->kind != GF_STORE || e->base != newg || e->size != 8)
			continue;
		if (goflow__is_load_of(f, e->src, fn, &d) && d == 0)
			gd_vote(&c->vs, GOF_STARTPC, "runtime.newproc1", e->disp);
		if (goflow__is_load_of(f, e->src, callergp, &d) && d != e->disp) {
			/* not a copy of a field (newg.f = callergp.f) */
			gd_vote(&c->vs, GOF_PARENT_GOID, "runtime.newproc1", e->disp);
			gd_vote(&c->vs, GOF_GOID, "runtime.newproc1 (callergp.goid)", d);
		} else if (gd_val(f, e->src)->kind == GV_LOAD) {
			/* newg.goid = pp.goidcache; pp.goidcache++ */
			d = gd_val(f, e->src)->disp;
			EACH_EV(f, e2)
				if (e2->kind == GF_RMW && e2->disp == d && e2->size == 8 &&
				    (e2->insn == X86_INS_INC || e2->insn == X86_INS_ADD)) {
					gd_vote(&c->vs, GOF_GOID, "runtime.newproc1 (goidcache)",
					     e->disp);
					break;
				}
		}
	}
	/* gostartcallfn(&newg.sched, fn): gobuf.sp is gobuf's first word */
	EACH_EV(f, e)
		if (newg >= 0 && gd_calls(c, e, "runtime.gostartcallfn") &&
		    gd_val(f, e->args[0])->kind == GV_LEA && gd_val(f, e->args[0])->parent == newg) {
			gd_vote(&c->vs, GOF_SCHED_SP, "runtime.newproc1 (gostartcallfn)",
			     gd_val(f, e->args[0])->disp);
			break;
		}
	goflow__free(f);
}

/* The first call of callee in f, or NULL. */
static const struct gf_ev *first_call(struct ctx *c, const struct goflow *f, const char *callee)
{
	const struct gf_ev *e;

	EACH_EV(f, e)
		if (gd_calls(c, e, callee))
			return e;
	return NULL;
}

/* printcreatedby(gp): findfunc(gp.gopc); gp.goid != 1; 1.21+:
 * printcreatedby1(f, pc, gp.parentGoid). */
void from_printcreatedby(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "runtime.printcreatedby");
	const struct gf_ev *e;
	int gp;
	int64_t d;

	if (!f)
		return;
	gp = goflow__arg(f, 0);
	if ((e = first_call(c, f, "runtime.findfunc")) && goflow__is_load_of(f, e->args[0], gp, &d))
		gd_vote(&c->vs, GOF_GOPC, "runtime.printcreatedby", d);
	EACH_EV(f, e)
		if (e->kind == GF_CMP && e->imm == 1 && e->size == 8 &&
		    goflow__is_load_of(f, e->src, gp, &d)) {
			gd_vote(&c->vs, GOF_GOID, "runtime.printcreatedby", d);
			break;
		}
	if ((e = first_call(c, f, "runtime.printcreatedby1")) &&
	    goflow__is_load_of(f, e->args[3], gp, &d))
		gd_vote(&c->vs, GOF_PARENT_GOID, "runtime.printcreatedby", d);
	goflow__free(f);
}

/* isSystemGoroutine(gp, fixed): findfunc(gp.startpc) first. */
void from_issystem(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "runtime.isSystemGoroutine");
	const struct gf_ev *e;
	int64_t d;

	if (!f)
		return;
	if ((e = first_call(c, f, "runtime.findfunc")) &&
	    goflow__is_load_of(f, e->args[0], goflow__arg(f, 0), &d))
		gd_vote(&c->vs, GOF_STARTPC, "runtime.isSystemGoroutine", d);
	goflow__free(f);
}

/* goroutineheader(gp): gp.waitreason (the byte it tests), gp.waitsince != 0. */
void from_goroutineheader(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "runtime.goroutineheader");
	const struct gf_ev *e;
	bool reason = false, since = false;
	int64_t d;

	if (!f)
		return;
	EACH_EV(f, e) {
		if (e->kind != GF_CMP || !goflow__is_load_of(f, e->src, goflow__arg(f, 0), &d))
			continue;
		if (!reason && e->size == 1) {
			gd_vote(&c->vs, GOF_WAITREASON, "runtime.goroutineheader", d);
			reason = true;
		} else if (!since && e->size == 8 && e->imm == 0) {
			gd_vote(&c->vs, GOF_WAITSINCE, "runtime.goroutineheader", d);
			since = true;
		}
	}
	goflow__free(f);
}

/* casgstatus(gp, old, new) and castogscanstatus: CMPXCHG on gp.atomicstatus. */
void from_cas(struct ctx *c, const char *name)
{
	struct goflow *f = gd_flow(c, name);
	const struct gf_ev *e;

	if (!f)
		return;
	EACH_EV(f, e)
		if (e->kind == GF_RMW && e->insn == X86_INS_CMPXCHG && e->size == 4 &&
		    e->base == goflow__arg(f, 0)) {
			gd_vote(&c->vs, GOF_ATOMICSTATUS, name, e->disp);
			break;
		}
	goflow__free(f);
}

/* gopark(unlockf, lock, reason, ...): mp := acquirem(); gp := mp.curg;
 * readgstatus(gp) vs _Grunning, _Gscanrunning; gp.waitreason = reason. */
void from_gopark(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "runtime.gopark");
	int reason;
	const struct gf_ev *e;

	if (!f)
		return;
	reason = goflow__arg(f, 2);
	EACH_EV(f, e) {
		const struct gv *gp, *mp;

		if (e->kind == GF_STORE && e->size == 1 && e->src == reason) {
			gp = gd_val(f, e->base);
			mp = gd_val(f, gp->parent);
			if (gp->kind == GV_LOAD && mp->kind == GV_LOAD &&
			    mp->parent == goflow__g(f)) {
				gd_vote(&c->vs, GOF_WAITREASON, "runtime.gopark", e->disp);
				gd_vote(&c->vs, GOF_M_CURG, "runtime.gopark", gp->disp);
				gd_vote(&c->vs, GOF_M, "runtime.gopark", mp->disp);
			}
		}
	}
	EACH_EV(f, e) {
		const struct gv *st = gd_val(f, e->src), *gp = gd_val(f, st->parent),
				*mp = gd_val(f, gp->parent);

		if (e->kind == GF_CMP && e->imm == G_SCANRUNNING && st->kind == GV_LOAD &&
		    st->size == 4 && gp->kind == GV_LOAD && mp->kind == GV_LOAD &&
		    mp->parent == goflow__g(f)) {
			gd_vote(&c->vs, GOF_ATOMICSTATUS, "runtime.gopark", st->disp);
			break;
		}
	}
	goflow__free(f);
}

/* execute(gp, inheritTime): mp := getg().m; mp.curg = gp; gp.m = mp;
 * casgstatus(gp, ...); gp.waitsince = 0. */
void from_execute(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "runtime.execute");
	bool after_cas = false;
	int gp;
	const struct gf_ev *e;

	if (!f)
		return;
	gp = goflow__arg(f, 0);
	EACH_EV(f, e) {
		const struct gv *b = gd_val(f, e->base), *s = gd_val(f, e->src);

		if (e->kind == GF_CALL && gd_calls(c, e, "runtime.casgstatus"))
			after_cas = true;
		if (e->kind != GF_STORE || e->size != 8)
			continue;
		if (e->src == gp && b->kind == GV_LOAD && b->parent == goflow__g(f)) {
			gd_vote(&c->vs, GOF_M_CURG, "runtime.execute", e->disp);
			gd_vote(&c->vs, GOF_M, "runtime.execute (getg().m)", b->disp);
		} else if (e->base == gp && s->kind == GV_LOAD && s->parent == goflow__g(f) &&
			   s->disp == e->disp) {
			gd_vote(&c->vs, GOF_M, "runtime.execute", e->disp);
		} else if (after_cas && e->base == gp && e->src < 0 && e->imm == 0) {
			gd_vote(&c->vs, GOF_WAITSINCE, "runtime.execute", e->disp);
			after_cas = false; /* the first one only */
		}
	}
	goflow__free(f);
}

/* exitsyscall: getg().waitsince = 0, its first zero word into the g. */
void from_exitsyscall(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "runtime.exitsyscall");
	const struct gf_ev *e;

	if (!f)
		return;
	EACH_EV(f, e)
		if (e->kind == GF_STORE && e->size == 8 && e->base == goflow__g(f) && e->src < 0 &&
		    e->imm == 0) {
			gd_vote(&c->vs, GOF_WAITSINCE, "runtime.exitsyscall", e->disp);
			break;
		}
	goflow__free(f);
}

/* minit: getg().m.procid = gettid() (an ABI0 call: its result on the stack). */
void from_minit(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "runtime.minit");
	const struct gf_ev *e, *last = NULL;
	const struct gv *m = NULL;

	if (!f)
		return;
	EACH_EV(f, e) {
		const struct gv *b = gd_val(f, e->base), *s = gd_val(f, e->src);

		if (e->kind == GF_STORE && e->size == 8 && b->kind == GV_LOAD &&
		    b->parent == goflow__g(f) && (s->kind == GV_RET || s->kind == GV_RETSTK)) {
			last = e;
			m = b;
		}
	}
	if (last) {
		gd_vote(&c->vs, GOF_M_PROCID, "runtime.minit", last->disp);
		gd_vote(&c->vs, GOF_M, "runtime.minit (getg().m)", m->disp);
	}
	goflow__free(f);
}

/* mcall (assembly): MOVQ caller's SP, (g_sched+gobuf_sp)(R14). */
void from_mcall(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "runtime.mcall");
	const struct gf_ev *e;

	if (!f)
		return;
	EACH_EV(f, e)
		if (e->kind == GF_STORE && e->size == 8 && e->base == goflow__g(f) &&
		    gd_val(f, e->src)->kind == GV_SPADDR) {
			gd_vote(&c->vs, GOF_SCHED_SP, "runtime.mcall", e->disp);
			break;
		}
	goflow__free(f);
}
