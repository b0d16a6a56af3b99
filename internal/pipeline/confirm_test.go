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

// TestConfirmRealRuns re-measures real binaries: a first pass that
// (falsely) flagged BenchmarkLoop is withdrawn when the confirmation rounds
// run two identical binaries, and confirmed when head really does 3× the
// work. Only the flagged benchmark is re-run.
func TestConfirmRealRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs test binaries")
	}
	fast, slow := loopModule(t, 2000), loopModule(t, 6000)
	opt := gate.Options{Config: budgets.Default(), Now: time.Now()}
	cases := []struct {
		name       string
		base, head []run.Package
		want       gate.RowVerdict
		reason     string
	}{
		// Withdrawn means pass, or unmeasurable if the machine is too noisy
		// to say: anything but a regression.
		{"identical binaries: withdrawn", fast, fast, "", "not confirmed by 6 more interleaved rounds"},
		{"3x the work: confirmed", fast, slow, gate.Regression, "confirmed with 6 more interleaved rounds: +"},
		{"stored baseline: head only", nil, slow, gate.Regression, "only the head could be re-run"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, h := fakeSides()
			first := gate.Compare(b, h, opt)
			if v := rowOf(t, first, "BenchmarkLoop").Verdict; v != gate.Regression {
				t.Fatalf("first pass: %s, want a regression to confirm", v)
			}
			var progress bytes.Buffer
			in := ConfirmInput{
				Plan:   run.Plan{Base: c.base, Head: c.head, Benchtime: "5ms", CPU: 1, Progress: &progress},
				Rounds: 6, Base: b, Head: h, Options: opt, Log: &progress,
			}
			if c.base == nil {
				// A stored baseline: stage 2 compares new head samples
				// with the first pass's base, so the first pass must be
				// real measurements of both binaries.
				out, err := run.Interleave(context.Background(), run.Plan{Base: fast, Head: slow, Benchtime: "5ms", CPU: 1, Rounds: 8})
				if err != nil {
					t.Fatal(err)
				}
				in.Base, in.Head = gate.NewSide(gate.Source{Label: "baseline"}), gate.NewSide(gate.Source{Label: "head"})
				for _, r := range out.Base {
					in.Base.Add(r)
				}
				for _, r := range out.Head {
					in.Head.Add(r)
				}
				first = gate.Compare(in.Base, in.Head, opt)
				if v := rowOf(t, first, "BenchmarkLoop").Verdict; v != gate.Regression {
					t.Skipf("first pass against measured base: %s (machine too noisy for this case)", v)
				}
			}
			final, err := Confirm(context.Background(), in, first)
			if err != nil {
				t.Fatal(err)
			}
			row := rowOf(t, final, "BenchmarkLoop")
			if (c.want == "" && row.Verdict == gate.Regression) || (c.want != "" && row.Verdict != c.want) || !strings.Contains(strings.Join(row.Reasons, "\n"), c.reason) {
				t.Errorf("BenchmarkLoop: %s %q, want %s with %q", row.Verdict, row.Reasons, c.want, c.reason)
			}
			if other, was := rowOf(t, final, "BenchmarkOther/n=1"), rowOf(t, first, "BenchmarkOther/n=1"); other.Verdict != was.Verdict || len(other.Reasons) != len(was.Reasons) {
				t.Errorf("control row changed: %s %q, was %s %q", other.Verdict, other.Reasons, was.Verdict, was.Reasons)
			}
			// Only BenchmarkLoop was re-run: one line per process in the
			// progress, 6 rounds × the sides.
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
			if procs != 6*sides {
				t.Errorf("%d processes in the confirmation, want %d:\n%s", procs, 6*sides, progress.String())
			}
			if !strings.Contains(progress.String(), "confirming 1 flagged benchmark(s) with 6 more") {
				t.Errorf("progress does not announce the confirmation:\n%s", progress.String())
			}
		})
	}
}
