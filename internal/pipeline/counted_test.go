package pipeline

import (
	"testing"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/callgrind"
	"github.com/perfslo/perfslo/internal/run"
)

// TestBenchSelects matches looks' -test.bench patterns (run.SelectBenchmarks)
// against benchmark names level by level, as the testing package does.
func TestBenchSelects(t *testing.T) {
	names := []string{"BenchmarkSum/lines=1000", "BenchmarkEncode"}
	pats := run.SelectBenchmarks(names)
	for _, n := range names {
		hit := false
		for _, p := range pats {
			hit = hit || benchSelects(p, n)
		}
		if !hit {
			t.Errorf("%q selected by none of %q", n, pats)
		}
	}
	for _, c := range []struct {
		pat, name string
		want      bool
	}{
		{"^(BenchmarkEncode)$", "BenchmarkEncodeAll", false},
		{"^(BenchmarkSum)$/^(lines=1000)$", "BenchmarkSum/lines=10000", false},
		{"^(BenchmarkSum)$", "BenchmarkSum/lines=10", true},
		{"", "BenchmarkX", true},
		{"^(BenchmarkSum)$/^(a)$", "BenchmarkSum", false},
	} {
		if got := benchSelects(c.pat, c.name); got != c.want {
			t.Errorf("benchSelects(%q, %q) = %v, want %v", c.pat, c.name, got, c.want)
		}
	}
}

// TestCountResultsBecomeSides turns one side's callgrind result into the
// samples the gate compares: one result per process pair, in the counted
// units, filed under the benchmark's identity.
func TestCountResultsBecomeSides(t *testing.T) {
	tg := &countTarget{id: budgets.BenchmarkID{Package: "example.com/m", Name: "BenchmarkSum/lines=10"}}
	r := &callgrind.Result{N: 500, Metrics: []callgrind.Metric{
		{Unit: callgrind.UnitInstructions, Samples: []float64{1000, 1001}},
		{Unit: callgrind.UnitEstCycles, Samples: []float64{1500, 1502}},
	}}
	side := SideOf(gate.Source{Label: "head"}, countResults(tg, r))
	keys := side.Keys()
	if len(keys) != 2 {
		t.Fatalf("keys %v, want instructions/op and est-cycles/op", keys)
	}
	for _, k := range keys {
		if k.Package != "example.com/m" || k.Name != "BenchmarkSum/lines=10" || !gate.CountedUnit(k.Unit) {
			t.Errorf("key %+v", k)
		}
		if got := side.Samples(k); len(got) != 2 {
			t.Errorf("%s: %d samples, want 2 (one per pair)", k.Unit, len(got))
		}
	}
}
