package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/pipeline"
)

// TestCalibrateTinyModule runs real A/A rounds on a two-benchmark module and
// checks what is printed and saved.
func TestCalibrateTinyModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/tiny\n\ngo 1.22\n")
	writeFile(t, filepath.Join(dir, "tiny", "tiny_test.go"), `package tiny

import (
	"fmt"
	"testing"
)

var sink []byte

func BenchmarkLoop(b *testing.B) {
	s := 0
	for i := 0; i < b.N; i++ {
		for j := 0; j < 100; j++ {
			s += j
		}
	}
	_ = s
}

func BenchmarkAlloc(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = make([]byte, 64)
	}
}

// BenchmarkSize's names are prefixes of each other (n=1, n=10): each must
// be calibrated from its own samples only.
func BenchmarkSize(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			s := 0
			for i := 0; i < b.N; i++ {
				for j := 0; j < 100*n; j++ {
					s += j
				}
			}
			_ = s
		})
	}
}
`)
	code, stdout, stderr := perfslo(t, dir, "calibrate", "--rounds", "4", "--count", "6", "--benchtime", "5ms", "--cpu", "1", "--packages", "./...")
	if code != gate.ExitPass {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"A/A calibration on", "count 6", "BenchmarkLoop", "BenchmarkAlloc", "sec/op", "count needed", "benchtime 5ms: count"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	path := filepath.Join(dir, pipeline.CalibrationFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("calibration not saved: %v\nstderr:\n%s", err, stderr)
	}
	cal, err := gate.ParseCalibration(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if cal.Count != 6 || cal.Rounds != 4 || cal.CPU != 1 || cal.Machine.NumCPU < 1 || cal.Machine.GOOS == "" {
		t.Errorf("settings not recorded: %+v", cal)
	}
	units := map[string]bool{}
	for _, b := range cal.Benchmarks {
		units[b.Benchmark+" "+b.Unit] = true
		if b.Unit == "sec/op" && (b.N != 8 || b.CV < 0 || b.Center <= 0 || b.Benchtime != "5ms" || b.Tolerance != 0.05) {
			t.Errorf("row %+v: want 8 samples, a center, benchtime 5ms, tolerance 5%%", b)
		}
	}
	// Time is calibrated; exact allocation counts are not (any change is seen).
	if !units["BenchmarkLoop sec/op"] || !units["BenchmarkAlloc sec/op"] || !units["BenchmarkSize/n=10 sec/op"] || units["BenchmarkAlloc allocs/op"] {
		t.Errorf("calibrated series %v: want sec/op of both, no allocs/op", units)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%s holds %d entries, want only the calibration (no temp files)", filepath.Dir(path), len(entries))
	}
}
