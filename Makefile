# fleetq — `make demo` and `make test` are the quick start.
GO      ?= go
BIN     := bin/fleetq
GEN     := bin/genfleet
DEMO    := demo

# The version is what git says of the work tree (a tag, else the commit,
# "-dirty" when changed); the build info adds the revision and Go version.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
BUILT   := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X main.version=$(VERSION) -X main.buildTime=$(BUILT)
# -buildvcs=auto stamps the git revision even where GOFLAGS turns it off.
BUILDFLAGS := -buildvcs=auto -ldflags '$(LDFLAGS)'

# make install puts the binary in $(GOBIN) (else $(go env GOPATH)/bin), or
# with PREFIX=/usr/local in $(PREFIX)/bin and the man pages in
# $(PREFIX)/share/man/man1. DESTDIR is honoured for packaging.
PREFIX  ?=
GOBIN   ?= $(shell $(GO) env GOBIN)
BINDIR  := $(if $(PREFIX),$(PREFIX)/bin,$(or $(GOBIN),$(shell $(GO) env GOPATH)/bin))
MANDIR  := $(if $(PREFIX),$(PREFIX)/share/man/man1,)
MANSRC  ?= man

.PHONY: all build demo test vet lint lint-if-installed lint-install fuzz fuzz-smoke bench screenshots clean install man

all: build

build:
	$(GO) build $(BUILDFLAGS) -o $(BIN) ./cmd/fleetq
	$(GO) build -o $(GEN) ./examples/genfleet

# One man page per command, generated from the command tree by a fleetq
# built with -tags man (the page writers stay out of the everyday binary).
man:
	$(GO) run -tags man $(BUILDFLAGS) ./cmd/fleetq generate --man $(MANSRC)

install: build man
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/fleetq
	$(if $(MANDIR),install -d $(DESTDIR)$(MANDIR) && install -m 0644 $(MANSRC)/*.1 $(DESTDIR)$(MANDIR)/)
	@echo "installed $(DESTDIR)$(BINDIR)/fleetq$(if $(MANDIR), and man pages in $(DESTDIR)$(MANDIR))"

# A demo fleet of several passes in demo/fleetq.db, then representative
# queries, a diff and a dry-run action.
demo: build
	./examples/demo.sh

# Unit, script, fixture and subprocess tests, plus go vet and the linter.
test: vet lint-if-installed
	$(GO) test -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...

# The linter at the version .golangci.yml is written for (.ci/run installs
# it with make lint-install). make test runs it when it is installed and
# says so loudly when it is not; make lint requires it.
LINT_VERSION := v2.15.0
GOLANGCI_LINT ?= $(shell command -v golangci-lint 2>/dev/null || echo $(shell $(GO) env GOPATH)/bin/golangci-lint)

lint:
	@test -x "$(GOLANGCI_LINT)" || { echo "golangci-lint not found: make lint-install puts $(LINT_VERSION) in $$($(GO) env GOPATH)/bin" >&2; exit 1; }
	$(GOLANGCI_LINT) run ./...

lint-if-installed:
	@if test -x "$(GOLANGCI_LINT)"; then $(MAKE) --no-print-directory lint; else echo "SKIP lint: golangci-lint is not installed (make lint-install installs $(LINT_VERSION))"; fi

lint-install:
	$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(LINT_VERSION)

# Each fuzz target for FUZZTIME (go test -fuzz runs one target at a time);
# fuzz-smoke is the short run of each that .ci/run makes: 20,000 inputs a
# target (1-12 s here), a count rather than a duration because Go 1.26's
# fuzz coordinator can fail a duration run with a bare "context deadline
# exceeded" at its end, no input found (go.dev/issue/75804, fixed in 1.27).
FUZZTIME ?= 20s
fuzz:
	./examples/fuzz.sh $(FUZZTIME)

fuzz-smoke:
	./examples/fuzz.sh 20000x

# Go benchmarks at 1,000,000 hosts, then every row of issue 14's table:
# fleetq side by side with its peer or floor at 1,000,000 hosts, and
# storage growth over 300 passes. make bench BENCH_5M=1 adds 5,000,000
# hosts (generating them takes minutes); BENCH_SIZES="10000 50000" picks
# the sizes. examples/bench.sh lists the other knobs.
bench: build
	./examples/bench.sh

# The dashboard's screenshots in docs/dashboard.md: the browser tests
# (headless chromium) save one per page into docs/screenshots; then the
# demo database's (TestDashboardDemo, into a demo/ directory of its own)
# replace the pages it shows, so the docs show the demo.
screenshots:
	FLEETQ_ARTIFACTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestDashboardBrowser|TestDashboardClusterPage|TestDashboardTrends|TestDashboardTables|TestDashboardRolloutsWeek' ./cmd/fleetq
	d=$$(mktemp -d) && FLEETQ_ARTIFACTS=$$d $(GO) test -count=1 -run 'TestDashboardDemo$$' ./cmd/fleetq && cp $$d/demo/*.png docs/screenshots/ && rm -rf $$d

clean:
	rm -rf bin man $(DEMO) .bench artifacts
