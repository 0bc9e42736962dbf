/* Go's net/http client: outbound calls inside a transaction as its
 * continuations (bpf/go_client.bpf.h says where each probe sits). */
#ifndef WEFT_GO_CLIENT_H
#define WEFT_GO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct tracer;
struct go_bpf;

/* Before the load: when the binary has net/http's client, a probe index
 * for its probes and the offsets in rodata (host: net/url.URL.Host, -1
 * unknown: said once on stderr, no call traced; dwarf: the binary's DWARF
 * gives the HTTP/2 request's layout). 1 prepared, 0 not. */
int go_client__prepare(struct tracer *t, struct go_bpf *skel, int host, bool dwarf);
/* Attaches what go_client__prepare prepared: 0, or -1 with err. */
int go_client__attach(struct tracer *t, struct go_bpf *skel, char *err, size_t len);

#endif
