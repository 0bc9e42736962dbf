/* Uprobes, attached in a batch. With multi-uprobe links (libbpf >= 1.3,
 * Linux >= 6.6) all of a program's sites in one binary are one link: made
 * by one syscall, removed after one grace period (one link per site waits
 * ~0.1 s each on removal: 10 probes, 1 s). Else one link per site. */
#ifndef WEFT_UPROBES_H
#define WEFT_UPROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct bpf_program;
struct tracer;

struct uprobe_req {
	struct bpf_program *prog;
	char path[512];
	char what[256];
	uint64_t off, cookie;
	bool ret;
};

struct uprobe_batch {
	bool multi; /* this libbpf and kernel have multi-uprobe links */
	struct uprobe_req *v;
	int nr, cap;
};

/* Whether multi links are used (WEFT_NO_UPROBE_MULTI=1: never) */
void uprobes__init(struct uprobe_batch *b);
/* Before obj's load: its uprobe programs made multi-link ones */
void uprobes__prepare(const struct uprobe_batch *b, struct bpf_object *obj);
/* Kept for uprobes__flush: 0, or -1 (out of memory) */
int uprobes__add(struct uprobe_batch *b, struct bpf_program *prog, const char *path,
		 uint64_t off, uint64_t cookie, bool ret, const char *what);
/* Attaches what was added, a link per program, binary and kind in the
 * order each was first added, each given to the tracer. 0, or -1 with one
 * line in err. */
int uprobes__flush(struct tracer *t, struct uprobe_batch *b, char *err, size_t len);
void uprobes__free(struct uprobe_batch *b);

#endif
