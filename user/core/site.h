/* Which frame of a creation stack names the site: the first one in the
 * program's own code, past libc and the dynamic loader. */
#ifndef WEFT_SITE_H
#define WEFT_SITE_H

#include <stdint.h>
#include "weft/events.h"

/* ctx: a struct symtab *. Usable as model_opts.pick_site. */
uint64_t site__pick(void *ctx, const struct weft_event *e);
/* Whose JavaScript made it (frames named by a perf map): 1 the
 * application's, 0 only node's own modules, -1 no JavaScript frame known. */
struct symtab;
int site__js_owner(const struct symtab *st, const struct weft_event *e);
/* Usable as model_opts.serves_conn (ctx: a struct symtab *): the server
 * whose connection a goroutine started at s->site serves, or NULL. */
struct segment;
const char *site__serves_conn(void *ctx, const struct segment *s);

#endif
