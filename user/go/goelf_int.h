/* What goelf.c, goelf_dwarf.c and goelf_code.c share (not for callers:
 * goelf.h is the interface). */
#ifndef WEFT_GOELF_INT_H
#define WEFT_GOELF_INT_H

#include <stdint.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include "goelf.h"

/* A symbol of the ELF symbol table by name and type; 0 or -1. */
int goelf_symtab_find(Elf *e, const char *name, int type, uint64_t *value, uint64_t *size);
/* vaddr's file offset in an executable PT_LOAD that holds vaddr..+size. */
int goelf_text_off(Elf *e, uint64_t vaddr, uint64_t size, uint64_t *off);
/* The runtime.g / runtime.m and net/http offsets from the DWARF into gi. */
void goelf_read_dwarf(Dwarf *dbg, struct go_info *gi);
/* path's DWARF (NULL: none), kept open for the next ask of the same file;
 * not to be ended by the caller (goelf__dwarf_release) */
Dwarf *goelf_dwarf(const char *path);
/* runtime.allgs from runtime.allgadd's code, when no symbol names it. */
void goelf_allgs_by_code(const char *path, struct go_info *gi);
/* runtime.waitReasonStrings from waitReason.String's code; 0 or -1. */
int goelf_wait_reasons_by_code(const char *path, uint64_t *vaddr, uint64_t *size);

#endif
