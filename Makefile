# libexecution - `make help` lists the targets.
#
# Everything is built into build/. The test targets run real containers on
# runc and need root.

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR    ?=

GO     ?= go
CC     ?= cc
PYTHON ?= python3
CARGO  ?= cargo

BUILD   := build
LIB     := $(BUILD)/libexecution.so
ARCHIVE := $(BUILD)/libexecution.a
VERSION := $(shell sed -n 's/^\#define EXEC_VERSION "\(.*\)"$$/\1/p' include/execution.h)
# Before 1.0 each minor release may change the ABI, so it has a SONAME of its
# own (libexecution.so.0.3), as libgit2 does: the loader refuses a program
# built against another minor. From 1.0 on, the major alone.
SONAME  := libexecution.so.$(shell echo $(VERSION) | awk -F. '{ print ($$1 == 0) ? $$1 "." $$2 : $$1 }')
PC      := $(BUILD)/execution.pc
BUNDLE  := $(BUILD)/bundle
ROOTFS  := $(BUNDLE)/rootfs
IMAGES  := $(BUILD)/images
C_TEST  := $(BUILD)/tests/c/test_execution
DEMO    := $(BUILD)/examples/demo
IMAGE_EXAMPLE := $(BUILD)/examples/image
PULL_EXAMPLE := $(BUILD)/examples/pull
SUPERVISOR_EXAMPLE := $(BUILD)/examples/supervisor
POOL_EXAMPLE := $(BUILD)/examples/pool
DEMO_BUNDLE := $(BUILD)/demo-bundle
PROBE   := $(BUILD)/tests/probe
PROBE_ROOTFS := $(BUILD)/probe-bundle/rootfs
# The local registry the C, Python and Rust pull tests start, with the test
# image pushed (runtime/internal/testregistry).
TEST_REGISTRY := $(BUILD)/tests/test-registry
ROOTLESS_USER ?= exectest
# The interpreter the rootless Python suite runs under as ROOTLESS_USER, who
# cannot reach an interpreter of root's own (a pyenv under /root).
ROOTLESS_PYTHON ?= /usr/bin/python3
STAGE   := $(BUILD)/stage
WHEEL_DIR := $(BUILD)/wheel
PY_PACKAGE := $(wildcard bindings/python/execution/*.py) bindings/python/execution/py.typed \
	bindings/python/pyproject.toml bindings/python/setup.py bindings/python/README.md

MONITOR := $(BUILD)/execution-monitor
MONITOR_SOURCES := monitor/monitor.c monitor/cgroup.c monitor/protocol.h monitor/cgroup.h
CFLAGS_MONITOR := -std=c11 -O2 -Wall -Wextra -Werror
# The exec agent runs inside containers, on whatever rootfs they have:
# static, stripped.
AGENT := $(BUILD)/execution-agent
AGENT_SOURCES := monitor/agent.c monitor/agent.h

# The image helper, a Go program of its own that makes bundles from images,
# pulls and tends the layer cache, so that the host never loads that code
# (runtime/internal/imagehelper): static, stripped, embedded as the monitor.
IMAGE_HELPER := $(BUILD)/execution-image
IMAGE_HELPER_SOURCES := go.mod go.sum \
	$(filter-out %_test.go,$(wildcard runtime/*.go runtime/*/*.go runtime/*/*/*.go runtime/*/*/*/*.go))

# capi/monitor.go embeds capi/execution-monitor, which is never a file of the
# tree: every go command reads it through this overlay from the monitor this
# build made, so no program built elsewhere can be carried along; so do
# capi/agent.go with capi/execution-agent and capi/image_helper.go with
# capi/execution-image.
OVERLAY := $(BUILD)/monitor-overlay.json
GOFLAGS_BUILD := -overlay=$(abspath $(OVERLAY))

GO_SOURCES := go.mod go.sum include/execution.h capi/exports.map $(MONITOR) $(AGENT) $(IMAGE_HELPER) $(OVERLAY) \
	$(wildcard capi/*.go capi/*.c capi/*.h) \
	$(filter-out %_test.go,$(wildcard runtime/*.go runtime/*/*.go runtime/*/*/*.go))
