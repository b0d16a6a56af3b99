#!/usr/bin/env bash
# make bench-counted: the evidence for the deterministic mode (issue 12).
#
# Runs the real perfslo gate, in instructions mode and in wall-time mode, on
#   - the examples module (A/A),
#   - github.com/google/uuid@v1.6.0 from the module proxy (all 15
#     benchmarks), copied into a temp git repo: A/A, then one commit that
#     injects +1% work on two benchmarks and +3% on three others (a loop
#     in a function of its own, perfsloWork, called at the top of one
#     library function on the path of exactly one benchmark each),
#   - internal/callgrind's benchmod with a stride change (same
#     instructions, more cache misses),
# with the other core kept busy by a bounded busy loop during every A/A and
# injection run. Each run's JSON report and stderr go to $OUT; the summary
# goes to bench/counted/results.md (written at the end, atomically).
#
# Repetition-major: repetition r runs every instructions cell once (uuid
# A/A, uuid injected, examples A/A), and the wall-time A/A cells for
# the first TIME_REPS repetitions (default 1: one time-mode uuid A/A takes
# 10+ minutes). REPS (default 20) bounds the repetitions, START_REP
# (default 1) resumes at a later one (versions.txt in $OUT records which
# perfslo commit ran which repetitions); DEADLINE (epoch
# seconds, default none) stops starting gate runs after it, so a session
# gets as many whole cells as fit; the summary states how many ran.
# STAGES (default "stride uuid examples") picks the modules, MEASURES
# (default "instructions time") the modes (MEASURES=time with TIME_REPS
# runs only wall-time cells, e.g. to add them to a raw directory the
# instructions cells filled). SUMMARY_ONLY=1
# runs no gate and rewrites results.md from the raw directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
REPS=${REPS:-20}
TIME_REPS=${TIME_REPS:-1}
START_REP=${START_REP:-1}
DEADLINE=${DEADLINE:-0}
OUT=${OUT:-$ROOT/bench/counted/raw}
RESULTS=$ROOT/bench/counted/results.md
mkdir -p "$OUT"
PERFSLO=$OUT/perfslo-$$
go build -o "$PERFSLO" ./cmd/perfslo
[ -n "${SUMMARY_ONLY:-}" ] || echo "repetitions from $START_REP (stages: ${STAGES:-all}): perfslo at commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench' || echo ' with uncommitted changes'), started $(date -u +%H:%M) UTC" >>"$OUT/versions.txt"
WORK=$(mktemp -d)
BUSY_PID=""
stop_busy() { if [ -n "$BUSY_PID" ]; then kill "$BUSY_PID" 2>/dev/null || true; wait "$BUSY_PID" 2>/dev/null || true; BUSY_PID=""; fi; }
trap 'stop_busy; rm -rf "$WORK" "$PERFSLO"' EXIT
if [ -n "${SUMMARY_ONLY:-}" ]; then STAGES=none; fi
# start_busy keeps one core busy for at most an hour (a bounded loop that
# stop_busy ends early).
# Past the deadline no gate runs, so no loop starts either (a timeout
# killed right after it started could leave its loop running).
start_busy() {
  if [ "$DEADLINE" -gt 0 ] && [ "$(date +%s)" -ge "$DEADLINE" ]; then return 0; fi
  timeout 3600 sh -c 'while :; do :; done' & BUSY_PID=$!
}

gitq() { git -c user.name=perfslo -c user.email=perfslo@example.com "$@"; }

# gate NAME DIR ARGS...: one gate run; appends "NAME exit seconds" to runs.txt.
gate() {
  local name=$1 dir=$2; shift 2
  local t0 t1 code=0
  if [ "$DEADLINE" -gt 0 ] && [ "$(date +%s)" -ge "$DEADLINE" ]; then
    echo "bench-counted: past the deadline, $name not run" >&2
    return 0
  fi
  t0=$(date +%s.%N)
  (cd "$dir" && "$PERFSLO" gate --json "$OUT/$name.json" --no-profiles "$@" >"$OUT/$name.txt" 2>"$OUT/$name.err") || code=$?
  t1=$(date +%s.%N)
  printf '%s %d %.1f %s\n' "$name" "$code" "$(echo "$t1 - $t0" | bc)" "$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/runs.txt"
  echo "bench-counted: $name exit $code ($(tail -n 1 "$OUT/runs.txt" | cut -d' ' -f3)s)" >&2
}

STAGES=${STAGES:-stride uuid examples}
want() { case " $STAGES " in *" $1 "*) return 0;; esac; return 1; }
past_deadline() { [ "$DEADLINE" -gt 0 ] && [ "$(date +%s)" -ge "$DEADLINE" ]; }
touch "$OUT/runs.txt"

# --- github.com/google/uuid, A/A and injections ---
UD=$(go mod download -json github.com/google/uuid@v1.6.0 | jq -r .Dir)
U=$WORK/uuid
cp -r "$UD" "$U"
chmod -R u+w "$U"
cat >"$U/perfslo_inject.go" <<'EOF'
package uuid

// perfsloK is the injected work per call at each of the five sites, set
// by the injection commit.
var perfsloK = [5]int{0, 0, 0, 0, 0}

var perfsloSink uint64

