// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "kernel_btf.h"
#include "counters.h"
#include "node_attach.h"
#include "nodeelf.h"
#include "weft/events.h"
#include "native.skel.h"
#include "node.skel.h"

struct node_tracer {
	struct node_bpf *skel;
	struct node_info ni;
	uint64_t last_id[64]; /* the last async id seen, per thread (hashed) */
	uint32_t last_tid[64];
};

static int auto_spec(struct opts *o, const char *sym, const char *text)
{
	struct probe_spec *s;

	if (o->nr_specs >= MAX_SPECS)
		return 0;
	s = &o->specs[o->nr_specs++];
	memset(s, 0, sizeof(*s));
	s->role = ROLE_TXN;
	s->arg = -1;
	snprintf(s->sym, sizeof(s->sym), "%s", sym);
	snprintf(s->text, sizeof(s->text), "%s", text);
	return 1;
}

int node__auto_specs(struct opts *o, const char *exe_path)
{
	struct node_info ni;
	char err[256];
	int n = 0;

	if (nodeelf__open(exe_path, &ni, err, sizeof(err)) <= 0)
		return 0;
	if (ni.vaddr[NODE_HTTP_URL])
		n += auto_spec(o, NODE_HTTP_TXN, "(auto: node) inbound HTTP/1 requests");
	if (ni.h2_ok)
		n += auto_spec(o, NODE_H2_TXN, "(auto: node) inbound HTTP/2 streams");
	return n;
}

int node_tracer__open(struct tracer *t, const struct opts *o, char *err, size_t len)
{
	struct node_tracer *n;
	struct node_info ni;
	int rc = nodeelf__open(t->exe_path, &ni, err, len), http = 0, h2 = 0;

	if (rc <= 0)
		return rc;
	for (int i = 0; i < o->nr_specs; i++)
		if (!strcmp(o->specs[i].sym, NODE_HTTP_TXN))
			http = PROBE_FIRST_SPEC + i;
		else if (!strcmp(o->specs[i].sym, NODE_H2_TXN))
			h2 = PROBE_FIRST_SPEC + i;
	if (!ni.h2_ok && ni.h2_why[0])
		fprintf(stderr, "weft: Node %s: HTTP/2 streams are not traced: %s\n", ni.version,
			ni.h2_why);
	n = calloc(1, sizeof(*n));
	KERNEL_BTF_OPTS(oo);

	if (!n || !(n->skel = node_bpf__open_opts(&oo))) {
		free(n);
		snprintf(err, len, "failed to open the Node BPF object: %s", strerror(errno));
		return -1;
	}
	n->ni = ni;
	t->node = n;
	PID_VIEW_SET(n->skel->rodata, &t->view);
	n->skel->rodata->wakeup_bytes = (o->ringbuf_mb << 20) / 8;
	n->skel->rodata->off_provider = ni.off_provider;
	n->skel->rodata->off_async_id = ni.off_async_id;
	n->skel->rodata->off_trigger_id = ni.off_trigger_id;
	n->skel->rodata->parser_llhttp = ni.parser_llhttp;
	n->skel->rodata->reset_this_rdi = ni.reset_this_rdi;
	n->skel->rodata->scope_closed = ni.scope_closed;
	n->skel->rodata->url_skip = ni.url_skip;
	n->skel->rodata->http_probe = http;
	n->skel->rodata->h2_probe = ni.h2_ok ? h2 : 0;
	for (int i = 1; i < ni.nr_providers; i++)
		if (!strcmp(ni.providers[i], "TCPSERVERWRAP"))
			n->skel->rodata->listener_a = i;
		else if (!strcmp(ni.providers[i], "PIPESERVERWRAP"))
			n->skel->rodata->listener_b = i;
		else if (!strcmp(ni.providers[i], "TCPWRAP"))
			n->skel->rodata->socket_a = i;
		else if (!strcmp(ni.providers[i], "PIPEWRAP"))
			n->skel->rodata->socket_b = i;
	n->skel->rodata->h2_stream_id = ni.h2_stream_id;
	n->skel->rodata->h2_headers = ni.h2_headers;
	n->skel->rodata->seed_unknown = !o->argv;
	if (ni.timers_ok) {
		n->skel->rodata->uv_loop = ni.default_loop;
		n->skel->rodata->js_timers_cb = ni.vaddr[NODE_RUN_TIMERS];
		n->skel->rodata->uv_timer_cb = ni.timer_cb;
		n->skel->rodata->uv_timer_heap_node = ni.timer_heap_node;
		n->skel->rodata->uv_timer_timeout = ni.timer_timeout;
		n->skel->rodata->uv_loop_heap = ni.loop_timer_heap;
		n->skel->rodata->uv_loop_time = ni.loop_time;
	}
	bpf_map__set_max_entries(n->skel->maps.resources, o->max_tasks);
	if (shared_maps__reuse(&t->shared, n->skel->obj)) {
		snprintf(err, len, "failed to share the BPF maps: %s", strerror(errno));
		return -1;
	}
	uprobes__prepare(&t->uprobes, n->skel->obj);
	rc = node_bpf__load(n->skel);
	if (rc) {
		snprintf(err, len, "failed to load the Node BPF programs: %s", strerror(-rc));
		return -1;
	}
	snprintf(t->probes.names[WEFT_PROBE_GOROUTINE], sizeof(t->probes.names[0]), "async");
	snprintf(t->probes.descs[WEFT_PROBE_GOROUTINE], sizeof(t->probes.descs[0]),
		 "node %s: AsyncReset + callback scopes + destroy", ni.version);
	return 1;
}

