# qingfeng: build, test, run. `make test` and `make run` do every set-up step
# themselves (tools/install-deps.sh installs missing Debian packages).
#
#   make              build everything into build/
#   make test         install, build, run unit + integration + short fault
#                     (tests/chaos) + short fuzz tests
#   make test SANITIZE=1   the same under AddressSanitizer + UBSan (build/san/)
#   make run          install, build what a deployment runs, start and
#                     supervise every service on loopback (tools/qf-run.sh)
#   make chaos        the whole-system fault test, long (tests/chaos/)
#   make fresh-machine-test  make run, demo, test in a pristine Debian 12 container
#   make bench-bus    backbone benchmark beside raw ZeroMQ (not a test)
#   make bench        every benchmark, then docs/BENCHMARKS.md (BENCH_QUICK=1: minutes;
#                     BENCH_VS=DIR: disclosure also paired against that build)
#   make bench-report docs/BENCHMARKS.md again from the last run's outputs
#   make fuzz         longer fuzzing runs
#   make format / format-check
#   make settings-doc docs/SETTINGS.md from the services' settings tables
#   make privacy-doc  docs/PRIVACY.md's field table from events.proto
#   make security-doc docs/SECURITY.md's access-policy table (qfctl policy)

SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD ?= build
SANFLAGS :=
else
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CC ?= cc
PYTHON ?= /usr/bin/python3
PKGS := libzmq libprotobuf-c lmdb libconfig libmicrohttpd jansson libsodium libcurl libqrencode
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN := -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) -pthread \
	-Icommon -I$(BUILD)/gen $(PKG_CFLAGS) -MMD -MP $(EXTRA_INC)
LDFLAGS_ALL = $(SANFLAGS) -pthread
# libunistring (NFKC, character properties for qf_norm) has no pkg-config file
LIBS = $(PKG_LIBS) -lunistring -lm

