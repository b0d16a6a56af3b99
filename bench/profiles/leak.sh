#!/usr/bin/env bash
# leak.sh: are timing samples the same with and without profiling? (issue 4,
# done-means 3). See leak/main.go for the three kinds of runs. Prints
# benchstat of plain vs profiled (want: no significant change, "~") and of
# plain vs naive (profiling inside the timing processes; want: visible).
#
# Usage: bench/profiles/leak.sh [leak flags]   (about 4 minutes on 2 cores)
PERFSLO=${PERFSLO:-unused} # no perfslo binary needed
source "$(dirname "$0")/common.sh"
cd "$ROOT"
go run ./bench/profiles/leak -examples "$ROOT/examples" -out "$WORK" "$@"
echo "== plain vs profiled (profiling step between gate runs, as perfslo does it)"
go run golang.org/x/perf/cmd/benchstat "$WORK/plain.txt" "$WORK/profiled.txt"
echo
echo "== plain vs naive (every allocation recorded inside the timing processes)"
go run golang.org/x/perf/cmd/benchstat "$WORK/plain.txt" "$WORK/naive.txt"
