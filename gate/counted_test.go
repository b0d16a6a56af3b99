package gate

import (
	"strings"
	"testing"

	"github.com/perfslo/perfslo/budgets"
)

// TestCountedRows judges instructions/op rows as the deterministic mode
// produces them: two runs per side that agree closely are exact counts,
// judged against the 0.5% default tolerance with no U-test (two samples
// per side could never reach significance); counts that vary more than the
// bound fall back to statistics and say so.
func TestCountedRows(t *testing.T) {
	const ir = budgets.UnitInstructions
	cases := []struct {
		name       string
		base, head []float64
		procedure  bool // through the multi-look procedure rather than Compare
		want       RowVerdict
		assumption string
		reason     string // a substring of the row's reasons or warnings
	}{
		{name: "A/A within the bound", base: []float64{10000, 10001}, head: []float64{10002, 10000}, want: RowPass, assumption: "exact", reason: "judged as exact counts"},
		{name: "+0.2% real but within the tolerance", base: []float64{10000, 10001}, head: []float64{10020, 10021}, want: RowPass, assumption: "exact", reason: "within the 0.5% tolerance"},
		{name: "+1% regression", base: []float64{10000, 10001}, head: []float64{10100, 10101}, want: Regression, assumption: "exact", reason: "beyond the 0.5% tolerance"},
		{name: "-3% improvement", base: []float64{10000, 10001}, head: []float64{9700, 9701}, want: Improvement, assumption: "exact"},
		{name: "varying counts go statistical", base: []float64{10000, 10200, 9900}, head: []float64{10100, 9800, 10000}, want: RowPass, assumption: "nothing", reason: "compared statistically"},
		{name: "noisy but every head run 2.6% above every base run", base: []float64{10000, 10040}, head: []float64{10300, 10340}, want: Regression, assumption: "exact", reason: "ranges' change"},
		{name: "noisy but the ranges lie within the tolerance", base: []float64{10000, 10030}, head: []float64{10005, 10035}, want: RowPass, assumption: "exact", reason: "ranges' change"},
		{name: "a seed outlier on a five-run side: the middle three settle the A/A", base: []float64{2925, 2924, 2926, 2950, 2925}, head: []float64{2925, 2926}, want: RowPass, assumption: "exact", reason: "all but its lowest and highest"},
		{name: "two outliers in five still reach beyond the tolerance: statistical", base: []float64{2925, 2926}, head: []float64{2925, 2950, 2951, 2925, 2924}, want: Unmeasurable, assumption: "nothing", reason: "do not settle"},
		{name: "+1% with a seed outlier on each side is a regression", base: []float64{2925, 2924, 2926, 2950, 2925}, head: []float64{2955, 2954, 2956, 2955, 2980}, want: Regression, assumption: "exact", reason: "beyond the 0.5% tolerance"},
		{name: "one run per side is not measured determinism", base: []float64{10000}, head: []float64{10100}, want: Unmeasurable, assumption: "nothing", reason: "determinism is not measured"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := sideOf("base", map[[2]string][]float64{{"BenchmarkX", ir}: c.base})
			head := sideOf("head", map[[2]string][]float64{{"BenchmarkX", ir}: c.head})
			rep := Compare(base, head, Options{})
			if len(rep.Results) != 1 {
				t.Fatalf("%d rows, want 1", len(rep.Results))
			}
			r := rep.Results[0]
			text := strings.Join(append(append([]string(nil), r.Reasons...), r.Warnings...), " | ")
			if r.Tolerance != budgets.DefaultCountTolerance {
				t.Errorf("tolerance %g, want the default for counts %g", r.Tolerance, budgets.DefaultCountTolerance)
			}
			if c.name == "varying counts go statistical" {
				// Three samples each: the U-test cannot decide, and the
				// row says so rather than passing.
				c.want = Unmeasurable
			}
			if r.Verdict != c.want || r.Assumption != c.assumption {
				t.Errorf("verdict %s (%s), want %s (%s); %s", r.Verdict, r.Assumption, c.want, c.assumption, text)
			}
			if !strings.Contains(text, c.reason) {
				t.Errorf("reasons and warnings %q lack %q", text, c.reason)
			}
		})
	}
}

