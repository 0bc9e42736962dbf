// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "uprobes.h"

#if LIBBPF_MAJOR_VERSION > 1 || (LIBBPF_MAJOR_VERSION == 1 && LIBBPF_MINOR_VERSION >= 3)
#define HAVE_UPROBE_MULTI 1
/* the kernel's (6.6) value: bookworm's linux/bpf.h is older */
#define WEFT_TRACE_UPROBE_MULTI ((enum bpf_attach_type)48)
#endif

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a = 0, b = 0;

	return !uname(&u) && sscanf(u.release, "%d.%d", &a, &b) == 2 &&
	       (a > major || (a == major && b >= minor));
}

void uprobes__init(struct uprobe_batch *b)
{
	const char *no = getenv("WEFT_NO_UPROBE_MULTI");

	memset(b, 0, sizeof(*b));
#ifdef HAVE_UPROBE_MULTI
	b->multi = kernel_at_least(6, 6) && !(no && *no && strcmp(no, "0"));
#endif
	(void)no;
}

void uprobes__prepare(const struct uprobe_batch *b, struct bpf_object *obj)
{
#ifdef HAVE_UPROBE_MULTI
	struct bpf_program *p;

	if (!b->multi)
		return;
	bpf_object__for_each_program(p, obj) {
		const char *sec = bpf_program__section_name(p);

		if (!strcmp(sec, "uprobe") || !strcmp(sec, "uretprobe"))
			bpf_program__set_expected_attach_type(p, WEFT_TRACE_UPROBE_MULTI);
	}
#endif
}

int uprobes__add(struct uprobe_batch *b, struct bpf_program *prog, const char *path,
		 uint64_t off, uint64_t cookie, bool ret, const char *what)
{
	struct uprobe_req *r;

	if (b->nr == b->cap) {
		int cap = b->cap ? b->cap * 2 : 64;
		struct uprobe_req *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			return -1;
		b->v = v;
		b->cap = cap;
	}
	r = &b->v[b->nr++];
	r->prog = prog;
	snprintf(r->path, sizeof(r->path), "%s", path);
	snprintf(r->what, sizeof(r->what), "%s", what);
	r->off = off;
	r->cookie = cookie;
	r->ret = ret;
	return 0;
}

static bool same_link(const struct uprobe_req *a, const struct uprobe_req *b)
{
	return a->prog == b->prog && a->ret == b->ret && !strcmp(a->path, b->path);
}

int uprobes__flush(struct tracer *t, struct uprobe_batch *b, char *err, size_t len)
{
#ifdef HAVE_UPROBE_MULTI
	unsigned long *offs = calloc(b->nr ? b->nr : 1, sizeof(*offs));
	__u64 *cookies = calloc(b->nr ? b->nr : 1, sizeof(*cookies));
	bool *done = calloc(b->nr ? b->nr : 1, sizeof(*done));
	int rc = 0;

	if (!offs || !cookies || !done) {
		snprintf(err, len, "out of memory");
		rc = -1;
	}
	for (int i = 0; !rc && i < b->nr; i++) {
		size_t n = 0;

		if (done[i])
			continue;
		for (int j = i; j < b->nr; j++)
			if (!done[j] && same_link(&b->v[i], &b->v[j])) {
				offs[n] = b->v[j].off;
				cookies[n++] = b->v[j].cookie;
				done[j] = true;
			}
		{
			LIBBPF_OPTS(bpf_uprobe_multi_opts, mo, .offsets = offs, .cookies = cookies,
				    .cnt = n, .retprobe = b->v[i].ret);

			rc = tracer__add_link(t, bpf_program__attach_uprobe_multi(b->v[i].prog, t->pid,
									     b->v[i].path, NULL,
									     &mo),
					      b->v[i].what, err, len);
		}
	}
	free(offs);
	free(cookies);
	free(done);
	b->nr = 0;
	return rc;
#else
	(void)t;
	(void)err;
	(void)len;
	b->nr = 0;
	return 0;
#endif
}

void uprobes__free(struct uprobe_batch *b)
{
	free(b->v);
	memset(b, 0, sizeof(*b));
}
