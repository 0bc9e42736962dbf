/* JIT symbols from a perf map (/tmp/perf-PID.map: "START SIZE NAME" lines,
 * hex), the file V8 writes with `node --perf-basic-prof`. Read again when it
 * has grown and an address is not found. */
#ifndef WEFT_PERFMAP_H
#define WEFT_PERFMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct perfmap;

struct perfmap *perfmap__new(pid_t pid);
void perfmap__free(struct perfmap *pm);
/* The name covering addr ("JS:*handler /srv/app.js:12:3"), or NULL. */
const char *perfmap__find(struct perfmap *pm, uint64_t addr);

/* V8's name for JavaScript code (not a builtin, stub or handler). */
bool perfmap__is_js(const char *name);

/* A V8 name split: "JS:*handler /srv/app.js:12:3" -> func "handler" (in
 * buf, returned), file "app.js", line 12 (file "" and line 0 when absent). */
const char *perfmap__js_name(const char *name, char *buf, size_t len, char *file, size_t flen,
			     uint32_t *line);

#endif
