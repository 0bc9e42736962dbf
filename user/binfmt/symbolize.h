/* Live symbolization of target addresses through elfutils' libdwfl (ELF
 * symbols + DWARF line tables), cached into a symtab that the record file
 * carries. */
#ifndef WEFT_SYMBOLIZE_H
#define WEFT_SYMBOLIZE_H

#include <stdint.h>
#include <sys/types.h>
#include "symtab.h"
#include "weft/events.h"

struct symbolizer;

struct symbolizer *symbolizer__new(pid_t pid, struct symtab *st);
void symbolizer__free(struct symbolizer *s);
/* Adds addr to the symtab if it is not there yet. */
void symbolizer__add(struct symbolizer *s, uint64_t addr);
/* Addresses seen before their module was mapped (and known), looked up
 * again: call before the symtab is written or read. */
void symbolizer__flush(struct symbolizer *s);
/* Every frame of a creation event (and its start routine). */
void symbolizer__event(struct symbolizer *s, const struct weft_event *e);

/* DWARF CFI unwind of a stack copy taken at thread creation: fills out with
 * up to max return addresses (pc of the innermost frame first). */
int symbolizer__unwind(struct symbolizer *s, const struct weft_stack_event *st, __u64 *out,
		       int max);

#endif
