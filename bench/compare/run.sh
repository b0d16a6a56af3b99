#!/usr/bin/env bash
# perfslo compare vs benchstat on the same 10,000-line inputs, interleaved by
# tool within each count, then summarised by benchstat itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp)
go test -run '^$' -bench . -count "${COUNT:-10}" ./bench/compare | tee "$out"
go run golang.org/x/perf/cmd/benchstat -col /tool "$out"