/* The probe whose hits a function's program counts */
static int probe_of(const struct tracer *t, enum node_fn fn)
{
	const struct node_bpf *k = t->node->skel;

	switch (fn) {
	case NODE_HTTP_URL: case NODE_UV_TRY_WRITE: case NODE_SSL_WRITE:
		return (int)k->rodata->http_probe;
	case NODE_H2_BEGIN: case NODE_H2_HEADERS: case NODE_H2_CLOSE: case NODE_H2_FINISH:
	case NODE_H2_SESSION_CLOSE:
		return (int)k->rodata->h2_probe;
	default:
		return WEFT_PROBE_GOROUTINE;
	}
}

/* ret: a return probe placed past the guard of Close, where the stack
 * pointer still points at the return address: the scope's context stays
 * current until Close has run the ticks and microtasks its callback
 * queued (they are that callback's continuations). */
static int attach_at(struct tracer *t, struct bpf_program *prog, enum node_fn fn, bool ret,
		     char *err, size_t len)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret);
	char what[640];

	snprintf(what, sizeof(what), "uprobe %s+%#llx", t->exe,
		 (unsigned long long)t->node->ni.probe_off[fn]);
	return tracer__uprobe(t, prog, t->exe_path, t->node->ni.probe_off[fn], &uo,
			      probe_of(t, fn), what, err, len);
}

#define COOKIE_TTY 1 /* as in bpf/node.bpf.c */

/* Stdio handles (fd 0..2) are the runtime's: marked where they are opened. */
static int attach_stdio(struct tracer *t, enum node_fn fn, uint64_t cookie, char *err, size_t len)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = cookie);
	char what[640];

	if (!t->node->ni.vaddr[fn])
		return 0;
	snprintf(what, sizeof(what), "uprobe %s+%#llx", t->exe,
		 (unsigned long long)t->node->ni.probe_off[fn]);
	return tracer__uprobe(t, t->node->skel->progs.node_stdio, t->exe_path,
			      t->node->ni.probe_off[fn], &uo, WEFT_PROBE_GOROUTINE, what, err, len);
}

