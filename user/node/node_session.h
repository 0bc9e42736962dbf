/* Node's rules in a session: its hooks (user/capture/adapter.h). */
#ifndef WEFT_NODE_SESSION_H
#define WEFT_NODE_SESSION_H

struct adapter_hooks;
struct session_io;

/* 1: h set (the target is Node), 0: not Node, -1: out of memory */
int node_session__hooks(struct adapter_hooks *h, const struct session_io *io);
/* --node-test-file: the process is one transaction, from now; h from
 * node_session__hooks */
void node_session__begin_file(struct adapter_hooks *h);

#endif
