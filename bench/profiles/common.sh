# Shared setup for the profiles measurements: a perfslo binary and a git
# repository holding a copy of examples/. Sourced, not run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/perfslo-profiles-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [[ -z "${PERFSLO:-}" ]]; then
	PERFSLO=$WORK/perfslo
	(cd "$ROOT" && go build -o "$PERFSLO" ./cmd/perfslo)
fi
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com GIT_CONFIG_GLOBAL=/dev/null

# new_repo DIR: a git repository of examples/ at DIR, one commit on main.
new_repo() {
	mkdir -p "$1"
	(cd "$ROOT/examples" && tar --exclude=.perfslo -cf - .) | tar -xf - -C "$1"
	git -C "$1" init -q -b main
	git -C "$1" add -A
	git -C "$1" commit -qm base
}

# waste_builder DIR: commit a wasteful fmt.Sprintf in strbuild.Builder (one
# benchmark, BenchmarkBuilder, regresses in sec/op, B/op and allocs/op).
waste_builder() {
	python3 - "$1/strbuild/strbuild.go" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('import "strings"', 'import (\n\t"fmt"\n\t"strings"\n)', 1)
s = s.replace("\t\tb.WriteString(w)\n", "\t\tb.WriteString(fmt.Sprintf(\"%s\", w))\n", 1)
open(p, "w").write(s)
PY
	git -C "$1" commit -qam "waste in Builder"
}
