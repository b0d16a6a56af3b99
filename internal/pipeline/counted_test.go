package pipeline

import (
	"context"
	"path/filepath"
	"strings"
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

// A counting run whose seed cannot be fixed says so: one report warning
// (however many sides were built), a log line, and a measure note that
// does not claim a fixed seed. A timing run adds nothing to the build.
func TestCountBuildEnvSeedWarning(t *testing.T) {
	t.Setenv("GOFLAGS", "-overlay="+filepath.Join(t.TempDir(), "mine.json"))
	var log strings.Builder
	p := Plan{Config: &budgets.Config{Run: budgets.Run{Measure: budgets.MeasureInstructions}}, Log: &log}
	b := &Built{}
	for range 2 { // head and base
		for _, kv := range b.countBuildEnv(context.Background(), p, ".") {
			if strings.HasPrefix(kv, "GOFLAGS=") {
				t.Errorf("with the caller's -overlay, the build env has %q", kv)
			}
		}
	}
	if len(b.Warnings) != 1 || !strings.Contains(b.Warnings[0], "-overlay of its own") || !b.randomSeed {
		t.Errorf("warnings %q (random seed %v), want one about the caller's -overlay", b.Warnings, b.randomSeed)
	}
	if n := strings.Count(log.String(), "perfslo: warning: "); n != 1 {
		t.Errorf("log has %d warnings, want 1:\n%s", n, log.String())
	}
	if note := (&Counter{b: b}).seedNote(); !strings.Contains(note, "random") {
		t.Errorf("seed note %q", note)
	}
	t.Setenv("GOFLAGS", "")
	fixed := &Built{}
	env := fixed.countBuildEnv(context.Background(), p, ".")
	if len(fixed.Warnings) != 0 || !strings.Contains(strings.Join(env, " "), "-overlay=") {
		t.Errorf("without the caller's overlay: env %q, warnings %q", env, fixed.Warnings)
	}
	if note := (&Counter{b: fixed}).seedNote(); !strings.Contains(note, "a fixed runtime seed") {
		t.Errorf("seed note %q", note)
	}
	p.Config.Run.Measure = budgets.MeasureTime
	if env := (&Built{}).countBuildEnv(context.Background(), p, "."); env != nil {
		t.Errorf("a timing run's build env %q, want none", env)
	}
}
