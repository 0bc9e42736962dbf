/* nodeelf.c's helpers for its other part, nodeelf_h2.c. */
#ifndef WEFT_NODEELF_INT_H
#define WEFT_NODEELF_INT_H

#include <gelf.h>
#include <stdint.h>
#include <capstone/capstone.h>
#include "insn_walk.h"
#include "nodeelf.h"

struct code {
	unsigned char *buf;
	size_t size;
	uint64_t vaddr;
};

int nodeelf_file_off(Elf *e, uint64_t vaddr, uint64_t *off);
int nodeelf_code_read(int fd, Elf *e, uint64_t vaddr, uint64_t size, struct code *c);
const char *nodeelf_fn_label(int fn);
int nodeelf_first_push(csh cs, const struct code *c, uint64_t *vaddr);
/* HTTP/2's probes and Http2Stream's layout (the table's id_ and
 * current_headers_), checked against the code: sets ni->h2_ok or h2_why. */
void nodeelf_h2(int fd, Elf *e, struct node_info *ni, int stream_id, int headers);
/* The timers' layout from uv_timer_start's code: sets ni->timers_ok. */
void nodeelf_timers(int fd, Elf *e, struct node_info *ni);

#endif
