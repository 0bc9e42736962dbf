// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "shared_maps.h"

static const char *const names[NR_SHARED_MAPS] = {
	"events", "ids", "txn_traps", "threads", "wire_in", "wire_as", "goroutines",
};

static int slot(const char *name)
{
	for (int i = 0; i < NR_SHARED_MAPS; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

void shared_maps__publish(struct shared_maps *sm, const struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		int i = slot(bpf_map__name(m)), fd = bpf_map__fd(m);

		if (i >= 0 && !sm->fd[i] && fd > 0)
			sm->fd[i] = fd;
	}
}

int shared_maps__reuse(const struct shared_maps *sm, struct bpf_object *obj)
{
	struct bpf_map *m;
	int err;

	const char *pre = getenv("WEFT_PREALLOC");

	bpf_object__for_each_map(m, obj) {
		int i = slot(bpf_map__name(m));

		if (i >= 0 && sm->fd[i] && (err = bpf_map__reuse_fd(m, sm->fd[i])))
			return err;
		/* elements made as they come: preallocating every map's
		 * max_entries (MBs, filled per CPU) was most of an attach */
		if (bpf_map__type(m) == BPF_MAP_TYPE_HASH && !(pre && *pre == '1'))
			bpf_map__set_map_flags(m, bpf_map__map_flags(m) | BPF_F_NO_PREALLOC);
	}
	return 0;
}

int shared_maps__fd(const struct shared_maps *sm, const char *name)
{
	int i = slot(name);

	return i >= 0 && sm->fd[i] ? sm->fd[i] : -1;
}
