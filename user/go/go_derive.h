/* The offsets of struct go_offsets derived from a Go binary's own machine
 * code, for a stripped binary of a Go version the table does not know.
 * Functions are found by name in the pclntab (every Go binary keeps it)
 * and read by goflow (what each instruction does with the arguments and
 * the current g). Each field comes from a place where the runtime (or
 * net/http, net/url, testing) reads or writes it in a fixed, recognisable
 * way, checked against a second place where there is one:
 *
 *   g.goid        newproc1: newg.goid = pp.goidcache (then goidcache++);
 *                 1.21+ also callergp.goid, read to set newg.parentGoid;
 *                 printcreatedby: gp.goid != 1
 *   g.parentGoid  newproc1: newg.parentGoid = callergp.goid (1.21+);
 *                 printcreatedby: printcreatedby1(f, pc, gp.parentGoid)
 *   g.gopc        newproc1: newg.gopc = callerpc (its 3rd argument);
 *                 printcreatedby: findfunc(gp.gopc)
 *   g.startpc     newproc1: newg.startpc = fn.fn (its 1st argument's word 0);
 *                 isSystemGoroutine: findfunc(gp.startpc)
 *   g.atomicstatus casgstatus and castogscanstatus: the CMPXCHG on gp;
 *                 gopark: readgstatus(gp) compared with _Gscanrunning
 *   g.waitsince   execute: gp.waitsince = 0 after casgstatus; exitsyscall:
 *                 getg().waitsince = 0; goroutineheader: gp.waitsince != 0
 *   g.waitreason  gopark: mp.curg.waitreason = reason (a byte, 3rd arg);
 *                 goroutineheader: the byte it tests (waitReason.String)
 *   g.m, m.curg   execute: mp.curg = gp, gp.m = mp (mp = getg().m); gopark:
 *                 getg().m.curg; minit: getg().m
 *   g.sched.sp    mcall (assembly): g.sched.sp = the caller's SP;
 *                 newproc1: gostartcallfn(&newg.sched, fn) (gobuf.sp is
 *                 gobuf's first word)
 *   m.procid      minit: getg().m.procid = gettid()
 *   Request.Method, .URL  net/http.(*ServeMux).findHandler (1.22+, else
 *                 .Handler): r.Method == "CONNECT" (length 7, then the
 *                 bytes), then r.URL, a pointer read through
 *   URL.Path      net/url.(*URL).setPath: u.Path = the result of unescape
 *                 (pointer and length); (*ServeMux).Handler: r.URL.Path
 *   Request.pat   net/http.(*ServeMux).ServeHTTP (1.22+): findHandler's 5th
 *                 result (the *pattern) stored through r
 *   pattern.str   net/http.(*pattern).String: returns p.str
 *   URL.Host      net/http.canonicalAddr and x/net's httpproxy.canonicalAddr:
 *                 url.Hostname() inlined, splitHostPort(u.Host)
 *   testing.common.name  testing.(*matcher).fullName: m.unique(c.name, ...)
 *                 (every test binary); testing.(*common).Name: returns
 *                 c.name, where it was not inlined away
 *
 * A field found nowhere is -1 with the reason; two places that disagree
 * fail the derivation. No libbpf: unit tests run it on any binary. */
#ifndef WEFT_GO_DERIVE_H
#define WEFT_GO_DERIVE_H

#include <stddef.h>
#include "go_offsets.h"

enum go_field {
	GOF_GOID,
	GOF_PARENT_GOID,
	GOF_GOPC,
	GOF_STARTPC,
	GOF_ATOMICSTATUS,
	GOF_WAITSINCE,
	GOF_WAITREASON,
	GOF_M,
	GOF_SCHED_SP,
	GOF_M_CURG,
	GOF_M_PROCID,
	GOF_REQ_METHOD,
	GOF_REQ_URL,
	GOF_URL_PATH,
	GOF_TEST_NAME,
	GOF_REQ_PAT,
	GOF_PATTERN_STR,
	GOF_URL_HOST,
	GOF_NR
};

struct go_derivation {
	struct go_offsets o; /* major, minor as asked; built_with "derived" */
	/* per field: "" when derived, else why not ("runtime.minit: absent") */
	char why[GOF_NR][128];
	/* per field: the places that agreed on it ("runtime.execute, runtime.gopark") */
	char from[GOF_NR][160];
	int nr_from[GOF_NR];
};

/* "runtime.g.goid", ... */
const char *go_derive__field_name(enum go_field f);
/* The field's slot in o. */
int *go_derive__field(struct go_offsets *o, enum go_field f);

/* Derives every field from the binary at path, of Go major.minor (which
 * says whether parentGoid exists: 1.21+). 0 when each runtime field
 * (runtime.g, runtime.m) was found and passed the checks (two places
 * agree, or the one place gives an aligned offset in order with the
 * others); -1 with one line in err ("could not derive runtime.g.goid from
 * runtime.newproc1 (...)"). The net/http, net/url and testing fields are
 * derived only when their package is linked in, else -1 (why says so);
 * they never fail the whole. d is filled as far as it went either way. */
int go_derive__run(const char *path, int major, int minor, struct go_derivation *d, char *err,
		   size_t len);

#endif
