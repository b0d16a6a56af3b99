package callgrind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// ErrNoValgrind is returned (wrapped in a *MissingValgrindError) when
// valgrind is not installed or cannot run its callgrind tool.
var ErrNoValgrind = errors.New("valgrind not available")

// InstallHint is the command that installs valgrind on Debian and Ubuntu,
// the systems of the CI images perfslo targets.
const InstallHint = "sudo apt-get install -y valgrind"

// MissingValgrindError says why valgrind cannot be used and how to get it.
type MissingValgrindError struct {
	Path   string // what was looked up or run
	Reason string
}

func (e *MissingValgrindError) Error() string {
	return fmt.Sprintf("instruction counting needs valgrind's callgrind tool, but %s %s; install it with `%s` (or pass the wall-time measure)",
		e.Path, e.Reason, InstallHint)
}

func (e *MissingValgrindError) Unwrap() error { return ErrNoValgrind }

var versionCache sync.Map // valgrind path → version string

// Check finds valgrind (path "" means "valgrind" from PATH), checks that its
// callgrind tool runs, and returns its absolute path and version
// ("valgrind-3.19.0").
func Check(ctx context.Context, path string) (abs, version string, err error) {
	if path == "" {
		path = "valgrind"
	}
	abs, err = exec.LookPath(path)
	if err != nil {
		return "", "", &MissingValgrindError{Path: path, Reason: "is not in PATH"}
	}
	if v, ok := versionCache.Load(abs); ok {
		return abs, v.(string), nil
	}
	out, err := exec.CommandContext(ctx, abs, "--version").Output()
	if err != nil {
		return "", "", &MissingValgrindError{Path: abs, Reason: fmt.Sprintf("does not run (%v)", err)}
	}
	version = strings.TrimSpace(string(out))
	// A valgrind without its tools (a partial install) fails here rather
	// than in the middle of a gate.
	var stderr bytes.Buffer
	probe := exec.CommandContext(ctx, abs, "--tool=callgrind", "--callgrind-out-file=/dev/null", "-q", "/bin/true")
	probe.Stderr = &stderr
	if _, statErr := os.Stat("/bin/true"); statErr == nil {
		if err := probe.Run(); err != nil {
			return "", "", &MissingValgrindError{Path: abs, Reason: fmt.Sprintf("cannot run its callgrind tool (%v: %s)", err, strings.TrimSpace(stderr.String()))}
		}
	}
	versionCache.Store(abs, version)
	return abs, version, nil
}

// cpuFeaturesValgrindLacks are host CPU flags (as /proc/cpuinfo names them)
// that valgrind 3.19's amd64 guest does not offer. Measured here on an AMD
// EPYC with Go's golang.org/x/sys/cpu: natively AVX512F, AVX512BW, AVX512VL
// and ADX are set, under valgrind they are not (AES, PCLMULQDQ, AVX2, BMI2,
// FMA are offered). SHA-NI: the project's noise notes; Go's crypto/sha256
// then runs its AVX2 code instead.
var cpuFeaturesValgrindLacks = []string{"sha_ni", "avx512f", "avx512bw", "avx512vl", "avx512dq", "adx", "vaes", "vpclmulqdq", "gfni"}

// CPUNote says that code dispatching on CPU features may run another path
// under valgrind, naming the features this host has and valgrind hides.
func CPUNote() string {
	const generic = "valgrind presents an older CPU (no SHA-NI, no AVX-512): code that picks its implementation by CPU feature (crypto, hashing, compression, encoding) runs a different path under callgrind than natively"
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return generic
	}
	var flags map[string]bool
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			flags = map[string]bool{}
			for _, f := range strings.Fields(v) {
				flags[f] = true
			}
			break
		}
	}
	var hidden []string
	for _, f := range cpuFeaturesValgrindLacks {
		if flags[f] {
			hidden = append(hidden, f)
		}
	}
	if len(hidden) == 0 {
		return generic
	}
	return fmt.Sprintf("this CPU has %s, which valgrind does not present: code that picks its implementation by CPU feature (crypto, hashing, compression, encoding) runs a different path under callgrind than natively",
		strings.Join(hidden, ", "))
}
