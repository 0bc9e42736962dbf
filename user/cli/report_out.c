// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "model.h"
#include "otlp.h"
#include "pprof.h"
#include "probes.h"
#include "record.h"
#include "report.h"
#include "report_out.h"
#include "site.h"
#include "symtab.h"

/* weft check --allow: a site or start function named by the user gets its
 * own grace */
static const struct opts *allow_opts;
static struct symtab *allow_st;

static uint64_t allowed_grace(void *ctx, const struct segment *s)
{
	const struct sym *site = allow_st ? symtab__find(allow_st, s->site) : NULL;
	const struct sym *start = allow_st && s->kind != WEFT_KIND_ASYNC ?
					  symtab__find(allow_st, s->start) : NULL;

	for (int i = 0; allow_opts && i < allow_opts->nr_allows; i++) {
		const char *n = allow_opts->allows[i].site;

		if ((site && !strcmp(site->func, n)) || (start && !strcmp(start->func, n)))
			return allow_opts->allows[i].ns;
	}
	return UINT64_MAX;
}

struct model *model_for(const struct probe_table *pt, const struct opts *o, struct symtab *st)
{
	struct model_opts mo = {
		.leak_grace_ns = o->leak_grace_ns,
		.pick_site = site__pick,
		.pick_ctx = st,
		.serves_conn = site__serves_conn,
		.conn_ctx = st,
		.txns_traced = pt->txns_traced,
		.sample_period_ns = o->sample_hz ? 1000000000ULL / o->sample_hz : 0,
		.name_by_path = o->name_by_path,
	};

	/* long captures bounded; not a profile (samples point at their
	 * transactions), a check (every test judged) or an export of each */
	if ((o->cmd == CMD_TRACE || o->cmd == CMD_RECORD || o->cmd == CMD_TOP) &&
	    (o->format == FMT_TEXT || o->format == FMT_JSON) && !o->sample_hz && !o->off_cpu)
		mo.fold_keep = o->keep_txns;
	if (o->cmd == CMD_AGENT) {
		mo.fold_keep = o->keep_txns;
		mo.fold_exported_only = true;
	}
	if (o->nr_allows) {
		allow_opts = o;
		allow_st = st;
		mo.grace_for = allowed_grace;
	}

	for (int i = 0; i < pt->nr; i++)
		mo.probe_names[i] = pt->names[i];
	return model__new(&mo);
}

/* Leaks are judged up to the end of the capture; with --go-lean, up to the
 * last read of the goroutines (what happened after it is not known). */
uint64_t judged_until(const struct record_meta *m)
{
	return m->go_lean_read_ns && m->go_lean_read_ns < m->end_ns ? m->go_lean_read_ns
								    : m->end_ns;
}

int report_write(FILE *f, const struct report *r, const struct opts *o, const char *txn_filter,
		 uint64_t start_realtime_ns)
{
	char losses[256];

	/* the text report says it in itself; any other format, on stderr */
	if (o->format != FMT_TEXT && report__losses(r->meta, losses, sizeof(losses)))
		fprintf(stderr, "weft: warning: %s\n", losses);
	if (o->format == FMT_JSON)
		report__json(f, r);
	else if (o->format == FMT_PERFETTO)
		report__perfetto(f, r);
	else if (o->format == FMT_FOLDED)
		report__folded(f, r, txn_filter, o->off_cpu);
	else if (o->format == FMT_PPROF)
		/* 0 (a file older than start_realtime_ns): no time */
		return pprof__write(f, o->output, r, start_realtime_ns);
	else if (o->format == FMT_OTLP)
		return otlp__write(f, o->output, r, start_realtime_ns);
	else
		report__text(f, r);
	return 0;
}

int out_close(FILE *f, const char *path)
{
	int bad = fflush(f) || ferror(f), err = errno;

	if (f != stdout && fclose(f) && !bad) {
		bad = 1;
		err = errno;
	}
	if (!bad)
		return 0;
	fprintf(stderr, "weft: %s: write failed: %s\n", path ? path : "standard output",
		strerror(err ? err : EIO));
	return -1;
}

int out_writable(const char *flag, const char *path, char *err, size_t len)
{
	char dir[4096];
	struct stat st;
	int fd;

	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode))
			return snprintf(err, len, "%s %s: a directory; give a file name", flag, path), -1;
		/* opened, not truncated: root passes access() where a write fails */
		if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK)) >= 0)
			return close(fd), 0;
	} else {
		snprintf(dir, sizeof(dir), "%s", path);
		if (!access(dirname(dir), W_OK | X_OK))
			return 0;
	}
	snprintf(err, len, "%s %s: cannot write there (%s); give a path in a writable directory",
		 flag, path, strerror(errno));
	return -1;
}
