// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft top's lines as text, from a snapshot (top.h): no ncurses, so unit
 * tests read them as the screen shows them (top_view.c draws them). */
#include <inttypes.h>
#include <stdio.h>
#include "top.h"

static const char *count_str(uint64_t v, char *buf, size_t len)
{
	if (v < 10000)
		snprintf(buf, len, "%" PRIu64, v);
	else if (v < 10000000)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.1fM", v / 1e6);
	return buf;
}

void top_view__header(const struct top_snapshot *s, int line, char *buf, size_t len)
{
	char up[32], grace[32], ev[32], tr[32];

	if (line == 0) {
		snprintf(buf, len, "weft top - pid %u (%s)   up %s", s->pid, s->exe,
			 fmt_duration(s->uptime_ns - s->uptime_ns % 1000000000ULL, up, sizeof(up)));
		return;
	}
	snprintf(buf, len,
		 "events %.0f/s (%s)  lost %" PRIu64 "  evicted %" PRIu64
		 "  traps %.0f/s (%s)  leak grace %s",
		 s->events_per_s, count_str(s->events, ev, sizeof(ev)), s->lost, s->evicted,
		 s->traps_per_s, count_str(s->traps, tr, sizeof(tr)),
		 fmt_duration(s->grace_ns, grace, sizeof(grace)));
}

void top_view__txn_line(const struct top_txn_row *t, char *buf, size_t len)
{
	char p50[32] = "-", p99[32] = "-";

	if (t->p50_ns)
		fmt_duration(t->p50_ns, p50, sizeof(p50));
	if (t->p99_ns)
		fmt_duration(t->p99_ns, p99, sizeof(p99));
	snprintf(buf, len, "  %-*.*s %8" PRIu64 " %8.1f %9s %9s %7" PRIu64 " %7" PRIu64, TXN_NAME_W,
		 TXN_NAME_W, t->name, t->count, t->rate, p50, p99, t->live, t->leaked);
}

void top_view__site_line(const struct top_site_row *t, char *buf, size_t len)
{
	snprintf(buf, len, "  %7" PRIu64 "  %+10.1f %7" PRIu64 "  %-9s  %-7s  %s", t->live,
		 t->growth, t->leaked, kind_name(t->kind), t->growing ? "GROWING" : "", t->name);
}
