// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
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

/* Its verifier's work (~15 ms) beside the adapters' attach */
struct wire_loading {
	struct wire_bpf *k;
	pthread_t thread;
	bool running;
	int rc;
};

static void *wire_load(void *arg)
{
	struct wire_loading *l = arg;

	l->rc = wire_bpf__load(l->k);
	return NULL;
}

int wire__open(struct tracer *t, const struct opts *o, char *err, size_t len)
{
	struct wire_bpf *k;
	int gfd = shared_maps__fd(&t->shared, "goroutines");
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
	if (!(t->wire_loading = calloc(1, sizeof(*t->wire_loading)))) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	t->wire_loading->k = k;
	if (pthread_create(&t->wire_loading->thread, NULL, wire_load, t->wire_loading)) {
		wire_load(t->wire_loading); /* here, then */
		return 0;
	}
	t->wire_loading->running = true;
	return 0;
}

/* The load's result, once: 0 or a negative errno */
static int wire_loaded(struct tracer *t)
{
	struct wire_loading *l = t->wire_loading;
	int rc;

	if (!l)
		return 0;
	if (l->running)
		pthread_join(l->thread, NULL);
	rc = l->rc;
	free(l);
	t->wire_loading = NULL;
	return rc;
}

int wire__attach(struct tracer *t, char *err, size_t len)
{
	struct wire_bpf *k = t->wire;
	int rc = wire_loaded(t);

	if (!k)
		return 0;
	if (rc) {
		snprintf(err, len, "failed to load the wire's BPF programs (raw_tp on tcp_sendmsg_locked): "
			 "%s; run with -vv for libbpf's log, or --no-wire", strerror(-rc));
		return -1;
	}
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
	wire_loaded(t);
	wire_bpf__destroy(t->wire);
	t->wire = NULL;
}

void wire__counters(const struct tracer *t, struct capture_counters *m)
{
	if (t->wire)
		m->evicted += t->wire->bss->wire_evicted;
}
