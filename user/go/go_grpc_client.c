// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "go_grpc.h"
#include "goelf.h"
#include "go.skel.h"

#define GRPC "google.golang.org/grpc."
#define MAX_RETS 64

static const char *const begin_fn = GRPC "newClientStream";
static const char *const end_fn = GRPC "(*clientStream).finish";

int go_grpc__client_prepare(struct tracer *t, struct go_bpf *skel)
{
	uint64_t v, sz, off;
	int idx = t->probes.nr, target;

	if (goelf__func(t->exe_path, begin_fn, &v, &sz, &off) ||
	    goelf__func(t->exe_path, end_fn, &v, &sz, &off))
		return 0; /* no grpc client linked in */
	if (idx >= WEFT_MAX_PROBES)
		return 0;
	target = go_grpc__target_off(t->exe_path);
	if (target <= 0)
		fprintf(stderr, "weft: %s: grpc.(*ClientConn).Target is not the accessor weft "
			"knows: outbound gRPC calls are named by method only\n", t->exe);
	snprintf(t->probes.names[idx], sizeof(t->probes.names[0]), "gRPC client");
	snprintf(t->probes.descs[idx], sizeof(t->probes.descs[0]),
		 "newClientStream + RETs, (*clientStream).finish (Go only)");
	t->probes.nr++;
	skel->rodata->grpc_target_off = target > 0 ? target : 0;
	skel->rodata->grpc_call_probe = idx;
	return 1;
}

static int attach_at(struct tracer *t, struct bpf_program *prog, uint64_t off, const char *fn,
		     int probe, char *err, size_t len)
{
	char what[512];

	snprintf(what, sizeof(what), "uprobe %s:%s", t->exe, fn);
	return tracer__uprobe(t, prog, t->exe_path, off, NULL, probe, what, err, len);
}

int go_grpc__client_attach(struct tracer *t, struct go_bpf *skel, char *err, size_t len)
{
	uint64_t v, sz, off, entry, rets[MAX_RETS];
	int n, p = (int)skel->rodata->grpc_call_probe;

	/* the end first, then the RETs: a call seen begin is seen end */
	if (goelf__func(t->exe_path, end_fn, &v, &sz, &off) ||
	    goelf__entry_after_prologue(t->exe_path, v, sz, &off) ||
	    attach_at(t, skel->progs.go_grpc_call_end, off, end_fn, p, err, len))
		return -1;
	if (goelf__func(t->exe_path, begin_fn, &v, &sz, &entry))
		return -1;
	n = goelf__rets(t->exe_path, v, sz, rets, MAX_RETS);
	if (n <= 0) {
		snprintf(err, len, "%s: no RET found in '%s'", t->exe, begin_fn);
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (attach_at(t, skel->progs.go_grpc_call_open, rets[i], begin_fn, p, err, len))
			return -1;
	if (goelf__entry_after_prologue(t->exe_path, v, sz, &off))
		off = entry;
	return attach_at(t, skel->progs.go_grpc_call_begin, off, begin_fn, p, err, len);
}
