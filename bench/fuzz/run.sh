#!/usr/bin/env bash
# Long fuzzing of every parser and pure core, two targets at a time, each
# with one worker (-parallel 1: the machine is shared). Writes one log per
# target to bench/fuzz/logs/ and the table of bench/fuzz/results.md from
# the last progress line of each log.
#
#   bash bench/fuzz/run.sh [FUZZTIME] [target ...]   # default 10m, every target
set -euo pipefail
cd "$(dirname "$0")/../.."
FUZZTIME=${1:-10m}
shift || true
TARGETS=(${@:-$(make -s fuzz-targets)})
JOBS=${FUZZ_JOBS:-2}
mkdir -p bench/fuzz/logs
run() { # pkg:Target
	local pkg=${1%%:*} target=${1##*:}
	local log=bench/fuzz/logs/$target.log
	echo "$(date -u +%FT%TZ) start $pkg $target $FUZZTIME" >"$log"
	local start=$SECONDS rc=0
	bash bench/fuzz/one.sh "$pkg" "$target" "$FUZZTIME" -timeout 0 -parallel 1 >>"$log" 2>&1 || rc=$?
	echo "$(date -u +%FT%TZ) end rc=$rc seconds=$((SECONDS - start))" >>"$log"
}
for t in "${TARGETS[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
	run "$t" &
done
wait
{
	echo "| target | package | minutes | execs | new interesting | crashes | result |"
	echo "|---|---|---:|---:|---:|---:|---|"
	for t in $(make -s fuzz-targets); do
		pkg=${t%%:*} target=${t##*:} log=bench/fuzz/logs/${t##*:}.log
		[ -f "$log" ] || continue
		last=$(grep -E '^fuzz: elapsed' "$log" | tail -1)
		execs=$(sed -E 's/.*execs: ([0-9]+).*/\1/' <<<"$last")
		interesting=$(sed -E 's/.*new interesting: ([0-9]+).*/\1/' <<<"$last")
		secs=$(sed -nE 's/.*end rc=[0-9]+ seconds=([0-9]+)/\1/p' "$log")
		crashes=$(grep -c 'Failing input written' "$log" || true)
		result=$(grep -E '^(ok|FAIL|PASS)' "$log" | tail -1 | awk '{print $1}')
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$target" "$pkg" "$(awk -v s="$secs" 'BEGIN{printf "%.1f", s/60}')" "$execs" "$interesting" "$crashes" "$result"
	done
} >bench/fuzz/logs/table.md
cat bench/fuzz/logs/table.md
