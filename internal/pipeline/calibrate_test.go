package pipeline

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

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCalibrationWarnings checks the gate's use of a saved calibration.
func TestCalibrationWarnings(t *testing.T) {
	here := store.CurrentMachine(context.Background())
	fresh := time.Now().UTC().Add(-time.Hour)
	base := gate.Calibration{
		Schema: gate.CalibrationSchema, Created: fresh, Machine: here, Count: 10, CPU: 1, Rounds: 20, Alpha: 0.05, Power: 0.8, Tests: 3,
	}
	noise := func(cv float64) []gate.CalibratedNoise {
		return []gate.CalibratedNoise{{Package: "example.com/m/sum", Benchmark: "BenchmarkSum", Unit: "sec/op", Benchtime: "100ms", N: 40, Center: 1e-5, CV: cv, Tolerance: 0.05}}
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
		edit func(c *gate.Calibration)
		raw  string // written instead of the calibration when set
		want []string
		none bool
	}{
		{name: "noisy: warns with the MDE and the count that would do", edit: func(c *gate.Calibration) { c.Benchmarks = noise(0.05) },
			want: []string{"sum BenchmarkSum cannot see a 5% sec/op regression here (MDE", "at count 10", "raise --count to", "does not cover 1 timed row"}},
		{name: "quiet: no warning for the covered row", edit: func(c *gate.Calibration) { c.Benchmarks = noise(0.005) },
			want: []string{"does not cover 1 timed row"}},
		{name: "stale", edit: func(c *gate.Calibration) {
			c.Benchmarks = noise(0.05)
			c.Created = time.Now().Add(-40 * 24 * time.Hour)
		},
			want: []string{"ignored: measured 40 days ago"}},
		{name: "other machine", edit: func(c *gate.Calibration) {
			c.Benchmarks = noise(0.05)
			c.Machine.CPU = "Imaginary CPU 9000"
			c.Machine.NumCPU = 64
		},
			want: []string{"ignored: measured on CPU Imaginary CPU 9000", "measured with 64 cores"}},
		{name: "other GOMAXPROCS", edit: func(c *gate.Calibration) { c.Benchmarks = noise(0.05); c.CPU = 2 },
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
				writeFile(t, filepath.Join(dir, CalibrationFile), string(data))
			}
			got := CalibrationWarnings(context.Background(), dir, rep)
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