int node_tracer__attach(struct tracer *t, const struct opts *o, char *err, size_t len)
{
	struct node_bpf *k = t->node->skel;
	const struct node_info *ni = &t->node->ni;
	struct node_fn_probe {
		struct bpf_program *prog;
		enum node_fn fn;
	} probes[] = {
		{ k->progs.node_async_rearm, NODE_ASYNC_RESET },
		{ k->progs.node_async_destroy, NODE_WRAP_DTOR },
		{ k->progs.node_async_destroy, NODE_EMIT_DESTROY },
		/* 26: Close's entry tells a no-op Close from a real one; before
		 * the return probe, so that no return is seen without its entry */
		{ ni->scope_closed ? k->progs.node_scope_close_entry : NULL, NODE_SCOPE_CLOSE },
		{ k->progs.node_scope_close, NODE_SCOPE_CLOSE },
		{ ni->scope_ctx_in_r8 ? k->progs.node_scope_env_r8 : k->progs.node_scope_env_rcx,
		  NODE_SCOPE_ENV },
		{ ni->probe_scope_wrap ? k->progs.node_scope_wrap : NULL, NODE_SCOPE_WRAP },
		{ NULL, NODE_HTTP_URL },
		{ NULL, NODE_UV_TRY_WRITE },
		{ ni->vaddr[NODE_HANDLE_UNREF] && ni->vaddr[NODE_UV_UNREF] ? k->progs.node_pooled : NULL,
		  NODE_HANDLE_UNREF },
		{ ni->vaddr[NODE_HANDLE_CLOSE] ? k->progs.node_handle_close : NULL, NODE_HANDLE_CLOSE },
		{ ni->vaddr[NODE_HANDLE_CLOSE_JS] ? k->progs.node_handle_close : NULL,
		  NODE_HANDLE_CLOSE_JS },
		{ NULL, NODE_SSL_WRITE }, /* HTTPS calls: with the HTTP probes */
		{ NULL, NODE_H2_BEGIN },
		{ NULL, NODE_H2_HEADERS },
		{ NULL, NODE_H2_CLOSE },
		{ NULL, NODE_H2_FINISH },
		{ NULL, NODE_H2_SESSION_CLOSE },
	};
	int http = -1, h2 = -1;
	char what[640];

	for (int i = 0; i < o->nr_specs; i++)
		if (!strcmp(o->specs[i].sym, NODE_HTTP_TXN)) {
			t->spec_owned[i] = true;
			http = i;
		} else if (!strcmp(o->specs[i].sym, NODE_H2_TXN)) {
			t->spec_owned[i] = true;
			h2 = i;
		}
	for (size_t i = 0; h2 >= 0 && ni->h2_ok && i < sizeof(probes) / sizeof(probes[0]); i++)
		if (probes[i].fn == NODE_H2_BEGIN)
			probes[i].prog = k->progs.node_h2_begin;
		else if (probes[i].fn == NODE_H2_HEADERS)
			probes[i].prog = k->progs.node_h2_headers;
		else if (probes[i].fn == NODE_H2_CLOSE)
			probes[i].prog = k->progs.node_h2_close;
		else if ((probes[i].fn == NODE_H2_FINISH || probes[i].fn == NODE_H2_SESSION_CLOSE) &&
			 ni->vaddr[probes[i].fn])
			probes[i].prog = k->progs.node_h2_session_end;
	for (size_t i = 0; http >= 0 && i < sizeof(probes) / sizeof(probes[0]); i++)
		if (probes[i].fn == NODE_HTTP_URL && ni->vaddr[NODE_HTTP_URL])
			probes[i].prog = k->progs.node_http_url;
		else if (probes[i].fn == NODE_UV_TRY_WRITE && ni->vaddr[NODE_HTTP_URL] &&
			 ni->vaddr[NODE_UV_TRY_WRITE])
			probes[i].prog = k->progs.node_try_write;
		else if (probes[i].fn == NODE_SSL_WRITE && ni->vaddr[NODE_HTTP_URL] &&
			 ni->vaddr[NODE_UV_TRY_WRITE] && ni->vaddr[NODE_SSL_WRITE])
			probes[i].prog = k->progs.node_ssl_write;
	if (http >= 0 && ni->ssl_write_refused)
		fprintf(stderr, "weft: %s: SSL_write has no push near its entry: HTTPS calls are "
			"not seen\n", t->exe);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		if (probes[i].prog &&
		    attach_at(t, probes[i].prog, probes[i].fn,
			      probes[i].prog == k->progs.node_scope_close, err, len))
			return -1;
	if (attach_stdio(t, NODE_PIPE_OPEN, 0, err, len) ||
	    attach_stdio(t, NODE_TTY_INIT, COOKIE_TTY, err, len))
		return -1;
	if (o->node_test_file &&
	    ((ni->vaddr[NODE_ENV_CLEANUP] &&
	      attach_at(t, k->progs.node_teardown, NODE_ENV_CLEANUP, false, err, len)) ||
	     (ni->vaddr[NODE_ENV_EXIT] &&
	      attach_at(t, k->progs.node_teardown, NODE_ENV_EXIT, false, err, len))))
		return -1;
	/* last: resources are created only once their ends can be seen */
	snprintf(what, sizeof(what), "uprobe %s:AsyncReset (after the id stores)", t->exe);
	return tracer__uprobe(t, k->progs.node_async_init, t->exe_path, ni->reset_site_off, NULL,
			      WEFT_PROBE_GOROUTINE, what, err, len);
}

