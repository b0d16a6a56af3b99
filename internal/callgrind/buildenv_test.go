package callgrind

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// heapAddrProgram prints where its first heap object lives.
const heapAddrProgram = `package main

import "fmt"

var sink *[64]byte

func main() {
	sink = new([64]byte)
	fmt.Printf("%p\n", sink)
}
`

// heapAddrs builds heapAddrProgram with env added and returns the heap
// arenas (64 MiB, the address >> 26) of its first object in three runs:
// which span inside the arena holds it may vary with the threads' timing,
// the arena does not unless the base is random.
func heapAddrs(t *testing.T, env []string) []string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module heapaddr\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(heapAddrProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "heapaddr")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off", "GOFLAGS="), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var addrs []string
	for range 3 {
		out, err := exec.Command(bin).Output()
		if err != nil {
			t.Fatal(err)
		}
		a, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(string(out)), "0x"), 16, 64)
		if err != nil {
			t.Fatalf("heapaddr printed %q: %v", out, err)
		}
		addrs = append(addrs, fmt.Sprintf("%#x", a>>26))
	}
	return addrs
}

// The counted binaries must put the heap at the same address in every
// process (see fixedHeapBase): with BuildEnv, three runs agree; without it
// (Go 1.26's default), they differ, which is what made identical
// processes' counts differ.
func TestBuildEnvFixesTheHeapBase(t *testing.T) {
	env := BuildEnv(context.Background(), ".")
	if env == nil {
		t.Skip("this toolchain has no randomized heap base to turn off")
	}
	if !strings.HasPrefix(env[0], "GOEXPERIMENT=") || !strings.HasSuffix(env[0], fixedHeapBase) {
		t.Fatalf("BuildEnv = %q", env)
	}
	fixed := heapAddrs(t, env)
	for _, a := range fixed[1:] {
		if a != fixed[0] {
			t.Errorf("built with %s, the heap arena moved between runs: %v", env[0], fixed)
		}
	}
	random := heapAddrs(t, nil)
	if random[0] == random[1] && random[1] == random[2] {
		t.Logf("without it the heap arena stayed at %s in three runs (the randomization is off by default here?)", random[0])
	}
	t.Logf("heap arenas with %s: %v; without: %v", env[0], fixed, random)
	// A caller's own experiments are kept.
	t.Setenv("GOEXPERIMENT", fixedHeapBase)
	if got := BuildEnv(context.Background(), "."); got != nil {
		t.Errorf("with GOEXPERIMENT=%s already set, BuildEnv = %q, want nil", fixedHeapBase, got)
	}
}

func TestCollectorSource(t *testing.T) {
	for path, want := range map[string]bool{
		"/usr/local/go/src/runtime/mgcmark.go":              true,
		"/usr/local/go/src/runtime/mgcmark_greenteagc.go":   true,
		"/usr/local/go/src/runtime/mgcsweep.go":             true,
		"/usr/local/go/src/runtime/mgcscavenge.go":          true,
		"/usr/local/go/src/runtime/mgc.go":                  true,
		"/usr/local/go/src/runtime/mwbbuf.go":               true,
		"/usr/local/go/src/runtime/mgcpacer.go":             false, // the allocation path's accounting
		"/usr/local/go/src/runtime/malloc.go":               false,
		"/usr/local/go/src/runtime/mbitmap.go":              false,
		"/home/u/src/mgc/mgcmark.go":                        false, // not the runtime
		"/home/u/myruntime/mgc.go":                          false,
		"":                                                  false,
		"/usr/local/go/src/runtime/memclr_amd64.s":          false,
		"/usr/local/go/src/internal/runtime/maps/table.go":  false,
		"/root/go/pkg/mod/example.com/x/runtime/mgcfake.go": true, // any package directory named runtime: acceptable
	} {
		if got := collectorSource(path); got != want {
			t.Errorf("collectorSource(%q) = %v, want %v", path, got, want)
		}
	}
}
