# weft: one binary, build/weft, with its BPF objects embedded as skeletons.
OUT := build
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
CFLAGS ?= -O2 -g
USER_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard user/*/*.[ch]))))
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation -Werror=implicit-function-declaration \
	  -Iinclude $(addprefix -I,$(USER_DIRS)) -I$(OUT) -D_GNU_SOURCE
# libbpf built by tools/fetch-libbpf.sh (sid's source, static), for
# multi-uprobe links and the kernel's BTF mapped; the system's (1.1) when it
# is not there.
LIBBPF_DIR ?= build/libbpf
LIBBPF_A := $(wildcard $(LIBBPF_DIR)/usr/lib/x86_64-linux-gnu/libbpf.a)
# when it came (dpkg -x keeps the package's old mtimes): objects rebuilt
LIBBPF_STAMP := $(wildcard $(LIBBPF_DIR)/.fetched)
ifneq ($(LIBBPF_A),)
LIBBPF_INC := -I$(LIBBPF_DIR)/usr/include
CFLAGS += $(LIBBPF_INC)
endif
LDLIBS := $(if $(LIBBPF_A),$(LIBBPF_A),-lbpf) -lelf -ldw -lz -lm -lcapstone -lpthread -lstdc++ -lncursesw -lcurl
ARCH := x86

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
# user/STAGE/: core (model, ids, stacks, symbols, sites), record, report,
# binfmt (ELF, symbolization, unwinding, perf maps), capture, go, node, cli.
USER_SRCS := $(wildcard user/*/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
# What loads BPF (includes a skeleton): built after the skeletons.
SKEL_SRCS := $(shell grep -l '\.skel\.h"' $(USER_SRCS))
SKEL_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(SKEL_SRCS))
# The pure core (no libbpf, no skeletons, no capstone): the model, the
# record file, the reports. Unit tests link it, and readers of binaries
# (libweftelf.a: libelf, libdw, capstone), never libbpf.
CORE_OBJS := $(filter $(OUT)/user/core/% $(OUT)/user/record/% $(OUT)/user/report/%,$(USER_OBJS))
ELF_OBJS := $(filter $(OUT)/user/binfmt/% $(OUT)/user/go/% $(OUT)/user/node/%,\
	$(filter-out $(SKEL_OBJS),$(USER_OBJS)))