C_TEST_SOURCES := $(wildcard tests/c/*.c)
C_TEST_HEADERS := $(wildcard tests/c/*.h)

# Go's build cache does not hash headers outside a package's dir, so a
# changed include/execution.h would leave capi's C parts as they were; its
# hash in the C flags makes every change of it a new build.
# A make run by a test inside another passes its own sum on.
CGO_CFLAGS_LIB := $(filter-out -DEXEC_HEADER_SUM=%,$(or $(CGO_CFLAGS),-O2 -g)) \
	-DEXEC_HEADER_SUM=$(shell cksum < include/execution.h | cut -d' ' -f1)

# The version script keeps every symbol but the exec_* API local; cgo's
# #cgo LDFLAGS allowlist rejects it, so it goes to the external linker here.
# Packed relative relocations (DT_RELR) where the toolchain has them: the
# library's relative relocations as a 9 KiB bitmap instead of a 600 KiB table
# the loader reads into every host that loads it. glibc 2.36 or newer loads
# such a library; RELR=no builds one for an older glibc.
RELR ?= $(shell printf 'int x;' | $(CC) -shared -fPIC -Wl,-z,pack-relative-relocs -x c - -o /dev/null 2>/dev/null && echo yes || echo no)
comma := ,
LDFLAGS_RELR := $(if $(filter yes,$(RELR)),-Wl$(comma)-z$(comma)pack-relative-relocs)
GO_LDFLAGS := -extldflags '-Wl,-soname,$(SONAME) -Wl,--version-script=$(abspath capi/exports.map) $(LDFLAGS_RELR)'

# The system libraries the Go packages linked into the library need (cgo's
# LDFLAGS of every dependency): Libs.private of execution.pc, for static links.
LIBS_PRIVATE = $(shell $(GO) list -e -deps -f '{{join .CgoLDFLAGS " "}}' ./capi | \
	tr ' ' '\n' | grep '^-l' | sort -u | tr '\n' ' ')

CFLAGS_TEST := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude
LDLIBS_TEST := -L$(BUILD) -lexecution -lpthread

# The C groups with exec tests, which test-c runs again with every exec a
# runtime call (no exec agent).
EXEC_GROUPS := exec. events. handles. promises. workload. hardened. host.

# The environment every test suite and the demo run in.
TEST_ENV := EXEC_TEST_ROOTFS=$(abspath $(ROOTFS)) \
	EXEC_TEST_MONITOR=$(abspath $(MONITOR)) \
	EXEC_TEST_AGENT=$(abspath $(AGENT)) \
	EXEC_TEST_IMAGE_HELPER=$(abspath $(IMAGE_HELPER)) \
	EXEC_TEST_IMAGES=$(abspath $(IMAGES)) \
	EXEC_TEST_PROBE_ROOTFS=$(abspath $(PROBE_ROOTFS)) \
	EXEC_TEST_REGISTRY=$(abspath $(TEST_REGISTRY)) \
	EXEC_TEST_PULL_EXAMPLE=$(abspath $(PULL_EXAMPLE)) \
	EXECUTION_LIBRARY=$(abspath $(LIB)) \
	EXECUTION_LIB_DIR=$(abspath $(BUILD)) \
	LD_LIBRARY_PATH=$(abspath $(BUILD))$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}

.PHONY: stress all lib monitor agent image-helper static pc bundle images probe test-registry deps reset-machine check-exports vet test test-go \
	shim test-shim bench-shim \
	test-rootless \
	test-c test-python test-rust test-static wheel test-wheel check-crates docs demo install \
	uninstall clean help

all: lib pc ## Build build/libexecution.so and build/execution.pc (default)

lib: $(LIB) ## Build build/libexecution.so (SONAME libexecution.so.MAJOR.MINOR before 1.0)

# The monitor program, embedded into the library (capi/monitor.go).
$(MONITOR): $(MONITOR_SOURCES)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_MONITOR) -pthread -o $@ $(filter %.c,$(MONITOR_SOURCES))

$(AGENT): $(AGENT_SOURCES)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_MONITOR) -static -s -o $@ monitor/agent.c

# Rewritten when what it says changes, untouched otherwise.
$(IMAGE_HELPER): $(IMAGE_HELPER_SOURCES)
	@mkdir -p $(@D)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $@ ./runtime/image/cmd/execution-image

$(OVERLAY): $(MONITOR) $(AGENT) $(IMAGE_HELPER) FORCE
	@printf '{"Replace":{"%s":"%s","%s":"%s","%s":"%s","%s":"%s"}}\n' \
		$(abspath capi/execution-monitor) $(abspath $(MONITOR)) \
		$(abspath capi/execution-agent) $(abspath $(AGENT)) \
		$(abspath capi/execution-image) $(abspath $(IMAGE_HELPER)) \
		$(abspath shim/execution-monitor) $(abspath $(MONITOR)) > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

monitor: $(MONITOR) ## Build the monitor program (embedded into the library)

agent: $(AGENT) ## Build the exec agent (static, embedded into the library)

image-helper: $(IMAGE_HELPER) ## Build the image helper (static, embedded into the library)

static: $(ARCHIVE) ## Build build/libexecution.a, the same library for static links

# The shared and the static library are one Go build in two modes; what one
# needs (sources, embedded files) the other needs too. Go writes a header of
# its own beside each, which ours replaces. The Rust crate execution-sys
# carries what this build reads as links in bindings/rust/execution-sys/
# libexecution/, for its bundled feature: a new source dir needs a link there.
$(LIB): $(GO_SOURCES)
	@mkdir -p $(BUILD)
	CGO_CFLAGS="$(CGO_CFLAGS_LIB)" $(GO) build $(GOFLAGS_BUILD) -buildmode=c-shared -trimpath -ldflags "$(GO_LDFLAGS)" -o $@ ./capi
	@rm -f $(BUILD)/libexecution.h
	ln -sf libexecution.so $(BUILD)/$(SONAME)

$(ARCHIVE): $(GO_SOURCES)
	@mkdir -p $(BUILD)
	CGO_CFLAGS="$(CGO_CFLAGS_LIB)" $(GO) build $(GOFLAGS_BUILD) -buildmode=c-archive -trimpath -o $@ ./capi
	@rm -f $(BUILD)/libexecution.h

pc: $(PC) ## Build build/execution.pc for PREFIX

# Rewritten when PREFIX or the version changes, untouched otherwise.
$(PC): scripts/execution.pc.in FORCE
	@mkdir -p $(BUILD)
	@$(call pc_from_template,$@.tmp)
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# pc_from_template writes execution.pc for PREFIX, LIBDIR and INCLUDEDIR to $(1).
pc_from_template = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	-e 's|@LIBS_PRIVATE@|$(strip $(LIBS_PRIVATE))|' \
	scripts/execution.pc.in > $(1)

FORCE:

deps: ## Set up what the tests need where missing: packages, pytest and mypy, the test user (as root)
	@PYTHON="$(PYTHON)" ROOTLESS_PYTHON="$(ROOTLESS_PYTHON)" ROOTLESS_USER="$(ROOTLESS_USER)" \
		scripts/install-deps.sh

reset-machine: ## Undo what make deps set up on this machine (as root), as CI does first
	scripts/reset-machine.sh

bundle: $(ROOTFS)/bin/busybox ## Build the busybox test rootfs in build/bundle/rootfs

$(ROOTFS)/bin/busybox: scripts/make-bundle.sh | deps
	scripts/make-bundle.sh $(BUNDLE)

images: $(IMAGES)/busybox/index.json ## Build the test images (OCI layout, docker archive, malicious layers) in build/images

$(IMAGES)/busybox/index.json: scripts/make-image.py $(ROOTFS)/bin/busybox
	rm -rf $(IMAGES)
	$(PYTHON) scripts/make-image.py $(ROOTFS) $(IMAGES)

test-registry: $(TEST_REGISTRY) ## Build the helper the pull tests start a local registry with

$(TEST_REGISTRY): go.mod go.sum $(wildcard runtime/internal/testregistry/*.go runtime/internal/testregistry/cmd/test-registry/*.go)
	@mkdir -p $(@D)
	$(GO) build -o $@ ./runtime/internal/testregistry/cmd/test-registry

# A static program that tries, inside a container, what a hardened config
# must stop (tests/probe/probe.c), in a copy of the busybox rootfs with a
# setuid-root copy of it beside.
$(PROBE): tests/probe/probe.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -o $@ $<

probe: $(PROBE_ROOTFS)/bin/probe-suid ## Build the probe rootfs the hardened tests run (build/probe-bundle/rootfs)

$(PROBE_ROOTFS)/bin/probe-suid: $(PROBE) scripts/make-bundle.sh | deps
	scripts/make-bundle.sh $(BUILD)/probe-bundle
	install -m 0755 $(PROBE) $(PROBE_ROOTFS)/bin/probe
	install -m 4755 $(PROBE) $(PROBE_ROOTFS)/bin/probe-suid

# The demo's own bundle: it writes its config.json there on first run.
$(DEMO_BUNDLE)/rootfs/bin/busybox: scripts/make-bundle.sh | deps
	scripts/make-bundle.sh $(DEMO_BUNDLE)

check-exports: $(LIB) ## Check that the library exports exactly the header's functions
	CC="$(CC)" scripts/check-exports.sh $(LIB) include/execution.h

vet: $(OVERLAY) ## Run go vet on every package
	$(GO) vet $(GOFLAGS_BUILD) ./...

test: deps lib bundle check-exports vet test-go test-c test-python test-rust test-rootless test-shim ## Run every check and test suite

test-go: deps bundle images $(OVERLAY) ## Run the Go tests of runtime/, also with -race
	$(TEST_ENV) $(GO) test -count=1 ./runtime/...
	$(TEST_ENV) $(GO) test -count=1 -race ./runtime/...

$(C_TEST): $(C_TEST_SOURCES) $(C_TEST_HEADERS) include/execution.h $(LIB)
	@test -n "$(C_TEST_SOURCES)" || { echo "no C tests in tests/c" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_TEST) $(C_TEST_SOURCES) $(LDLIBS_TEST) -o $@

test-c: deps $(C_TEST) $(IMAGE_EXAMPLE) $(PULL_EXAMPLE) $(SUPERVISOR_EXAMPLE) $(POOL_EXAMPLE) bundle images probe $(TEST_REGISTRY) ## Build and run the C test suite (tests/c) and the examples; compile the README's C
	CC="$(CC)" scripts/check-readme-c.sh README.md include
	$(TEST_ENV) $(C_TEST)
	$(TEST_ENV) EXEC_TEST_NO_AGENT=1 $(C_TEST) $(EXEC_GROUPS)
	$(TEST_ENV) $(IMAGE_EXAMPLE) $(abspath $(IMAGES))/busybox:latest | grep -x 'hello from the second layer'
	$(TEST_ENV) $(SUPERVISOR_EXAMPLE) $(abspath $(ROOTFS)) $(BUILD)/supervisor-root > $(BUILD)/supervisor.out
	test "$$(grep -c ': exited with status 3$$' $(BUILD)/supervisor.out)" = 3
	test "$$(grep -c ': deleted$$' $(BUILD)/supervisor.out)" = 3
	rm -rf $(BUILD)/pool-root
	$(TEST_ENV) $(POOL_EXAMPLE) $(abspath $(ROOTFS)) $(BUILD)/pool-root > $(BUILD)/pool.out
	test "$$(grep -c ': says "hello from a warm pool"$$' $(BUILD)/pool.out)" = 3
	test "$$(grep -c ': exited with status 3$$' $(BUILD)/pool.out)" = 3
	test -z "$$(ls $(BUILD)/pool-root/containers)"

# The stress group of the C suite (tests/c/stress.c) at a larger scale than
# `make test` runs it: 400 sequential lifecycles, 640 from 32 threads, 200
# containers running at once, and STRESS_RUNNING containers running on one
# root from a host whose soft fd limit is 1024 (20 in `make test`).
STRESS ?= 20
STRESS_RUNNING ?= 5000

stress: $(C_TEST) bundle ## Run the stress tests at scale STRESS (default 20), STRESS_RUNNING containers at once
	$(TEST_ENV) EXEC_STRESS=$(STRESS) EXEC_STRESS_RUNNING=$(STRESS_RUNNING) $(C_TEST) stress.

test-python: lib bundle deps images probe $(TEST_REGISTRY) ## Run the Python binding's tests
	cd bindings/python && $(TEST_ENV) $(PYTHON) -m pytest -q tests

test-rust: deps lib static pc bundle images probe $(TEST_REGISTRY) ## Run the Rust crates' tests
	cd bindings/rust && $(TEST_ENV) $(CARGO) test --workspace
	cd bindings/rust && $(TEST_ENV) $(CARGO) test -p execution --features tokio --test events_tokio
	cd bindings/rust && $(TEST_ENV) $(CARGO) test -p execution --features log --test log_crate
	cd bindings/rust && $(TEST_ENV) EXEC_TEST_NO_AGENT=1 $(CARGO) test -p execution \
		--test exec --test command --test drop_order --test events --test workload
	cd bindings/rust && $(TEST_ENV) EXEC_TEST_NO_AGENT=1 $(CARGO) test -p execution --features tokio --test events_tokio

# The rootless suites: the C, Python and Rust tests of rootless containers
# and hardened configs, run as ROOTLESS_USER (made by rootless-user.sh) on
# copies of what they need, as the checkout may be closed to that user.
test-rootless: $(C_TEST) lib bundle probe deps ## Run the rootless suites as an unprivileged user (as root)
	cd bindings/rust && EXECUTION_LIB_DIR=$(abspath $(BUILD)) $(CARGO) test --no-run --test rootless 2>&1 | \
		sed -n 's/.*Executable .*(\(.*\))$$/\1/p' > $(abspath $(BUILD))/rust-rootless-test
	ROOTLESS_PYTHON="$(ROOTLESS_PYTHON)" scripts/test-rootless.sh $(ROOTLESS_USER) $(BUILD) $(C_TEST) \
		bindings/rust/$$(cat $(BUILD)/rust-rootless-test)

# What a release of the crates needs: no lint, and packages that build alone.
CRATES_TARGET := $(BUILD)/crates
check-crates: lib ## Check the Rust crates: clippy -D warnings, cargo package, docs.rs and bundled builds
	cd bindings/rust && EXECUTION_LIB_DIR=$(abspath $(BUILD)) \
		$(CARGO) clippy --quiet --workspace --all-targets -- -D warnings
	cd bindings/rust && EXECUTION_LIB_DIR=$(abspath $(BUILD)) \
		$(CARGO) clippy --quiet -p execution --all-targets --features tokio,log -- -D warnings
	@# cargo verifies each package against the others through a local registry
	@# whose extracted copies, and the builds of them, it keeps by name and
	@# version: drop ours and build in a target dir of its own, or a copy
	@# from an earlier build of the same version would be verified against.
	rm -rf $${CARGO_HOME:-$$HOME/.cargo}/registry/src/-*/execution-sys-$(VERSION) \
		$${CARGO_HOME:-$$HOME/.cargo}/registry/src/-*/execution-$(VERSION) $(CRATES_TARGET)
	cd bindings/rust && EXECUTION_LIB_DIR=$(abspath $(BUILD)) $(CARGO) package --quiet --workspace \
		--allow-dirty --target-dir $(abspath $(CRATES_TARGET))
	scripts/check-sys-package.sh $(CRATES_TARGET)/package/execution-sys-$(VERSION)

# containerd's shim v2 on the library's runtime (shim/, a Go module of its
# own, so the library's go.mod keeps its few dependencies).
SHIM := $(BUILD)/containerd-shim-execution-v2
SHIM_SOURCES := shim/go.mod shim/go.sum $(filter-out %_test.go,$(wildcard shim/*.go)) \
	$(filter-out %_test.go,$(wildcard runtime/*.go runtime/*/*.go runtime/*/*/*.go))

$(SHIM): $(SHIM_SOURCES) $(MONITOR) $(OVERLAY)
	cd shim && $(GO) build $(GOFLAGS_BUILD) -trimpath -o $(abspath $@) .

shim: $(SHIM) ## Build the containerd shim build/containerd-shim-execution-v2 (runtime io.containerd.execution.v2)

test-shim: deps $(SHIM) bundle ## Run the shim's tests against a private containerd (as root)
	command -v containerd >/dev/null || { echo "containerd is not installed (make deps)" >&2; exit 1; }
	cd shim && $(GO) vet $(GOFLAGS_BUILD) . && \
		EXEC_TEST_SHIM=$(abspath $(SHIM)) EXEC_TEST_ROOTFS=$(abspath $(ROOTFS)) \
		$(GO) test $(GOFLAGS_BUILD) -count=1 -v .

# The shim side by side with containerd's runc shim: `ctr run --rm` and the
# memory of 1, 10 and 100 running containers (shim/bench_test.go).
bench-shim: deps $(SHIM) bundle ## Benchmark the shim against containerd's runc shim (as root)
	cd shim && EXEC_TEST_SHIM=$(abspath $(SHIM)) EXEC_TEST_ROOTFS=$(abspath $(ROOTFS)) \
		$(GO) test $(GOFLAGS_BUILD) -count=1 -run '^$$' -bench CtrRunRm -benchtime 30x . && \
		EXEC_TEST_SHIM=$(abspath $(SHIM)) EXEC_TEST_ROOTFS=$(abspath $(ROOTFS)) \
		$(GO) test $(GOFLAGS_BUILD) -count=1 -run '^$$' -bench MemoryPerContainer -benchtime 1x .

# make install into a staging dir, then a -static link through its .pc.
test-static: bundle deps ## Install into build/stage; link and run the C demo with -static
	rm -rf $(STAGE)
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(STAGE)) PREFIX=/usr/local
	PKG_CONFIG_SYSROOT_DIR=$(abspath $(STAGE)) \
	PKG_CONFIG_LIBDIR=$(abspath $(STAGE))/usr/local/lib/pkgconfig \
		tests/static/run.sh $(BUILD)/static

