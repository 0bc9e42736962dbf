// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "agent_profile.h"
#include "clock.h"
#include "otlp_http.h"
#include "otlp_profiles.h"
#include "pprof.h"
#include "profile_agg.h"
#include "record.h"

/* a sample with no transaction known this long: none is coming (its
 * TXN_BEGIN from another CPU arrives well within it) */
#define SETTLE_NS 2000000000ULL
#define FLUSH_MS 3000 /* at the end, what the collector gets to take the last */

/* a collector without profiles (HTTP 404, gRPC UNIMPLEMENTED) is said once
 * per agent, whatever its targets */
static bool said_unsupported;

struct agent_profile {
	const char *dir;
	uint64_t every_ns, period_ns;
	bool off_cpu;
	struct profile_agg agg;
	uint64_t start_ns, start_realtime_ns; /* the interval's */
	uint64_t files, samples, spans, failed;
	const struct model *m; /* take()'s */
	/* OTLP profiles: a request per interval, until the collector says it
	 * takes none (then unsent counts the intervals kept from it) */
	struct otlp_http *q;
	const struct otlp_resource *rsrc;
	bool unsupported;
	uint64_t unsent, encode_failed;
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct agent_profile *agent_profile__new(const struct opts *o, const struct otlp_resource *rsrc,
					 char *err, size_t len)
{
	struct agent_profile *p;
	char url[512];
	bool grpc;

	err[0] = 0;
	if (!o->sample_hz && !o->off_cpu)
		return NULL;
	if (o->pprof_dir && mkdir(o->pprof_dir, 0755) && errno != EEXIST) {
		snprintf(err, len, "--pprof-dir %s: %s", o->pprof_dir, strerror(errno));
		return NULL;
	}
	if (o->pprof_dir && access(o->pprof_dir, W_OK | X_OK)) {
		snprintf(err, len, "--pprof-dir %s: cannot write there: %s", o->pprof_dir,
			 strerror(errno));
		return NULL;
	}
	if (!(p = calloc(1, sizeof(*p)))) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	if (otlp_http__url(o->otlp, o->otlp_protocol, "profiles", url, sizeof(url), &grpc, err,
			   len) ||
	    !(p->q = otlp_http__new(url, grpc, o->otlp_queue_bytes, err, len))) {
		free(p);
		return NULL;
	}
	p->rsrc = rsrc;
	p->dir = o->pprof_dir;
	p->every_ns = o->profile_every_ns;
	p->period_ns = o->sample_hz ? 1000000000ULL / o->sample_hz : 0;
	p->off_cpu = o->off_cpu;
	p->start_realtime_ns = realtime_ns();
	return p;
}

static void take(void *ctx, const struct sample *s, const struct txn *t)
{
	struct agent_profile *p = ctx;
	const char *name = t ? model__txn_name(p->m, t) : s->txn ? "(unknown transaction)" : "(none)";

	profile_agg__add(&p->agg, name[0] ? name : "(unnamed)", s->stack,
			 s->flags & WEFT_F_TRUNCATED, s->off_cpu, s->weight_ns);
}

/* weft.EXE.PID.20261205T211500.123Z.pb.gz, written whole then renamed
 * into place, so a shipper watching the directory never reads half. */
static void write_file(struct agent_profile *p, const struct model *m, const struct report *r,
		       const struct pprof_head *hd)
{
	const struct record_meta *mt = r->meta;
	const char *exe = strrchr(mt->exe, '/') ? strrchr(mt->exe, '/') + 1 : mt->exe;
	time_t sec = (time_t)(p->start_realtime_ns / 1000000000ULL);
	char when[32], path[4096], tmp[4096], comment[512];
	uint8_t *raw = NULL, *gz = NULL;
	size_t rawlen, gzlen;
	struct tm tm;
	struct pprof_head h = *hd;
	FILE *f;

	h.comment = comment;
	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%S", &tm);
	snprintf(path, sizeof(path), "%s/weft.%s.%u.%s.%03uZ.pb.gz", p->dir, exe[0] ? exe : "unknown",
		 mt->pid, when, (unsigned)(p->start_realtime_ns / 1000000 % 1000));
	snprintf(tmp, sizeof(tmp), "%s/.weft.%u.tmp", p->dir, mt->pid);
	snprintf(comment, sizeof(comment),
		 "weft agent: pid %u %s; -F %" PRIu64 "%s; %" PRIu64 " samples, %" PRIu64
		 " off-CPU spans; since the agent attached: %" PRIu64 " samples taken, %" PRIu64
		 " lost, %" PRIu64 " events lost%s",
		 mt->pid, mt->exe, mt->sample_hz, p->off_cpu ? " --off-cpu" : "", p->agg.samples,
		 p->agg.offcpu_spans, mt->samples_taken, mt->samples_lost, mt->lost,
		 p->agg.oom ? "; out of memory: some samples not counted" : "");
	if (pprof__encode_agg(&p->agg, m, r->st, &h, &raw, &rawlen) ||
	    pprof__gzip(raw, rawlen, &gz, &gzlen)) {
		fprintf(stderr, "weft agent: pid %u: %s: out of memory; this interval's profile is lost\n",
			mt->pid, path);
		p->failed++;
		goto out;
	}
	if (!(f = fopen(tmp, "we")) || fwrite(gz, 1, gzlen, f) != gzlen || fclose(f) ||
	    rename(tmp, path)) {
		fprintf(stderr, "weft agent: pid %u: %s: %s; this interval's profile is lost\n", mt->pid,
			path, strerror(errno));
		unlink(tmp);
		p->failed++;
		goto out;
	}
	p->files++;
out:
	free(raw);
	free(gz);
}

/* Whether the collector said it takes no profiles: said once, and no
 * more are pushed */
static bool unsupported(struct agent_profile *p, const struct otlp_http_stats *st)
{
	if (!p->unsupported && st->unsupported) {
		p->unsupported = true;
		if (!__atomic_exchange_n(&said_unsupported, true, __ATOMIC_RELAXED))
			fprintf(stderr, "weft agent: the collector does not take OTLP profiles (start it "
				"with --feature-gates=service.profilesSupport); %s\n",
				p->dir ? "profiles go to --pprof-dir only"
				       : "profiles are not kept (give --pprof-dir DIR)");
	}
	return p->unsupported;
}

/* The interval as OTLP profiles, queued */
static void push(struct agent_profile *p, const struct model *m, const struct report *r,
		 const struct pprof_head *h)
{
	struct otlp_http_stats st;
	uint8_t *buf = NULL;
	size_t len = 0;

	otlp_http__stats(p->q, &st);
	if (unsupported(p, &st)) {
		p->unsent++;
		return;
	}
	if (otlp__encode_profiles(&p->agg, m, r->st, h, r->meta, p->rsrc, &buf, &len)) {
		fprintf(stderr, "weft agent: pid %u: out of memory; this interval's OTLP profiles "
			"are lost\n", r->meta->pid);
		p->encode_failed++;
		return;
	}
	otlp_http__push(p->q, buf, len, p->agg.samples);
}

static void interval_end(struct agent_profile *p, const struct model *m, const struct report *r,
			 uint64_t now_ns)
{
	struct pprof_head h = {
		.time_ns = p->start_realtime_ns,
		.duration_ns = now_ns - p->start_ns,
		.period_ns = p->period_ns,
		.off_cpu = p->off_cpu || p->agg.has_off,
		.exe = r->meta->exe,
	};

	if (p->agg.nr_rows) {
		if (p->dir)
			write_file(p, m, r, &h);
		push(p, m, r, &h);
		p->samples += p->agg.samples;
		p->spans += p->agg.offcpu_spans;
	}
	profile_agg__reset(&p->agg);
	p->start_ns = now_ns;
	p->start_realtime_ns = realtime_ns();
}

void agent_profile__tick(struct agent_profile *p, struct model *m, const struct report *r,
			 uint64_t now_ns)
{
	if (!p)
		return;
	if (!p->start_ns)
		p->start_ns = now_ns;
	p->m = m;
	model__take_samples(m, now_ns, SETTLE_NS, false, take, p);
	if (now_ns - p->start_ns >= p->every_ns)
		interval_end(p, m, r, now_ns);
}

void agent_profile__close(struct agent_profile *p, struct model *m, const struct report *r,
			  char *buf, size_t len)
{
	uint64_t now_ns = mono_ns();
	struct otlp_http_stats st;

	buf[0] = 0;
	if (!p)
		return;
	if (r) {
		if (!p->start_ns)
			p->start_ns = now_ns;
		p->m = m;
		model__take_samples(m, now_ns, 0, true, take, p);
		interval_end(p, m, r, now_ns);
	}
	otlp_http__close(p->q, r ? FLUSH_MS : 0, &st);
	if (r) {
		unsupported(p, &st);
		snprintf(buf, len, "; profiles: %" PRIu64 " files, %" PRIu64 " samples, %" PRIu64
			 " off-CPU spans, %" PRIu64 " samples lost%s; OTLP profiles: %" PRIu64
			 " requests sent, %" PRIu64 " failed", p->files, p->samples, p->spans,
			 r->meta->samples_lost, p->failed ? ", some intervals not written" : "",
			 st.sent, st.failed + st.dropped + p->encode_failed);
		if (p->unsupported)
			snprintf(buf + strlen(buf), len - strlen(buf), ", %" PRIu64 " not sent (the "
				 "collector does not take them)", p->unsent);
	}
	profile_agg__free(&p->agg);
	free(p);
}