void node_tracer__close(struct tracer *t)
{
	if (!t->node)
		return;
	node_bpf__destroy(t->node->skel);
	free(t->node);
	t->node = NULL;
}

void node_tracer__counters(const struct tracer *t, struct capture_counters *c)
{
	if (t->node)
		counters__add(c, t->node->skel->maps.counters, t->node->skel->bss->nest_overflow);
}

void node_tracer__providers(const struct tracer *t, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	if (!t->node)
		return;
	for (int i = 1; i < t->node->ni.nr_providers && n < len; i++)
		n += snprintf(buf + n, len - n, "%d %s\n", i, t->node->ni.providers[i]);
}

const char *node_tracer__provider(const struct tracer *t, uint64_t type)
{
	return t->node && type < (uint64_t)t->node->ni.nr_providers && t->node->ni.providers[type] ?
		       t->node->ni.providers[type] : "";
}

bool node_tracer__suspect(struct tracer *t, const struct weft_event *e)
{
	struct node_tracer *n = t->node;
	uint64_t *last;

	if (!n || e->type != WEFT_EV_SEG_BEGIN || e->kind != WEFT_KIND_ASYNC ||
	    (e->flags & WEFT_F_PREATTACH))
		return false;
	/* ids grow per environment (one per thread); types are in the table */
	last = &n->last_id[e->tid % 64];
	if (e->site == 0 || e->site >= (uint64_t)n->ni.nr_providers ||
	    (n->last_tid[e->tid % 64] == e->tid && e->obj <= *last)) {
		n->last_tid[e->tid % 64] = e->tid;
		*last = e->obj;
		return true;
	}
	n->last_tid[e->tid % 64] = e->tid;
	*last = e->obj;
	return false;
}

void node__name_h2(struct weft_event *e)
{
	char path[WEFT_H2_METHOD], method[16];

	memcpy(path, e->name, sizeof(path));
	path[sizeof(path) - 1] = 0;
	path[strcspn(path, "?#")] = 0;
	memcpy(method, e->name + WEFT_H2_METHOD, sizeof(method));
	method[sizeof(method) - 1] = 0;
	if (!path[0])
		e->name[0] = 0; /* no :path: the probe's name stays */
	else if (e->site == 1)
		snprintf(e->name, sizeof(e->name), "%s", path);
	else
		snprintf(e->name, sizeof(e->name), "%s %s", method[0] ? method : "HTTP", path);
	e->site = 0;
}

void node__name_request(struct weft_event *e)
{
	static const char *const methods[] = {
		"DELETE", "GET", "HEAD", "POST", "PUT", "CONNECT", "OPTIONS", "TRACE",
		"COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK",
		"BIND", "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE",
		"M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PATCH", "PURGE", "MKCALENDAR",
		"LINK", "UNLINK", "SOURCE",
	};
	char url[sizeof(e->name)];
	const char *m = e->site < sizeof(methods) / sizeof(methods[0]) ? methods[e->site] : "HTTP";

	memcpy(url, e->name, sizeof(url));
	url[sizeof(url) - 1] = 0;
	url[strcspn(url, "?#")] = 0; /* one route, one name: as Go's URL.Path */
	snprintf(e->name, sizeof(e->name), "%s %s", m, url);
	e->site = 0;
}
