// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "kernel_btf.h"
#include "counters.h"
#include "go_attach.h"
#include "wire_attach.h"
#include "native.skel.h"
#include "wire.skel.h"

int wire__open(struct tracer *t, const struct opts *o, char *err, size_t len)
{
	struct wire_bpf *k;
	int gfd = shared_maps__fd(&t->shared, "goroutines"), rc;
	uint32_t goid, gm, curg;

	if (o->no_wire || (!t->go && !t->node))
		return 0; /* only the Go and Node adapters read it */
	KERNEL_BTF_OPTS(oo);

	k = wire_bpf__open_opts(&oo);
	if (!k) {
		snprintf(err, len, "failed to open the wire's BPF object: %s", strerror(errno));
		return -1;
	}
	t->wire = k;
	PID_VIEW_SET(k->rodata, &t->view);
	go_tracer__layout(t, &goid, &gm, &curg);
	k->rodata->is_go = gfd >= 0;
	k->rodata->g_goid = goid;
	k->rodata->g_m = gm;
	k->rodata->m_curg = curg;
	bpf_map__set_max_entries(k->maps.wire_socks, o->max_tasks);
	if (shared_maps__reuse(&t->shared, k->obj)) {
		snprintf(err, len, "failed to share the context maps with the wire: %s",
			 strerror(errno));
		return -1;
	}
	rc = wire_bpf__load(k);
	if (rc) {
		snprintf(err, len, "failed to load the wire's BPF programs (raw_tp on tcp_sendmsg_locked): "
			 "%s; run with -vv for libbpf's log, or --no-wire", strerror(-rc));
		return -1;
	}
	return 0;
}

int wire__attach(struct tracer *t, char *err, size_t len)
{
	struct wire_bpf *k = t->wire;

	if (!k)
		return 0;
	if (tracer__add_link(t, bpf_program__attach(k->progs.wire_send), "raw_tp/tcp_sendmsg_locked", err,
			     len) ||
	    tracer__add_link(t, bpf_program__attach(k->progs.wire_recv), "raw_tp/sock_recv_length", err,
			     len) ||
	    tracer__add_link(t, bpf_program__attach(k->progs.wire_state),
			     "raw_tp/inet_sock_set_state", err, len))
		return -1;
	return 0;
}

void wire__close(struct tracer *t)
{
	wire_bpf__destroy(t->wire);
	t->wire = NULL;
}

void wire__counters(const struct tracer *t, struct capture_counters *m)
{
	if (t->wire)
		m->evicted += t->wire->bss->wire_evicted;
}
