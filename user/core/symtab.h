/* Address -> name table for creation sites. Filled live from the target's
 * ELF/DWARF (symbolize.c) or from a record file; the model and the reports
 * only read it, so a report never needs the target. */
#ifndef WEFT_SYMTAB_H
#define WEFT_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sym {
	uint64_t addr;	    /* runtime address in the target */
	const char *func;   /* "handle_request", or "" when unknown */
	uint64_t off;	    /* addr - function start */
	const char *file;   /* source file, "" when unknown */
	uint32_t line;	    /* 0 when unknown */
	const char *module; /* "/usr/bin/server" */
	uint32_t flags;	    /* SYM_F_* */
};

/* module of JIT code named by a perf map */
#define SYM_MODULE_JIT "[jit]"

enum sym_flags {
	SYM_F_RUNTIME = 1 << 0, /* libc/libpthread/ld.so: skipped when naming a site */
};

struct symtab;

struct symtab *symtab__new(void);
void symtab__free(struct symtab *st);
/* Copies the strings. Replaces an existing entry for the same address. */
int symtab__add(struct symtab *st, const struct sym *s);
const struct sym *symtab__find(const struct symtab *st, uint64_t addr);
size_t symtab__count(const struct symtab *st);
const struct sym *symtab__at(const struct symtab *st, size_t i);
/* "func+0x12 (file.c:42)" or "0x7f..." when unknown. Returns buf. */
const char *sym__format(const struct sym *s, uint64_t addr, char *buf, size_t len);

#endif
