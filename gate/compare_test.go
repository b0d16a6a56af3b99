package gate

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"golang.org/x/perf/benchfmt"
)

// The -update flag is declared in markdown_test.go.

const pkg = "example.com/m/sum"

// spread returns n values around center, deterministic, with the given
// relative jitter.
func around(center, jitter float64, n int) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		// A fixed, symmetric pattern in [-1, 1].
		f := float64(i%5-2) / 2
		if i%2 == 1 {
			f = -f * 0.7
		}
		vs[i] = center * (1 + jitter*f)
	}
	return vs
}

func constantVals(v float64, n int) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = v
	}
	return vs
}

// sideOf builds a side from (benchmark, unit) → values.
func sideOf(label string, series map[[2]string][]float64) *Side {
	s := NewSide(Source{Label: label})
	keys := make([][2]string, 0, len(series))
	for k := range series {
		keys = append(keys, k)
	}
	// Map order is random; a side's first-seen order is its output order.
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		vals := series[k]
		for _, v := range vals {
			s.Add(&benchfmt.Result{
				Config: []benchfmt.Config{{Key: "pkg", Value: []byte(pkg)}},
				Name:   benchfmt.Name(strings.TrimPrefix(k[0], "Benchmark") + "-1"),
				Iters:  1000,
				Values: []benchfmt.Value{{Value: v, Unit: k[1]}},
			})
		}
	}
	return s
}