PROTOS := $(wildcard proto/qingfeng/v1/*.proto)
PROTO_C := $(patsubst proto/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
PROTO_H := $(PROTO_C:.c=.h)
COMMON_SRC := $(wildcard common/*.c)
# the visibility table of every event field, read from events.proto
VIS_C := $(BUILD)/gen/qf_visibility.c
COMMON_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(COMMON_SRC)) \
	$(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(PROTO_C)) \
	$(BUILD)/obj/gen/qf_visibility.o
LIBQF := $(BUILD)/lib/libqfcommon.a

# services/<dir> -> build/bin/<binary>
SVC_DIRS := $(patsubst services/%/main.c,%,$(wildcard services/*/main.c))
svc_bin = $(if $(filter disclosure-publisher,$(1)),qf-disclosure,qf-$(1))
SVC_BINS := $(foreach d,$(SVC_DIRS),$(BUILD)/bin/$(call svc_bin,$(d)))
TOOL_DIRS := $(patsubst tools/%/main.c,%,$(wildcard tools/*/main.c))
TOOL_BINS := $(foreach d,$(TOOL_DIRS),$(BUILD)/bin/$(d))
TEST_TOOL_SRC := $(wildcard tests/tools/*.c)
TEST_TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/bin/%,$(TEST_TOOL_SRC))
UNIT_SRC := $(wildcard tests/unit/*_test.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
# a service's unit tests (tests/unit/<service>/*_test.c) link the service's
# modules except main.c
SVC_UNIT_SRC := $(wildcard $(foreach d,$(SVC_DIRS),tests/unit/$(d)/*_test.c))
UNIT_BINS += $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(SVC_UNIT_SRC))
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all bin deps deps-test deps-bench test test-unit test-integration \
	test-fuzz test-chaos chaos run demo fuzz clean format format-check container-test \
	fresh-machine-test settings-doc \
	privacy-doc security-doc
.DEFAULT_GOAL := all

all: $(LIBQF) $(SVC_BINS) $(TOOL_BINS) $(TEST_TOOL_BINS) $(UNIT_BINS)

# only what a deployment runs (the container image builds this)
bin: $(SVC_BINS) $(TOOL_BINS)

deps:
	@tools/install-deps.sh build
deps-test:
	@tools/install-deps.sh test
	@tools/install-test-js.sh
deps-bench:
	@tools/install-deps.sh bench
	@tools/install-test-js.sh

# ---------------------------------------------------------------- generation
$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto $(PROTOS)
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -Iproto $<

$(VIS_C): proto/qingfeng/v1/events.proto tools/gen/visibility.awk
	@mkdir -p $(BUILD)/gen
	awk -v out=c -f tools/gen/visibility.awk $< > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/qf_visibility.o: $(VIS_C) $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# a service's unit tests include the service's own headers
$(BUILD)/obj/tests/unit/%.o: EXTRA_INC = -Iservices/$(firstword $(subst /, ,$(patsubst $(BUILD)/obj/tests/unit/%,%,$@)))

# every object may include generated headers
$(BUILD)/obj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-unused-parameter -c $< -o $@

$(LIBQF): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# ---------------------------------------------------------------- programs
define SVC_RULE
$(BUILD)/bin/$(call svc_bin,$(1)): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard services/$(1)/*.c)) $(LIBQF)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $$(LIBS)
endef
$(foreach d,$(SVC_DIRS),$(eval $(call SVC_RULE,$(d))))

define TOOL_RULE
$(BUILD)/bin/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/$(1)/*.c)) $(LIBQF)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $$(LIBS)
endef
$(foreach d,$(TOOL_DIRS),$(eval $(call TOOL_RULE,$(d))))

$(BUILD)/bin/%: $(BUILD)/obj/tests/tools/%.o $(LIBQF)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

define SVC_UNIT_RULE
$(BUILD)/tests/$(1)/%: $(BUILD)/obj/tests/unit/$(1)/%.o $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out services/$(1)/main.c,$(wildcard services/$(1)/*.c))) $(LIBQF)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $$(LIBS) -lcmocka
endef
$(foreach d,$(SVC_DIRS),$(eval $(call SVC_UNIT_RULE,$(d))))

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBQF)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS) -lcmocka

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIBQF)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# ---------------------------------------------------------------- tests
test: deps-test
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory test-unit test-integration test-chaos $(if $(SANITIZE),,test-fuzz)

test-unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

test-integration: all
	QF_BUILD=$(BUILD) QF_SANITIZE=$(SANITIZE) $(PYTHON) -m unittest discover -s tests/integration -t . -p 'test_*.py' $(if $(V),-v)

# the fault tests (tests/chaos/): short in `make test`, long in `make chaos`
# (the issue's figures: 40-50 submissions/s, a fault every 2-5 s, 165 s)
test-chaos: all
	QF_BUILD=$(BUILD) QF_SANITIZE=$(SANITIZE) $(PYTHON) -m unittest discover -s tests/chaos -t . -p 'test_*.py' $(if $(V),-v)
CHAOS_SECONDS ?= 165
CHAOS_RATE ?= 40-50
chaos: deps-test
	@$(MAKE) --no-print-directory all
	QF_BUILD=$(BUILD) QF_SANITIZE=$(SANITIZE) QF_CHAOS_SECONDS=$(CHAOS_SECONDS) \
		QF_CHAOS_RATE=$(CHAOS_RATE) $(PYTHON) -m unittest -v tests.chaos.test_chaos

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
test-fuzz:
	@tests/fuzz/run.sh short $(FUZZ_TARGETS)
fuzz: deps-test
	@tests/fuzz/run.sh long $(FUZZ_TARGETS)

# ---------------------------------------------------------------- running
# only what a deployment runs (`bin`: no unit tests, no cmocka), only the
# build profile's packages; qf-run.sh restarts a service that dies
run: deps
	@$(MAKE) --no-print-directory bin
	@tools/qf-run.sh $(BUILD)

demo:
	@$(PYTHON) tools/demo.py

# builds the image here (making the base image offline if needed), runs the
# stack in a pod, checks a petition end to end, tears everything down
container-test: deps
	@tools/install-deps.sh container
	@docker/container-test.sh

# the README's commands on a pristine Debian 12 container from a clean clone
# of HEAD: make run until ready, make demo, then QF_FRESH_TEST (make test)
fresh-machine-test: deps
	@tools/install-deps.sh container
	@docker/fresh-machine-test.sh

# ---------------------------------------------------------------- benchmarks
# each benchmark is bench/bench-<name>.sh BUILD (C helpers: bench/*.c)
BENCHES := bus intake router notifier disclosure audit e2e memory
.PHONY: bench bench-report $(addprefix bench-,$(BENCHES))
$(addprefix bench-,$(BENCHES)): bench-%: deps-bench
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@bench/bench-$*.sh $(BUILD)

# every benchmark into $(BENCH_OUT), then the report (docs/BENCHMARKS.md and
# its plots in docs/bench/). About 35 minutes on 2 cores; BENCH_QUICK=1 runs
# each with small sizes and short durations (a few minutes). A benchmark that
# fails is reported as missing, the others still run.
BENCH_OUT ?= $(BUILD)/bench-out
BENCH_INTAKE_CONNS ?= 8 32 128
bench: deps-bench
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@rm -rf $(BENCH_OUT) && mkdir -p $(BENCH_OUT)
	@BENCH_OUT=$(abspath $(BENCH_OUT)) BUILD=$(BUILD) QUICK=$(BENCH_QUICK) \
		CONNS="$(BENCH_INTAKE_CONNS)" BENCH_VS="$(BENCH_VS)" bench/bench-all.sh
	@$(MAKE) --no-print-directory bench-report

# docs/BENCHMARKS.md and docs/bench/*.svg from the last `make bench` run's
# outputs in $(BENCH_OUT), without running anything again
bench-report:
	@test -f $(BENCH_OUT)/meta.json || { echo "bench-report: no run in $(BENCH_OUT) (make bench)" >&2; exit 1; }
	@$(PYTHON) bench/report.py $(BENCH_OUT) docs/BENCHMARKS.md docs/bench
	@echo "bench: wrote docs/BENCHMARKS.md"

# ---------------------------------------------------------------- docs
# docs/SETTINGS.md from the services' settings tables (a test checks it)
privacy-doc:
	@tools/gen/privacy-doc.sh

security-doc: $(BUILD)/bin/qfctl
	@tools/gen/security-doc.sh $(BUILD)

settings-doc: bin
	@$(PYTHON) tools/gen-settings.py $(BUILD)

# ---------------------------------------------------------------- hygiene
format:
	clang-format -i $(COMMON_SRC) common/*.h $(wildcard services/*/*.[ch] tools/*/*.[ch] tests/unit/*.c tests/tools/*.c tests/fuzz/*.c bench/*.c)
format-check:
	clang-format --dry-run --Werror $(COMMON_SRC) common/*.h $(wildcard services/*/*.[ch] tools/*/*.[ch] tests/unit/*.c tests/tools/*.c tests/fuzz/*.c bench/*.c)

clean:
	rm -rf build

.SECONDARY:
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
