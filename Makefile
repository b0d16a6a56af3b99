# perfslo — a performance gate for Go benchmarks.
#
#   make bench-gate   run the gate on the bundled example module
#   make test         every test (unit, end-to-end, GitHub fake, Pyroscope), lint, short fuzzing
#
# Long evaluations have their own targets: make power, make fuzz-long, make bench-compare.

GO        ?= go
BIN       := $(CURDIR)/bin
PERFSLO   := $(BIN)/perfslo
GOBIN     := $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION := v0.8.2
ACTIONLINT_VERSION  := v1.7.12
FUZZTIME  ?= 10s

.PHONY: all build bench-gate test test-go test-examples lint tools fuzz fuzz-long bench-compare power clean

all: build

build:
	$(GO) build -o $(PERFSLO) ./cmd/perfslo

# The gate on examples/: head is the working tree, base its HEAD commit (built
# in a temporary worktree). On a clean checkout that is an A/A run: the
# budgets and their headroom are judged, and nothing may regress.
bench-gate: build
	cd examples && $(PERFSLO) gate --base HEAD --markdown $(BIN)/bench-gate.md --json $(BIN)/bench-gate.json

test: lint test-go test-examples fuzz

test-go:
	$(GO) test -count=1 -timeout 30m ./...

test-examples:
	cd examples && $(GO) vet ./... && $(GO) test -count=1 ./...

lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...
	$(GOBIN)/actionlint

tools:
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@test -x $(GOBIN)/actionlint || $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# Short fuzzing of the parsers that read untrusted input; make fuzz-long for more.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./budgets

fuzz-long:
	$(MAKE) fuzz FUZZTIME=5m

# perfslo compare vs benchstat on one large generated input, in the same run.
bench-compare:
	bash bench/compare/run.sh

clean:
	rm -rf $(BIN)
