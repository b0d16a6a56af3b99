# perfslo — a performance gate for Go benchmarks.
#
#   make bench-gate   run the gate on the bundled example module
#   make test         every test (unit, end-to-end, GitHub fake, Pyroscope), lint, short fuzzing
#
# Long evaluations have their own targets: make power, make reallibs, make simulate, make fuzz-long,
# make bench-compare, make bench-rss, make crash-store, make bench-callgrind (instruction counting's
# wall-time cost vs native timing), make bench-scale (affected packages, shards, workspaces, cached base builds).

GO        ?= go
BIN       := $(CURDIR)/bin
PERFSLO   := $(BIN)/perfslo
GOBIN     := $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION := v0.8.2
ACTIONLINT_VERSION  := v1.7.12
FUZZTIME  ?= 6s

.PHONY: all build bench-scale bench-gate test test-go test-examples lint tools fuzz fuzz-targets fuzz-long crash-store bench-rss bench-compare power power-hygiene calibrate bench-agent bench-profiles bench-callgrind bench-counted reallibs simulate bench-history clean

all: build

build:
	$(GO) build -o $(PERFSLO) ./cmd/perfslo

# The gate on examples/: head is the working tree, base its HEAD commit (built
# in a temporary worktree). On a clean checkout that is an A/A run: the
# budgets and their headroom are judged, and nothing may regress. Rows still
# too noisy to decide when the looks' time budget runs out are reported as
# undecided, each with what it could have seen; the demo accepts them
# (--fail-on fail, as a neutral check run would), a real gate may not.
bench-gate: build
	cd examples && $(PERFSLO) gate --base HEAD --fail-on fail --max-time 3m --markdown $(BIN)/bench-gate.md --json $(BIN)/bench-gate.json

test: lint test-go test-examples fuzz

# The staging tests start a real Pyroscope server on loopback; the script
# builds it once (about 3 minutes cold) and caches it by version. -p 1: the
# end-to-end tests time real benchmarks, and another package's tests running
# beside them (the staging load generator) would be noise they must not see.
test-go:
	PERFSLO_PYROSCOPE_BIN="$$(bash .ci/pyroscope-server.sh)" $(GO) test -p 1 -count=1 -timeout 40m ./...

test-examples:
	cd examples && $(GO) vet ./... && $(GO) test -count=1 ./...
	cd examples/cmd/demo-service && $(GO) vet ./... && $(GO) build -o /dev/null .

lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...
	$(GOBIN)/actionlint

tools:
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@test -x $(GOBIN)/actionlint || $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# Every parser and pure core that reads untrusted input, as package:Target.
FUZZ_TARGETS := \
	./budgets:FuzzParse \
	./profiles:FuzzLoad \
	./profiles:FuzzDiff \
	./gate:FuzzGate \
	./gate:FuzzReadJSON \
	./internal/github:FuzzParseReport \
	./internal/github:FuzzArtifact \
	./internal/github:FuzzEvent \
	./profiles/pyroscope:FuzzResponse

