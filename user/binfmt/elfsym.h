/* Symbols of a binary on disk, through libelf: where to put a uprobe. */
#ifndef WEFT_ELFSYM_H
#define WEFT_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Function sym's file offset (for uprobes). 0 found, -1 not found (err says
 * why: no such file, not ELF, no symbol). */
int elfsym__find(const char *path, const char *sym, uint64_t *file_off, char *err, size_t len);
/* Does path carry a stapsdt note provider:name? */
bool elfsym__has_usdt(const char *path, const char *provider, const char *name);
/* How many provider:name notes path carries; the file offsets of the first
 * max of their sites in offs */
int elfsym__usdt_offs(const char *path, const char *provider, const char *name, uint64_t *offs,
		      int max);



/* The GNU build id as hex ("" when absent). */
void elfsym__build_id(const char *path, char *hex, size_t len);

/* The libraries path needs (DT_NEEDED), resolved the way ld.so would for a
 * process not yet started: DT_RUNPATH/DT_RPATH, LD_LIBRARY_PATH, then the
 * system directories. Calls fn for each one found; stops when fn returns 0. */
typedef int (*elfsym_lib_fn)(void *ctx, const char *lib_path);
void elfsym__needed(const char *path, elfsym_lib_fn fn, void *ctx);

/* Where sym (in .symtab) is called and where it has returned to each
 * caller, on instructions the kernel emulates (return_sites.h): file
 * offsets of each direct call and of its return site. n, or -1 when any
 * other way in exists (exported, a function pointer, a tail jump) or the
 * code cannot be placed: then its entry and a return probe are the only
 * sure sites. */
int elfsym__return_sites(const char *path, const char *sym, uint64_t *calls, uint64_t *rets,
			 int max);

#endif
