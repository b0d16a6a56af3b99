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

// runThrice builds program (a main package) with env added and returns
// what three runs of it printed, trimmed.
func runThrice(t *testing.T, program string, env []string) []string {
	t.Helper()
	return runProbe(t, program, env, nil, 3)
}

// runProbe builds program (a main package) with buildEnv added and returns
// what n runs of it, with runEnv added, printed, trimmed.
func runProbe(t *testing.T, program string, buildEnv, runEnv []string, n int) []string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module probe\n\ngo 1.23\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "probe")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off", "GOFLAGS="), buildEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var outs []string
	for range n {
		run := exec.Command(bin)
		run.Env = append(os.Environ(), runEnv...)
		out, err := run.Output()
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, strings.TrimSpace(string(out)))
	}
	return outs
}

// heapAddrs returns the heap arenas (64 MiB, the address >> 26) of
// heapAddrProgram's first object in three runs built with env added:
// which span inside the arena holds it may vary with the threads' timing,
// the arena does not unless the base is random.
func heapAddrs(t *testing.T, env []string) []string {
	t.Helper()
	var addrs []string
	for _, out := range runThrice(t, heapAddrProgram, env) {
		a, err := strconv.ParseUint(strings.TrimPrefix(out, "0x"), 16, 64)
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
	env, _ := BuildEnv(context.Background(), ".")
	if len(env) == 0 || !strings.HasPrefix(env[0], "GOEXPERIMENT=") {
		t.Skip("this toolchain has no randomized heap base to turn off")
	}
	if !strings.HasSuffix(env[0], fixedHeapBase) {
		t.Fatalf("BuildEnv = %q", env)
	}
	fixed := heapAddrs(t, env[:1])
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
	got, _ := BuildEnv(context.Background(), ".")
	for _, kv := range got {
		if strings.HasPrefix(kv, "GOEXPERIMENT=") {
			t.Errorf("with GOEXPERIMENT=%s already set, BuildEnv = %q, want no GOEXPERIMENT", fixedHeapBase, got)
		}
	}
}

// seedProgram prints what the runtime's seed decides: math/rand/v2's
// global source, a map's iteration order and a maphash of a string.
const seedProgram = `package main

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
)

func main() {
	m := map[int]bool{}
	for i := range 32 {
		m[i] = true
	}
	var order []int
	for k := range m {
		order = append(order, k)
	}
	fmt.Println(rand.Uint64(), order, maphash.String(maphash.MakeSeed(), "perfslo"))
}
`

// The counted binaries start from the same runtime seed in every process
// (see seedInit): built with BuildEnv, 20 runs print the same random
// number, map order and maphash, give or take one draw; built without,
// three differ (64 random bits each time).
func TestBuildEnvFixesTheSeed(t *testing.T) {
	env, warnings := BuildEnv(context.Background(), ".")
	if len(warnings) > 0 {
		t.Fatalf("BuildEnv warned: %v", warnings)
	}
	var flags string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GOFLAGS="); ok {
			flags = v
		}
	}
	if !strings.Contains(" "+flags, " -overlay=") {
		t.Fatalf("BuildEnv = %q, want GOFLAGS with -overlay=…", env)
	}
	// GOMAXPROCS=1, as counted processes run. A process in which the
	// runtime started one more M before main draws one value later (see
	// the note after seedInit): two versions, one of them most of the
	// time; without the overlay every run differs.
	fixed := runProbe(t, seedProgram, env, []string{"GOMAXPROCS=1"}, 20)
	versions := map[string]int{}
	for _, o := range fixed {
		versions[o]++
	}
	most := 0
	for _, n := range versions {
		most = max(most, n)
	}
	if len(versions) > 3 || most < 10 {
		t.Errorf("built with %s, 20 runs printed %d versions, the commonest %d times:\n%s", flags, len(versions), most, strings.Join(fixed, "\n"))
	}
	t.Logf("built with %s: %d version(s) in 20 runs, the commonest %d times", flags, len(versions), most)
	random := runThrice(t, seedProgram, nil)
	if random[0] == random[1] || random[1] == random[2] {
		t.Errorf("built without the overlay, two runs printed the same:\n%s", strings.Join(random, "\n"))
	}
	// The overlay is named by its content: a second call finds it.
	again, _ := BuildEnv(context.Background(), ".")
	if strings.Join(again, " ") != strings.Join(env, " ") {
		t.Errorf("second BuildEnv = %q, first %q", again, env)
	}
	// A caller's GOFLAGS are kept; a caller's own overlay is not replaced.
	t.Setenv("GOFLAGS", "-mod=mod")
	env, _ = BuildEnv(context.Background(), ".")
	if got := env[len(env)-1]; !strings.HasPrefix(got, "GOFLAGS=-mod=mod -overlay=") {
		t.Errorf("with GOFLAGS=-mod=mod, BuildEnv's last = %q", got)
	}
	t.Setenv("GOFLAGS", "-overlay=/tmp/mine.json")
	env, warnings = BuildEnv(context.Background(), ".")
	if len(warnings) != 1 || !strings.Contains(warnings[0], "-overlay of its own") {
		t.Errorf("with the caller's -overlay, warnings = %q", warnings)
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "GOFLAGS=") {
			t.Errorf("with the caller's -overlay, BuildEnv = %q", env)
		}
	}
}

// A toolchain without the heap-base experiment (before Go 1.26: its go
// command rejects the name) gets no GOEXPERIMENT but still the seed
// overlay, and no warning: there is no randomization to turn off. The
// stand-in go command rejects the experiment as those toolchains do and
// passes everything else to the real one.
func TestBuildEnvWithoutHeapBaseExperiment(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip(err)
	}
	bin := t.TempDir()
	script := "#!/bin/sh\ncase \",$GOEXPERIMENT,\" in *," + fixedHeapBase + ",*) echo \"go: unknown GOEXPERIMENT " + fixedHeapBase + "\" >&2; exit 2;; esac\nexec " + goBin + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("GOEXPERIMENT", "")
	env, warnings := BuildEnv(context.Background(), ".")
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if len(env) != 1 || !strings.HasPrefix(env[0], "GOFLAGS=") || !strings.Contains(env[0], "-overlay=") {
		t.Errorf("BuildEnv = %q, want only GOFLAGS with the seed overlay", env)
	}
}

// A toolchain whose randinit is not as expected is refused with the file
// and the statement looked for, and nothing is written.
func TestSeedOverlayUnknownRandinit(t *testing.T) {
	goroot := t.TempDir()
	rt := filepath.Join(goroot, "src", "runtime")
	if err := os.MkdirAll(rt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rt, "rand.go"), []byte("package runtime\n\nfunc randinit() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "seed")
	_, err := SeedOverlay(goroot, out)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(rt, "rand.go")) || !strings.Contains(err.Error(), "globalRand.state.Init(*seed)") {
		t.Errorf("SeedOverlay = %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s written anyway (%v)", out, err)
	}
	if _, err := SeedOverlay("", out); err == nil {
		t.Error("SeedOverlay with no GOROOT: no error")
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
