/* What the kernel does when a uprobe fires, by the instruction under it
 * (x86-64, arch/x86/kernel/uprobes.c). It emulates push of a register, nops,
 * direct jmp and call, and conditional jumps (~1 us here); it turns a 5-byte
 * nop into a call to its uprobe trampoline (optimized, cheaper still);
 * anything else it copies out of line and single-steps, a second trap
 * (~10 us here). A probe's cost is set by where it sits. */
#ifndef WEFT_PROBE_SITE_H
#define WEFT_PROBE_SITE_H

#include <stddef.h>
#include <stdint.h>
#include <capstone/capstone.h>

enum trap_path { TRAP_EMULATED, TRAP_OPTIMIZED, TRAP_SINGLE_STEP, TRAP_UNKNOWN };

/* "emulated", "optimized", "single-step", "unknown" */
const char *trap_path_name(enum trap_path p);

/* The instruction at file offset off of path: its path, and its text
 * ("push rbp", "call", "ret") in insn */
enum trap_path probe_site__at(const char *path, uint64_t off, char *insn, size_t len);

/* The same, from the instruction's bytes */
enum trap_path probe_site__classify(const uint8_t *code, size_t n, char *insn, size_t len);

/* The same, for an instruction capstone decoded (with details) */
enum trap_path probe_site__path(csh cs, const cs_insn *i);

#endif
