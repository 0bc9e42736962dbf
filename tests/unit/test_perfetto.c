/* The Perfetto / trace-event export on a synthetic stream: tracks, slices,
 * lanes for slices that do not nest, flows, samples; then the format's rules
 * (tests/runtime/trace_event_check.py) on the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "report.h"

#define PID 100

static void feed(struct model *m, uint32_t type, uint32_t kind, uint64_t ts, uint32_t tid,
		 uint64_t seg, uint64_t parent, uint64_t txn, uint64_t obj, uint64_t pc)
{
	struct weft_event e = { .ts_ns = ts, .type = type, .kind = kind, .pid = PID, .tid = tid,
				.seg = seg, .parent = parent, .txn = txn, .obj = obj };

	if (pc) {
		e.frames[0] = pc;
		e.nr_frames = 1;
	}
	if (type == WEFT_EV_SEG_BEGIN && kind == WEFT_KIND_THREAD)
		e.site = 0x2000; /* start routine */
	model__feed(m, &e);
}

static void txn_begin(struct model *m, uint64_t ts, uint32_t tid, uint64_t seg, uint64_t parent,
		      uint64_t txn, const char *name)
{
	struct weft_event e = { .ts_ns = ts, .type = WEFT_EV_TXN_BEGIN, .kind = WEFT_KIND_TXN,
				.pid = PID, .tid = tid, .seg = seg, .parent = parent, .txn = txn };

	snprintf(e.name, sizeof(e.name), "%s", name);
	model__feed(m, &e);
}

