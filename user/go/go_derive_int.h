/* What go_derive's files share: the votes each place casts for a field,
 * the context of one derivation, and the places (go_derive_runtime.c:
 * runtime.g and runtime.m; go_derive_pkg.c: net/http, net/url, testing). */
#ifndef WEFT_GO_DERIVE_INT_H
#define WEFT_GO_DERIVE_INT_H

#include <stdbool.h>
#include "go_derive.h"
#include "goflow.h"
#include "gopclntab.h"

#define MAX_SRC 6

/* What each place said about each field. */
struct votes {
	struct {
		const char *where;
		long off;
	} v[GOF_NR][MAX_SRC];
	int n[GOF_NR];
};

struct ctx {
	const char *path;
	struct gopcln *tab;
	struct votes vs;
	bool absent[GOF_NR]; /* the package is not linked in */
};

#define EACH_EV(f, e) \
	for (size_t i_ = 0; i_ < goflow__nr_events(f) && ((e) = goflow__event(f, i_)); i_++)

void gd_vote(struct votes *vs, enum go_field f, const char *where, long off);
/* The data flow of a function, by name (NULL: not in the binary) */
struct goflow *gd_flow(struct ctx *c, const char *name);
bool gd_has_func(struct ctx *c, const char *name);
/* Is e a call of the function named name? */
bool gd_calls(struct ctx *c, const struct gf_ev *e, const char *name);
/* Value id of f (an unknown one for none) */
const struct gv *gd_val(const struct goflow *f, int id);

/* Each place votes for the fields it shows */
void from_newproc1(struct ctx *c);
void from_printcreatedby(struct ctx *c);
void from_issystem(struct ctx *c);
void from_goroutineheader(struct ctx *c);
void from_cas(struct ctx *c, const char *name);
void from_gopark(struct ctx *c);
void from_execute(struct ctx *c);
void from_exitsyscall(struct ctx *c);
void from_minit(struct ctx *c);
void from_mcall(struct ctx *c);
void from_servemux(struct ctx *c, long path);
long from_setpath(struct ctx *c);
void from_test_name(struct ctx *c);
void from_fullname(struct ctx *c);
void from_servehttp(struct ctx *c);
void from_pattern_string(struct ctx *c);
void from_canonicaladdr(struct ctx *c, const char *name);

#endif
