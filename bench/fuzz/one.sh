#!/usr/bin/env bash
# One fuzz target for a while:
#
#   bash bench/fuzz/one.sh PKG TARGET FUZZTIME [go test flags ...]
#
# Go's fuzzing coordinator (Go 1.26 and earlier) can fail a run that found
# nothing at the moment -fuzztime ends: the run's only failure is "context
# deadline exceeded", and no failing input is written (golang/go#75804,
# fixed in Go 1.27). Such a run is repeated once. A run that wrote a
# failing input, failed in any other way, or hit the race twice, fails.
set -uo pipefail
pkg=$1 target=$2 fuzztime=$3
shift 3
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# deadline_race: the run's output shows the coordinator's race and nothing else.
deadline_race() {
	! grep -q 'Failing input written' "$out" &&
		[ "$(grep -c -- '^--- FAIL' "$out")" -eq 1 ] &&
		grep -A1 -- "^--- FAIL: $target " "$out" | tail -n 1 | grep -qx '[[:space:]]*context deadline exceeded'
}

for attempt in 1 2; do
	"${GO:-go}" test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -fuzzminimizetime 0 "$@" "$pkg" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -eq 0 ]; then
		exit 0
	fi
	if [ "$attempt" -eq 1 ] && deadline_race; then
		echo "fuzz $target: failed with only \"context deadline exceeded\" and no failing input (the fuzzing coordinator's deadline race, golang/go#75804); running it once more" >&2
		continue
	fi
	exit "$rc"
done
