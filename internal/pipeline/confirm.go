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
	// Measure runs one confirmation plan; nil is run.Interleave. The
	// evaluation harnesses measure other ways (one process per side).
	Measure func(context.Context, run.Plan) (*run.Outcome, error)
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
	what := "interleaved rounds"
	if in.Plan.Base == nil {
		what = "rounds of the head (the stored baseline cannot be re-run)"
	}
	if in.Log != nil {
		fmt.Fprintf(in.Log, "perfslo: confirming %d flagged benchmark(s) with %d more %s\n", len(cands), in.Rounds, what)
	}
	re, err := Remeasure(ctx, in, cands)
	if err != nil {
		return nil, err
	}
	final := gate.Confirm(rep, in.Base, in.Head, re.Stage2, in.Options)
	final.Warnings = append(final.Warnings, re.Warnings...)
	final.Failures = append(final.Failures, Failures(re.Failures, "during confirmation: ")...)
	return final, nil
}

// Remeasured is what the confirmation rounds produced.
type Remeasured struct {
	Stage2 gate.Stage2
	// Warnings are the rounds' load warnings, Failures what did not run
	// cleanly, Load a sample per process.
	Warnings []string
	Failures []run.Failure
	Load     []run.LoadSample
}

// Remeasure runs in.Rounds more rounds of the candidates' benchmarks only,
// one plan per package and -test.bench group (ConfirmGroups), and gathers
// the new samples into stage 2 of the confirmation. With a stored baseline
// (in.Plan.Base nil) only the head is re-run.
func Remeasure(ctx context.Context, in ConfirmInput, cands []gate.Candidate) (*Remeasured, error) {
	measure := in.Measure
	if measure == nil {
		measure = run.Interleave
	}
	stored := in.Plan.Base == nil
	re := &Remeasured{Stage2: gate.Stage2{Head: gate.NewSide(in.Head.Source), Rounds: in.Rounds}}
	if !stored {
		re.Stage2.Base = gate.NewSide(in.Base.Source)
	}
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
		out, err := measure(ctx, plan)
		if err != nil {
			return nil, err
		}
		addAll(re.Stage2.Head, out.Head)
		if re.Stage2.Base != nil {
			addAll(re.Stage2.Base, out.Base)
		}
		re.Failures = append(re.Failures, out.Failures...)
		re.Load = append(re.Load, out.Load...)
		for _, w := range out.LoadWarnings(runtime.NumCPU()) {
			re.Warnings = append(re.Warnings, "confirmation rounds of "+g.Package+": "+w)
		}
	}
	return re, nil
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
		names[c.Package] = append(names[c.Package], c.Name)
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
