/* weft.h - static markers (USDT probes, provider "weft") for the weft tracer.
 *
 * Header-only, no dependencies (does not need <sys/sdt.h>). x86-64, GCC or
 * clang, C99 or later, or C++. Include it and put markers in your code:
 *
 *   WEFT_TXN_BEGIN(name)   weft:txn_begin (1 arg: const char *name, a
 *                          NUL-terminated string) - this thread starts a
 *                          transaction; everything it (and the tasks and
 *                          threads it creates) does until WEFT_TXN_END()
 *                          belongs to it.
 *   WEFT_TXN_END()         weft:txn_end (no arg) - this thread's current
 *                          transaction ends.
 *   WEFT_TASK_CREATE(obj)  weft:task_create (1 arg: obj) - a unit of work
 *                          identified by obj is created (queued, scheduled)
 *                          by this thread, in its current context.
 *   WEFT_TASK_BEGIN(obj)   weft:task_begin (1 arg: obj) - this thread starts
 *                          running task obj: its work belongs to the context
 *                          obj was created in.
 *   WEFT_TASK_END(obj)     weft:task_end (1 arg: obj) - the run of task obj
 *                          ends and the task is finished (obj may be reused
 *                          or freed after this).
 * obj is any pointer or integer; it is passed as an unsigned 64-bit value
 * and only its identity matters (it is never dereferenced).
 *
 * Each marker is a standard SystemTap SDT probe: a .note.stapsdt ELF note
 * (owner "stapsdt", type 3: pc, .stapsdt.base address, semaphore 0,
 * provider, name, argument spec such as "8@%rdi"), readable by readelf -n,
 * bpftrace, libbpf's bpf_program__attach_usdt(), perf, gdb... There are no
 * semaphores: a tracer never has to write into the traced process's memory.
 * As with <sys/sdt.h>, the argument specs assume AT&T syntax, the default:
 * not -masm=intel.
 *
 * The probe site is the 5-byte nop 0f 1f 44 00 00 (not the 1-byte 0x90 of
 * <sys/sdt.h>), at an 8-byte aligned address so that it never crosses a
 * page: Linux >= 6.18 (x86-64) rewrites a uprobe on such a nop, at its
 * first hit, into a call to a uprobe trampoline (a syscall instead of the
 * int3 trap: the kernel's fast path for USDT; a nop5 across a page would
 * stay on int3). Untraced, a marker costs that nop plus getting its
 * argument into a register.
 *
 * Each marker is a compiler barrier (a "memory" clobber), so it stays in
 * program order with the memory accesses around it, and the string given to
 * WEFT_TXN_BEGIN is fully written when the probe fires.
 *
 * #define WEFT_NO_PROBES before including this header to compile all
 * markers to nothing (their arguments are not evaluated); so do they on
 * other architectures than x86-64 and other compilers than GCC and clang.
 */
#ifndef WEFT_WEFT_H
#define WEFT_WEFT_H

#define WEFT_H_VERSION 1

#if defined(WEFT_NO_PROBES) || !defined(__x86_64__) || !(defined(__GNUC__) || defined(__clang__))

/* sizeof: the argument is not evaluated, but still "used" (no warning about
 * a variable that only a marker reads). */
#define WEFT_TXN_BEGIN(name) do { (void)sizeof(name); } while (0)
#define WEFT_TXN_END() do { } while (0)
#define WEFT_TASK_CREATE(obj) do { (void)sizeof((unsigned long long)(obj)); } while (0)
#define WEFT_TASK_BEGIN(obj) do { (void)sizeof((unsigned long long)(obj)); } while (0)
#define WEFT_TASK_END(obj) do { (void)sizeof((unsigned long long)(obj)); } while (0)

#else

/* Operand constraint of a marker's argument. "nr" (an immediate or a
 * register) rather than <sys/sdt.h>'s "nor": a memory operand can come out
 * as "sym(%rip)" or "(%rax,%rdx,8)", which libbpf's USDT argument parser
 * (1.1) rejects. A register costs at most one mov. Override before
 * including this header if you must (e.g. "nor"). */
