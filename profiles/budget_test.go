package profiles

import (
	"math"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

// TestAllocBudgetsExact profiles a benchmark that makes exactly one 64-byte
// allocation per op, twice, and checks that Subtract makes the function's
// count exact and that budgets judge it.
func TestAllocBudgetsExact(t *testing.T) {
	if testing.Short() {
		t.Skip("runs benchmarks")
	}
	big := runWorkload(t, "BenchmarkAlloc", 1000, false, "mem")
	small := runWorkload(t, "BenchmarkAlloc", 2, false, "mem")
	exact, err := Subtract(big, small)
	if err != nil {
		t.Fatal(err)
	}
	if exact.Iters != 998 || !exact.Exact {
		t.Fatalf("Subtract: %d iterations, exact %v; want 998, true", exact.Iters, exact.Exact)
	}
	entry := &budgets.Budget{
		Benchmark: "BenchmarkAlloc", Operation: "allocate a 64-byte buffer", Dataset: "none", Line: 7, Column: 5,
		Profile: &budgets.ProfileBudget{
			AllocsPerOp: map[string]float64{`benchmod\.BenchmarkAlloc$`: 1, `^strconv\.`: 0, `benchmod\.Bench`: 0.5},
			BytesPerOp:  map[string]float64{`benchmod\.BenchmarkAlloc$`: 32},
		},
	}
	rows := BudgetRows(entry, BudgetTarget{Benchmark: "BenchmarkAlloc", Package: "example.com/benchmod", Mem: exact, ConfigFile: "perfslo.yaml"})
	type want struct {
		unit, fn string
		center   float64
		verdict  gate.RowVerdict
		reason   string
	}
	wants := []want{
		{"allocs/op", `^strconv\.`, 0, gate.RowPass, `^strconv\. allocates 0 allocs/op in BenchmarkAlloc (cum, b.N=998), limit 0 allocs/op`},
		{"allocs/op", `benchmod\.Bench`, 1, gate.Violation, `function budget broken: benchmod\.Bench allocates 1 allocs/op in BenchmarkAlloc (cum, b.N=998), limit 0.5 allocs/op`},
		{"allocs/op", `benchmod\.BenchmarkAlloc$`, 1, gate.RowPass, `limit 1 allocs/op`},
		{"B/op", `benchmod\.BenchmarkAlloc$`, 64, gate.Violation, `function budget broken: benchmod\.BenchmarkAlloc$ allocates 64 B/op in BenchmarkAlloc (cum, b.N=998), limit 32 B/op`},
	}
	if len(rows) != len(wants) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(wants), rows)
	}
	for i, w := range wants {
		r := rows[i]
		t.Logf("%s %s: %v %v %v", r.Unit, r.Function, r.Verdict, r.Reasons, r.Warnings)
		if r.Unit != w.unit || r.Function != w.fn || r.Verdict != w.verdict {
			t.Errorf("row %d: %s %s %s, want %s %s %s", i, r.Unit, r.Function, r.Verdict, w.unit, w.fn, w.verdict)
		}
		if r.Head == nil || r.Head.Center != w.center || r.Head.Low != w.center {
			t.Errorf("row %d: head %+v, want exactly %v", i, r.Head, w.center)
		}
		if !strings.Contains(strings.Join(r.Reasons, "; "), w.reason) {
			t.Errorf("row %d reasons %q, want %q", i, r.Reasons, w.reason)
		}
		if r.Budget == nil || r.Budget.Config != "perfslo.yaml:7:5" || r.Budget.Operation != entry.Operation {
			t.Errorf("row %d budget %+v", i, r.Budget)
		}
	}
	if w := strings.Join(rows[0].Warnings, ";"); !strings.Contains(w, "matched no function") {
		t.Errorf("a pattern matching nothing gives no warning: %q", w)
	}
	if h := rows[3].Budget.Headroom; h != -1 {
		t.Errorf("headroom of 64 B against 32 B = %v, want -1", h)
	}

	// A single run includes testing's probe iteration: 1001 allocations
	// over b.N=1000, so the count is only known within [1, 1.001].
	single := BudgetRows(&budgets.Budget{Profile: &budgets.ProfileBudget{AllocsPerOp: map[string]float64{`benchmod\.BenchmarkAlloc$`: 1}}},
		BudgetTarget{Benchmark: "BenchmarkAlloc", Mem: big})
	if r := single[0]; r.Verdict != gate.RowPass || r.Head.Center != 1.001 || r.Head.Low != 1 || len(r.Warnings) == 0 {
		t.Errorf("single run: %s head %+v warnings %q; want pass, center 1.001, low 1, a warning", r.Verdict, r.Head, r.Warnings)
	}
}

func TestCPUShareBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("runs benchmarks")
	}
	head := runWorkload(t, "BenchmarkWork", 5000, true, "cpu")
	entry := &budgets.Budget{Benchmark: "BenchmarkWork", Line: 3, Column: 5, Profile: &budgets.ProfileBudget{
		CPUShare: map[string]float64{`^fmt\.`: 0.05, `benchmod\.Sum$`: 0.5, `(`: 0.1},
	}}
	rows := BudgetRows(entry, BudgetTarget{Benchmark: "BenchmarkWork", CPU: head, ConfigFile: "perfslo.yaml"})
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		t.Logf("%s %s: %s %v %v", r.Unit, r.Function, r.Verdict, r.Reasons, r.Warnings)
	}
	// Sorted by pattern: "(", "^fmt\.", "benchmod\.Sum$".
	if r := rows[0]; r.Verdict != gate.Unmeasurable || !strings.Contains(r.Reasons[0], "function pattern \"(\": error parsing regexp") {
		t.Errorf("bad pattern: %s %q", r.Verdict, r.Reasons)
	}
	fmtRow := rows[1]
	if fmtRow.Verdict != gate.Violation || fmtRow.Unit != "cpu-share" || fmtRow.Head.Low <= 0.05 {
		t.Errorf("fmt share: %s %+v", fmtRow.Verdict, fmtRow.Head)
	}
	if !strings.Contains(fmtRow.Reasons[0], `function budget broken: ^fmt\. takes `) || !strings.Contains(fmtRow.Reasons[0], "of BenchmarkWork's CPU [") || !strings.Contains(fmtRow.Reasons[0], "limit 5%") {
		t.Errorf("fmt reason %q", fmtRow.Reasons[0])
	}
	if r := rows[2]; r.Verdict != gate.RowPass || r.Head.Center > 0.2 {
		t.Errorf("Sum share: %s %+v", r.Verdict, r.Head)
	}
}

func TestWilson(t *testing.T) {
	for _, tt := range []struct {
		k, n   int64
		lo, hi float64
	}{
		{0, 10, 0, 0.2775},
		{10, 10, 0.7225, 1},
		{50, 100, 0.4038, 0.5962},
		{5, 100, 0.0215, 0.1118},
		{100, 1000, 0.0829, 0.1202},
		{50, 50, 0.9287, 1},
	} {
		lo, hi := Wilson(float64(tt.k)/float64(tt.n), float64(tt.n))
		if math.Abs(lo-tt.lo) > 1e-4 || math.Abs(hi-tt.hi) > 1e-4 {
			t.Errorf("Wilson(%d/%d) = [%.4f, %.4f], want [%.4f, %.4f]", tt.k, tt.n, lo, hi, tt.lo, tt.hi)
		}
	}
}

func TestSaveLoadSaved(t *testing.T) {
	types := []string{"alloc_objects/count", "alloc_space/bytes"}
	m := &Measured{Path: "x", Iters: 998, Exact: true, Profile: synth(types, stack{frames: []string{"m.f"}, values: []int64{998, 64 * 998}})}
	path := t.TempDir() + "/saved.pb.gz"
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSaved(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Iters != 998 || !got.Exact {
		t.Errorf("LoadSaved: iters %d exact %v", got.Iters, got.Exact)
	}
	if v, _ := got.PerOp(TypeAllocSpace); v != 64 {
		t.Errorf("B/op after a round trip = %v", v)
	}
	plain := t.TempDir() + "/plain.pb.gz"
	if err := WriteFile(plain, m.Profile); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSaved(plain); err == nil || !strings.Contains(err.Error(), plain+`: no "perfslo-iters:" comment`) {
		t.Errorf("LoadSaved of a profile without a count: %v", err)
	}
}
