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

.PHONY: all build demo test vet fuzz bench clean install man

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

# Unit, script, fixture and subprocess tests, plus go vet.
test: vet
	$(GO) test -count=1 ./...

vet:
	$(GO) vet ./...

# Each fuzz target for FUZZTIME (go test -fuzz runs one target at a time).
FUZZTIME ?= 20s
fuzz:
	./examples/fuzz.sh $(FUZZTIME)

# Go benchmarks at 1,000,000 hosts and whole-process comparisons.
bench: build
	./examples/bench.sh

clean:
	rm -rf bin man $(DEMO) .bench
