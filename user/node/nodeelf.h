/* A Node.js binary on disk: its version, the native functions the adapter
 * probes (matched by mangled-name prefix: signatures change between
 * versions), node::AsyncWrap's layout from a per-version table, and that
 * table checked against the code itself (capstone). */
#ifndef WEFT_NODEELF_H
#define WEFT_NODEELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum node_fn {
	NODE_ASYNC_RESET,  /* AsyncWrap::AsyncReset(Local<Object>, double[, bool]) */
	NODE_SCOPE_ENV,    /* InternalCallbackScope(Environment*, ..., const async_context&, ...) */
	NODE_SCOPE_WRAP,   /* InternalCallbackScope(AsyncWrap*, int) */
	NODE_SCOPE_CLOSE,  /* InternalCallbackScope::Close() */
	NODE_WRAP_DTOR,    /* AsyncWrap::~AsyncWrap() */
	NODE_EMIT_DESTROY, /* AsyncWrap::EmitDestroy(bool): an HTTP parser back in its pool */
	NODE_HTTP_URL,     /* node's Parser, llhttp's on_url callback */
	NODE_UV_TRY_WRITE, /* libuv's uv__try_write: every write on a stream, when it happens */
	NODE_HANDLE_UNREF, /* HandleWrap::Unref, where it jumps to uv_unref: an agent pools an
			    * idle socket (a server, a timer handle: unref'd too) */
	NODE_UV_UNREF,     /* not probed: the jump target that finds the site above */
	NODE_PIPE_OPEN,    /* uv_pipe_open(pipe, fd) and */
	NODE_TTY_INIT,     /* uv_tty_init(loop, tty, fd, readable): on fd 0..2, stdio */
	NODE_ENV_CLEANUP,  /* Environment::RunCleanup(): teardown after the loop drained */
	NODE_ENV_EXIT,     /* Environment::Exit(ExitCode): process.exit() */
	NODE_HANDLE_CLOSE, /* HandleWrap::Close(Local<Value>) and */
	NODE_HANDLE_CLOSE_JS, /* HandleWrap::Close(const FunctionCallbackInfo&) (the first
			    * inlined), at their call of uv_close: a handle let go */
	NODE_UV_CLOSE,     /* not probed: that call's target */
	NODE_TRACE_START,  /* not probed: AsyncWrap::EmitTraceAsyncStart, the call that is
			    * AsyncReset's site where the first call after the stores is
			    * conditional (26) */
	NODE_SSL_WRITE,    /* OpenSSL's SSL_write(ssl, buf, num): an HTTPS request's plaintext */
	NODE_TIMER_START,  /* not probed: uv_timer_start, whose code checks the timer layout */
	NODE_RUN_TIMERS,   /* not probed: Environment::RunTimers, JavaScript timers' callback */
	/* HTTP/2 (nodeelf_h2.c): optional, checked apart from the rest */
	NODE_H2_BEGIN,	   /* Http2Session::OnBeginHeadersCallback: a stream begins */
	NODE_H2_HEADERS,   /* Http2Session::HandleHeadersFrame: its headers are complete */
	NODE_H2_CLOSE,	   /* Http2Session::OnStreamClose: it ends */
	NODE_H2_STREAM,	   /* not probed: Http2Stream's constructor (stores id_) */
	NODE_H2_ADD_HEADER, /* not probed: Http2Stream::AddHeader (current_headers_) */
	NODE_H2_RCBUF,	   /* not probed: nghttp2_rcbuf_get_buf (an rcbuf's base, len) */
	NODE_H2_FINISH,	   /* Http2Session::FinishClose (22+), else */
	NODE_H2_SESSION_CLOSE, /* Http2Session::Close (20, which inlines it): a session ends (its
			    * wrap lives on until a GC) */
	NODE_NR_FNS,
};

struct node_info {
	char version[32]; /* "v20.20.2"; "" when not Node */
	int major;
	/* per function: where it is, and where weft probes it (file offsets) */
	uint64_t vaddr[NODE_NR_FNS], size[NODE_NR_FNS], probe_off[NODE_NR_FNS];
	/* AsyncReset has two: its first push (probe_off: the old id, on a
	 * re-arm) and the call after it stored the new id (reset_site_off),
	 * where `this` is in RBX (20-24) or, a call taking it, RDI (26) */
	uint64_t reset_site_off;
	bool reset_this_rdi;
	/* node::AsyncWrap: provider_type_, async_id_, trigger_async_id_ */
	int off_provider, off_async_id, off_trigger_id;
	int parser_llhttp;    /* llhttp_t's offset inside node's Parser */
	bool scope_ctx_in_r8; /* async_context* in r8 (22+), else rcx */
	bool probe_scope_wrap; /* the AsyncWrap* constructor does not call the Env one */
	/* 26: Close's `if (closed_) return` comes after its first push, so the
	 * probe there sees every call; closed_'s offset, read at entry (0: the
	 * guard is before the push, the probe sees only real closes) */
	int scope_closed;
	/* 26: on_url's proxy tests a flag of the parser (set when it was
	 * removed) after its first push: its offset in llhttp_t (0: before) */
	int url_skip;
	/* HTTP/2: Http2Stream's id_ and current_headers_ (a vector: begin, end),
	 * checked against the code; h2_ok false (h2_why says why, "" when the
	 * binary has no HTTP/2 symbols) leaves HTTP/2 streams untraced */
	bool h2_ok;
	int h2_stream_id, h2_headers;
	char h2_why[160];
	const char *const *providers; /* ProviderType names, by value */
	int nr_providers;
	/* SSL_write found but not probed as weft probes (no push near its
	 * entry): HTTPS calls are not seen */
	bool ssl_write_refused;
	/* libuv's default loop (a static: the main thread's loop) and the
	 * uv_timer_t and uv_loop_t layout read from uv_timer_start's code
	 * (nodeelf_timers.c): what timers are armed at teardown. timers_ok
	 * false: not known (a shared libuv, a layout not recognised) */
	uint64_t default_loop;
	bool timers_ok;
	int timer_cb, timer_heap_node, timer_timeout, loop_timer_heap, loop_time;
};

/* 1: a Node binary, ni filled and checked; 0: not Node; -1: Node that weft
 * cannot trace, with one line in err (version without a table, a function
 * or the layout not found where the table says). */
int nodeelf__open(const char *path, struct node_info *ni, char *err, size_t len);

#endif
