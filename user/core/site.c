// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <string.h>
#include "model.h"
#include "site.h"
#include "symtab.h"

/* V8's own frames, or code with no symbol (JIT, the embedded builtins of
 * newer Nodes): where native code was called from JavaScript. */
static bool is_v8(const struct sym *s)
{
	return !s || !s->func[0] || !strncmp(s->func, "v8::", 4) ||
	       !strncmp(s->func, "Builtins_", 9);
}

/* A perf map's JavaScript frame from the application (not node's own
 * "node:" modules). */
static bool app_js(const struct sym *js)
{
	return js && !strcmp(js->module, SYM_MODULE_JIT) && js->file[0] &&
	       strncmp(js->file, "node:", 5) && strchr(js->file, '.');
}

int site__js_owner(const struct symtab *st, const struct weft_event *e)
{
	uint32_t n = e->nr_frames < WEFT_MAX_FRAMES ? e->nr_frames : WEFT_MAX_FRAMES;
	int seen = -1;

	for (uint32_t i = 0; i < n; i++) {
		const struct sym *s = symtab__find(st, e->frames[i]);

		if (app_js(s))
			return 1;
		if (s && !strcmp(s->module, SYM_MODULE_JIT))
			seen = 0;
	}
	return seen;
}

uint64_t site__pick(void *ctx, const struct weft_event *e)
{
	const struct symtab *st = ctx;
	uint32_t n = e->nr_frames < WEFT_MAX_FRAMES ? e->nr_frames : WEFT_MAX_FRAMES;

	/* Node: the binding JavaScript called (node::TCPWrap::New, ...), the
	 * last native frame before V8's or JavaScript's; a call too (its
	 * write, below the binding) */
	if ((e->kind == WEFT_KIND_ASYNC || e->kind == WEFT_KIND_CALL) && st)
		for (uint32_t i = 1; i < n; i++)
			if (is_v8(symtab__find(st, e->frames[i]))) {
				/* the application's JavaScript above it, when a perf
				 * map names it (not node's own "node:" modules) */
				for (uint32_t j = i; j < n; j++) {
					if (app_js(symtab__find(st, e->frames[j])))
						return e->frames[j];
				}
				return e->frames[i - 1];
			}

	for (uint32_t i = 0; i < n; i++) {
		const struct sym *s = st ? symtab__find(st, e->frames[i]) : NULL;

		/* an outbound call: the code that made it, past the client
		 * library's frames (net/http's, grpc's) */
		if (e->kind == WEFT_KIND_CALL && s && i + 1 < n &&
		    (!strncmp(s->func, "net/", 4) || !strncmp(s->func, "google.golang.org/grpc", 22)))
			continue;
		if (e->frames[i] && (!s || !(s->flags & SYM_F_RUNTIME)))
			return e->frames[i];
	}
	return n ? e->frames[0] : 0;
}

/* Functions that start a connection's continuations, outside any request:
 * accept loops, handshakes, transports' reader and writer goroutines. */
static const struct {
	const char *func, *server;
} conn_makers[] = {
	{ "net/http.(*Server).Serve", "net/http server" },
	/* etcd serves gRPC and HTTP on one port through cmux */
	{ "github.com/soheilhy/cmux.(*cMux).Serve", "cmux (port multiplexer)" },
	{ "google.golang.org/grpc.(*Server).Serve", "gRPC server" },
	{ "google.golang.org/grpc.(*Server).handleRawConn", "gRPC server" },
	{ "google.golang.org/grpc.(*Server).serveStreams", "gRPC server" },
	/* grpc.NumStreamWorkers: a pool that serves every connection's streams */
	{ "google.golang.org/grpc.(*Server).initServerWorkers", "gRPC server" },
	{ "google.golang.org/grpc.(*Server).serverWorker", "gRPC server" },
	{ "google.golang.org/grpc/internal/transport.newHTTP2Server", "gRPC server" },
	{ "google.golang.org/grpc/internal/transport.NewServerTransport", "gRPC server" },
};

/* f is fn itself or one of its closures (fn.func1, fn.func2.1) */
static bool func_or_closure(const char *f, const char *fn)
{
	size_t n = strlen(fn);

	return !strncmp(f, fn, n) && (!f[n] || !strncmp(f + n, ".func", 5));
}

const char *site__serves_conn(void *ctx, const struct segment *s)
{
	const struct sym *site = ctx ? symtab__find(ctx, s->site) : NULL;

	if (!site || !site->func[0] || s->kind != WEFT_KIND_GOROUTINE)
		return NULL;
	for (size_t i = 0; i < sizeof(conn_makers) / sizeof(conn_makers[0]); i++)
		if (func_or_closure(site->func, conn_makers[i].func))
			return conn_makers[i].server;
	return NULL;
}
