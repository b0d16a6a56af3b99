#!/usr/bin/env bash
# pyroscope-server.sh builds the Grafana Pyroscope server that perfslo's staging tests start on
# loopback, caches the binary by version, and prints its path on stdout (progress goes to stderr).
#
# Why a source build: `go install github.com/grafana/pyroscope/cmd/pyroscope@VERSION` fails because
# the module has replace directives; the module zip plus its api submodule, placed side by side,
# builds. Cold: ~20 s download + ~2.5 min compile and ~1.3 GB memory; cached afterwards.
#
# Idempotent and safe to run concurrently (flock). Environment:
#   PYROSCOPE_VERSION      server version (default v1.12.0: newer ones are not served by the proxy)
#   PYROSCOPE_API_VERSION  api submodule version the server's go.mod names (default v1.1.0)
#   PERFSLO_CACHE_DIR      cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/perfslo)
set -euo pipefail

version="${PYROSCOPE_VERSION:-v1.12.0}"
api_version="${PYROSCOPE_API_VERSION:-v1.1.0}"
cache="${PERFSLO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/perfslo}"
dir="$cache/pyroscope/$version"
bin="$dir/pyroscope"

if [[ -x "$bin" ]]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$dir"
exec 9>"$dir.lock"
flock 9
# Another process may have finished the build while this one waited for the lock.
if [[ -x "$bin" ]]; then
	echo "$bin"
	exit 0
fi

# The module zip ships a go.work naming ./api and ./ebpf; build the module on its own go.mod.
export GOWORK=off GOFLAGS=-mod=mod

modpath() { # modpath MODULE@VERSION → the module's directory in the module cache
	go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

echo "pyroscope-server: downloading github.com/grafana/pyroscope@$version" >&2
srcmod="$(modpath "github.com/grafana/pyroscope@$version")"
apimod="$(modpath "github.com/grafana/pyroscope/api@$api_version")"
if [[ -z "$srcmod" || -z "$apimod" ]]; then
	echo "pyroscope-server: could not download the pyroscope module or its api submodule" >&2
	exit 1
fi

work="$(mktemp -d "$dir.build.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -R "$srcmod" "$work/src"
chmod -R u+w "$work/src"
rm -rf "$work/src/api"
cp -R "$apimod" "$work/src/api"
chmod -R u+w "$work/src/api"

echo "pyroscope-server: building (cold: ~3 min, ~1.3 GB memory)" >&2
(cd "$work/src" && go build -trimpath -ldflags='-s -w' -o "$work/pyroscope" ./cmd/pyroscope)
mv -f "$work/pyroscope" "$bin" # same file system: atomic
echo "$bin"
