/* What a Go function does with its arguments, from its machine code: a
 * small abstract interpreter over one x86-64 function (Go's register ABI:
 * arguments in RAX, RBX, RCX, RDI, RSI, R8-R11, the current g in R14).
 * Each register and stack slot holds a value: an argument, the g, a load
 * of a field of another value ("arg1->0xa0"), a call's result, an
 * immediate, or unknown. Values are hash-consed, so the same field of the
 * same value reloaded from anywhere is the same value id. What the code
 * stores, compares, exchanges and calls is kept as a list of events, for
 * go_derive.c to recognise a field by how the runtime uses it.
 *
 * Control flow: a linear sweep. At a forward branch's target, a register
 * keeps its value only when every way in agrees; backward branches (loops)
 * are not followed. Enough for the straight-line stores and compares of
 * the runtime functions go_derive reads; never a guess, at worst unknown. */
#ifndef WEFT_GOFLOW_H
#define WEFT_GOFLOW_H

#include <stdbool.h>
#include <stdint.h>

enum gv_kind {
	GV_UNK,	   /* anything: never equal to another value */
	GV_ARG,	   /* argument a (0: RAX, 1: RBX, 2: RCX, ...) at entry */
	GV_G,	   /* the current g (R14, or reloaded from TLS) */
	GV_LOAD,   /* the field at disp of value parent, size bytes */
	GV_LEA,	   /* the address parent + disp */
	GV_RET,	   /* result a (register) of the call to target */
	GV_RETSTK, /* result word a on the stack (ABI0 callee) of the call to target */
	GV_SPADDR, /* the address SP + disp at entry's SP (no push counted) */
	GV_IMM,	   /* the constant disp */
};

struct gv {
	enum gv_kind kind;
	int parent;   /* GV_LOAD, GV_LEA: the value read through */
	int a;	      /* GV_ARG, GV_RET, GV_RETSTK */
	int64_t disp; /* GV_LOAD, GV_LEA, GV_SPADDR: offset; GV_IMM: value */
	int size;     /* GV_LOAD: bytes read */
	uint64_t target; /* GV_RET, GV_RETSTK: the callee's vaddr (0: indirect) */
};

enum gf_ev_kind {
	GF_STORE, /* mov to [base + disp]: src, or imm when src < 0 */
	GF_RMW,	  /* insn (cmpxchg, xchg, xadd, inc, add...) on [base + disp] */
	GF_CMP,	  /* cmp/test of value src with imm */
	GF_CALL,  /* a call of target (0: indirect), args: RAX, RBX, RCX, RDI */
	GF_RET,	  /* a return: args: RAX, RBX */
};

struct gf_ev {
	enum gf_ev_kind kind;
	uint64_t pc;
	unsigned insn; /* capstone's x86_insn */
	int base;      /* GF_STORE, GF_RMW: the value written through */
	int64_t disp;
	int size;
	int src;     /* GF_STORE, GF_CMP: the value, -1 for an immediate */
	int64_t imm; /* GF_STORE (src < 0), GF_CMP */
	uint64_t target;
	int args[4];
};

struct goflow;

/* Interprets the function [vaddr, vaddr+size) of the binary at path (its
 * code read through goelf__decode; callees named from tab, which may be
 * NULL). NULL when it cannot be read. */
struct gopcln;
struct goflow *goflow__run(const char *path, const struct gopcln *tab, uint64_t vaddr,
			   uint64_t size);
void goflow__free(struct goflow *f);

/* Values are numbered from 0 in the order the code made them. */
size_t goflow__nr_vals(const struct goflow *f);
const struct gv *goflow__val(const struct goflow *f, int id);
size_t goflow__nr_events(const struct goflow *f);
const struct gf_ev *goflow__event(const struct goflow *f, size_t i);

/* The id of an existing value, or -1: argument a; the g; a load of disp
 * (any size) through parent. */
int goflow__arg(const struct goflow *f, int a);
int goflow__g(const struct goflow *f);
int goflow__load(const struct goflow *f, int parent, int64_t disp);

/* Is id a load through parent (and at which disp)? */
bool goflow__is_load_of(const struct goflow *f, int id, int parent, int64_t *disp);

#endif
