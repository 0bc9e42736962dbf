/* C and C++ programs in weft check: what each thread is blocked in when
 * the process exits (user/capture/adapter.h). */
#ifndef WEFT_NATIVE_SESSION_H
#define WEFT_NATIVE_SESSION_H

struct adapter_hooks;
struct session_io;

/* 1: h set (weft check on a target neither Go nor Node), 0: none, -1: out
 * of memory */
int native_session__hooks(struct adapter_hooks *h, const struct session_io *io);

#endif
