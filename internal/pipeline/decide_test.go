package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/run"
	"golang.org/x/perf/benchfmt"
)

// loopModule writes a module whose BenchmarkLoop does n units of work and
// whose BenchmarkOther is a control, and builds it.
func loopModule(t *testing.T, n int) []run.Package {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/loop\n\ngo 1.22\n")
	writeFile(t, filepath.Join(dir, "loop", "loop_test.go"), fmt.Sprintf(`package loop

import "testing"

var sink int

func work(n int) (s int) {
	for j := 0; j < n; j++ {
		s += j ^ (s >> 3)
	}
	return s
}

func BenchmarkLoop(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = work(%d)
	}
}

func BenchmarkOther(b *testing.B) {
	b.Run("n=1", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink = work(50)
		}
	})
}
`, n))
	pkgs, err := run.Build(context.Background(), dir, []string{"./..."}, filepath.Join(dir, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// fakeSides makes first-pass sides that claim BenchmarkLoop got 50% slower
// and BenchmarkOther/n=1 did not move.
func fakeSides() (*gate.Side, *gate.Side) {
	add := func(s *gate.Side, name string, v float64) {
		s.Add(&benchfmt.Result{
			Config: []benchfmt.Config{{Key: "pkg", Value: []byte("example.com/loop/loop")}},
			Name:   benchfmt.Name(name), Iters: 1000,
			Values: []benchfmt.Value{{Value: v, Unit: "sec/op"}},
		})
	}
	b, h := gate.NewSide(gate.Source{Label: "base"}), gate.NewSide(gate.Source{Label: "head"})
	for i := range 8 {
		j := 1 + float64(i)/1000
		add(b, "Loop", 1e-6*j)
		add(h, "Loop", 1.5e-6*j)
		add(b, "Other/n=1", 1e-7*j)
		add(h, "Other/n=1", 1e-7*j)
	}
	return b, h
}

func rowOf(t *testing.T, r *gate.Report, bench string) gate.Row {
	t.Helper()
	for _, row := range r.Results {
		if row.Benchmark == bench && row.Unit == "sec/op" {
			return row
		}
	}
	t.Fatalf("no %s sec/op row", bench)
	return gate.Row{}
}

// TestDecideRealRuns runs the decision procedure over real binaries. The
// first stage claims BenchmarkLoop got 50% slower: the look re-measures
// only that benchmark, and confirms the flag when head really does 3× the
// work, not when both sides are the same binary. With a stored baseline
// only the head is re-run, and the rows say so.
func TestDecideRealRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs test binaries")
	}
	fast, slow := loopModule(t, 2000), loopModule(t, 6000)
	opt := gate.Options{Config: budgets.Default(), Now: time.Now(), Looks: 1}
	cases := []struct {
		name       string
		base, head []run.Package
		regression bool
		reason     string
	}{
		{"identical binaries: not confirmed", fast, fast, false, "not confirmed at look 1"},
		{"3x the work: confirmed", fast, slow, true, "confirmed at look 1, 8 fresh interleaved rounds"},
		{"stored baseline: head only", nil, slow, true, "only the head could be re-run"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, h := fakeSides()
			var progress bytes.Buffer
			in := DecideInput{
				Plan: run.Plan{Base: c.base, Head: c.head, Benchtime: "5ms", CPU: 1, Rounds: 8, Progress: &progress},
				Base: b, Head: h, Options: opt, Log: &progress,
			}
			rep, looked, err := Decide(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			row := rowOf(t, rep, "BenchmarkLoop")
			if (row.Verdict == gate.Regression) != c.regression || !strings.Contains(strings.Join(row.Reasons, "\n"), c.reason) {
				t.Errorf("BenchmarkLoop: %s %q, want regression=%v with %q", row.Verdict, row.Reasons, c.regression, c.reason)
			}
			if other := rowOf(t, rep, "BenchmarkOther/n=1"); other.Verdict != gate.RowPass {
				t.Errorf("control row: %s %q", other.Verdict, other.Reasons)
			}
			// Only BenchmarkLoop was re-run: one process per side and round.
			procs := 0
			for _, line := range strings.Split(progress.String(), "\n") {
				if strings.HasPrefix(line, "round ") {
					procs++
				}
			}
			sides := 2
			if c.base == nil {
				sides = 1
			}
			if procs != 8*sides || len(looked.Head) != 8 {
				t.Errorf("%d processes and %d head results in the look, want %d and 8:\n%s", procs, len(looked.Head), 8*sides, progress.String())
			}
			if !strings.Contains(progress.String(), "look 1: 8 more") {
				t.Errorf("progress does not announce the look:\n%s", progress.String())
			}
		})
	}
}

// TestDecideTimeBudget: a look that cannot fit in --max-time is not taken,
// and the report says why.
func TestDecideTimeBudget(t *testing.T) {
	b, h := fakeSides()
	in := DecideInput{
		Plan: run.Plan{Head: []run.Package{{ImportPath: "example.com/loop/loop"}}, Rounds: 8},
		Base: b, Head: h, Options: gate.Options{Config: budgets.Default(), Looks: 1},
		Started: time.Now().Add(-time.Minute), FirstStage: time.Minute, MaxTime: time.Minute + time.Second,
		Measure: func(context.Context, run.Plan) (*run.Outcome, error) {
			t.Fatal("a look ran past the time budget")
			return nil, nil
		},
	}
	rep, _, err := Decide(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if row := rowOf(t, rep, "BenchmarkLoop"); row.Verdict != gate.Unmeasurable {
		t.Errorf("BenchmarkLoop %s, want undecided when no look fits", row.Verdict)
	}
	if w := strings.Join(rep.Warnings, "\n"); !strings.Contains(w, "time budget (--max-time, run.max-time) ran out: look 1") {
		t.Errorf("warnings %q do not say the time budget stopped the looks", w)
	}
}