# Short fuzzing of each target, FUZZTIME each (about 2 minutes in all); make fuzz-long for
# the long run. -fuzzminimizetime 0: with one worker, minimizing each new
# input stalls the whole run for up to a minute per input. bench/fuzz/one.sh repeats
# a run that failed only by the fuzzing coordinator's deadline race (golang/go#75804).
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t##*:} ($${t%%:*}, $(FUZZTIME))"; \
		GO=$(GO) bash bench/fuzz/one.sh $${t%%:*} $${t##*:} $(FUZZTIME); \
	done

fuzz-targets:
	@echo $(FUZZ_TARGETS)

# Each target for FUZZ_LONG (default 10m) with one worker, two at a time;
# logs in bench/fuzz/logs/, the table for bench/fuzz/results.md.
FUZZ_LONG ?= 10m
fuzz-long:
	bash bench/fuzz/run.sh $(FUZZ_LONG)

# The store campaign: SIGKILL `perfslo baseline save` at random moments,
# CRASH_KILLS times per store kind (directory, git branch); make test runs 15
# of each. Results: bench/store/results.md.
CRASH_KILLS ?= 100
crash-store:
	$(GO) test -count=1 -timeout 90m -v -run 'TestKillSave|TestLitter|TestSecondInterrupt' ./bench/store -kills $(CRASH_KILLS) -litter 3 | grep -E '^(KILLSAVE|LITTER|---|ok|FAIL|PASS)|kill_test|litter_test'

# Peak RSS and time of perfslo compare vs benchstat on 10^4..10^6 lines per file.
bench-rss:
	bash bench/compare/rss.sh

# perfslo compare vs benchstat on one large generated input, in the same run.
bench-compare:
	bash bench/compare/run.sh

# Detection power and false alarms per mode (stored / sequential / interleaved),
# R=50 gate runs per cell: about 50 minutes on a quiet 2-core machine.
# Results (incremental, resumable): bench/power/results/{results.md,power.svg,runs.jsonl}.
power:
	$(GO) run ./bench/power -r 50

power-hygiene:
	$(GO) run ./bench/power -hygiene -r 10

# perfslo vs the naive benchstat workflow on real third-party modules from the
# module proxy (google/uuid, pierrec/lz4): A/A (a no-op commit) and A/B (the
# harness's own injected +20%..+300% regressions), REALLIBS_R runs per cell.
# Resumable; results in bench/reallibs/results/ (results.md, runs.jsonl, raw/).
# Judge another binary: make reallibs REALLIBS_PERFSLO=/path/to/perfslo
# (results of another binary need another -out or -fresh, in REALLIBS_FLAGS).
REALLIBS_R       ?= 8
REALLIBS_PERFSLO ?= $(PERFSLO)
REALLIBS_FLAGS   ?=
# perfslo at scale on generated repositories (affected packages, shards,
# go.work, cached base builds): about 9 minutes on a loaded 2-core machine. Writes bench/scale/results.md.
bench-scale: build
	$(GO) run ./bench/scale -perfslo $(PERFSLO)

reallibs: build
	$(GO) run ./bench/reallibs -r $(REALLIBS_R) -perfslo $(REALLIBS_PERFSLO) $(REALLIBS_FLAGS)

# The decision procedure's suite-wise false alarms and power, simulated by
# resampling real A/A samples (pools collected by bench/simulate/pool.sh),
# next to the Holm procedure it replaced. SIM_POOLS: benchfmt files.
SIM_POOLS ?= $(wildcard bench/simulate/pools/*.txt)
simulate:
	$(GO) run ./bench/simulate -suites 2000 -power-suites 200 -out bench/simulate/results/results.md $(SIM_POOLS)

# Noise per benchmark and the minimum detectable effect on this machine.
calibrate: build
	cd examples && $(PERFSLO) calibrate

# The Pyroscope agent's CPU and RSS overhead on the demo service (about 2 minutes).
# Instructions mode's wall time against native timing on the examples (needs valgrind).
bench-callgrind:
	$(GO) run ./bench/callgrind $(BENCH_CALLGRIND_FLAGS)

# The deterministic mode's evidence (issue 12): A/A, injected +1%/+3%, a
# stride change and wall time, instructions vs time mode; REPS=N per cell.
bench-counted:
	REPS=$(or $(REPS),20) bash bench/counted/run.sh

bench-agent:
	PERFSLO_PYROSCOPE_BIN="$$(bash .ci/pyroscope-server.sh)" $(GO) run ./bench/agent -rounds 3 -requests 10000

# Profiling must not leak into timing, and its overhead.
bench-profiles: build
	bash bench/profiles/leak.sh
	PERFSLO=$(PERFSLO) bash bench/profiles/overhead.sh

clean:
	rm -rf $(BIN)

# The git store's size after 1,000 recorded baselines of the examples, with
# and without compaction (bench/history/results.md). The baselines are
# synthesized from one real run of the examples (bench/history/examples-run.txt,
# made on first use) with seeded noise; see bench/history/size.
bench-history:
	@s=bench/history/examples-run.txt; if [ -f $$s ]; then $(GO) run ./bench/history/size -n 1000 -samples $$s; else $(GO) run ./bench/history/size -n 1000; fi
