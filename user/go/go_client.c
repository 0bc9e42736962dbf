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

int go_client__prepare(struct tracer *t, struct go_bpf *skel, int host)
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
	return 1;
}

/* An entry probe past the stack check: fires once per call */
static int attach_entry(struct tracer *t, struct bpf_program *prog, const char *fn,
			uint64_t cookie, char *err, size_t len)
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
	t->nr_uprobes++;
	return tracer__add_link(t, bpf_program__attach_uprobe_opts(prog, t->pid, t->exe_path, off,
								    &uo),
				what, err, len);
}

int go_client__attach(struct tracer *t, struct go_bpf *skel, char *err, size_t len)
{
	/* ends first: a call seen begin is seen end */
	if (attach_entry(t, skel->progs.go_call_end, "net/http.(*Transport).tryPutIdleConn", 0,
			 err, len) ||
	    attach_entry(t, skel->progs.go_call_end, "net/http.(*persistConn).closeLocked",
			 COOKIE_CLOSE, err, len) ||
	    attach_entry(t, skel->progs.go_conn_loop, "net/http.(*persistConn).readLoop", 0, err,
			 len) ||
	    attach_entry(t, skel->progs.go_conn_loop, "net/http.(*persistConn).writeLoop",
			 COOKIE_WRITELOOP, err, len) ||
	    attach_entry(t, skel->progs.go_call_begin, begin_fn, 0, err, len))
		return -1;
	return 0;
}
