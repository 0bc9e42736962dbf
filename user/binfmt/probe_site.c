// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "insn_walk.h"
#include "probe_site.h"

const char *trap_path_name(enum trap_path p)
{
	switch (p) {
	case TRAP_EMULATED: return "emulated";
	case TRAP_OPTIMIZED: return "optimized";
	case TRAP_SINGLE_STEP: return "single-step";
	default: return "unknown";
	}
}

static bool direct_branch(const cs_insn *i)
{
	const cs_x86 *x = &i->detail->x86;

	if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return false;
	/* the loop family and jrcxz are branches the kernel does not emulate */
	switch (i->id) {
	case X86_INS_JCXZ: case X86_INS_JECXZ: case X86_INS_JRCXZ:
	case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE:
		return false;
	default:
		return true;
	}
}

enum trap_path probe_site__path(csh cs, const cs_insn *i)
{
	const cs_x86 *x = &i->detail->x86;

	if (i->id == X86_INS_NOP)
		return i->size == 5 ? TRAP_OPTIMIZED : TRAP_EMULATED;
	if (i->id == X86_INS_PUSH)
		return x->op_count == 1 && x->operands[0].type == X86_OP_REG ? TRAP_EMULATED
									     : TRAP_SINGLE_STEP;
	if (i->id == X86_INS_CALL || cs_insn_group(cs, i, X86_GRP_JUMP))
		return direct_branch(i) ? TRAP_EMULATED : TRAP_SINGLE_STEP;
	return TRAP_SINGLE_STEP;
}

enum trap_path probe_site__classify(const uint8_t *code, size_t n, char *insn, size_t len)
{
	enum trap_path p = TRAP_UNKNOWN;
	const cs_insn *i;
	struct insn_walk w;
	csh cs;

	snprintf(insn, len, "?");
	if (insn_walk__open(&cs))
		return TRAP_UNKNOWN;
	if (insn_walk__start(&w, cs, code, n, 0) && (i = insn_walk__next(&w))) {
		p = probe_site__path(cs, i);
		/* a branch's target says nothing about its cost */
		if ((i->id == X86_INS_CALL || cs_insn_group(cs, i, X86_GRP_JUMP)) &&
		    p == TRAP_EMULATED)
			snprintf(insn, len, "%s", i->mnemonic);
		else if (i->id == X86_INS_NOP)
			snprintf(insn, len, "nop%u", i->size);
		else
			snprintf(insn, len, "%s%s%s", i->mnemonic, i->op_str[0] ? " " : "", i->op_str);
	}
	insn_walk__end(&w);
	cs_close(&cs);
	return p;
}

enum trap_path probe_site__at(const char *path, uint64_t off, char *insn, size_t len)
{
	uint8_t code[16];
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = pread(fd, code, sizeof(code), (off_t)off);
		close(fd);
	}
	if (n <= 0) {
		snprintf(insn, len, "?");
		return TRAP_UNKNOWN;
	}
	return probe_site__classify(code, (size_t)n, insn, len);
}
