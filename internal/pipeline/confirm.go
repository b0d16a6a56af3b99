package pipeline

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/run"
	"golang.org/x/perf/benchfmt"
)

// ConfirmInput is what re-measuring flagged rows needs from a gate run.
type ConfirmInput struct {
	Plan   run.Plan // the timing plan; Plan.Base is nil with a stored baseline
	Rounds int      // extra interleaved rounds for each flagged benchmark
	// Base and Head are the first pass's samples, Options its settings.
	Base, Head *gate.Side
	Options    gate.Options
	// Log receives progress; nil is quiet.
	Log io.Writer
}

// Confirm re-measures the benchmarks the first pass flagged with in.Rounds
// extra interleaved rounds of only those benchmarks, and returns the report
// with each flag confirmed or withdrawn (gate.Confirm states the procedure
// and its false-alarm arithmetic). With a stored baseline (in.Plan.Base
// nil) only the head is re-run.
func Confirm(ctx context.Context, in ConfirmInput, rep *gate.Report) (*gate.Report, error) {
	cands := gate.Candidates(rep, in.Base, in.Head)
	if len(cands) == 0 || in.Rounds <= 0 {
		return rep, nil
	}
	stored := in.Plan.Base == nil
	what := "interleaved rounds"
	if stored {
		what = "rounds of the head (the stored baseline cannot be re-run)"
	}
	if in.Log != nil {
		fmt.Fprintf(in.Log, "perfslo: confirming %d flagged benchmark(s) with %d more %s\n", len(cands), in.Rounds, what)
	}
	st := gate.Stage2{Head: gate.NewSide(in.Head.Source), Rounds: in.Rounds}
	if !stored {
		st.Base = gate.NewSide(in.Base.Source)
	}
	var failures []run.Failure
	var warnings []string
	for _, g := range ConfirmGroups(cands) {
		plan := in.Plan
		plan.Rounds = in.Rounds
		plan.Bench = g.Bench
		plan.Head = packagesNamed(in.Plan.Head, g.Package)
		plan.Base = packagesNamed(in.Plan.Base, g.Package)
		if len(plan.Head) == 0 || (!stored && len(plan.Base) == 0) {
			// The flagged package has no binary on a side (added or
			// removed packages are never regressions); nothing to rerun.
			continue
		}
		out, err := run.Interleave(ctx, plan)
		if err != nil {
			return nil, err
		}
		addAll(st.Head, out.Head)
		if st.Base != nil {
			addAll(st.Base, out.Base)
		}
		failures = append(failures, out.Failures...)
		for _, w := range out.LoadWarnings(runtime.NumCPU()) {
			warnings = append(warnings, "confirmation rounds of "+g.Package+": "+w)
		}
	}
	final := gate.Confirm(rep, in.Base, in.Head, st, in.Options)
	final.Warnings = append(final.Warnings, warnings...)
	final.Failures = append(final.Failures, Failures(failures, "during confirmation: ")...)
	return final, nil
}

// ConfirmGroup is one run of the confirmation: the benchmarks of one
// package that one -test.bench regexp selects.
type ConfirmGroup struct {
	Package, Bench string
}

// ConfirmGroups turns candidates into runs, in candidate order of packages.
func ConfirmGroups(cands []gate.Candidate) []ConfirmGroup {
	var order []string
	names := map[string][]string{}
	for _, c := range cands {
		if _, ok := names[c.Package]; !ok {
			order = append(order, c.Package)
		}
		names[c.Package] = append(names[c.Package], c.Benchmark)
	}
	var out []ConfirmGroup
	for _, pkg := range order {
		for _, re := range run.SelectBenchmarks(names[pkg]) {
			out = append(out, ConfirmGroup{Package: pkg, Bench: re})
		}
	}
	return out
}

// packagesNamed returns the packages with the given import path.
func packagesNamed(pkgs []run.Package, importPath string) []run.Package {
	var out []run.Package
	for _, p := range pkgs {
		if p.ImportPath == importPath || strings.TrimSuffix(p.ImportPath, ".test") == importPath {
			out = append(out, p)
		}
	}
	return out
}

func addAll(s *gate.Side, rs []*benchfmt.Result) {
	for _, r := range rs {
		s.Add(r)
	}
}

// Failures converts the runner's failures into the report's; prefix starts
// each one's output ("during confirmation: ").
func Failures(fs []run.Failure, prefix string) []gate.Failure {
	var out []gate.Failure
	for _, f := range fs {
		out = append(out, gate.Failure{Package: f.Package, Benchmark: f.Benchmark, Side: f.Side, Kind: f.Kind, Output: prefix + f.Output})
	}
	return out
}
