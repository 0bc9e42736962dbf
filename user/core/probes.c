// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "probes.h"

const char *const marker_names[5] = {
	"txn_begin", "txn_end", "task_create", "task_begin", "task_end",
};

static void set(struct probe_table *pt, int i, const char *name, const char *desc)
{
	snprintf(pt->names[i], sizeof(pt->names[i]), "%s", name);
	snprintf(pt->descs[i], sizeof(pt->descs[i]), "%s", desc);
	if (i >= pt->nr)
		pt->nr = i + 1;
}

int probes__from_specs(struct probe_table *pt, const struct probe_spec *specs, int nr_specs,
			bool go_lean)
{
	char buf[900];

	memset(pt, 0, sizeof(*pt));
	set(pt, WEFT_PROBE_THREAD, "thread", "raw_tp sched_process_fork/exit");
	for (int i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "usdt weft:%s", marker_names[i]);
		set(pt, WEFT_PROBE_USER + i, marker_names[i], buf);
	}
	set(pt, WEFT_PROBE_GOROUTINE, "goroutine",
	    go_lean ? "go statements; exits read from allgs (--go-lean)"
		    : "go statements + goroutine exits (Go only)");
	/* attach sets txns_traced too when the target has a txn_begin marker */
	for (int i = 0; i < nr_specs; i++) {
		const struct probe_spec *s = &specs[i];
		int idx = PROBE_FIRST_SPEC + i;

		if (idx >= WEFT_MAX_PROBES)
			return -1;
		snprintf(buf, sizeof(buf), "%s %s", spec__role_flag(s->role), s->text);
		set(pt, idx, s->sym, buf);
		pt->specs[idx] = s;
		if (s->role == ROLE_TXN)
			pt->txns_traced = true;
	}
	return 0;
}

int probes__format(const struct probe_table *pt, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < pt->nr; i++) {
		size_t l = strlen(pt->names[i]) + strlen(pt->descs[i]) + 2;

		if (n + l + sizeof("# txns_traced\n") > len)
			break; /* whole lines only: the probes' order is their index */
		n += snprintf(buf + n, len - n, "%s %s\n", pt->names[i], pt->descs[i]);
	}
	if (pt->txns_traced)
		snprintf(buf + n, len - n, "# txns_traced\n");
	return i;
}

void probes__parse(struct probe_table *pt, const char *text)
{
	const char *p = text, *nl, *sp;
	char line[1024];

	memset(pt, 0, sizeof(*pt));
	while (p && *p && pt->nr < WEFT_MAX_PROBES) {
		size_t l;

		nl = strchr(p, '\n');
		l = nl ? (size_t)(nl - p) : strlen(p);
		if (l >= sizeof(line))
			l = sizeof(line) - 1;
		memcpy(line, p, l);
		line[l] = 0;
		p = nl ? nl + 1 : NULL;
		if (!strcmp(line, "# txns_traced")) {
			pt->txns_traced = true;
			continue;
		}
		sp = strchr(line, ' ');
		if (sp)
			line[sp - line] = 0;
		set(pt, pt->nr, line, sp ? line + (sp - line) + 1 : "");
	}
}

void probes__add_site(struct probe_table *pt, int idx, const char *insn, const char *path)
{
	struct probe_site_kind *k;

	if (idx < 0 || idx >= WEFT_MAX_PROBES)
		return;
	for (int i = 0; i < PROBE_SITE_KINDS; i++) {
		k = &pt->sites[idx][i];
		if (!k->count) {
			snprintf(k->insn, sizeof(k->insn), "%s", insn);
			snprintf(k->path, sizeof(k->path), "%s", path);
		} else if (strcmp(k->insn, insn) || strcmp(k->path, path)) {
			continue;
		}
		k->count++;
		return;
	}
}

void probes__format_sites(const struct probe_table *pt, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < pt->nr; i++)
		for (int j = 0; j < PROBE_SITE_KINDS && pt->sites[i][j].count && n < len; j++)
			n += snprintf(buf + n, len - n, "%d %u %s %s\n", i, pt->sites[i][j].count,
				      pt->sites[i][j].path, pt->sites[i][j].insn);
}

void probes__parse_sites(struct probe_table *pt, const char *text)
{
	char path[16], insn[40];
	unsigned count;
	int idx, n;

	while (text && *text) {
		if (sscanf(text, "%d %u %15s %39[^\n]%n", &idx, &count, path, insn, &n) == 4)
			while (count--)
				probes__add_site(pt, idx, insn, path);
		text = strchr(text, '\n');
		text = text ? text + 1 : NULL;
	}
}
