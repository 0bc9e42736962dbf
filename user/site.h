/* Which frame of a creation stack names the site: the first one in the
 * program's own code, past libc and the dynamic loader. */
#ifndef WEFT_SITE_H
#define WEFT_SITE_H

#include <stdint.h>
#include "weft/events.h"

/* ctx: a struct symtab *. Usable as model_opts.pick_site. */
uint64_t site__pick(void *ctx, const struct weft_event *e);

#endif
