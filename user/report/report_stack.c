// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Creation stacks across continuations: a goroutine's traceback names only
 * its immediate creator; weft knows every creator up to the request. */
#include <stdlib.h>
#include <string.h>
#include "report.h"

#define MAX_HOPS 32
#define MAX_LINES 512

struct frame_line {
	unsigned hop;
	uint32_t kind;
	char text[256];
};

/* The bottom of every goroutine's stack, and the wrapper the compiler
 * makes for `go f(x)` (1.22+, at the go statement's line): not callers */
static bool runtime_base(const char *func)
{
	return !strcmp(func, "runtime.goexit") || !strcmp(func, "runtime.goexit1") ||
	       strstr(func, ".gowrap");
}

/* "(file.go:88)" of "func (file.go:88)", or "" */
static const char *where(const char *text)
{
	const char *p = strrchr(text, '(');

	return p ? p : "";
}

/* A frame of the app's own JavaScript: named by a perf map with a file
 * that is not node's ("(node:internal/...)") */
static bool app_js(const char *text)
{
	const char *w = where(text);

	return !strncmp(w, "(node:", 6) ? false
					 : strstr(w, ".js:") || strstr(w, ".mjs:") || strstr(w, ".cjs:");
}

/* One continuation's frames, from its creation site outward. A Node
 * resource's: the app's JavaScript only, up to the first frame of node's
 * own (the test runner, the microtask queue, V8) */
static size_t hop_lines(const struct report *r, const struct segment *s, unsigned hop,
			struct frame_line *out, size_t max)
{
	uint32_t nr, from = 0;
	const uint64_t *f = model__stack(r->m, s->stack - 1, &nr);
	size_t n = 0;

	/* from the site: the frames inside the runtime's creation (newproc,
	 * pthread_create) say nothing of the app */
	for (uint32_t i = 0; f && i < nr; i++)
		if (f[i] == s->site) {
			from = i;
			break;
		}
	for (uint32_t i = from; f && i < nr && n < max; i++) {
		if (!f[i] || (i > from && f[i] == f[i - 1]) ||
		    runtime_base(report__site_func(r, f[i])))
			continue;
		out[n].hop = hop;
		out[n].kind = s->kind;
		report__site_short(r, f[i], out[n].text, sizeof(out[n].text));
		if (s->kind == WEFT_KIND_ASYNC && n && !app_js(out[n].text))
			break;
		n++;
	}
	return n;
}

size_t report__creation_stack(const struct report *r, const struct segment *s,
			      void (*frame)(void *ctx, unsigned hop, uint32_t kind,
					    const char *text),
			      void *ctx)
{
	const struct txn *t = model__txn(r->m, s->txn);
	struct frame_line *l = malloc(MAX_LINES * sizeof(*l));
	size_t n = 0, given = 0;

	for (unsigned hop = 0; l && s && s->stack && hop < MAX_HOPS; hop++) {
		size_t k = hop_lines(r, s, hop, l + n, MAX_LINES - n);

		/* a goroutine's outermost frame at its creator's go statement
		 * is the wrapper Go makes for `go f(x)` (before 1.22: funcN) */
		if (k && n && l[n - 1].hop == hop - 1 && *where(l[n - 1].text) &&
		    !strcmp(where(l[n - 1].text), where(l[n].text)))
			memmove(&l[n - 1], &l[n], k * sizeof(*l)), n--;
		n += k;
		if (!s->parent || (t && s->parent == t->root_seg))
			break;
		s = model__segment(r->m, s->parent);
		if (s && s->txn != (t ? t->id : 0))
			break; /* another transaction's: not this one's making */
	}
	for (size_t i = 0; i < n; i++, given++)
		frame(ctx, l[i].hop, l[i].kind, l[i].text);
	free(l);
	return given;
}
