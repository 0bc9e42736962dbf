// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft top's screen: drawn from a snapshot only (top.h), with ncurses.
 *
 *   weft top - pid 4242 (/srv/api)                                  up 1m12s
 *   events 310/s (22k)  lost 0  evicted 0  traps 120/s (8.6k)  leak grace 500.00ms
 *
 * > Transactions (2 names)                                  sorted by count
 *   NAME                              COUNT   RATE/s       P50       P99    LIVE  LEAKED
 *   GET /users                          812     11.0    2.10ms    9.80ms       1       0
 *
 *   Live continuations per creation site (3 sites)          sorted by live
 *      LIVE  GROWTH/min  LEAKED  KIND       TREND    SITE -> START
 *        24       +20.0      23  goroutine  GROWING  main.handleLeak (api.go:199) -> ...
 *
 *  q quit  s sort  t transactions  c continuations  h help
 */
#include <curses.h>
#include <inttypes.h>
#include <string.h>
#include "top.h"

/* Columns: the header's words, and each one's width (a name column last). */
static const char *const txn_cols[] = { "COUNT", "RATE/s", "P50", "P99", "LIVE", "LEAKED",
					"NAME" };
static const char *const site_cols[] = { "LIVE", "GROWTH/min", "LEAKED", "SITE -> START" };

/* The column header, with the sorted column's span (start, width). */
static void txn_header(char *buf, size_t len, int sort, int *at, int *w)
{
	int n = snprintf(buf, len, "  %-*s", TXN_NAME_W, "NAME"), p;
	static const int widths[] = { 8, 8, 9, 9, 7, 7 };

	*at = 2, *w = 4;
	for (int i = 0; i < 6; i++) {
		p = n + 1;
		n += snprintf(buf + n, len - n, " %*s", widths[i], txn_cols[i]);
		if (i == sort)
			*at = p + widths[i] - (int)strlen(txn_cols[i]), *w = strlen(txn_cols[i]);
	}
}

static void site_header(char *buf, size_t len, int sort, int *at, int *w)
{
	snprintf(buf, len, "  %7s  %10s %7s  %-9s  %-7s  %s", "LIVE", "GROWTH/min", "LEAKED",
		 "KIND", "TREND", "SITE -> START");
	*w = strlen(site_cols[sort < SITE_SORT_N ? sort : 0]);
	*at = (int)(strstr(buf, site_cols[sort < SITE_SORT_N ? sort : 0]) - buf);
}

static void put(int y, attr_t a, const char *s)
{
	if (y < 0 || y >= LINES)
		return;
	attrset(a);
	mvaddnstr(y, 0, s, COLS);
	attrset(A_NORMAL);
}

/* Title on the left, "sorted by X" on the right. */
static void title(int y, bool focus, const char *what, const char *sort)
{
	char buf[256], right[64];
	int r;

	snprintf(buf, sizeof(buf), "%s %s", focus ? ">" : " ", what);
	put(y, focus ? A_BOLD : A_NORMAL, buf);
	r = snprintf(right, sizeof(right), "sorted by %s", sort);
	if (COLS > (int)strlen(buf) + r + 2 && y < LINES)
		mvaddstr(y, COLS - r - 1, right);
}

static void column_header(int y, const char *buf, int at, int w)
{
	put(y, A_UNDERLINE, buf);
	if (y < LINES && at < COLS)
		mvchgat(y, at, w, A_REVERSE | A_UNDERLINE, 0, NULL);
}

void top_view__draw(const struct top_snapshot *s)
{
	char buf[1024];
	int y = 0, at, w, help_lines = s->help ? 3 : 0;
	int room = LINES - 9 - help_lines, txn_rows, site_rows;

	erase();
	top_view__header(s, 0, buf, sizeof(buf));
	put(y++, A_BOLD, buf);
	top_view__header(s, 1, buf, sizeof(buf));
	put(y++, s->lost || s->evicted ? A_BOLD : A_NORMAL, buf);
	y++;

	if (room < 2)
		room = 2;
	txn_rows = (int)s->nr_txns < room / 3 ? (int)s->nr_txns : room / 3;
	if (txn_rows < 1)
		txn_rows = 1;
	if ((size_t)txn_rows > s->nr_txns)
		txn_rows = s->nr_txns;
	site_rows = room - txn_rows;

	snprintf(buf, sizeof(buf), "Transactions (%zu name%s)", s->nr_txns,
		 s->nr_txns == 1 ? "" : "s");
	title(y++, s->focus == TOP_FOCUS_TXNS, buf, top__txn_sort_name(s->txn_sort));
	txn_header(buf, sizeof(buf), s->txn_sort, &at, &w);
	column_header(y++, buf, at, w);
	if (!s->nr_txns)
		put(y++, A_DIM, "  (none yet)");
	for (int i = 0; i < txn_rows; i++) {
		top_view__txn_line(&s->txns[i], buf, sizeof(buf));
		put(y++, s->txns[i].leaked ? A_BOLD : A_NORMAL, buf);
	}
	y++;

	snprintf(buf, sizeof(buf), "Live continuations per creation site (%zu site%s)",
		 s->nr_sites, s->nr_sites == 1 ? "" : "s");
	title(y++, s->focus == TOP_FOCUS_SITES, buf, top__site_sort_name(s->site_sort));
	site_header(buf, sizeof(buf), s->site_sort, &at, &w);
	column_header(y++, buf, at, w);
	if (!s->nr_sites)
		put(y++, A_DIM, "  (none)");
	for (int i = 0; i < site_rows && (size_t)i < s->nr_sites && y < LINES - 1 - help_lines;
	     i++) {
		top_view__site_line(&s->sites[i], buf, sizeof(buf));
		put(y++, s->sites[i].growing ? A_BOLD : A_NORMAL, buf);
	}

	if (s->help) {
		put(LINES - 4, A_NORMAL,
		    "  GROWTH/min: change of the live count per minute over the last minute;"
		    " GROWING: it only grew (2 rises, no fall): a leak in progress.");
		put(LINES - 3, A_NORMAL,
		    "  LEAKED: alive the leak grace after its transaction ended. RATE/s: began in"
		    " the last refresh. P50/P99: of the ended ones.");
		put(LINES - 2, A_NORMAL,
		    "  s: next sort column of the focused table; t/c: focus transactions /"
		    " continuations; q or Ctrl-C: detach and quit.");
	}
	snprintf(buf, sizeof(buf), " q quit  s sort (%s)  t transactions  c continuations  h help ",
		 s->focus == TOP_FOCUS_TXNS ? top__txn_sort_name(s->txn_sort)
					    : top__site_sort_name(s->site_sort));
	put(LINES - 1, A_REVERSE, buf);
	refresh();
}
