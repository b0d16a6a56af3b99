package callgrind

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/perfslo/perfslo/internal/atomicfile"
)

// fixedHeapBase is the GOEXPERIMENT setting that turns off Go 1.26's
// randomized heap base (runtime/malloc.go, randomizeHeapBase): with it on,
// the heap starts at a random page of a random 4 MiB chunk in every
// process, so when the page allocator crosses a chunk, how far its
// searches go and which spans come back needing zeroing differ between
// identical processes. Measured on google/uuid's BenchmarkUUID_New, 5
// (N, 2N) pairs under callgrind: runtime.(*pageAlloc).find took 0 to 85k
// instructions per process and the per-op spread was 0.72%; built with
// this setting, find's count was the same in every process and the
// spread 0.23%.
const fixedHeapBase = "norandomizedheapbase64"

// seedInit is the statement of runtime/rand.go's randinit (Go 1.22 and
// later) that seeds the runtime's generator, from the 16 bytes the kernel
// puts in the auxiliary vector (AT_RANDOM) or from /dev/urandom. Every
// per-process seed of the runtime descends from it: the AES hash key of
// maps and maphash (alginit), each map's own seed and each M's generator
// (rand), math/rand's and math/rand/v2's global sources. The counted
// binaries' copy clears the seed just before it, so those are the same in
// every process. Measured on the examples' BenchmarkTopWords (a map of
// words) under callgrind: with random seeds, est-cycles/op differed by up
// to 5.6% between identical processes (which groups of the map a word
// lands in moves its cache misses), and one A/A run called −2.7% an
// improvement from two pairs that happened to agree; with the seed fixed,
// three A/A runs spread at most 0.21% and decided without a look.
const seedInit = "\tglobalRand.state.Init(*seed)\n"

// fixedSeed is the statement put before seedInit.
const fixedSeed = "\tclear(seed[:]) // perfslo: every counted process starts from the same seed\n"

// The runtime's other per-process draw was left as it is: mrandinit seeds a
// new M's cheap generator with a draw from the generator of the M that
// creates it, so when the runtime starts one more M before main.main (a
// matter of timing), main's draws come one later. Natively, 49 of 60
// processes drew one sequence, 11 the other. Changing that statement to
// draw from the global generator made native processes agree in 80 of 80,
// but under callgrind it made BenchmarkTopWords' est-cycles/op higher and
// more variable (1.5–2.4% between a side's runs, against at most 0.22%
// with the seed fix alone), so it is not done.

// BuildEnv returns the environment additions for building the test
// binaries that will be counted (in dir, with the go command found in
// PATH), and why any of them could not be made:
//   - GOEXPERIMENT with the randomized heap base off, appended to the
//     caller's GOEXPERIMENT, when the toolchain has that experiment (Go
//     1.26 and later; older toolchains have no such randomization);
//   - GOFLAGS with an -overlay that fixes the runtime's seed (seedInit),
//     appended to the GOFLAGS the go command resolves.
//
// Both apply to base and head alike, and only in a gate run that counts
// (a benchmark that auto then times runs the same binary).
func BuildEnv(ctx context.Context, dir string) (env, warnings []string) {
	kv := heapBaseSetting()
	goenv, err := resolvedEnv(ctx, dir, kv)
	if err != nil && kv != "" {
		// go env rejects an experiment its toolchain does not know.
		kv = ""
		goenv, err = resolvedEnv(ctx, dir, "")
	}
	if kv != "" {
		env = append(env, kv)
	}
	var flags string
	if err == nil {
		flags, err = seedFlags(goenv)
	}
	if err != nil {
		return env, []string{"the runtime's seeds stay random per process (maps' hash seeds, math/rand), so counts that depend on them may vary between runs: " + err.Error()}
	}
	return append(env, flags), nil
}

