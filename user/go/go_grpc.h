/* grpc-go servers: where each inbound RPC's method name is. */
#ifndef WEFT_GO_GRPC_H
#define WEFT_GO_GRPC_H
#include <stddef.h>

/* The offset of the method string (ptr, len) in the stream that
 * (*Server).handleStream receives, read from grpc's own accessor: 72 for
 * grpc 1.33's transport.Stream, 16 for 1.81's ServerStream. Found without
 * DWARF, in every version weft has seen. The offset, or -1 with a one-line
 * reason in why. */
int go_grpc__method_off(const char *exe, char *why, size_t len);
/* The offset of grpc.ClientConn.target (the dial target, a string), from
 * (*ClientConn).Target; -1 when that accessor is absent or not the shape
 * weft knows. */
int go_grpc__target_off(const char *exe);

/* The client side: each RPC a transaction makes is a call segment of it
 * (bpf/go_grpc.bpf.h). prepare: 1 when the binary has grpc's client (a
 * probe index taken), 0 not; before the skeleton loads. attach: 0 or -1. */
struct tracer;
struct go_bpf;
int go_grpc__client_prepare(struct tracer *t, struct go_bpf *skel);
int go_grpc__client_attach(struct tracer *t, struct go_bpf *skel, char *err, size_t len);

#endif