#ifndef WEFT_ARG_CONSTRAINT
#define WEFT_ARG_CONSTRAINT "nr"
#endif

/* The probe: 8-byte aligned nop5 at local label 990 (the note's pc), then
 * the note. Numbered local labels (990 991 992 993 994) may be defined any
 * number of times, so any number of markers may sit in one function. "?"
 * puts the note in the section group of the code around it (COMDAT, e.g.
 * C++ inline functions), so it is dropped together with that code. */
#define WEFT_PRIV_PROBE_ASM(name, args)                                        \
	".balign 8\n"                                                          \
	"990:\t.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"                           \
	"\t.pushsection .note.stapsdt,\"?\",\"note\"\n"                        \
	"\t.balign 4\n"                                                        \
	"\t.4byte 992f-991f, 994f-993f, 3\n"                                   \
	"991:\t.asciz \"stapsdt\"\n"                                           \
	"992:\t.balign 4\n"                                                    \
	"993:\t.8byte 990b\n"                                                  \
	"\t.8byte _.stapsdt.base\n"                                            \
	"\t.8byte 0\n"                                                         \
	"\t.asciz \"weft\"\n"                                                  \
	"\t.asciz \"" name "\"\n"                                              \
	"\t.asciz \"" args "\"\n"                                              \
	"994:\t.balign 4\n"                                                    \
	"\t.popsection\n"

/* The .stapsdt.base trick (as <sys/sdt.h>): one byte in a section of its
 * own, defined once per object (.ifndef) and merged across objects (COMDAT
 * group), whose address the notes record; a consumer adds (actual address
 * of .stapsdt.base - recorded one) to pc, which undoes prelink moves. */
#define WEFT_PRIV_BASE_ASM                                                     \
	".ifndef _.stapsdt.base\n"                                             \
	"\t.pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n" \
	"\t.weak _.stapsdt.base\n"                                             \
	"\t.hidden _.stapsdt.base\n"                                           \
	"_.stapsdt.base:\t.space 1\n"                                          \
	"\t.size _.stapsdt.base, 1\n"                                          \
	"\t.popsection\n"                                                      \
	".endif\n"

#define WEFT_PRIV_PROBE0(name)                                                 \
	do {                                                                   \
		__asm__ __volatile__(WEFT_PRIV_PROBE_ASM(name, "") ::: "memory"); \
		__asm__ __volatile__(WEFT_PRIV_BASE_ASM);                      \
	} while (0)

/* One argument, as an unsigned 64-bit value: spec "8@<operand>", e.g.
 * "8@%rdi" or "8@$42". */
#define WEFT_PRIV_PROBE1(name, x)                                              \
	do {                                                                   \
		__asm__ __volatile__(WEFT_PRIV_PROBE_ASM(name, "8@%[_weft_a1]") \
				     : : [_weft_a1] WEFT_ARG_CONSTRAINT(       \
					 (unsigned long long)(x))              \
				     : "memory");                              \
		__asm__ __volatile__(WEFT_PRIV_BASE_ASM);                      \
	} while (0)

/* The name's first byte is read first: a BPF program can't fault a page in,
 * so a name in a page the process has not touched yet (e.g. the .rodata of
 * a shared library) would read as "" at its first use. */
#define WEFT_TXN_BEGIN(name)                                                   \
	do {                                                                   \
		const char *_weft_txn_name = (name);                           \
		if (_weft_txn_name)                                            \
			(void)*(const volatile char *)_weft_txn_name;          \
		WEFT_PRIV_PROBE1("txn_begin", _weft_txn_name);                 \
	} while (0)
#define WEFT_TXN_END() WEFT_PRIV_PROBE0("txn_end")
#define WEFT_TASK_CREATE(obj) WEFT_PRIV_PROBE1("task_create", obj)
#define WEFT_TASK_BEGIN(obj) WEFT_PRIV_PROBE1("task_begin", obj)
#define WEFT_TASK_END(obj) WEFT_PRIV_PROBE1("task_end", obj)

#endif /* probes enabled */
#endif /* WEFT_WEFT_H */
