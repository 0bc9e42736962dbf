/* The Go runtime's own function table (pclntab), read from the binary on
 * disk: in every Go binary, stripped or not, because stack traces need it.
 * Function names and bounds, and pc -> file:line, for Go 1.18 and later
 * (header magic 0xfffffff0 / 0xfffffff1). Found by section name
 * (.gopclntab), else by its header in the read-only data. With the
 * runtime's moduledata, the inline trees too: the logical frames at a pc,
 * as Go's own tracebacks show them. */
#ifndef WEFT_GOPCLNTAB_H
#define WEFT_GOPCLNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gopcln;

/* NULL with one line in err: no pclntab, an unsupported layout. */
struct gopcln *gopcln__open(const char *path, char *err, size_t len);
void gopcln__close(struct gopcln *p);
size_t gopcln__nr_funcs(const struct gopcln *p);

struct gofunc {
	const char *name;   /* "main.(*Server).handle", in the table */
	uint64_t entry, end; /* link-time vaddrs: [entry, end) */
	uint8_t func_id;     /* the runtime's funcID (wrappers, goexit...) */
};

/* The i-th function, in address order. 0, or -1 out of range. */
int gopcln__func_at_index(const struct gopcln *p, size_t i, struct gofunc *f);
/* The function containing vaddr. 0, or -1. */
int gopcln__func_at(const struct gopcln *p, uint64_t vaddr, struct gofunc *f);
/* Does a function named n answer to name? Exact, or for "pkg.f[...]" any
 * instantiation of the generic pkg.f (the shape names change between Go
 * versions), as pprof spells it. */
bool gopcln__name_matches(const char *n, const char *name);
/* name as Go's tracebacks (and pprof) print it: each list of type
 * arguments of a generic written [...] ("main.process[go.shape.int]" ->
 * "main.process[...]", "pkg.List[...].Push[...]" for a generic method).
 * Returns buf. */
const char *gopcln__print_name(const char *name, char *buf, size_t len);
/* The nth (from 0) function named name; "pkg.f[...]" matches every
 * instantiation of a generic. 0, or -1. */
int gopcln__func_by_name(const struct gopcln *p, const char *name, int nth, struct gofunc *f);
/* Source file and line of vaddr (file points into the table). 0, or -1. */
int gopcln__line(const struct gopcln *p, uint64_t vaddr, const char **file, int *line);

/* A logical frame: a function, or a call the compiler inlined into it. */
struct goframe {
	const char *name; /* in the table */
	const char *file; /* "" when unknown */
	int line;
	uint8_t func_id;
};

/* The logical frames at vaddr, innermost first, the function containing it
 * last, as runtime.CallersFrames gives them (each with the file:line in it
 * at that point). At most max; the count, or -1 when vaddr is in no
 * function. One frame when nothing is inlined there (or the binary has no
 * moduledata to find the inline trees by). */
int gopcln__frames(const struct gopcln *p, uint64_t vaddr, struct goframe *out, int max);
/* The calls inlined into f's own body (not those inlined into them), in
 * address order without repeats, at most max: a wrapper's body when the
 * compiler inlined its callee. The count, or -1. */
int gopcln__inlined(const struct gopcln *p, const struct gofunc *f, const char **names, int max);

#endif