// perfsloWork is the injected work: k loop iterations, in a function of
// its own so that the function diff can name it.
//
//go:noinline
func perfsloWork(k int) {
	for i := 0; i < k; i++ {
		perfsloSink += uint64(i) ^ perfsloSink>>3
	}
}
EOF
(cd "$U" && gitq init -q -b main && gitq add -A && gitq commit -qm "uuid v1.6.0 + an idle injection hook")
# One injection commit, two sizes: +1% at two sites and +3% at three, each
# site a library function on the path of exactly one benchmark (the other
# ten benchmarks call none of them). Each target's instructions per op,
# from this harness's uuid A/A on 2026-12-01 (perfslo gate --measure
# instructions, all 15 benchmarks); k = fraction × instructions/op ÷ the
# loop's cost per iteration (at least 1), and the call itself costs a few
# more: the summary reports the change each row actually measured.
PER_ITER=9 # instructions per iteration of perfsloWork's loop (go tool objdump, Go 1.26 amd64)
inject() {
  (cd "$U" && gitq checkout -q main && gitq checkout -q -B inject &&
    python3 - "$PER_ITER" <<'EOF'
import re, sys
per = float(sys.argv[1])
# (file, the function's first line, percent, its benchmark's instructions/op)
sites = [("marshal.go", "func (uuid *UUID) UnmarshalText(data []byte) error {", 1, 7482),  # BenchmarkUUID_UnmarshalJSON
         ("marshal.go", "func (uuid UUID) MarshalText() ([]byte, error) {", 1, 2926),       # BenchmarkUUID_MarshalJSON
         ("uuid.go", "func (uuids UUIDs) Strings() []string {", 3, 1594),                   # BenchmarkUUIDs_Strings
         ("uuid.go", "func (uuid UUID) URN() string {", 3, 639),                            # BenchmarkUUID_URN
         ("uuid.go", "func Must(uuid UUID, err error) UUID {", 3, 725)]                     # BenchmarkNew
ks = [max(1, round(pct / 100 * x / per)) for _, _, pct, x in sites]
p = "perfslo_inject.go"
src = open(p).read()
open(p, "w").write(re.sub(r"\[5\]int\{[^}]*\}", "[5]int{%s}" % ", ".join(map(str, ks)), src))
for i, (path, sig, _, _) in enumerate(sites):
    text = open(path).read()
    assert text.count(sig) == 1, (path, sig)
    open(path, "w").write(text.replace(sig, sig + "\n\tperfsloWork(perfsloK[%d])" % i, 1))
print("k =", ks)
EOF
    gitq commit -qam "inject +1% work into UUID.UnmarshalText and UUID.MarshalText, +3% into UUIDs.Strings, UUID.URN and Must")
}
if want uuid; then
  inject >"$OUT/inject.k"
  (cd "$U" && gitq checkout -q main)
fi

# --- a stride change: the same instructions, more cache misses ---
B=$WORK/benchmod
mkdir -p "$B"
cp internal/callgrind/testdata/benchmod/{go.mod,work.go,work_test.go} "$B/"
printf 'package benchmod\n\nvar stride uint64 = 1\n\nfunc injected([]byte) uint64 { return 0 }\n' >"$B/variant.go"
(cd "$B" && gitq init -q -b main && gitq add -A && gitq commit -qm base &&
  sed -i 's/stride uint64 = 1$/stride uint64 = 4099/' variant.go && gitq commit -qam "stride 4099")
want stride && { start_busy; gate "benchmod-stride-instructions-1" "$B" --measure instructions --base HEAD~1 --bench '^BenchmarkWalk$'; stop_busy; }

# --- the examples module, A/A ---
EX=$WORK/examples
cp -r examples "$EX"
rm -rf "$EX/.perfslo"
(cd "$EX" && gitq init -q -b main && gitq add -A && gitq commit -qm base)
# --- the repetitions: every instructions cell once per repetition, the
# wall-time A/A cells in the first TIME_REPS ---
MEASURES=${MEASURES:-instructions time}
measures() { case " $MEASURES " in *" $1 "*) return 0;; esac; return 1; }
for r in $(seq "$START_REP" "$REPS"); do
  past_deadline && break
  if want uuid && measures instructions; then
    start_busy
    gate "uuid-aa-instructions-$r" "$U" --measure instructions --base HEAD
    stop_busy
    (cd "$U" && gitq checkout -q inject)
    start_busy
    gate "uuid-inject-instructions-$r" "$U" --measure instructions --base main
    stop_busy
    (cd "$U" && gitq checkout -q main)
  fi
  if want examples && measures instructions; then
    start_busy
    gate "examples-aa-instructions-$r" "$EX" --measure instructions --base HEAD
    stop_busy
  fi
  if [ "$r" -le "$TIME_REPS" ] && measures time; then
    if want uuid; then
      start_busy
      gate "uuid-aa-time-$r" "$U" --measure time --base HEAD
      stop_busy
    fi
    if want examples; then
      start_busy
      gate "examples-aa-time-$r" "$EX" --measure time --base HEAD
      stop_busy
    fi
  fi
done

go run ./bench/counted "$OUT" >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
echo "bench-counted: wrote $RESULTS" >&2
