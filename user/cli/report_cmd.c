// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft report FILE: a recording replayed through the model, reported as a
 * live capture would have been. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "model.h"
#include "probes.h"
#include "record.h"
#include "report.h"
#include "report_out.h"
#include "session.h"
#include "symtab.h"

/* record__read hands over meta and symbols before the first event: the
 * model, which needs the probe names, is made then. */
struct replay {
	const struct opts *o;
	struct record_meta *meta;
	struct symtab *st;
	struct probe_table pt;
	struct model *m;
};

static int replay_prepare(struct replay *r)
{
	struct opts mo = *r->o;

	if (r->m)
		return 0;
	probes__parse(&r->pt, r->meta->probes);
	probes__parse_sites(&r->pt, r->meta->probe_sites);
	if (r->o->leak_grace_set)
		r->meta->leak_grace_ns = r->o->leak_grace_ns;
	mo.leak_grace_ns = r->meta->leak_grace_ns;
	mo.sample_hz = r->meta->sample_hz;
	if (!r->o->name_by_set) /* as recorded ("" before it was kept: pattern) */
		mo.name_by_path = !strcmp(r->meta->name_by, "path");
	r->m = model_for(&r->pt, &mo, r->st);
	return r->m ? 0 : -1;
}

static int replay_event(void *ctx, const struct weft_event *e)
{
	struct replay *r = ctx;

	if (replay_prepare(r))
		return -1;
	model__feed(r->m, e);
	return 0;
}

int session__report(const struct opts *o)
{
	struct record_meta meta;
	struct replay r = { .o = o, .meta = &meta };
	char err[512];
	FILE *f = stdout;
	int rc = 1;

	r.st = symtab__new();
	if (!r.st)
		return 1;
	if (record__read(o->input, &meta, r.st, replay_event, &r, err, sizeof(err))) {
		fprintf(stderr, "weft: %s: %s\n", o->input, err);
		goto out;
	}
	if (meta.cut)
		fprintf(stderr, "weft: warning: %s was cut before its end (its writer killed, or "
			"its disk full): read %" PRIu64 " events in %" PRIu64 " whole chunks, "
			"dropped the last %" PRIu64 " bytes%s\n", o->input, meta.cut_events,
			meta.cut_chunks, meta.cut_bytes,
			symtab__count(r.st) ? "" : "; no symbols: sites unnamed");
	if (replay_prepare(&r)) {
		fprintf(stderr, "weft: out of memory\n");
		goto out;
	}
	if (r.o->leak_grace_set)
		meta.leak_grace_ns = o->leak_grace_ns;
	model__finish(r.m, judged_until(&meta));
	if (o->output && !(f = fopen(o->output, "we"))) {
		fprintf(stderr, "weft: %s: %s\n", o->output, strerror(errno));
		goto out;
	}
	{
		struct report rep = { r.m, r.st, &meta, &r.pt };

		int bad = report_write(f, &rep, o, o->txn_filter, meta.start_realtime_ns);

		if (out_close(f, o->output) || bad)
			goto out;
	}
	rc = 0;
out:
	model__free(r.m);
	symtab__free(r.st);
	return rc;
}
