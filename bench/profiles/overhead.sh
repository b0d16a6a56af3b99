#!/usr/bin/env bash
# overhead.sh: the extra time the profiling rounds add to a gate run, as a
# ratio of the timing rounds (issue 4, done-means 5; goal ≤ 25% when one
# benchmark regressed, 0 when none did).
#
# Runs the full examples suite with its perfslo.yaml (10 interleaved rounds
# per side, 100ms benchtime, every package) twice: once with a commit that
# makes exactly one benchmark (BenchmarkBuilder) slower and allocate more,
# once A/A (base = head). The timing rounds' time is the runner's "ran N
# processes in T"; the profiling step's is its "profiled K benchmark(s) in T".
#
# Usage: bench/profiles/overhead.sh        (PERFSLO=path to use a built binary)
# Takes about 5 minutes on a 2-core machine.
source "$(dirname "$0")/common.sh"

clean=$WORK/clean
new_repo "$clean"
repo=$WORK/repo
new_repo "$repo"
waste_builder "$repo"

measure() { # label, repo, gate args...
	local label=$1 repo=$2; shift 2
	local err=$WORK/$label.stderr
	local code=0
	(cd "$repo" && "$PERFSLO" gate "$@" --json "$WORK/$label.json" >"$WORK/$label.stdout" 2>"$err") || code=$?
	local timing profiling
	timing=$(sed -n 's/^ran [0-9]* processes in \(.*\)$/\1/p' "$err" | tail -1)
	profiling=$(sed -n 's/^perfslo: profiled .* in \([^ ]*\) .*/\1/p' "$err" | tail -1)
	python3 - "$label" "$code" "$timing" "${profiling:-0s}" "$WORK/$label.json" <<'PY'
import json, re, sys
label, code, timing, profiling, report = sys.argv[1:]
def secs(d):
    total = 0.0
    for n, u in re.findall(r'([\d.]+)(h|ms|µs|us|m|s)', d):
        total += float(n) * {'h': 3600, 'm': 60, 's': 1, 'ms': 1e-3, 'µs': 1e-6, 'us': 1e-6}[u]
    return total
r = json.load(open(report))
failed = sorted({x['benchmark'] for x in r['results'] if x['verdict'] in ('regression', 'violation')})
t, p = secs(timing), secs(profiling)
print(f"{label}: exit {code}; failed benchmarks {failed or 'none'}; timing rounds {t:.0f}s, profiling {p:.2f}s, overhead {100 * p / t:.1f}%")
PY
}

measure one-regressed "$repo" --base HEAD~1
measure none-regressed "$clean" --base HEAD
echo "profiling log of the regressed run:"
grep '^perfslo: profil' "$WORK/one-regressed.stderr" | cut -c1-160
