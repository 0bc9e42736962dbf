/* Names. Transaction names that come in two parts: a Go request begins named by
 * its method and path and, when a ServeMux route matched, ends knowing the
 * route's pattern. Pure string work, for the model. */
#ifndef WEFT_TXN_NAME_H
#define WEFT_TXN_NAME_H

#include <stddef.h>

/* The name by route: the request's method (path_name's first word) and
 * the pattern without its own method: "GET /users/8123" and "GET
 * /users/{id}" give "GET /users/{id}"; "/static/" gives "GET /static/"; a
 * HEAD request that a GET route serves is "HEAD /users/{id}". 0, or -1
 * (out left alone) when path_name has no method or pattern no path. */
int txn_name__by_pattern(char *out, size_t len, const char *path_name, const char *pattern);

/* Names that segments carry (an outbound call's "GET host:port"), kept
 * once each: 1-based ids, 0 none. */
struct name_set {
	char **v;
	size_t nr, cap;
};
/* The id of s (added if new), or 0 when out of memory. */
size_t name_set__id(struct name_set *ns, const char *s);
/* The name with id, or "" for 0 and unknown ids. */
const char *name_set__get(const struct name_set *ns, size_t id);
void name_set__free(struct name_set *ns);

#endif
