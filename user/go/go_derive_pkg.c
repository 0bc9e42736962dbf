// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Where net/http's, net/url's and testing's code shows their fields */
#include <string.h>
#include "go_derive_int.h"

#define CONN 0x4e4e4f43	  /* "CONN", as one 32-bit compare */

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
void from_servemux(struct ctx *c, long path)
{
	const char *name = "net/http.(*ServeMux).findHandler";
	struct goflow *f;
	const struct gf_ev *e;
	int r;
	long method = -1;

	if (!gd_has_func(c, name))
		name = "net/http.(*ServeMux).Handler";
	if (!gd_has_func(c, "net/http.(*Request).wantsClose") && !gd_has_func(c, name)) {
		c->absent[GOF_REQ_METHOD] = c->absent[GOF_REQ_URL] = true;
		return;
	}
	if (!(f = gd_flow(c, name)))
		return;
	r = goflow__arg(f, 1);
	EACH_EV(f, e) {
		const struct gv *s = gd_val(f, e->src), *p = gd_val(f, s->parent);
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
			gd_vote(&c->vs, GOF_REQ_METHOD, name, method);
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
		gd_vote(&c->vs, GOF_REQ_URL, name, d);
		if (path >= 0 && goflow__load(f, id, path) >= 0)
			gd_vote(&c->vs, GOF_URL_PATH, name, path);
		break;
	}
	goflow__free(f);
}

/* (*URL).setPath(p): path, err := unescape(p, ...); u.Path = path. */
long from_setpath(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "net/url.(*URL).setPath");
	const struct gf_ev *e, *e2;
	long path = -1;

	if (!f) {
		c->absent[GOF_URL_PATH] = !gd_has_func(c, "net/url.(*URL).setPath");
		return -1;
	}
	EACH_EV(f, e) {
		const struct gv *s = gd_val(f, e->src);

		if (e->kind != GF_STORE || e->base != goflow__arg(f, 0) || s->kind != GV_RET ||
		    s->a != 0 || !gd_calls(c, &(struct gf_ev){ .kind = GF_CALL, .target = s->target },
					 "net/url.unescape"))
			continue;
		/* the length (result 1) one word after */
		EACH_EV(f, e2)
			if (e2->kind == GF_STORE && e2->base == e->base && e2->disp == e->disp + 8 &&
			    gd_val(f, e2->src)->kind == GV_RET && gd_val(f, e2->src)->a == 1 &&
			    gd_val(f, e2->src)->target == s->target) {
				path = e->disp;
				gd_vote(&c->vs, GOF_URL_PATH, "net/url.(*URL).setPath", path);
				break;
			}
		break;
	}
	goflow__free(f);
	return path;
}

/* testing.(*common).Name: return c.name (pointer, length); kept only where
 * something calls it, else inlined away. */
void from_test_name(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "testing.(*common).Name");
	const struct gf_ev *e;

	if (!f)
		return;
	EACH_EV(f, e) {
		int64_t p, l;

		if (e->kind == GF_RET && goflow__is_load_of(f, e->args[0], goflow__arg(f, 0), &p) &&
		    goflow__is_load_of(f, e->args[1], goflow__arg(f, 0), &l) && l == p + 8) {
			gd_vote(&c->vs, GOF_TEST_NAME, "testing.(*common).Name", p);
			break;
		}
	}
	goflow__free(f);
}

/* (*matcher).fullName(c *common, subname): m.unique(c.name, ...), in every
 * test binary (t.Run names subtests with it). */
void from_fullname(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "testing.(*matcher).fullName");
	const struct gf_ev *e;

	if (!f) {
		c->absent[GOF_TEST_NAME] = !gd_has_func(c, "testing.(*matcher).fullName") &&
					   !gd_has_func(c, "testing.(*common).Name");
		return;
	}
	EACH_EV(f, e) {
		int64_t p, l;

		if (gd_calls(c, e, "testing.(*matcher).unique") &&
		    goflow__is_load_of(f, e->args[1], goflow__arg(f, 1), &p) &&
		    goflow__is_load_of(f, e->args[2], goflow__arg(f, 1), &l) && l == p + 8) {
			gd_vote(&c->vs, GOF_TEST_NAME, "testing.(*matcher).fullName", p);
			break;
		}
	}
	goflow__free(f);
}

/* (*ServeMux).ServeHTTP(w, r) (1.22+): h, ..., r.pat, r.matches =
 * mux.findHandler(r): r.pat is where findHandler's 5th result (the
 * *pattern, RSI) is stored through r (the 4th argument: mux, then w's two
 * words). */
void from_servehttp(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "net/http.(*ServeMux).ServeHTTP");
	const struct gf_ev *e;

	if (!f) {
		c->absent[GOF_REQ_PAT] = !gd_has_func(c, "net/http.(*ServeMux).ServeHTTP");
		return;
	}
	EACH_EV(f, e) {
		const struct gv *s = gd_val(f, e->src);

		if (e->kind == GF_STORE && e->size == 8 && e->base == goflow__arg(f, 3) &&
		    s->kind == GV_RET && s->a == 4 &&
		    gd_calls(c, &(struct gf_ev){ .kind = GF_CALL, .target = s->target },
			  "net/http.(*ServeMux).findHandler")) {
			gd_vote(&c->vs, GOF_REQ_PAT, "net/http.(*ServeMux).ServeHTTP", e->disp);
			break;
		}
	}
	goflow__free(f);
}

/* (*pattern).String: return p.str (pointer, length). */
void from_pattern_string(struct ctx *c)
{
	struct goflow *f = gd_flow(c, "net/http.(*pattern).String");
	const struct gf_ev *e;

	if (!f) {
		c->absent[GOF_PATTERN_STR] = !gd_has_func(c, "net/http.(*ServeMux).ServeHTTP");
		return;
	}
	EACH_EV(f, e) {
		int64_t p, l;

		if (e->kind == GF_RET && goflow__is_load_of(f, e->args[0], goflow__arg(f, 0), &p) &&
		    goflow__is_load_of(f, e->args[1], goflow__arg(f, 0), &l) && l == p + 8) {
			gd_vote(&c->vs, GOF_PATTERN_STR, "net/http.(*pattern).String", p);
			break;
		}
	}
	goflow__free(f);
}

/* canonicalAddr(url *URL): url.Hostname() (inlined) calls
 * splitHostPort(u.Host): its string argument, two words of arg 0. */
void from_canonicaladdr(struct ctx *c, const char *name)
{
	struct goflow *f = gd_flow(c, name);
	const struct gf_ev *e;

	if (!f)
		return;
	EACH_EV(f, e) {
		int64_t p, l;

		if (gd_calls(c, e, "net/url.splitHostPort") &&
		    goflow__is_load_of(f, e->args[0], goflow__arg(f, 0), &p) &&
		    goflow__is_load_of(f, e->args[1], goflow__arg(f, 0), &l) && l == p + 8) {
			gd_vote(&c->vs, GOF_URL_HOST, name, p);
			break;
		}
	}
	goflow__free(f);
}
