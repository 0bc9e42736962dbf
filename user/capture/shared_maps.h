/* The maps every BPF object of a session shares, by name: one ring buffer
 * (events), one id space (ids), one traps table (txn_traps), the threads'
 * and goroutines' contexts (threads, goroutines), what the wire tagged
 * (wire_in, wire_as). An object publishes the shared maps it owns once
 * loaded; every object loaded after it reuses them, so the order is: the
 * native object (all but goroutines), then Go (goroutines), then the rest.
 * No adapter reaches into another's skeleton. */
#ifndef WEFT_SHARED_MAPS_H
#define WEFT_SHARED_MAPS_H

struct bpf_object;

#define NR_SHARED_MAPS 7

struct shared_maps {
	int fd[NR_SHARED_MAPS]; /* 0: not published yet */
};

/* After obj's load: its shared maps not published yet are, from now */
void shared_maps__publish(struct shared_maps *sm, const struct bpf_object *obj);
/* Before obj's load: its shared maps are the published ones. 0, or a
 * negative errno from libbpf. */
int shared_maps__reuse(const struct shared_maps *sm, struct bpf_object *obj);
/* The published map of that name, or -1 */
int shared_maps__fd(const struct shared_maps *sm, const char *name);

#endif
