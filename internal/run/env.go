package run

import (
	"os"

	"github.com/perfslo/perfslo/internal/redact"
)

// BenchmarkEnv is the environment of a benchmark process: perfslo's own
// without the variables that hold credentials (redact.Env: GITHUB_TOKEN,
// *_TOKEN, *_PASSWORD, *SECRET*, PYROSCOPE_BASIC_AUTH_*, the Actions runtime
// and OIDC tokens, values shaped like tokens), then extra, which is passed
// as given. A benchmark is the code under review, a pull request's in CI:
// it has no business with the job's tokens. What go test needs stays
// (PATH, HOME, TMPDIR, GO*, ...).
//
// This is one layer, not a sandbox: the process still runs as the job's
// user and can read what that user can (SECURITY.md).
func BenchmarkEnv(extra ...string) []string {
	return append(redact.Env(os.Environ()), extra...)
}