# The API reference: C from the header (doxygen), Python (pdoc, in a venv of
# its own) and Rust (cargo doc), each failing on a warning.
DOCS      := $(BUILD)/docs
DOCS_VENV := $(BUILD)/docs-venv

docs: lib deps ## Build the API reference for C, Python and Rust into build/docs/
	rm -rf $(DOCS) && mkdir -p $(DOCS)
	scripts/header-manual.sh include/execution.h > $(DOCS)/c-mainpage.md
	EXEC_DOCS_VERSION=$(VERSION) EXEC_DOCS_OUT=$(DOCS)/c EXEC_DOCS_MAINPAGE=$(DOCS)/c-mainpage.md \
		doxygen docs/Doxyfile
	test -x $(DOCS_VENV)/bin/pdoc || { $(PYTHON) -m venv $(DOCS_VENV) && \
		$(DOCS_VENV)/bin/pip install --quiet 'pdoc>=14,<17'; }
	PYTHONPATH=bindings/python $(DOCS_VENV)/bin/python -W error -m pdoc -o $(DOCS)/python \
		execution execution.supervised
	cd bindings/rust && EXECUTION_LIB_DIR=$(abspath $(BUILD)) RUSTDOCFLAGS="-D warnings" \
		$(CARGO) doc --quiet --no-deps --workspace
	cp -r bindings/rust/target/doc $(DOCS)/rust
	sed 's/@VERSION@/$(VERSION)/' docs/index.html.in > $(DOCS)/index.html
	@echo "open $(DOCS)/index.html"

