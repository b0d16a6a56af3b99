#!/usr/bin/env bash
# Peak memory and wall time of `perfslo compare` and benchstat on the same
# generated inputs: LINES result lines per file (two files: base and a +3%
# head), each tool run RUNS times per size, alternating. Prints a markdown
# table (bench/compare/rss.md holds the committed one).
#
#   bash bench/compare/rss.sh                 # 10^4, 10^5, 10^6 lines
#   SIZES="10000 100000" RUNS=3 bash bench/compare/rss.sh
#
# peak RSS is /usr/bin/time's maximum resident set (what the kernel
# counts, file-backed pages of the binary included); peak anon is the
# largest anonymous RSS (heap, stacks) seen by sampling /proc/PID/status
# every 10 ms, a lower bound of the true peak: it tells the program's own
# memory from its executable's pages, which differ 4x between the binaries
# (perfslo 27 MB, benchstat 3.5 MB).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${SIZES:-"10000 100000 1000000"}
RUNS=${RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/rss-compare-XXXXXX")
trap 'rm -rf "$work"' EXIT
version=$(go list -m -f '{{.Version}}' golang.org/x/perf)
GOBIN="$work/bin" go install "golang.org/x/perf/cmd/benchstat@$version"
go build -o "$work/bin/perfslo" ./cmd/perfslo
go build -o "$work/bin/gen" ./bench/compare/gen

# measure TOOL ARGS...: prints "wall_s peak_rss_kib peak_anon_kib".
measure() {
	local tf="$work/time.txt"
	/usr/bin/time -f "%e %M" -o "$tf" "$@" >/dev/null 2>&1 &
	local tpid=$! pid="" anon=0 a
	while kill -0 "$tpid" 2>/dev/null; do
		[ -z "$pid" ] && pid=$(pgrep -P "$tpid" || true)
		if [ -n "$pid" ] && a=$(awk '/^RssAnon:/{print $2}' "/proc/$pid/status" 2>/dev/null); then
			[ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a
		fi
		sleep 0.01
	done
	wait "$tpid" || true # compare exits 2 on the +3% regression
	echo "$(cat "$tf" | tail -1) $anon"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "| lines per file | tool | wall (s) | peak RSS (MiB) | peak anon (MiB) | runs |"
echo "|---:|---|---:|---:|---:|---:|"
for n in $SIZES; do
	"$work/bin/gen" -lines "$n" -seed 1 >"$work/old.txt"
	"$work/bin/gen" -lines "$n" -shift 1.03 -seed 2 >"$work/new.txt"
	: >"$work/benchstat.txt"
	: >"$work/perfslo.txt"
	for ((r = 0; r < RUNS; r++)); do
		measure "$work/bin/benchstat" "$work/old.txt" "$work/new.txt" >>"$work/benchstat.txt"
		measure "$work/bin/perfslo" compare --allow-unmeasurable "$work/old.txt" "$work/new.txt" >>"$work/perfslo.txt"
	done
	for tool in benchstat perfslo; do
		f="$work/$tool.txt"
		wall=$(awk '{print $1}' "$f" | median)
		rss=$(awk '{print $2}' "$f" | median)
		anon=$(awk '{print $3}' "$f" | median)
		printf "| %d | %s | %.2f | %.1f | %.1f | %d |\n" "$n" "$tool" "$wall" "$(echo "$rss/1024" | bc -l)" "$(echo "$anon/1024" | bc -l)" "$RUNS"
	done
done
