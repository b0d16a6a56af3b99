#!/usr/bin/env bash
# Collects an A/A pool for bench/simulate: PROCS one-sample processes of every
# benchmark of a module's package, each pinned to one CPU with GOMAXPROCS=1,
# as the gate runs them.
#
#   bash bench/simulate/pool.sh DIR PKG OUT.txt [PROCS] [BENCHTIME]
#   bash bench/simulate/pool.sh "$(go mod download -json github.com/google/uuid@v1.6.0 | jq -r .Dir)" . uuid.txt
set -euo pipefail
dir=$1 pkg=$2 out=$3 procs=${4:-40} benchtime=${5:-50ms}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A module from the module cache is read-only and may lack a go.mod: copy it.
cp -r "$dir" "$work/src" && chmod -R u+w "$work/src" && dir=$work/src
[ -f "$dir/go.mod" ] || (cd "$dir" && go mod init "$(basename "$dir" | sed 's/@.*//')" >/dev/null 2>&1 && go mod tidy >/dev/null 2>&1)
bin=$work/pkg.test
(cd "$dir" && GOFLAGS=-mod=mod go test -c -o "$bin" "$pkg")
: > "$out.tmp"
for i in $(seq "$procs"); do
  cpu=$(( i % $(nproc) ))
  (cd "$dir/$pkg" && GOMAXPROCS=1 taskset -c "$cpu" "$bin" -test.run '^$' -test.bench . -test.benchmem \
    -test.count 1 -test.cpu 1 -test.benchtime "$benchtime") >> "$out.tmp"
done
mv "$out.tmp" "$out"
echo "$out: $(grep -c '^Benchmark' "$out") results"
