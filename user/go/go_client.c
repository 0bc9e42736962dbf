// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "go_client.h"
#include "goelf.h"
#include "go.skel.h"

#define COOKIE_CLOSE 1 /* as in bpf/go_client.bpf.h */
#define COOKIE_WRITELOOP 1

static const char *const begin_fn = "net/http.(*persistConn).roundTrip";

/* The HTTP/2 client: bundled in net/http up to 1.26, its own package from
 * 1.27 (where roundTrip takes a *ClientRequest, not a *Request). Where
 * RoundTrip only wraps roundTrip, roundTrip is the one probed. */
static const struct h2_client {
	const char *round_trip[2], *read_loop, *req_type;
} h2_clients[] = {
	{ { "net/http.(*http2ClientConn).roundTrip", "net/http.(*http2ClientConn).RoundTrip" },
	  "net/http.(*http2ClientConn).readLoop", NULL },
	{ { "net/http/internal/http2.(*ClientConn).roundTrip",
	    "net/http/internal/http2.(*ClientConn).RoundTrip" },
	  "net/http/internal/http2.(*ClientConn).readLoop", "net/http/internal/http2.ClientRequest" },
};

/* 1.27's ClientRequest: Context (an interface), Method, URL */
#define CLIENT_REQUEST_METHOD 16
#define CLIENT_REQUEST_URL 32

/* 1.27 keeps a net/http.(*http2ClientConn).RoundTrip that wraps the
 * package's: the one whose reader is linked is the client */
static const char *h2_round_trip(const char *exe, const struct h2_client *c)
{
	uint64_t v, sz, off;

	if (goelf__func(exe, c->read_loop, &v, &sz, &off))
		return NULL;
	for (int i = 0; i < 2; i++)
		if (!goelf__func(exe, c->round_trip[i], &v, &sz, &off))
			return c->round_trip[i];
	return NULL;
}

/* The HTTP/2 client's probe index (h2_probe, never 0: the fixed probes come
 * first) and request layout; 0 when not linked */
static int h2_prepare(struct tracer *t, struct go_bpf *skel, bool dwarf)
{
	const struct h2_client *c = NULL;
	int idx = t->probes.nr;

	for (size_t i = 0; i < sizeof(h2_clients) / sizeof(h2_clients[0]) && !c; i++)
		if (h2_round_trip(t->exe_path, &h2_clients[i]))
			c = &h2_clients[i];
	if (!c || idx >= WEFT_MAX_PROBES)
		return 0;
	if (c->req_type) {
		int m = dwarf ? goelf__member(t->exe_path, c->req_type, "Method") : -1;
		int u = dwarf ? goelf__member(t->exe_path, c->req_type, "URL") : -1;

		skel->rodata->h2req_method = m >= 0 ? m : CLIENT_REQUEST_METHOD;
		skel->rodata->h2req_url = u >= 0 ? u : CLIENT_REQUEST_URL;
	} else {
		skel->rodata->h2req_method = skel->rodata->req_method;
		skel->rodata->h2req_url = skel->rodata->req_url;
	}
	snprintf(t->probes.names[idx], sizeof(t->probes.names[0]), "net/http2 client");
	snprintf(t->probes.descs[idx], sizeof(t->probes.descs[0]),
		 "(*ClientConn).roundTrip, readLoop; a call ends with its doRequest "
		 "goroutine (Go only)");
	t->probes.nr++;
	skel->rodata->h2_probe = idx;
	return 1;
}

int go_client__prepare(struct tracer *t, struct go_bpf *skel, int host, bool dwarf)
{
	uint64_t v, sz, off;
	int idx = t->probes.nr;

	if (goelf__func(t->exe_path, begin_fn, &v, &sz, &off))
		return 0; /* no net/http client linked in */
	if (host < 0) {
		fprintf(stderr, "weft: %s: net/url.URL.Host's offset is unknown (no DWARF, no "
			"table row, not derived): outbound HTTP calls are not traced\n", t->exe);
		return 0;
	}
	if (idx >= WEFT_MAX_PROBES)
		return 0;
	snprintf(t->probes.names[idx], sizeof(t->probes.names[0]), "net/http client");
	snprintf(t->probes.descs[idx], sizeof(t->probes.descs[0]),
		 "(*persistConn).roundTrip + (*Transport).tryPutIdleConn, "
		 "(*persistConn).closeLocked, readLoop, writeLoop (Go only)");
	t->probes.nr++;
	skel->rodata->url_host = host;
	skel->rodata->client_probe = idx;
	h2_prepare(t, skel, dwarf);
	return 1;
}

/* An entry probe past the stack check: fires once per call */
static int attach_entry(struct tracer *t, struct bpf_program *prog, const char *fn,
			uint64_t cookie, int probe, char *err, size_t len)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = cookie);
	uint64_t v, sz, off;
	char what[512];

	if (goelf__func(t->exe_path, fn, &v, &sz, &off)) {
		snprintf(err, len, "%s: net/http's client without '%s'", t->exe, fn);
		return -1;
	}
	goelf__entry_after_prologue(t->exe_path, v, sz, &off);
	snprintf(what, sizeof(what), "uprobe %s:%s", t->exe, fn);
	return tracer__uprobe(t, prog, t->exe_path, off, &uo, probe, what, err, len);
}

int go_client__attach(struct tracer *t, struct go_bpf *skel, char *err, size_t len)
{
	int p = (int)skel->rodata->client_probe, h2 = (int)skel->rodata->h2_probe;

	/* ends first: a call seen begin is seen end */
	if (attach_entry(t, skel->progs.go_call_end, "net/http.(*Transport).tryPutIdleConn", 0,
			 p, err, len) ||
	    attach_entry(t, skel->progs.go_call_end, "net/http.(*persistConn).closeLocked",
			 COOKIE_CLOSE, p, err, len) ||
	    attach_entry(t, skel->progs.go_conn_loop, "net/http.(*persistConn).readLoop", 0, p,
			 err, len) ||
	    attach_entry(t, skel->progs.go_conn_loop, "net/http.(*persistConn).writeLoop",
			 COOKIE_WRITELOOP, p, err, len) ||
	    attach_entry(t, skel->progs.go_call_begin, begin_fn, 0, p, err, len))
		return -1;
	for (size_t i = 0; i < sizeof(h2_clients) / sizeof(h2_clients[0]) && skel->rodata->h2_probe;
	     i++) {
		const struct h2_client *c = &h2_clients[i];
		const char *rt = h2_round_trip(t->exe_path, c);

		if (!rt)
			continue;
		/* the reader first: a connection a call dials is seen pooled */
		if (attach_entry(t, skel->progs.go_h2_conn_loop, c->read_loop, 0, h2, err, len) ||
		    attach_entry(t, skel->progs.go_h2_call_begin, rt, 0, h2, err, len))
			return -1;
		break;
	}
	return 0;
}
