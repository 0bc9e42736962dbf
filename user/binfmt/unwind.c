// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unwinds a creation stack copy with libdwfl: the registers and the stack
 * bytes come from the BPF event. CFI comes from each module's .eh_frame, so
 * it works on libc without frame pointers. */
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "symbolize.h"

struct unwind_ctx {
	pid_t pid;
	const struct weft_stack_event *st;
	__u64 *out;
	int n, max;
	bool attached, given;
};

static pid_t uw_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwind_ctx *u = arg;

	*thread_argp = u;
	if (u->given)
		return 0;
	u->given = true;
	return u->pid;
}

/* Only the copy: the live stack has moved on since the creation (reading it
 * gave frames of later calls), so the unwind stops where the copy ends. */
static bool uw_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwind_ctx *u = arg;
	const struct weft_stack_event *st = u->st;
	__u64 sp = st->regs[7];

	/* addr comes from the target's stack: addr + 8 may wrap */
	if (addr < sp || addr - sp > st->size || st->size - (addr - sp) < sizeof(*result))
		return false;
	memcpy(result, st->data + (addr - sp), sizeof(*result));
	return true;
}

static bool uw_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwind_ctx *u = arg;
	Dwarf_Word regs[WEFT_NR_REGS];

	for (int i = 0; i < WEFT_NR_REGS; i++)
		regs[i] = u->st->regs[i];
	/* DWARF regs 0..16: 16 is the return address column (rip) */
	return dwfl_thread_state_registers(thread, 0, WEFT_NR_REGS, regs);
}

static const Dwfl_Thread_Callbacks uw_callbacks = {
	.next_thread = uw_next_thread,
	.memory_read = uw_memory_read,
	.set_initial_registers = uw_set_initial_registers,
};

static int uw_frame(Dwfl_Frame *frame, void *arg)
{
	struct unwind_ctx *u = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(frame, &pc, &activation))
		return DWARF_CB_ABORT;
	/* Frames past the first are return addresses, as the FP walk gives */
	u->out[u->n++] = pc;
	return u->n < u->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* One Dwfl per target is attached once; the ctx it points at changes. */
static struct unwind_ctx shared_ctx;

/* The next unwind is on a new Dwfl: attach it. */
void symbolizer__unwind_reset(void)
{
	shared_ctx.attached = false;
}

int symbolizer__unwind_dwfl(Dwfl *dwfl, pid_t pid, const struct weft_stack_event *st, __u64 *out,
			    int max)
{
	struct unwind_ctx *u = &shared_ctx;

	if (!u->attached) {
		u->pid = pid;
		u->st = st;
		if (!dwfl_attach_state(dwfl, NULL, pid, &uw_callbacks, u)) {
			if (getenv("WEFT_DEBUG_UNWIND"))
				fprintf(stderr, "unwind: attach: %s\n", dwfl_errmsg(-1));
			return 0;
		}
		u->attached = true;
	}
	u->st = st;
	u->out = out;
	u->n = 0;
	u->max = max;
	u->given = false;
	if (dwfl_getthread_frames(dwfl, pid, uw_frame, u) && getenv("WEFT_DEBUG_UNWIND"))
		fprintf(stderr, "unwind: %d frames, %u bytes at %llx: %s\n", u->n, st->size,
			(unsigned long long)st->regs[7], dwfl_errmsg(-1));
	if (u->n <= 1 && max > 1 && st->size >= 8) {
		/* No CFI at the pc: glibc's clone3 ends its FDE before the
		 * syscall. It is a leaf that pushed nothing, so its return
		 * address is at the stack pointer: pop it and go on from there. */
		static struct weft_stack_event popped;

		popped = *st;
		memcpy(&popped.regs[16], st->data, 8);
		popped.regs[7] = st->regs[7] + 8;
		memmove(popped.data, st->data + 8, st->size - 8);
		popped.size = st->size - 8;
		u->st = &popped;
		u->out = out + 1;
		u->n = 0;
		u->max = max - 1;
		u->given = false;
		if (dwfl_getthread_frames(dwfl, pid, uw_frame, u) && getenv("WEFT_DEBUG_UNWIND"))
			fprintf(stderr, "unwind: retry: %d frames, %u bytes: %s\n", u->n, st->size,
				dwfl_errmsg(-1));
		out[0] = st->regs[16];
		u->n++;
		if (getenv("WEFT_DEBUG_UNWIND"))
			fprintf(stderr, "unwind: retry gave %d frames (%u bytes, pc %llx)\n", u->n,
				st->size, (unsigned long long)popped.regs[16]);
	}
	return u->n;
}
