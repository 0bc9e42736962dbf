// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "kernel_btf.h"
#include "counters.h"
#include "go_attach.h"
#include "profile_attach.h"
#include "native.skel.h"
#include "profile.skel.h"

struct profiler {
	struct profile_bpf *skel;
	struct bpf_link **links; /* one per CPU, and sched_switch */
	int nr_links;
	uint32_t hz;
	bool off_cpu;
};

int profile__open(struct tracer *t, const struct opts *o, char *err, size_t len)
{
	struct profiler *p;
	struct profile_bpf *k;
	int gfd = shared_maps__fd(&t->shared, "goroutines"), rc;
	uint32_t goid, gm, curg;

	if (!o->sample_hz && !o->off_cpu)
		return 0;
	p = calloc(1, sizeof(*p));
	KERNEL_BTF_OPTS(oo);

	if (!p || !(p->skel = profile_bpf__open_opts(&oo))) {
		free(p);
		snprintf(err, len, "failed to open the profiler's BPF object: %s", strerror(errno));
		return -1;
	}
	t->prof = p;
	k = p->skel;
	p->hz = o->sample_hz;
	p->off_cpu = o->off_cpu;
	PID_VIEW_SET(k->rodata, &t->view);
	k->rodata->wakeup_bytes = (o->ringbuf_mb << 20) / 8;
	k->rodata->offcpu_min_ns = PROFILE_OFFCPU_MIN_NS;
	go_tracer__layout(t, &goid, &gm, &curg);
	k->rodata->is_go = gfd >= 0;
	k->rodata->g_goid = goid;
	k->rodata->g_m = gm;
	k->rodata->m_curg = curg;
	bpf_map__set_max_entries(k->maps.blocked, o->max_threads);
	bpf_program__set_autoload(k->progs.on_sample, o->sample_hz != 0);
	bpf_program__set_autoload(k->progs.on_switch, o->off_cpu);
	/* the contexts the adapters keep, read where they are */
	if (shared_maps__reuse(&t->shared, k->obj)) {
		snprintf(err, len, "failed to share the context maps with the profiler: %s",
			 strerror(errno));
		return -1;
	}
	rc = profile_bpf__load(k);
	if (rc) {
		snprintf(err, len, "failed to load the profiler's BPF programs: %s; run with -vv "
			 "for libbpf's log", strerror(-rc));
		return -1;
	}
	return 0;
}

static int add_link(struct profiler *p, struct bpf_link *l)
{
	struct bpf_link **n = realloc(p->links, (p->nr_links + 1) * sizeof(*n));

	if (!n) {
		bpf_link__destroy(l);
		return -1;
	}
	p->links = n;
	p->links[p->nr_links++] = l;
	return 0;
}

/* A cpu-clock event per CPU, period 1/hz of that CPU's time: every sample
 * stands for the same time, whatever runs. All CPUs, filtered by tgid in
 * BPF: a per-process event would miss threads made before it. */
static int attach_cpus(struct profiler *p, char *err, size_t len)
{
	struct perf_event_attr pa = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(pa),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 1000000000ULL / p->hz,
	};
	int ncpu = libbpf_num_possible_cpus(), attached = 0;

	for (int cpu = 0; cpu < ncpu; cpu++) {
		struct bpf_link *l;
		int fd = syscall(SYS_perf_event_open, &pa, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno == ENODEV)
				continue; /* offline */
			snprintf(err, len, "perf_event_open (cpu-clock, cpu %d): %s; run as root "
				 "(or with CAP_PERFMON)", cpu, strerror(errno));
			return -1;
		}
		l = bpf_program__attach_perf_event(p->skel->progs.on_sample, fd);
		if (!l) {
			snprintf(err, len, "failed to attach the sampler on cpu %d: %s", cpu,
				 strerror(errno));
			close(fd);
			return -1;
		}
		if (add_link(p, l)) {
			snprintf(err, len, "out of memory");
			return -1;
		}
		attached++;
	}
	if (!attached) {
		snprintf(err, len, "perf_event_open: no CPU to sample");
		return -1;
	}
	return 0;
}

int profile__attach(struct tracer *t, const struct opts *o, char *err, size_t len)
{
	struct profiler *p = t->prof;
	struct bpf_link *l;

	if (!p)
		return 0;
	if (p->hz && attach_cpus(p, err, len))
		return -1;
	if (p->off_cpu) {
		l = bpf_program__attach(p->skel->progs.on_switch);
		if (!l || add_link(p, l)) {
			snprintf(err, len, "failed to attach raw_tp/sched_switch: %s",
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

void profile__close(struct tracer *t)
{
	struct profiler *p = t->prof;

	if (!p)
		return;
	while (p->nr_links > 0)
		bpf_link__destroy(p->links[--p->nr_links]);
	free(p->links);
	profile_bpf__destroy(p->skel);
	free(p);
	t->prof = NULL;
}

void profile__counters(const struct tracer *t, struct capture_counters *m)
{
	const struct profiler *p = t->prof;

	if (!p)
		return;
	m->sample_hz = p->hz;
	m->offcpu_min_ns = p->off_cpu ? PROFILE_OFFCPU_MIN_NS : 0;
	m->samples_taken = p->skel->bss->samples;
	{
		struct weft_counters k;

		counters__sum(p->skel->maps.counters, &k);
		m->samples_lost = k.lost;
	}
	m->offcpu_short = p->skel->bss->offcpu_short;
	m->offcpu_short_ns = p->skel->bss->offcpu_short_ns;
	m->evicted += p->skel->bss->offcpu_evicted;
}