static void add_sym(struct symtab *st, uint64_t addr, const char *func)
{
	struct sym s = { .addr = addr, .func = func, .file = "app.c", .line = 7, .module = "/app" };

	assert_int_equal(symtab__add(st, &s), 0);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

/* main thread 100 (pre-attach) runs "GET /a" (root 10): it makes worker
 * thread 101 and goroutine 7 (never ends: leaked); main also made thread 102
 * outside any transaction (live). "job" begins on 101 and outlives it: it
 * cannot nest in 101's life, so it goes on a second lane. */
static char *export(void)
{
	struct model_opts o = { .leak_grace_ns = 1000, .txns_traced = true,
				.sample_period_ns = 1000000 };
	struct record_meta meta = { .pid = PID, .start_ns = 500, .end_ns = 20000 };
	struct probe_table pt = { .nr = 0 };
	struct symtab *st = symtab__new();
	struct model *m = model__new(&o);
	struct weft_event pre = { .ts_ns = 1000, .type = WEFT_EV_SEG_BEGIN, .kind = WEFT_KIND_THREAD,
				  .pid = PID, .tid = PID, .seg = 1, .obj = PID,
				  .flags = WEFT_F_PREATTACH | WEFT_F_NOSTACK };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(st);
	assert_non_null(m);
	assert_non_null(f);
	snprintf(meta.exe, sizeof(meta.exe), "/srv/app");
	add_sym(st, 0x1000, "spawn");
	add_sym(st, 0x2000, "worker_main");
	add_sym(st, 0x3000, "spin \"hot\""); /* escaped in names */
	add_sym(st, 0x4000, "main.handle");
	model__feed(m, &pre);
	txn_begin(m, 2000, PID, 10, 1, 1, "GET /a");
	feed(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_THREAD, 2500, PID, 13, 1, 0, 102, 0x1000);
	feed(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_THREAD, 3000, PID, 11, 10, 1, 101, 0x1000);
	feed(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_GOROUTINE, 3500, PID, 12, 10, 1, 7, 0x1000);
	feed(m, WEFT_EV_SAMPLE, WEFT_KIND_THREAD, 4000, 101, 11, 0, 1, 0, 0x3000);
	feed(m, WEFT_EV_SAMPLE, WEFT_KIND_GOROUTINE, 4500, PID, 12, 0, 1, 7, 0x4000);
	feed(m, WEFT_EV_OFFCPU, WEFT_KIND_THREAD, 5000, 101, 11, 0, 1, 400, 0x3000);
	txn_begin(m, 5500, 101, 20, 11, 2, "job");
	feed(m, WEFT_EV_SEG_END, WEFT_KIND_THREAD, 6000, 101, 11, 0, 0, 101, 0);
	feed(m, WEFT_EV_TXN_END, WEFT_KIND_TXN, 6500, 101, 20, 0, 2, 0, 0);
	feed(m, WEFT_EV_TXN_END, WEFT_KIND_TXN, 7000, PID, 10, 0, 1, 0, 0);
	model__finish(m, 20000);
	{
		struct report r = { m, st, &meta, &pt };

		report__perfetto(f, &r);
	}
	fclose(f);
	model__free(m);
	symtab__free(st);
	return buf;
}

static void test_content(void **state)
{
	char *j = export();

	assert_non_null(strstr(j, "\"displayTimeUnit\": \"ns\""));
	assert_non_null(strstr(j, "\"tid\": 0, \"name\": \"process_name\", \"args\": {\"name\": \"app\"}"));
	assert_non_null(strstr(j, "\"tid\": 100, \"name\": \"thread_name\", \"args\": {\"name\": \"main\"}"));
	assert_non_null(strstr(j, "\"args\": {\"name\": \"worker_main\"}"));
	assert_non_null(strstr(j, "\"args\": {\"name\": \"worker_main 101 (lane 2)\"}"));
	assert_non_null(strstr(j, "\"args\": {\"name\": \"goroutine 7\"}"));
	/* times in us from the capture's start (500 ns), to the ns */
	assert_non_null(strstr(j, "\"ph\": \"X\", \"pid\": 100, \"tid\": 100, \"ts\": 1.500, "
				  "\"dur\": 5.000, \"cat\": \"txn\", \"name\": \"GET /a\", \"args\": "
				  "{\"txn\": 1, \"leaked\": 1, \"segments\": 2, \"state\": \"ended\"}"));
	assert_non_null(strstr(j, "\"tid\": 101, \"ts\": 2.500, \"dur\": 3.000, \"cat\": \"segment\", "
				  "\"name\": \"thread worker_main\""));
	/* alive at the end: to the capture's end, with its state */
	assert_non_null(strstr(j, "\"ts\": 3.000, \"dur\": 16.500, \"cat\": \"segment\", "
				  "\"name\": \"goroutine from spawn\""));
	assert_non_null(strstr(j, "\"kind\": \"goroutine\", \"obj\": 7, \"state\": \"leaked\""));
	assert_non_null(strstr(j, "\"kind\": \"thread\", \"obj\": 102, \"state\": \"live\""));
	assert_int_equal(count(j, "\"cat\": \"txn\""), 2);
	assert_int_equal(count(j, "\"cat\": \"segment\""), 4);
	/* a flow per segment with a parent: 10, 11, 12, 13 and job's root 20 */
	assert_int_equal(count(j, "\"ph\": \"s\""), 5);
	assert_int_equal(count(j, "\"ph\": \"f\""), 5);
	assert_int_equal(count(j, "\"bp\": \"e\""), 5);
	assert_non_null(strstr(j, "\"ph\": \"f\", \"pid\": 100, \"tid\": 101, \"ts\": 2.500, "
				  "\"cat\": \"flow\", \"name\": \"created\", \"id\": \"0xb\""));
	/* samples: on-CPU instants on the thread or the goroutine; off-CPU slices */
	assert_non_null(strstr(j, "\"ph\": \"i\", \"pid\": 100, \"tid\": 101, \"ts\": 3.500, "
				  "\"s\": \"t\", \"cat\": \"cpu\", \"name\": \"spin \\\"hot\\\"\""));
	assert_non_null(strstr(j, "\"cat\": \"cpu\", \"name\": \"main.handle\""));
	assert_non_null(strstr(j, "\"ts\": 4.500, \"dur\": 0.400, \"cat\": \"offcpu\""));
	free(j);
}

/* The format's rules, by the runtime tests' checker (python3). */
static void test_rules(void **state)
{
	char *j = export(), path[] = "/tmp/weft-perfetto-XXXXXX", cmd[1024], dir[512];
	const char *slash = strrchr(__FILE__, '/');
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int rc;

	assert_non_null(f);
	fputs(j, f);
	fclose(f);
	free(j);
	if (system("command -v python3 >/dev/null 2>&1")) {
		unlink(path);
		skip(); /* no python3: the substring checks stand alone */
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	snprintf(cmd, sizeof(cmd), "python3 %s/../runtime/trace_event_check.py %s", dir, path);
	rc = system(cmd);
	unlink(path);
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content),
		cmocka_unit_test(test_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
