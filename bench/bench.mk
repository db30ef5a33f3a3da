# bench/bench.mk - `make bench` and `make bench-smoke` (see bench/README.md).
#
# Included by the top-level Makefile; uses its BUILD, LIB, TEST_ENV, CC, GO,
# CARGO and PYTHON, and its targets lib and bundle. Benchmarks run real
# containers on runc (and crun when installed) as root, and never assert a
# wall-clock limit. Included before the Makefile's own rules, it leaves the
# default goal to them.

bench_default_goal := $(.DEFAULT_GOAL)
BUILD ?= build
LIB   ?= $(BUILD)/libexecution.so

BENCH_DIR    := $(BUILD)/bench
BENCH_BIN    := $(BENCH_DIR)/bench
BENCH_GORUNC := $(BENCH_DIR)/gorunc
BENCH_RUST   := $(BENCH_DIR)/cargo/release/execution-bench
BENCH_VENV   := $(BENCH_DIR)/venv
BENCH_PLOT   := docs/bench.png

BENCH_C_SOURCES := $(wildcard bench/c/*.c)

# `make bench`: about 8-12 minutes on 2 cores (5000 containers run at once
# for the scale rows, about 5 GiB of memory).
BENCH_COUNTS := --rounds 120 --throughput 32 3 --calls 1000000 15 --fleet 200 --exec 30 --scale 5000
# `make bench-smoke`: the same drivers with tiny counts, seconds each.
BENCH_SMOKE_COUNTS := --rounds 2 --throughput 2 1 --calls 1000 2 --fleet 3 --exec 2 --scale 3

# bench_run runs every driver with counts $(1) into dir $(2), then the report
# with extra arguments $(3), using the Python $(4).
bench_run = rm -rf $(2)/rows.jsonl $(2)/work && mkdir -p $(2) && \
	$(TEST_ENV) PYTHON=$(PYTHON) $(BENCH_BIN) --out $(2)/rows.jsonl --work $(2)/work $(1) \
		--gorunc $(abspath $(BENCH_GORUNC)) --python $(abspath bench/python/bench.py) \
		--rust $(abspath $(BENCH_RUST)) && \
	$(4) bench/report.py --rows $(2)/rows.jsonl --json $(2)/results.json \
		--markdown $(2)/results.md --setting counts="$(strip $(1))" $(3)

.PHONY: bench bench-smoke bench-drivers bench-rust bench-venv bench-pull

bench: bench-drivers bench-venv bench-pull ## Run the benchmark: build/bench/results.json, docs/bench.png
	$(call bench_run,$(BENCH_COUNTS),$(BENCH_DIR),--plot $(BENCH_PLOT),$$(if [ -f $(BENCH_VENV)/.ok ]; then echo $(BENCH_VENV)/bin/python; else echo $(PYTHON); fi))

# Pull time of the busybox test image from a local registry: pull_image
# against skopeo copy (and podman pull where installed), interleaved.
BENCH_PULL_ROUNDS ?= 20
bench-pull: lib images $(TEST_REGISTRY) ## Time pulls from a local registry against skopeo: build/bench/pull.txt
	@mkdir -p $(BENCH_DIR)
	$(TEST_ENV) PYTHONPATH=$(abspath bindings/python) $(PYTHON) bench/python/pull.py \
		--registry $(abspath $(TEST_REGISTRY)) --images $(abspath $(IMAGES)) \
		--rounds $(BENCH_PULL_ROUNDS) | tee $(BENCH_DIR)/pull.txt

bench-smoke: bench-drivers ## Run the benchmark drivers with tiny counts (CI), no plot
	$(call bench_run,$(BENCH_SMOKE_COUNTS),$(BENCH_DIR)/smoke,,$(PYTHON))

bench-drivers: lib bundle images $(BENCH_BIN) $(BENCH_GORUNC) bench-rust

$(BENCH_BIN): $(BENCH_C_SOURCES) bench/c/bench.h include/execution.h $(LIB)
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude $(BENCH_C_SOURCES) \
		-L$(BUILD) -lexecution -lpthread -Wl,-rpath,$(abspath $(BUILD)) -o $@

$(BENCH_GORUNC): bench/gorunc/main.go go.mod go.sum
	@mkdir -p $(@D)
	$(GO) build -trimpath -o $@ ./bench/gorunc

# Cargo knows when the driver or the binding changed.
bench-rust: lib
	EXECUTION_LIB_DIR=$(abspath $(BUILD)) $(CARGO) build --release --quiet \
		--manifest-path bench/rust/Cargo.toml --target-dir $(BENCH_DIR)/cargo

# matplotlib for the plot, in a venv of its own (Debian's python3 needs its
# python3-venv package for that); without it there is no plot.
bench-venv: $(BENCH_VENV)/.ok

$(BENCH_VENV)/.ok:
	@mkdir -p $(BENCH_DIR)
	@if ! $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null && command -v apt-get >/dev/null; then \
		apt-get install -y -q python3-venv >/dev/null || true; \
	fi
	@if $(PYTHON) -m venv $(BENCH_VENV) && $(BENCH_VENV)/bin/pip install --quiet matplotlib; then \
		touch $@; \
	else \
		echo "bench: could not install matplotlib into $(BENCH_VENV): no plot" >&2; \
	fi

.DEFAULT_GOAL := $(bench_default_goal)
