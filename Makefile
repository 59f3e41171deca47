# fleetq — `make demo` and `make test` are the quick start.
GO      ?= go
BIN     := bin/fleetq
GEN     := bin/genfleet
DEMO    := demo

.PHONY: all build demo test vet fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/fleetq
	$(GO) build -o $(GEN) ./examples/genfleet

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
	rm -rf bin $(DEMO) .bench