wheel: $(LIB) ## Build the Python wheel holding the library: build/wheel/*.whl
	rm -rf $(WHEEL_DIR)
	mkdir -p $(WHEEL_DIR)/src/execution
	cp $(filter bindings/python/execution/%,$(PY_PACKAGE)) $(WHEEL_DIR)/src/execution/
	cp $(filter-out bindings/python/execution/%,$(PY_PACKAGE)) $(WHEEL_DIR)/src/
	strip --strip-debug -o $(WHEEL_DIR)/src/execution/libexecution.so $(LIB)
	EXECUTION_MONITOR=$(abspath $(MONITOR)) \
		$(PYTHON) -m pip wheel --quiet --no-deps --wheel-dir $(WHEEL_DIR) $(WHEEL_DIR)/src
	rm -rf $(WHEEL_DIR)/src
	@ls $(WHEEL_DIR)/*.whl

# The wheel in a fresh venv, outside the checkout, with no EXECUTION_LIBRARY.
test-wheel: wheel bundle deps ## Install the wheel into a fresh venv and run a container with it
	tests/wheel/run.sh $(WHEEL_DIR) $(BUILD)/wheel-test $(MONITOR)

$(DEMO) $(IMAGE_EXAMPLE) $(PULL_EXAMPLE) $(SUPERVISOR_EXAMPLE) $(POOL_EXAMPLE): $(BUILD)/examples/%: examples/c/%.c include/execution.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_TEST) $< $(LDLIBS_TEST) -o $@

demo: deps $(DEMO) $(DEMO_BUNDLE)/rootfs/bin/busybox ## Build and run the C example (examples/c/demo.c)
	$(TEST_ENV) $(DEMO) $(DEMO_BUNDLE)

install: $(LIB) $(ARCHIVE) ## Install both libraries, header and execution.pc under DESTDIR/PREFIX
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	install -m 0755 $(LIB) $(DESTDIR)$(LIBDIR)/libexecution.so.$(VERSION)
	install -m 0644 $(ARCHIVE) $(DESTDIR)$(LIBDIR)/libexecution.a
	ln -sf libexecution.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libexecution.so
	install -m 0644 include/execution.h $(DESTDIR)$(INCLUDEDIR)/execution.h
	$(call pc_from_template,$(DESTDIR)$(LIBDIR)/pkgconfig/execution.pc)
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null && [ -w /etc/ld.so.cache ]; then ldconfig; fi

uninstall: ## Remove what install put under DESTDIR/PREFIX
	rm -f $(DESTDIR)$(LIBDIR)/libexecution.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
		$(DESTDIR)$(LIBDIR)/libexecution.so $(DESTDIR)$(LIBDIR)/libexecution.a \
		$(DESTDIR)$(LIBDIR)/pkgconfig/execution.pc \
		$(DESTDIR)$(INCLUDEDIR)/execution.h

include bench/bench.mk

clean: ## Remove build/ and the monitor program
	rm -rf $(BUILD) $(MONITOR)

help: ## List the targets
	@echo "make [target] [PREFIX=/usr/local] [DESTDIR=]"
	@awk -F ':.*## ' '/^[a-z-]+:.*## / { printf "  %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