CORE_LDLIBS := -lz -lm
ELF_LDLIBS := -lelf -ldw -lz -lm -lcapstone -lstdc++
# pure pieces of the command line the unit tests exercise
UNIT_CLI_OBJS := $(OUT)/user/cli/opts.o $(OUT)/user/cli/top_snap.o $(OUT)/user/cli/top_lines.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/unit/%,$(UNIT_SRCS))
TARGET_SRCS := $(wildcard tests/targets/*.c)
TARGET_BINS := $(patsubst tests/targets/%.c,$(OUT)/tests/targets/%,$(TARGET_SRCS))
TARGET_CFLAGS := -O1 -g -fno-omit-frame-pointer -pthread -Iinclude -Wall
BENCH_BINS := $(OUT)/tests/bench/probe_cost $(OUT)/tests/bench/probe_cost_sdt $(OUT)/tests/bench/pool_bench \
	      $(OUT)/tests/bench/model_mem

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps demo test unit runtime bench soak clean fuzz matrix quick install uninstall

all: $(OUT)/weft

deps:
	$(Q)bash tools/install-deps.sh

$(OUT)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(OUT)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.bpf.h) $(wildcard include/weft/*.h) $(OUT)/vmlinux.h $(LIBBPF_STAMP)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -I$(OUT) -Ibpf $(LIBBPF_INC) -I/usr/include/x86_64-linux-gnu \
		-c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUT)/user/%.o: user/%.c $(wildcard user/*/*.h) include/weft/events.h $(LIBBPF_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(SKEL_OBJS): $(BPF_SKELS)

$(OUT)/libweftcore.a: $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/libweftelf.a: $(ELF_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/weft: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# A unit test links the core and the binary readers (archives: only what it
# uses), never libbpf: `make unit` needs no clang, bpftool or BTF. The
# tests' shared headers (fixtures, event builders) rebuild every test.
UNIT_HDRS := $(wildcard tests/unit/*.h)
$(OUT)/tests/unit/%: tests/unit/%.c $(UNIT_CLI_OBJS) $(OUT)/libweftelf.a $(OUT)/libweftcore.a \
		$(UNIT_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(filter-out %.h,$^) $(ELF_LDLIBS) -lcmocka -o $@

# the agent's exporter (libcurl) besides
$(OUT)/tests/unit/test_otlp_export: tests/unit/test_otlp_export.c $(OUT)/user/export/otlp_http.o \
		$(UNIT_CLI_OBJS) $(OUT)/libweftelf.a $(OUT)/libweftcore.a $(UNIT_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(filter-out %.h,$^) $(ELF_LDLIBS) -lcurl -lpthread -lcmocka -o $@

# The core alone, every member linked: an undefined symbol (libbpf's, a
# capture file's) that sneaks into it fails here.
$(OUT)/tests/unit/core_alone: $(OUT)/libweftcore.a
	$(call msg,CHECK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)printf 'int main(void) { return 0; }\n' > $@.c
	$(Q)$(CC) $@.c -Wl,--whole-archive $(OUT)/libweftcore.a -Wl,--no-whole-archive \
		$(CORE_LDLIBS) -o $@

$(OUT)/tests/targets/uvpool: tests/targets/uvpool.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(TARGET_CFLAGS) $< /usr/lib/x86_64-linux-gnu/libuv_a.a -ldl -o $@

$(OUT)/tests/targets/%: tests/targets/%.c $(wildcard tests/targets/*.h) include/weft/weft.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(TARGET_CFLAGS) $< -o $@

$(OUT)/tests/bench/probe_cost: tests/bench/probe_cost.c include/weft/weft.h
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -g -Iinclude $< -o $@

$(OUT)/tests/bench/probe_cost_sdt: tests/bench/probe_cost.c
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -g -Iinclude -DUSE_SDT $< -o $@

unit: $(UNIT_BINS) $(OUT)/tests/unit/core_alone
	$(Q)for t in $(UNIT_BINS); do ! ldd $$t | grep -q libbpf || \
		{ echo "unit: $$t links libbpf: unit tests link the core and readers only"; exit 1; }; done
	$(Q)fail=0; for t in $(UNIT_BINS); do WEFT_GOCACHE=$(abspath $(OUT))/gocache $$t || fail=$$((fail + 1)); \
		done; echo "unit: $(words $(UNIT_BINS)) binaries ran, $$fail failed"; [ $$fail -eq 0 ]

# Go test programs first, built once for every version (the tests copy them).
# One test at a time (42 minutes here); TEST_JOBS=2 runs two, longest first
# (about 20), for iterating: a few timing checks are not yet robust to it.
TEST_JOBS ?= 1
runtime: $(OUT)/weft $(TARGET_BINS)
	$(Q)$(MAKE) --no-print-directory go-targets
	$(Q)bash tools/build-grpc-greeter.sh
	$(Q)bash tools/build-otelcol.sh
	$(Q)WEFT_TEST_JOBS=$(TEST_JOBS) bash tests/runtime/run.sh

# For iterating: the oldest and newest Go and Node only (the whole matrix is
# make test's).
quick: export WEFT_GO_VERSIONS = oldest newest
quick: export WEFT_NODE_VERSIONS = oldest newest
quick: all $(TARGET_BINS)
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory runtime

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory runtime

# The README's version matrix from what the last `make test` ran.
matrix:
	$(Q)python3 tools/version-matrix.py --readme

demo: deps
	$(Q)$(MAKE) --no-print-directory all $(OUT)/tests/targets/server
	$(Q)bash tools/demo.sh

# Every section of tools/bench/ (JSON in build/bench/), then BENCHMARKS.md
# from it. `make bench ONLY=4b` (or ONLY=1,7, ids in tools/bench.sh): those
# sections alone, BENCHMARKS.md rewritten with the others' JSON kept.
bench: deps
	$(Q)$(MAKE) --no-print-directory all $(TARGET_BINS) $(BENCH_BINS)
	$(Q)bash tools/bench.sh $(ONLY)

# Ten minutes of weft trace and weft top on busy Go and Node servers: memory
# over time into BENCHMARKS.md (section 8; SOAK_SECS=... for another length)
soak: deps
	$(Q)$(MAKE) --no-print-directory all $(TARGET_BINS)
	$(Q)$(MAKE) --no-print-directory go-targets
	$(Q)bash tools/bench.sh 8

# Every parser of target input under libFuzzer + ASan, a fixed time each
# (FUZZ_SECS): the record reader, seeded with a real recording; the Go and
# Node binary readers, seeded with the Go test programs and each node
# reduced to what nodeelf reads (node_seed); the perf map reader, seeded
# with a map node wrote.
FUZZ_SECS ?= 60
comma := ,
FUZZ_FLAGS := -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address -Iinclude $(addprefix -I,$(USER_DIRS))
# the binary readers and what they use (no libbpf, no skeletons)
FUZZ_ELF_SRCS := $(filter user/binfmt/% user/go/% user/node/% user/core/%,\
	$(filter-out $(SKEL_SRCS),$(USER_SRCS)))
fuzz: $(OUT)/weft $(OUT)/tests/targets/server $(OUT)/libweftelf.a
	$(Q)mkdir -p $(OUT)/fuzz-corpus $(OUT)/fuzz-goelf $(OUT)/fuzz-nodeelf $(OUT)/fuzz-perfmap
	$(Q)$(CC) $(CFLAGS) tests/fuzz/node_seed.c $(OUT)/libweftelf.a $(ELF_LDLIBS) -o $(OUT)/node_seed
	$(Q)$(CLANG) $(FUZZ_FLAGS) \
		tests/fuzz/fuzz_record.c user/record/record_*.c user/core/symtab.c -o $(OUT)/fuzz_record
	$(Q)rm -rf $(OUT)/fuzz-obj && mkdir -p $(OUT)/fuzz-obj
	$(Q)for s in $(FUZZ_ELF_SRCS); do \
		$(CLANG) $(subst fuzzer$(comma),fuzzer-no-link$(comma),$(FUZZ_FLAGS)) -c $$s \
			-o $(OUT)/fuzz-obj/$$(echo $$s | tr / _).o || exit 1; done
	$(Q)ar rcs $(OUT)/fuzz-obj/libweftelf.a $(OUT)/fuzz-obj/*.o
	$(Q)for t in goelf nodeelf perfmap; do \
		$(CLANG) $(FUZZ_FLAGS) tests/fuzz/fuzz_$$t.c $(OUT)/fuzz-obj/libweftelf.a $(ELF_LDLIBS) \
			-o $(OUT)/fuzz_$$t || exit 1; done
	$(Q)[ -s $(OUT)/fuzz-corpus/seed.weft ] || $(OUT)/weft record -o $(OUT)/fuzz-corpus/seed.weft \
		--txn handle_request -- $(OUT)/tests/targets/server 2 2>/dev/null
	$(Q)bash tools/fuzz-seeds.sh $(OUT)
	$(Q)rm -rf $(OUT)/fuzz-logs && mkdir -p $(OUT)/fuzz-logs
	$(Q)for t in record goelf nodeelf perfmap; do \
		dir=$(OUT)/fuzz-$$t; [ $$t = record ] && dir=$(OUT)/fuzz-corpus; \
		echo "fuzz: $$t, $(FUZZ_SECS) s"; \
		$(OUT)/fuzz_$$t -max_total_time=$(FUZZ_SECS) -max_len=16777216 -rss_limit_mb=4096 \
			$$dir >$(OUT)/fuzz-logs/$$t.log 2>&1; rc=$$?; tail -n 2 $(OUT)/fuzz-logs/$$t.log; \
		[ $$rc = 0 ] || { echo "fuzz: $$t failed: $(OUT)/fuzz-logs/$$t.log"; exit 1; }; done
	$(Q)python3 tools/bench/fuzz_json.py $(OUT)/fuzz-logs $(FUZZ_SECS) build/bench/fuzz.json
	$(Q)python3 tools/bench/write_benchmarks.py --json-dir build/bench -o BENCHMARKS.md

# As perf and bpftrace install: the binary, its man page, and the markers'
# header for applications that mark their own points.
PREFIX ?= /usr/local
install: $(OUT)/weft
	install -D -m 0755 $(OUT)/weft $(DESTDIR)$(PREFIX)/bin/weft
	install -D -m 0644 doc/weft.8 $(DESTDIR)$(PREFIX)/share/man/man8/weft.8
	install -D -m 0644 include/weft/weft.h $(DESTDIR)$(PREFIX)/include/weft/weft.h

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/weft $(DESTDIR)$(PREFIX)/share/man/man8/weft.8 \
		$(DESTDIR)$(PREFIX)/include/weft/weft.h

clean:
	rm -rf $(OUT)

# tools/bench/'s thread-pool throughput target (built like the test targets).
# the model alone, its heap per continuation and per transaction
$(OUT)/tests/bench/model_mem: tests/bench/model_mem.c $(OUT)/libweftcore.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@

$(OUT)/tests/bench/pool_bench: tests/bench/pool_bench.c tests/targets/common.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(TARGET_CFLAGS) $< -o $@

# Go test targets: every tests/go/*.go built with every installed Go
# (tools/go-versions.sh) into $(OUT)/tests/go/1.NN/NAME, and stripped
# (-ldflags='-s -w') into NAME.stripped. A file whose first line is
# `//go:build go1.NN` is skipped by older toolchains. Static (CGO_ENABLED=0),
# except a file with an `import "C"` line (a cgo program: gocgo.go), built
# with CGO_ENABLED=1 (needs gcc; linked dynamically against libc). GOPATH
# mode (single files, no modules), GOPATH=tests/go for the helpers they share
# (tests/go/src/weft/testlib), caches under $(OUT) (works as root with HOME
# unset). Only binaries older than their source, the helpers or the
# toolchain are rebuilt; toolchains build in parallel.
GO_OUT := $(abspath $(OUT))
GO_TESTLIB := tests/go/src/weft/testlib/testlib.go
.PHONY: go-targets
go-targets:
	$(Q)vers=$$(bash tools/go-versions.sh); \
	if [ -z "$$vers" ]; then echo "no Go toolchain: skipped"; exit 0; fi; \
	unset GOROOT GOPATH GOBIN GOFLAGS; \
	export GOCACHE=$(GO_OUT)/gocache GOPATH=$(abspath tests/go) GOENV=off GOFLAGS= \
		GO111MODULE=off GOTOOLCHAIN=local CGO_ENABLED=0; \
	set -- $$vers; pids=""; \
	while [ $$# -ge 2 ]; do \
		v=$$1; go=$$2; shift 2; \
		( out=$(OUT)/tests/go/$$v; mkdir -p $$out || exit 1; \
		  for src in tests/go/*.go; do \
			[ -f "$$src" ] || continue; \
			name=$$(basename "$$src" .go); \
			need=$$(sed -n '1s|^//go:build go1\.\([0-9][0-9]*\)[[:space:]]*$$|\1|p' "$$src"); \
			if [ -n "$$need" ] && [ "$${v#1.}" -lt "$$need" ]; then continue; fi; \
			cgo=0; grep -q '^import "C"' "$$src" && cgo=1; \
			for bin in $$out/$$name $$out/$$name.stripped; do \
				[ "$$bin" -nt "$$src" ] && [ "$$bin" -nt $(GO_TESTLIB) ] && [ "$$bin" -nt "$$go" ] && continue; \
				printf '  %-8s %s\n' "GO$$v" "$$bin"; \
				case $$bin in \
				*.stripped) CGO_ENABLED=$$cgo "$$go" build -buildvcs=false -ldflags='-s -w' -o "$$bin.tmp" "$$src" ;; \
				*) CGO_ENABLED=$$cgo "$$go" build -buildvcs=false -o "$$bin.tmp" "$$src" ;; \
				esac && mv -f "$$bin.tmp" "$$bin" || { rm -f "$$bin.tmp"; exit 1; }; \
			done; \
		  done ) & \
		pids="$$pids $$!"; \
	done; \
	fail=0; for p in $$pids; do wait $$p || fail=1; done; exit $$fail