// heapBaseSetting is BuildEnv's GOEXPERIMENT setting, the caller's
// GOEXPERIMENT with fixedHeapBase appended, or "" when it already has it.
func heapBaseSetting() string {
	cur := os.Getenv("GOEXPERIMENT")
	for _, e := range strings.Split(cur, ",") {
		if strings.TrimSpace(e) == fixedHeapBase {
			return ""
		}
	}
	if cur != "" {
		return "GOEXPERIMENT=" + cur + "," + fixedHeapBase
	}
	return "GOEXPERIMENT=" + fixedHeapBase
}

// goEnv is what seedFlags needs of the go command's environment.
type goEnv struct{ GOROOT, GOFLAGS string }

// resolvedEnv asks the go command in dir, with the setting kv (if any)
// added to the environment, for its GOROOT and resolved GOFLAGS (go.env
// and GOENV included).
func resolvedEnv(ctx context.Context, dir, kv string) (goEnv, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "-json", "GOROOT", "GOFLAGS")
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if kv != "" {
		cmd.Env = append(cmd.Env, kv)
	}
	var goenv goEnv
	out, err := cmd.Output()
	if err != nil {
		return goenv, fmt.Errorf("go env GOROOT GOFLAGS in %s: %w", dir, err)
	}
	if err := json.Unmarshal(out, &goenv); err != nil {
		return goenv, fmt.Errorf("go env: %w", err)
	}
	return goenv, nil
}

// seedFlags is BuildEnv's GOFLAGS setting: the resolved GOFLAGS plus the
// seed overlay of that toolchain.
func seedFlags(goenv goEnv) (string, error) {
	for _, f := range strings.Fields(goenv.GOFLAGS) {
		if f == "-overlay" || f == "--overlay" || strings.HasPrefix(f, "-overlay=") || strings.HasPrefix(f, "--overlay=") {
			return "", errors.New("GOFLAGS has an -overlay of its own, and the go command takes one")
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	overlay, err := SeedOverlay(goenv.GOROOT, filepath.Join(cache, "perfslo", "seed"))
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(overlay, " \t\n") {
		return "", fmt.Errorf("the overlay's path %q has a space, which GOFLAGS cannot hold", overlay)
	}
	return "GOFLAGS=" + strings.TrimSpace(goenv.GOFLAGS+" -overlay="+overlay), nil
}

// SeedOverlay writes, under dir, a go command overlay (go help build,
// -overlay) that replaces goroot's runtime/rand.go with a copy whose
// randinit starts from a zero seed (seedInit), and returns the overlay
// file's path. The files are named by the copy's hash, so the path names
// the content, as the binary cache's key needs, and a run finds them
// written by an earlier one. It fails, saying why, when rand.go is not as
// expected (a toolchain before Go 1.22, or a later one that seeds
// differently).
func SeedOverlay(goroot, dir string) (string, error) {
	if goroot == "" {
		return "", errors.New("the go command reports no GOROOT")
	}
	src := filepath.Join(goroot, "src", "runtime", "rand.go")
	orig, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	if n := strings.Count(string(orig), seedInit); n != 1 {
		return "", fmt.Errorf("%s: expected the statement %q once in randinit, found it %d times", src, strings.TrimSpace(seedInit), n)
	}
	patched := strings.Replace(string(orig), seedInit, fixedSeed+seedInit, 1)
	sum := sha256.Sum256([]byte(src + "\x00" + patched))
	d := filepath.Join(dir, hex.EncodeToString(sum[:12]))
	overlay, copyPath := filepath.Join(d, "overlay.json"), filepath.Join(d, "rand.go")
	if written, err := os.ReadFile(copyPath); err == nil && string(written) == patched {
		if _, err := os.Stat(overlay); err == nil {
			return overlay, nil
		}
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", err
	}
	if err := atomicfile.WriteBytes(copyPath, []byte(patched)); err != nil {
		return "", err
	}
	js, err := json.Marshal(map[string]map[string]string{"Replace": {src: copyPath}})
	if err != nil {
		return "", err
	}
	// Written last: its presence means the copy is complete.
	if err := atomicfile.WriteBytes(overlay, js); err != nil {
		return "", err
	}
	return overlay, nil
}
