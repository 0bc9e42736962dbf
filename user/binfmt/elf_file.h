/* An ELF file opened for reading: one place for libelf's open dance. */
#ifndef WEFT_ELF_FILE_H
#define WEFT_ELF_FILE_H

#include <stdbool.h>
#include <gelf.h>
#include <libelf.h>

/* The ELF at path, its descriptor in *fd; NULL with errno set (ENOEXEC:
 * not ELF) and *fd -1. */
Elf *elf_file__open(const char *path, int *fd);
void elf_file__close(Elf *e, int fd);
/* The section called name, its header in *sh; NULL if none. */
Elf_Scn *elf_file__scn(Elf *e, const char *name, GElf_Shdr *sh);
/* Whether it has section headers (a packer may drop them) */
bool elf_file__has_sections(Elf *e);

#endif
