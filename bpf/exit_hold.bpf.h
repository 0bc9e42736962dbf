/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* weft check: a process held at its exit. At the runtime's exit point it
 * stops (SIGSTOP, delivered as the thread leaves the trap) so userspace
 * reads what is still alive while nothing moves, then continues it. Once
 * per process; exit_held tells userspace even if the wakeup event is lost. */
#ifndef WEFT_EXIT_HOLD_BPF_H
#define WEFT_EXIT_HOLD_BPF_H

const volatile bool hold_at_exit = false;
__u32 exit_tried = 0;
__u32 exit_held = 0; /* the tid that stopped the process, 0: none */

#define SIGSTOP_NR 19

static __always_inline void exit_hold(void)
{
	struct weft_event *e;

	/* two threads exiting at once may both send: one stop, read once */
	if (!in_target() || !hold_at_exit || exit_tried)
		return;
	exit_tried = 1;
	count_hit(WEFT_PROBE_GOROUTINE);
	if (bpf_send_signal(SIGSTOP_NR))
		return;
	exit_held = (__u32)bpf_get_current_pid_tgid();
	e = event_new_frames(WEFT_EV_EXIT_HOLD, WEFT_KIND_PROCESS, WEFT_PROBE_GOROUTINE, 0);
	if (e)
		event_submit_wake(e, true);
}

#endif