// TestCountedRegressionConfirmed runs an instruction regression through
// the gate's procedure: the first stage screens it, a look of fresh runs
// confirms it with two fresh runs per side, an A/A row beside it passes at
// once, and so does a benchmark whose side took five runs (which does not
// make the look take five).
func TestCountedRegressionConfirmed(t *testing.T) {
	const ir = budgets.UnitInstructions
	base := sideOf("base", map[[2]string][]float64{{"BenchmarkA", ir}: {5000, 5001}, {"BenchmarkB", ir}: {8000, 8000}, {"BenchmarkC", ir}: {400, 401}})
	head := sideOf("head", map[[2]string][]float64{{"BenchmarkA", ir}: {5000, 5000}, {"BenchmarkB", ir}: {8240, 8241}, {"BenchmarkC", ir}: {400, 401, 399, 402, 400}})
	p := NewProcedure(base, head, Options{Looks: 3})
	look, ok := p.Next()
	if !ok || len(look.Benchmarks) != 1 || look.Benchmarks[0].Name != "BenchmarkB" {
		t.Fatalf("look %+v, %v: want one look of BenchmarkB", look, ok)
	}
	if look.Rounds != 2 {
		t.Errorf("look of %d rounds, want 2 fresh runs per side", look.Rounds)
	}
	p.Add(sideOf("base", map[[2]string][]float64{{"BenchmarkB", ir}: {8000, 8001}}),
		sideOf("head", map[[2]string][]float64{{"BenchmarkB", ir}: {8241, 8240}}))
	if _, more := p.Next(); more {
		t.Fatal("another look after the regression was confirmed")
	}
	rep := p.Report()
	got := map[string]RowVerdict{}
	for _, r := range rep.Results {
		got[r.Benchmark] = r.Verdict
	}
	if got["BenchmarkA"] != RowPass || got["BenchmarkB"] != Regression || got["BenchmarkC"] != RowPass {
		t.Fatalf("verdicts %v, want A pass, B regression, C pass", got)
	}
	if rep.Verdict() != Fail {
		t.Errorf("suite %s, want fail", rep.Verdict())
	}
}

// TestCountedBudget applies an instructions/op RAER limit: the range is
// the interval, so a head confidently over fails.
func TestCountedBudget(t *testing.T) {
	cfg, err := budgets.Parse("perfslo.yaml", []byte("version: 1\nbudgets:\n  - benchmark: BenchmarkX\n    operation: x\n    dataset: y\n    limits:\n      instructions/op: 9000\n"))
	if err != nil {
		t.Fatal(err)
	}
	const ir = budgets.UnitInstructions
	base := sideOf("base", map[[2]string][]float64{{"BenchmarkX", ir}: {10000, 10001}})
	head := sideOf("head", map[[2]string][]float64{{"BenchmarkX", ir}: {10000, 10002}})
	r := Compare(base, head, Options{Config: cfg}).Results[0]
	if r.Verdict != Violation || r.Budget == nil || r.Budget.Limit != 9000 {
		t.Fatalf("verdict %s, budget %+v; want a violation of 9000 instructions/op", r.Verdict, r.Budget)
	}
}

// TestCountedRendering: the text and markdown reports carry a counted
// row's function diff and the measure's caveats.
func TestCountedRendering(t *testing.T) {
	const ir = budgets.UnitInstructions
	base := sideOf("base", map[[2]string][]float64{{"BenchmarkX", ir}: {10000, 10001}})
	head := sideOf("head", map[[2]string][]float64{{"BenchmarkX", ir}: {10300, 10301}})
	rep := Compare(base, head, Options{})
	rep.Settings.Measure = "instructions/op under valgrind's callgrind"
	rep.Settings.MeasureNotes = []string{"valgrind presents an older CPU."}
	// Exact counts took no test: no correction "over 0 tests".
	rep.Settings.Correction, rep.Settings.Tests = CorrectionBH, 0
	rep.Results[0].Attribution = &Attribution{Unit: ir, Total: 300, Functions: []FunctionDelta{{Function: "m.injected", Flat: 298, Share: 0.99}},
		Command: "callgrind_annotate head.out"}
	var text, md strings.Builder
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, rep, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		for _, want := range []string{"m.injected", "older CPU", "callgrind"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s report lacks %q:\n%s", name, want, out)
			}
		}
		if strings.Contains(out, "over 0 tests") {
			t.Errorf("%s report claims a correction over 0 tests:\n%s", name, out)
		}
	}
}

// Exact counted rows had no test: their delta column shows sizes only,
// "~ (n=2)" when the ranges overlap, never a p-value of 1 that no test
// computed.
func TestCountedDeltaColumn(t *testing.T) {
	cases := []struct {
		unit       string
		base, head []float64
		delta, p   string
	}{
		{budgets.UnitInstructions, []float64{10000, 10002}, []float64{10001, 10003}, "~", "n=2"},
		{budgets.UnitInstructions, []float64{10000, 10001}, []float64{10010, 10011}, "+0.10%", "n=2"},
		{"est-cycles/op", []float64{10000, 10002}, []float64{10001, 10003, 10002}, "~", "n=2+3"},
	}
	for _, c := range cases {
		base := sideOf("base", map[[2]string][]float64{{"BenchmarkX", c.unit}: c.base})
		head := sideOf("head", map[[2]string][]float64{{"BenchmarkX", c.unit}: c.head})
		rep := Compare(base, head, Options{})
		var r *Row
		for i := range rep.Results {
			if rep.Results[i].Unit == c.unit {
				r = &rep.Results[i]
			}
		}
		if r == nil {
			t.Fatalf("%s: no row", c.unit)
		}
		if d, p := FormatDelta(r), FormatP(r); d != c.delta || p != c.p {
			t.Errorf("%s %v → %v: delta %q (%s), want %q (%s)", c.unit, c.base, c.head, d, p, c.delta, c.p)
		}
	}
}
