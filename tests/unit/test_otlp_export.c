// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft agent's export: where it goes (otlp_http__url from the flags and the
 * standard variables) and what the metrics count (otlp_metrics) on a model
 * fed by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "otlp.h"
#include "otlp_http.h"
#include "report.h"
#include "symtab.h"

static const char *vars[] = {
	"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
	"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
};

static int clean_env(void **state)
{
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	return 0;
}

static const char *url_of(const char *flag, const char *proto, const char *signal, bool *grpc)
{
	static char url[512];
	char err[256];

	if (otlp_http__url(flag, proto, signal, url, sizeof(url), grpc, err, sizeof(err)))
		return NULL;
	return url;
}

static void test_url(void **state)
{
	bool grpc = true;

	assert_string_equal(url_of(NULL, NULL, "traces", &grpc), "http://localhost:4318/v1/traces");
	assert_false(grpc);
	assert_string_equal(url_of("http://c:4318/", NULL, "metrics", &grpc),
			    "http://c:4318/v1/metrics");
	/* profiles: still v1development, as collector 0.152 serves them */
	assert_string_equal(url_of("http://c:4318/", NULL, "profiles", &grpc),
			    "http://c:4318/v1development/profiles");
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://base:9/otlp", 1);
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://own:1/x/traces", 1);
	/* the signal's own, as is; the other from the base; --otlp above both */
	assert_string_equal(url_of(NULL, NULL, "traces", &grpc), "http://own:1/x/traces");
	assert_string_equal(url_of(NULL, NULL, "metrics", &grpc), "https://base:9/otlp/v1/metrics");
	assert_string_equal(url_of("http://flag:2", NULL, "traces", &grpc), "http://flag:2/v1/traces");
	clean_env(state);
	setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", 1);
	assert_string_equal(url_of(NULL, NULL, "traces", &grpc),
			    "http://localhost:4317/opentelemetry.proto.collector.trace.v1.TraceService/Export");
	assert_true(grpc);
	assert_string_equal(url_of("http://c:4317", NULL, "metrics", &grpc),
			    "http://c:4317/opentelemetry.proto.collector.metrics.v1.MetricsService/Export");
	assert_string_equal(url_of("http://c:4317", NULL, "profiles", &grpc),
			    "http://c:4317/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export");
	/* the flag above the variable */
	assert_string_equal(url_of("http://c:4318", "http/protobuf", "traces", &grpc),
			    "http://c:4318/v1/traces");
	assert_false(grpc);
	setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json", 1);
	assert_null(url_of(NULL, NULL, "traces", &grpc));
	clean_env(state);
	assert_null(url_of("ftp://c", NULL, "traces", &grpc));
	assert_null(url_of("c:4318", NULL, "traces", &grpc));
}

static void feed(struct model *m, uint32_t type, uint32_t kind, uint64_t ts, uint64_t seg,
		 uint64_t parent, uint64_t txn, uint64_t pc)
{
	struct weft_event e = { .ts_ns = ts, .type = type, .kind = kind, .pid = 1, .seg = seg,
				.parent = parent, .txn = txn };

	if (pc) {
		e.frames[0] = pc;
		e.nr_frames = 1;
	}
	model__feed(m, &e);
}

static void txn(struct model *m, uint64_t begin, uint64_t end, uint64_t seg, uint64_t id,
		const char *name)
{
	struct weft_event e = { .ts_ns = begin, .type = WEFT_EV_TXN_BEGIN, .kind = WEFT_KIND_TXN,
				.pid = 1, .seg = seg, .txn = id };

	snprintf(e.name, sizeof(e.name), "%s", name);
	model__feed(m, &e);
	feed(m, WEFT_EV_TXN_END, WEFT_KIND_TXN, end, seg, 0, id, 0);
}

/* "GET /a" 3 times (1 ms, 3 ms, 2 s), each with a goroutine; the third's
 * never ends: 1 leak at handle_a; "GET /b" once (0.2 ms), no continuation */
static void test_metrics(void **state)
{
	struct model_opts o = { .leak_grace_ns = 100000000ULL, .txns_traced = true };
	struct record_meta meta = { .pid = 1, .start_ns = 1 };
	struct probe_table pt = { .nr = 0 };
	struct symtab *st = symtab__new();
	struct model *m = model__new(&o);
	struct otlp_metrics mt = { .start_realtime_ns = 5 };
	struct sym handle = { .addr = 0x1000, .func = "handle_a", .file = "a.go", .line = 3,
			      .module = "/app" };
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_int_equal(symtab__add(st, &handle), 0);
	txn(m, 1000, 1001000, 10, 1, "GET /a");
	feed(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_GOROUTINE, 2000, 11, 10, 1, 0x1000);
	feed(m, WEFT_EV_SEG_END, WEFT_KIND_GOROUTINE, 3000, 11, 0, 0, 0);
	txn(m, 2000000, 5000000, 20, 2, "GET /a");
	feed(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_GOROUTINE, 2100000, 21, 20, 2, 0x1000);
	feed(m, WEFT_EV_SEG_END, WEFT_KIND_GOROUTINE, 2200000, 21, 0, 0, 0);
	txn(m, 10000000, 2010000000ULL, 30, 3, "GET /a");
	feed(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_GOROUTINE, 11000000, 31, 30, 3, 0x1000);
	txn(m, 3000000000ULL, 3000200000ULL, 40, 4, "GET /b");
	model__finish(m, 4000000000ULL);
	{
		struct report r = { m, st, &meta, &pt };

		for (size_t i = 0; i < model__nr_txns(m); i++)
			assert_int_equal(otlp_metrics__add_txn(&mt, &r, model__txn_at(m, i)), 0);
		otlp_metrics__live(&mt, m);
		assert_int_equal(otlp__encode_metrics(&mt, &r, NULL, 10, &buf, &len), 0);
	}
	assert_true(len > 200);
	free(buf);
	assert_int_equal(mt.nr_names, 2);
	assert_string_equal(mt.names[0].name, "GET /a");
	assert_int_equal(mt.names[0].count, 3);
	assert_int_equal(mt.names[0].leaked, 1);
	assert_int_equal(mt.names[1].count, 1);
	/* buckets: (0.5, 1] ms, (2.5, 5] ms, (1, 2.5] s; (0, 0.5] ms */
	assert_int_equal(mt.names[0].dur[1], 1);
	assert_int_equal(mt.names[0].dur[3], 1);
	assert_int_equal(mt.names[0].dur[11], 1);
	assert_int_equal(mt.names[1].dur[0], 1);
	assert_true(mt.names[0].dur_min_s > 0.00099 && mt.names[0].dur_min_s < 0.00101);
	assert_true(mt.names[0].dur_max_s > 1.99 && mt.names[0].dur_max_s < 2.01);
	assert_int_equal(mt.nr_sites, 1);
	assert_string_equal(mt.sites[0].txn, "GET /a");
	assert_string_equal(mt.sites[0].site, "handle_a");
	assert_int_equal(mt.sites[0].kind, WEFT_KIND_GOROUTINE);
	assert_int_equal(mt.sites[0].leaked, 1);
	assert_int_equal(mt.live[WEFT_KIND_GOROUTINE], 1);
	otlp_metrics__free(&mt);
	model__free(m);
	symtab__free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_url, clean_env),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
