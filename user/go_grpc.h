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

#endif
