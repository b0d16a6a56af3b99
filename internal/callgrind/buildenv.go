package callgrind

import (
	"context"
	"os"
	"os/exec"
	"strings"
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

// BuildEnv returns the environment additions for building the test
// binaries that will be counted (in dir, with the go command found in
// PATH): GOEXPERIMENT with the randomized heap base off, appended to the
// caller's GOEXPERIMENT, when the toolchain has that experiment (Go 1.26
// and later); nil when it does not (older toolchains have no such
// randomization) or when the setting is already there.
func BuildEnv(ctx context.Context, dir string) []string {
	cur := os.Getenv("GOEXPERIMENT")
	for _, e := range strings.Split(cur, ",") {
		if strings.TrimSpace(e) == fixedHeapBase {
			return nil
		}
	}
	val := fixedHeapBase
	if cur != "" {
		val = cur + "," + fixedHeapBase
	}
	kv := "GOEXPERIMENT=" + val
	// go env rejects an experiment its toolchain does not know.
	cmd := exec.CommandContext(ctx, "go", "env", "GOEXPERIMENT")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), kv)
	if err := cmd.Run(); err != nil {
		return nil
	}
	return []string{kv}
}
