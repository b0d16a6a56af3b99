// Package compare measures `perfslo compare` against benchstat on the same
// large input, in the same run: both are built from source, fed the same two
// generated files of benchfmt text, and timed as whole processes (startup,
// parsing, statistics, rendering), alternating tool by tool.
//
//	go test -run '^$' -bench . -count 10 ./bench/compare | tee /tmp/compare.txt
//	benchstat -col /tool /tmp/compare.txt
//
// or simply `make bench-compare`.
package compare

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Input size: benchmarks × samples result lines per file.
const (
	benchmarks = 1000
	samples    = 10
)

var (
	once                   sync.Once
	setupErr               error
	perfslo, benchstat     string
	oldFile, newFile, work string
)

func setup() {
	work, setupErr = os.MkdirTemp("", "perfslo-bench-compare-")
	if setupErr != nil {
		return
	}
	perfslo = filepath.Join(work, "perfslo")
	benchstat = filepath.Join(work, "benchstat")
	for _, build := range [][]string{
		{"build", "-o", perfslo, "github.com/perfslo/perfslo/cmd/perfslo"},
		{"build", "-o", benchstat, "golang.org/x/perf/cmd/benchstat"},
	} {
		if out, err := exec.Command("go", build...).CombinedOutput(); err != nil {
			setupErr = fmt.Errorf("go %v: %v\n%s", build, err, out)
			return
		}
	}
	oldFile, newFile = filepath.Join(work, "old.txt"), filepath.Join(work, "new.txt")
	rng := rand.New(rand.NewSource(1))
	for _, f := range []struct {
		path  string
		shift float64
	}{{oldFile, 1}, {newFile, 1.03}} {
		if setupErr = writeInput(f.path, rng, f.shift); setupErr != nil {
			return
		}
	}
}

// writeInput writes benchmarks×samples result lines with three units each,
// in go test's own format.
func writeInput(path string, rng *rand.Rand, shift float64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "goos: linux\ngoarch: amd64\npkg: example.com/big\ncpu: bench\n")
	for i := 0; i < benchmarks; i++ {
		base := 100 + float64(i%97)*13
		for s := 0; s < samples; s++ {
			ns := base * shift * (1 + 0.02*rng.NormFloat64())
			fmt.Fprintf(w, "BenchmarkOp%d/size=%d-8\t%d\t%.1f ns/op\t%d B/op\t%d allocs/op\n", i/10, i%10, 1000000, ns, 64*(i%5), i%5)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func BenchmarkCompare(b *testing.B) {
	once.Do(setup)
	if setupErr != nil {
		b.Fatal(setupErr)
	}
	for _, tool := range []struct {
		name string
		args []string
	}{
		{"benchstat", []string{benchstat, oldFile, newFile}},
		// --allow-unmeasurable: exit status must not depend on the input's verdict.
		{"perfslo", []string{perfslo, "compare", "--allow-unmeasurable", oldFile, newFile}},
	} {
		b.Run("tool="+tool.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(tool.args[0], tool.args[1:]...)
				if out, err := cmd.CombinedOutput(); err != nil {
					if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
						b.Fatalf("%v: %v\n%.2000s", tool.args, err, out)
					}
				}
			}
		})
	}
}

// TestInputSize keeps the benchmark honest about its input: ≥ 10,000 result
// lines per file.
func TestInputSize(t *testing.T) {
	if benchmarks*samples < 10000 {
		t.Fatalf("input has %d result lines per file, want ≥ 10,000", benchmarks*samples)
	}
}
