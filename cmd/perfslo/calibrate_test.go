package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/store"
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
	if code != exitPass {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"A/A calibration on", "count 6", "BenchmarkLoop", "BenchmarkAlloc", "sec/op", "count needed", "benchtime 5ms: count"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	path := filepath.Join(dir, calibrationFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("calibration not saved: %v\nstderr:\n%s", err, stderr)
	}
	cal, err := parseCalibration(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if cal.Count != 6 || cal.Rounds != 4 || cal.CPU != 1 || cal.NumCPU < 1 || cal.GOOS == "" {
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

// TestCalibrationWarnings checks the gate's use of a saved calibration.
func TestCalibrationWarnings(t *testing.T) {
	here := store.CurrentMachine(context.Background())
	fresh := time.Now().UTC().Add(-time.Hour)
	base := calibration{
		Schema: calibrationSchema, Created: fresh, GoVersion: here.GoVersion, GOOS: here.GOOS, GOARCH: here.GOARCH,
		CPUModel: here.CPU, NumCPU: here.NumCPU, Count: 10, CPU: 1, Rounds: 20, Alpha: 0.05, Power: 0.8, Tests: 3,
	}
	noise := func(cv float64) []calibratedNoise {
		return []calibratedNoise{{Package: "example.com/m/sum", Benchmark: "BenchmarkSum", Unit: "sec/op", Benchtime: "100ms", N: 40, Center: 1e-5, CV: cv, Tolerance: 0.05}}
	}
	rep := &gate.Report{
		Settings: gate.Settings{Alpha: 0.05, Tests: 3, Count: 10, Benchtime: "100ms", CPU: 1},
		Results: []gate.Row{{
			Benchmark: "BenchmarkSum", Package: "example.com/m/sum", Unit: "sec/op", Assumption: "nothing",
			Tolerance: 0.05, Verdict: gate.RowPass,
			Base: &gate.Stat{Center: 1e-5, N: 10}, Head: &gate.Stat{Center: 1e-5, N: 10},
		}, {
			Benchmark: "BenchmarkOther", Package: "example.com/m/sum", Unit: "sec/op", Assumption: "nothing",
			Tolerance: 0.05, Verdict: gate.RowPass,
			Base: &gate.Stat{Center: 1e-5, N: 10}, Head: &gate.Stat{Center: 1e-5, N: 10},
		}},
	}
	cases := []struct {
		name string
		edit func(c *calibration)
		raw  string // written instead of the calibration when set
		want []string
		none bool
	}{
		{name: "noisy: warns with the MDE and the count that would do", edit: func(c *calibration) { c.Benchmarks = noise(0.05) },
			want: []string{"sum BenchmarkSum cannot see a 5% sec/op regression here (MDE", "at count 10", "raise --count to", "does not cover 1 timed row"}},
		{name: "quiet: no warning for the covered row", edit: func(c *calibration) { c.Benchmarks = noise(0.005) },
			want: []string{"does not cover 1 timed row"}},
		{name: "stale", edit: func(c *calibration) { c.Benchmarks = noise(0.05); c.Created = time.Now().Add(-40 * 24 * time.Hour) },
			want: []string{"ignored: measured 40 days ago"}},
		{name: "other machine", edit: func(c *calibration) { c.Benchmarks = noise(0.05); c.CPUModel = "Imaginary CPU 9000"; c.NumCPU = 64 },
			want: []string{"ignored: measured on CPU Imaginary CPU 9000", "measured with 64 cores"}},
		{name: "other GOMAXPROCS", edit: func(c *calibration) { c.Benchmarks = noise(0.05); c.CPU = 2 },
			want: []string{"measured at cpu 2, this run uses cpu 1"}},
		{name: "corrupt", raw: "{\n  \"schema\": 1,\n  \"count\": \"ten\"\n}\n",
			want: []string{"calibration ignored:", "calibration.json:3:", "expected the JSON perfslo calibrate writes"}},
		{name: "absent", none: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if !c.none {
				data := []byte(c.raw)
				if c.raw == "" {
					cal := base
					c.edit(&cal)
					var err error
					if data, err = json.Marshal(cal); err != nil {
						t.Fatal(err)
					}
				}
				writeFile(t, filepath.Join(dir, calibrationFile), string(data))
			}
			got := calibrationWarnings(dir, rep)
			all := strings.Join(got, "\n")
			if c.none && len(got) != 0 {
				t.Errorf("no calibration: want no warnings, got %q", got)
			}
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("warnings lack %q:\n%s", w, all)
				}
			}
			if c.name == "quiet: no warning for the covered row" && strings.Contains(all, "cannot see") {
				t.Errorf("quiet machine warned: %s", all)
			}
		})
	}
}
