/* Go's rules in a session: its hooks (user/capture/adapter.h). */
#ifndef WEFT_GO_SESSION_H
#define WEFT_GO_SESSION_H

struct adapter_hooks;
struct session_io;

/* 1: h set (the target is Go), 0: not Go, -1: out of memory */
int go_session__hooks(struct adapter_hooks *h, const struct session_io *io);

#endif