func mustConfig(t *testing.T, yaml string) *budgets.Config {
	t.Helper()
	cfg, err := budgets.Parse("perfslo.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

func onlyRow(t *testing.T, r *Report, unit string) Row {
	t.Helper()
	for _, row := range r.Results {
		if row.Unit == unit {
			return row
		}
	}
	t.Fatalf("no %s row in %+v", unit, r.Results)
	return Row{}
}

func TestVerdicts(t *testing.T) {
	const name = "BenchmarkSum/lines=1000"
	sec := [2]string{name, "sec/op"}
	allocs := [2]string{name, "allocs/op"}
	bps := [2]string{name, "B/s"}
	cases := []struct {
		name       string
		base, head map[[2]string][]float64
		config     string
		unit       string
		want       RowVerdict
		reason     string // a fragment of Reasons or Warnings
	}{
		{"no change", map[[2]string][]float64{sec: around(1e-5, 0.01, 10)}, map[[2]string][]float64{sec: around(1e-5, 0.01, 10)}, "", "sec/op", RowPass, ""},
		{"30% slower", map[[2]string][]float64{sec: around(1e-5, 0.01, 10)}, map[[2]string][]float64{sec: around(1.3e-5, 0.01, 10)}, "", "sec/op", Regression, "beyond the 5% tolerance"},
		{"3% slower within 5% tolerance", map[[2]string][]float64{sec: around(1e-5, 0.002, 10)}, map[[2]string][]float64{sec: around(1.03e-5, 0.002, 10)}, "", "sec/op", RowPass, "within the 5% tolerance"},
		{"3% slower beyond a 1% entry tolerance", map[[2]string][]float64{sec: around(1e-5, 0.002, 10)}, map[[2]string][]float64{sec: around(1.03e-5, 0.002, 10)},
			"version: 1\nbudgets:\n  - benchmark: BenchmarkSum/*\n    operation: sum\n    dataset: lines\n    tolerance: {sec/op: 1%}\n", "sec/op", Regression, "beyond the 1% tolerance"},
		{"faster", map[[2]string][]float64{sec: around(1e-5, 0.01, 10)}, map[[2]string][]float64{sec: around(0.7e-5, 0.01, 10)}, "", "sec/op", Improvement, "better"},
		{"one more alloc", map[[2]string][]float64{allocs: constantVals(2, 10)}, map[[2]string][]float64{allocs: constantVals(3, 10)}, "", "allocs/op", Regression, "+50.0%"},
		{"first alloc from zero", map[[2]string][]float64{allocs: constantVals(0, 10)}, map[[2]string][]float64{allocs: constantVals(1, 10)}, "", "allocs/op", Regression, "0 → 1"},
		{"alloc count varies", map[[2]string][]float64{allocs: {100, 120, 90, 110, 100, 95, 105, 100, 130, 80}}, map[[2]string][]float64{allocs: {101, 119, 91, 111, 99, 96, 104, 100, 129, 81}}, "", "allocs/op", RowPass, "compared statistically"},
		{"too few samples", map[[2]string][]float64{sec: around(1e-5, 0.01, 3)}, map[[2]string][]float64{sec: around(1.01e-5, 0.01, 3)}, "", "sec/op", Unmeasurable, "too few samples"},
		{"noise wider than tolerance", map[[2]string][]float64{sec: around(1e-5, 0.3, 10)}, map[[2]string][]float64{sec: around(1e-5, 0.3, 10)}, "", "sec/op", Unmeasurable, "reaches beyond the 5% tolerance"},
		{"budget broken", map[[2]string][]float64{sec: around(1e-5, 0.01, 10)}, map[[2]string][]float64{sec: around(1e-5, 0.01, 10)},
			"version: 1\nbudgets:\n  - benchmark: BenchmarkSum/lines=*\n    operation: sum\n    dataset: lines\n    limits: {sec/op: 5ns * lines}\n", "sec/op", Violation, "RAER budget sec/op broken"},
		{"budget kept", map[[2]string][]float64{sec: around(1e-5, 0.01, 10)}, map[[2]string][]float64{sec: around(1e-5, 0.01, 10)},
			"version: 1\nbudgets:\n  - benchmark: BenchmarkSum/lines=*\n    operation: sum\n    dataset: lines\n    limits: {sec/op: 20ns * lines}\n", "sec/op", RowPass, ""},
		{"median over, interval reaches limit", map[[2]string][]float64{sec: around(1e-5, 0.05, 10)}, map[[2]string][]float64{sec: around(1e-5, 0.05, 10)},
			"version: 1\ntolerance: {sec/op: 20%}\nbudgets:\n  - benchmark: BenchmarkSum/lines=*\n    operation: sum\n    dataset: lines\n    limits: {sec/op: 9.9ns * lines}\n", "sec/op", RowPass, "not yet a violation"},
		{"zero-alloc budget", map[[2]string][]float64{allocs: constantVals(0, 10)}, map[[2]string][]float64{allocs: constantVals(1, 10)},
			"version: 1\ntolerance: {allocs/op: 100%}\nbudgets:\n  - benchmark: BenchmarkSum/lines=*\n    operation: sum\n    dataset: lines\n    limits: {allocs/op: 0}\n", "allocs/op", Violation, "broken"},
		{"throughput floor", map[[2]string][]float64{bps: around(500e6, 0.01, 10)}, map[[2]string][]float64{bps: around(500e6, 0.01, 10)},
			"version: 1\nbudgets:\n  - benchmark: BenchmarkSum/lines=*\n    operation: sum\n    dataset: lines\n    limits: {B/s: 1GB/s}\n", "B/s", Violation, "broken"},
		{"throughput drop is a regression", map[[2]string][]float64{bps: around(500e6, 0.01, 10)}, map[[2]string][]float64{bps: around(400e6, 0.01, 10)}, "", "B/s", Regression, "-20.0%"},
		{"added", map[[2]string][]float64{}, map[[2]string][]float64{sec: around(1e-5, 0.01, 10)}, "", "sec/op", Added, "new in head"},
		{"removed", map[[2]string][]float64{sec: around(1e-5, 0.01, 10)}, map[[2]string][]float64{}, "", "sec/op", Removed, "missing in head"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cfg *budgets.Config
			if c.config != "" {
				cfg = mustConfig(t, c.config)
			}
			r := Compare(sideOf("base", c.base), sideOf("head", c.head), Options{Config: cfg})
			row := onlyRow(t, r, c.unit)
			if row.Verdict != c.want {
				t.Errorf("verdict %s, want %s; reasons %q warnings %q", row.Verdict, c.want, row.Reasons, row.Warnings)
			}
			if c.reason != "" {
				all := strings.Join(append(append([]string{}, row.Reasons...), row.Warnings...), "\n")
				if !strings.Contains(all, c.reason) {
					t.Errorf("reasons/warnings %q lack %q", all, c.reason)
				}
			}
			wantFail := c.want == Regression || c.want == Violation
			if (r.Verdict() == Fail) != wantFail {
				t.Errorf("suite verdict %s with row %s", r.Verdict(), row.Verdict)
			}
		})
	}
}

func TestBudgetHeadroom(t *testing.T) {
	name := "BenchmarkSum/lines=1000"
	vals := map[[2]string][]float64{{name, "sec/op"}: constantVals(8e-6, 10)}
	cfg := mustConfig(t, "version: 1\nbudgets:\n  - benchmark: BenchmarkSum/lines=*\n    operation: sum\n    dataset: lines\n    limits: {sec/op: 10ns * lines}\n")
	r := Compare(sideOf("base", vals), sideOf("head", vals), Options{Config: cfg})
	b := onlyRow(t, r, "sec/op").Budget
	if b == nil {
		t.Fatal("no budget on the row")
	}
	if math.Abs(b.Limit-1e-5) > 1e-12 || math.Abs(b.Headroom-0.2) > 1e-9 || b.Kind != "max" {
		t.Errorf("budget %+v, want limit 1e-5, headroom 0.2, max", b)
	}
	if !strings.HasPrefix(b.Config, "perfslo.yaml:6:") {
		t.Errorf("budget location %q, want perfslo.yaml:6:… (the limits line)", b.Config)
	}
}

// TestCorrections checks the multiple-comparison corrections on a suite
// where each row is borderline: significant alone, not after Holm, and
// significant after Benjamini–Hochberg because all of them moved together.
func TestCorrections(t *testing.T) {
	base := map[[2]string][]float64{}
	head := map[[2]string][]float64{}
	// n=4 vs 4 fully separated: U-test p = 0.0286 < 0.05 alone.
	for _, n := range []string{"A", "B", "C"} {
		base[[2]string{"Benchmark" + n, "sec/op"}] = []float64{1.00, 1.01, 1.02, 1.03}
		head[[2]string{"Benchmark" + n, "sec/op"}] = []float64{1.20, 1.21, 1.22, 1.23}
	}
	for _, c := range []struct {
		correction string
		want       int
	}{{CorrectionNone, 3}, {CorrectionHolm, 0}, {CorrectionBH, 3}} {
		r := Compare(sideOf("b", base), sideOf("h", head), Options{Correction: c.correction})
		if r.Failed() != c.want {
			t.Errorf("%s: %d regressions, want %d", c.correction, r.Failed(), c.want)
		}
		if r.Settings.Tests != 3 {
			t.Errorf("%s: family size %d, want 3", c.correction, r.Settings.Tests)
		}
		for _, row := range r.Results {
			if row.PAdjusted == nil || *row.PAdjusted < *row.P {
				t.Errorf("%s %s: adjusted p %v below raw p %v", c.correction, row.Benchmark, row.PAdjusted, *row.P)
			}
		}
	}
	// One borderline row among unchanged ones: BH is as strict as Holm.
	head[[2]string{"BenchmarkB", "sec/op"}] = []float64{1.03, 1.00, 1.02, 1.01}
	head[[2]string{"BenchmarkC", "sec/op"}] = []float64{1.01, 1.02, 1.00, 1.03}
	if r := Compare(sideOf("b", base), sideOf("h", head), Options{Correction: CorrectionBH}); r.Failed() != 0 {
		t.Errorf("BH with one borderline row of 3: %d regressions, want 0 (0.029 × 3 > 0.05)", r.Failed())
	}
}

func TestReadSideErrors(t *testing.T) {
	cases := []struct{ name, input, want string }{
		{"empty", "", "old.txt: no benchmark results"},
		{"garbage", "hello\nworld\n", "old.txt: no benchmark results"},
		{"truncated", "pkg: x\nBenchmarkA-8 \t 1000\t 12.5 ns/op\nBenchmarkA-8 \t 1000\t 12", "old.txt:3: missing units"},
		{"bad iterations", "BenchmarkA-8 lots 12 ns/op\n", "old.txt:1: parsing iteration count"},
		{"NaN", "BenchmarkNaN-8 100 NaN ns/op\nBenchmarkNaN-8 100 NaN ns/op\n", "old.txt:1: BenchmarkNaN-8: NaN sec/op is not a finite number"},
		{"Inf on line 2", "BenchmarkA-8 100 12 ns/op\nBenchmarkA-8 100 +Inf ns/op\n", "old.txt:2: BenchmarkA-8: +Inf ns/op is not a finite number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadSide(Source{}, strings.NewReader(c.input), "old.txt")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

// goldenReport is a fixed report exercising every renderer feature.
func goldenReport(t *testing.T) *Report {
	t.Helper()
	cfg := mustConfig(t, `version: 1
budgets:
  - benchmark: BenchmarkSum/lines=*
    operation: sum the integers of a file, one per line
    dataset: lines=N random 8-digit integers
    limits:
      sec/op: 10ns * lines
      allocs/op: 0
  - benchmark: BenchmarkEncode
    operation: encode 100 records as JSON
    dataset: 100 records
    limits:
      sec/op: 1us
`)
	base := map[[2]string][]float64{
		{"BenchmarkSum/lines=1000", "sec/op"}:    around(8e-6, 0.01, 10),
		{"BenchmarkSum/lines=1000", "B/op"}:      constantVals(4096, 10),
		{"BenchmarkSum/lines=1000", "allocs/op"}: constantVals(0, 10),
		{"BenchmarkEncode", "sec/op"}:            around(1.5e-6, 0.01, 10),
		{"BenchmarkEncode", "allocs/op"}:         constantVals(3, 10),
		{"BenchmarkOld", "sec/op"}:               around(2e-6, 0.01, 10),
	}
	head := map[[2]string][]float64{
		{"BenchmarkSum/lines=1000", "sec/op"}:    around(10.4e-6, 0.01, 10),
		{"BenchmarkSum/lines=1000", "B/op"}:      constantVals(4096, 10),
		{"BenchmarkSum/lines=1000", "allocs/op"}: constantVals(0, 10),
		{"BenchmarkEncode", "sec/op"}:            around(1.5e-6, 0.01, 10),
		{"BenchmarkEncode", "allocs/op"}:         constantVals(4, 10),
		{"BenchmarkNew", "sec/op"}:               around(3e-6, 0.01, 10),
	}
	when := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	b, h := sideOf("HEAD~1", base), sideOf("head", head)
	b.Source.Commit, h.Source.Commit = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	r := Compare(b, h, Options{Config: cfg, Now: when, Settings: Settings{Count: 10, Benchtime: "100ms", CPU: 1, Interleaved: true}})
	r.Warnings = append(r.Warnings, "round 3: other processes used 0.6 cores")
	for i := range r.Results {
		if r.Results[i].Benchmark == "BenchmarkSum/lines=1000" && r.Results[i].Unit == "sec/op" {
			share := 0.14
			impact := 0.042
			r.Results[i].Attribution = &Attribution{
				Unit: "ns/op", Total: 2400,
				Functions: []FunctionDelta{
					{Function: "example.com/m/sum.parseLine", Flat: 2100, Cum: 2300, Share: 0.875, StagingShare: &share, ServiceImpact: &impact},
					{Function: "bufio.(*Scanner).Scan", Flat: 300, Cum: 300, Share: 0.125},
				},
				Command: "go tool pprof -http=: -diff_base=base.cpu.pb.gz head.cpu.pb.gz",
			}
		}
	}
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file (go test ./gate -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestTextGolden(t *testing.T) {
	var b strings.Builder
	if err := WriteText(&b, goldenReport(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.txt", []byte(b.String()))
}

func TestJSONGoldenAndRoundTrip(t *testing.T) {
	r := goldenReport(t)
	var b strings.Builder
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", []byte(b.String()))
	back, err := ReadJSON(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if back.Verdict() != r.Verdict() || len(back.Results) != len(r.Results) || back.Schema != SchemaVersion {
		t.Errorf("round trip lost data: %+v", back)
	}
	for _, key := range []string{`"schema": 1`, `"verdict": "fail"`, `"benchmark": "BenchmarkSum/lines=1000"`, `"delta":`, `"p":`, `"headroom":`, `"verdict": "violation"`, `"verdict": "added"`, `"verdict": "removed"`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

// TestInfiniteIntervalJSON: too few samples leave benchmath's interval
// unbounded; JSON has no infinity, so the ends become null.
func TestInfiniteIntervalJSON(t *testing.T) {
	one := map[[2]string][]float64{{"BenchmarkA", "sec/op"}: {1e-6}}
	r := Compare(sideOf("b", one), sideOf("h", one), Options{})
	var b strings.Builder
	if err := WriteJSON(&b, r); err != nil {
		t.Fatalf("JSON of a one-sample report: %v", err)
	}
	if !strings.Contains(b.String(), `"low": null`) {
		t.Errorf("want null interval ends:\n%s", b.String())
	}
}
