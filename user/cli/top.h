/* weft top: a live view of a running process, refreshed every second.
 *
 * top_snap.c builds a snapshot from the model at each refresh (pure: no
 * curses, no syscalls; the unit tests drive it), top_view.c draws a
 * snapshot with ncurses, top.c is the command: it hooks the session's live
 * loop (session__run_live), reads the keys and refreshes. */
#ifndef WEFT_TOP_H
#define WEFT_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "opts.h"
#include "report.h"

/* Live counts kept per creation site: one per refresh, the last minute. */
#define TOP_HISTORY 61

struct top_txn_row {
	char name[256];
	uint64_t count;		 /* began since attach */
	double rate;		 /* began per second over the last refresh */
	uint64_t p50_ns, p99_ns; /* of the ended ones; 0: none ended */
	uint64_t live, leaked;	 /* not ended now; continuations leaked */
};

struct top_site_row {
	uint64_t site, start;
	uint32_t kind;
	bool preattach;	 /* existed before weft attached */
	char name[224];	 /* "func (file.c:42) -> start_routine" */
	uint64_t live;	 /* not ended now (leaked ones included) */
	uint64_t leaked; /* of them, alive the grace after their txn ended */
	double growth;	 /* change of live per minute over the history */
	bool growing;	 /* only grew (no fall, 2 rises or more): a leak in progress */
};

enum top_focus { TOP_FOCUS_TXNS, TOP_FOCUS_SITES };
enum top_txn_sort { TXN_SORT_COUNT, TXN_SORT_RATE, TXN_SORT_P50, TXN_SORT_P99, TXN_SORT_LIVE,
		    TXN_SORT_LEAKED, TXN_SORT_NAME, TXN_SORT_N };
enum top_site_sort { SITE_SORT_LIVE, SITE_SORT_GROWTH, SITE_SORT_LEAKED, SITE_SORT_NAME,
		     SITE_SORT_N };

struct top_snapshot {
	uint32_t pid;
	char exe[256];
	uint64_t uptime_ns, grace_ns;
	uint64_t events, lost, evicted, traps; /* totals since attach */
	double events_per_s, traps_per_s;      /* over the last refresh */
	struct top_txn_row *txns;
	size_t nr_txns;
	struct top_site_row *sites;
	size_t nr_sites;
	/* the view's settings (keys) */
	enum top_focus focus;
	int txn_sort, site_sort;
	bool help;
};

/* One site's live counts at the last refreshes (a ring). */
struct top_hist {
	uint64_t site, start;
	uint32_t kind;
	bool preattach;
	uint64_t ts[TOP_HISTORY], live[TOP_HISTORY];
	int n, head; /* head: the oldest */
};

/* What persists between refreshes. Zero-initialized is ready. */
struct top_state {
	struct top_snapshot snap;
	uint64_t prev_ns, prev_events, prev_traps;
	struct top_txn_row *prev_txns; /* the previous refresh's counts, for rates */
	size_t nr_prev_txns;
	struct top_hist *hist;
	size_t nr_hist;
	size_t cap_txns, cap_sites, cap_prev, cap_hist;
};

/* A refresh at now_ns: r->m already finished at now_ns (model__finish),
 * r->meta's counters read. Fills st->snap, sorted. 0, -1 out of memory. */
int top__update(struct top_state *st, const struct report *r, uint64_t now_ns);
/* Sorts the snapshot's tables by its txn_sort and site_sort. */
void top__sort(struct top_snapshot *s);
const char *top__txn_sort_name(int sort);
const char *top__site_sort_name(int sort);
/* Growth per minute of a history and whether it only grew (pure). */
double top__growth(const struct top_hist *h, bool *growing);
void top__free(struct top_state *st);

/* top_view.c: the lines of the screen (pure formatting) and the drawing. */
void top_view__header(const struct top_snapshot *s, int line, char *buf, size_t len);
#define TXN_NAME_W 32 /* the name column of a transaction line */
void top_view__txn_line(const struct top_txn_row *t, char *buf, size_t len);
void top_view__site_line(const struct top_site_row *t, char *buf, size_t len);
void top_view__draw(const struct top_snapshot *s);

/* top.c: weft top -p PID. The process exit status. */
int top__run(struct opts *o);

#endif
