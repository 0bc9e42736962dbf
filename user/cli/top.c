// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft top -p PID: the session's live loop with a screen. Each turn of the
 * loop reads the keys; every second the model is finished at now, a
 * snapshot built and drawn. q (or a signal) stops the capture: the session
 * detaches every probe, then the screen is given back. While the screen is
 * up, weft's stderr goes to a temporary file, shown once it is gone. */
#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "model.h"
#include "session.h"
#include "top.h"

#define REFRESH_NS 1000000000ULL

struct top {
	struct top_state st;
	bool screen, drawn;
	uint64_t last_ns;
	int saved_stderr;
	FILE *errs; /* stderr while the screen is up */
};

static int screen_start(struct top *t)
{
	fflush(stderr);
	t->saved_stderr = -1;
	t->errs = tmpfile();
	if (t->errs) {
		t->saved_stderr = dup(STDERR_FILENO);
		if (t->saved_stderr < 0 || dup2(fileno(t->errs), STDERR_FILENO) < 0) {
			fclose(t->errs);
			t->errs = NULL;
		}
	}
	if (!initscr())
		return -1;
	t->screen = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	return 0;
}

static void screen_end(struct top *t)
{
	char buf[4096];
	size_t n;

	if (t->screen) {
		endwin();
		t->screen = false;
	}
	if (!t->errs)
		return;
	fflush(stderr);
	dup2(t->saved_stderr, STDERR_FILENO);
	close(t->saved_stderr);
	rewind(t->errs);
	while ((n = fread(buf, 1, sizeof(buf), t->errs)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(t->errs);
	t->errs = NULL;
}

/* A key: 1 quit, 0 handled (redraw), -1 none or ignored. */
static int key(struct top *t, int ch)
{
	struct top_snapshot *s = &t->st.snap;

	switch (ch) {
	case 'q':
	case 'Q':
		return 1;
	case 's':
		if (s->focus == TOP_FOCUS_TXNS)
			s->txn_sort = (s->txn_sort + 1) % TXN_SORT_N;
		else
			s->site_sort = (s->site_sort + 1) % SITE_SORT_N;
		top__sort(s);
		return 0;
	case 't':
		s->focus = TOP_FOCUS_TXNS;
		return 0;
	case 'c':
		s->focus = TOP_FOCUS_SITES;
		return 0;
	case '\t':
		s->focus = s->focus == TOP_FOCUS_TXNS ? TOP_FOCUS_SITES : TOP_FOCUS_TXNS;
		return 0;
	case 'h':
	case '?':
		s->help = !s->help;
		return 0;
	case KEY_RESIZE:
	case 12: /* Ctrl-L */
		clearok(curscr, TRUE);
		return 0;
	}
	return -1;
}

static int tick(void *ctx, struct model *m, const struct report *r)
{
	struct top *t = ctx;
	uint64_t now = r->meta->end_ns;
	bool redraw = false;
	int ch;

	if (!t->screen && screen_start(t)) {
		screen_end(t);
		fprintf(stderr, "weft: cannot start the terminal screen (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		return 1;
	}
	while ((ch = getch()) != ERR) {
		int k = key(t, ch);

		if (k > 0)
			return 1;
		redraw |= k == 0;
	}
	if (!t->drawn || now - t->last_ns >= REFRESH_NS) {
		model__finish(m, now);
		if (top__update(&t->st, r, now)) {
			screen_end(t);
			fprintf(stderr, "weft: out of memory\n");
			return 1;
		}
		t->last_ns = now;
		t->drawn = redraw = true;
	}
	if (redraw)
		top_view__draw(&t->st.snap);
	return 0;
}

int top__run(struct opts *o)
{
	struct top t = { .saved_stderr = -1 };
	struct session_live live = { tick, &t };
	int rc;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		fprintf(stderr, "weft: weft top needs a terminal; use weft trace\n");
		return 1;
	}
	rc = session__run_live(o, &live);
	screen_end(&t);
	if (t.drawn)
		fprintf(stderr, "weft: top detached from pid %u: %" PRIu64 " events, %" PRIu64
				" lost, %" PRIu64 " evicted (at the last refresh)\n",
			t.st.snap.pid, t.st.snap.events, t.st.snap.lost, t.st.snap.evicted);
	top__free(&t.st);
	return rc;
}
