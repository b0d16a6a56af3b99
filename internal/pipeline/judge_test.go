package pipeline

import (
	"strings"
	"testing"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/run"
)

// TestJudgeNoSilentPass: a head that produced nothing for a package, a
// benchmark the head no longer runs, and a budget that matches nothing each
// fail the suite — in its verdict, not only in the exit code.
func TestJudgeNoSilentPass(t *testing.T) {
	stat := &gate.Stat{Center: 1, Low: 1, High: 1, N: 6}
	rows := func() []gate.Row {
		return []gate.Row{
			{Package: "m/a", Benchmark: "BenchmarkKept", Unit: "sec/op", Base: stat, Head: stat, Verdict: gate.RowPass},
			{Package: "m/a", Benchmark: "BenchmarkRenamed", Unit: "sec/op", Base: stat, Verdict: gate.Removed},
			{Package: "m/b", Benchmark: "BenchmarkX", Unit: "sec/op", Base: stat, Verdict: gate.Removed},
			{Package: "m/b", Benchmark: "BenchmarkX", Unit: "allocs/op", Base: stat, Verdict: gate.Removed},
		}
	}
	cfg, err := budgets.Parse("perfslo.yaml", []byte("version: 1\nbudgets:\n  - benchmark: BenchmarkGone\n    operation: o\n    dataset: d\n    limits: {allocs/op: 0}\n"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := func(rep *gate.Report) string {
		var ks []string
		for _, f := range rep.Failures {
			ks = append(ks, f.Kind+" "+f.Package+" "+f.Benchmark)
		}
		return strings.Join(ks, "; ")
	}
	m := &Measured{Outcome: &run.Outcome{}}
	rep := &gate.Report{Results: rows()}
	Judge(Plan{Config: cfg}, &Built{}, m, rep)
	want := "budget  ; removed m/a BenchmarkRenamed; no results m/b "
	if got := kinds(rep); got != want {
		t.Errorf("failures %q, want %q", got, want)
	}
	if rep.Verdict() != gate.Fail {
		t.Errorf("verdict %s, want fail", rep.Verdict())
	}
	if code, _, _ := rep.Exit(gate.FailOnUnmeasurable); code != gate.ExitUndecided {
		t.Errorf("exit %d, want 1 (could not decide)", code)
	}
	if h := gate.Headline(rep); !strings.Contains(h, "removed: Renamed") || !strings.Contains(h, "no results from m/b") {
		t.Errorf("headline %q does not name what vanished", h)
	}
	// --allow-removed accepts the rename, never a package that gave nothing.
	rep = &gate.Report{Results: rows()}
	Judge(Plan{Config: budgets.Default(), AllowRemoved: true}, &Built{}, m, rep)
	if got := kinds(rep); got != "no results m/b " {
		t.Errorf("with --allow-removed: failures %q, want only the empty package", got)
	}
}
