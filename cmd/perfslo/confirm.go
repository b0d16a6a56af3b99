package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/run"
)

// confirmFlagged re-measures the benchmarks the first pass flagged with
// in.Rounds extra interleaved rounds of only those benchmarks, and returns
// the report with each flag confirmed or withdrawn (gate.Confirm states the
// procedure and its false-alarm arithmetic). With a stored baseline
// (in.Plan.Base nil) only the head is re-run.
func confirmFlagged(ctx context.Context, env *environment, in confirmInput, rep *gate.Report) (*gate.Report, error) {
	cands := gate.Candidates(rep, in.Base, in.Head)
	if len(cands) == 0 || in.Rounds <= 0 {
		return rep, nil
	}
	stored := in.Plan.Base == nil
	what := "interleaved rounds"
	if stored {
		what = "rounds of the head (the stored baseline cannot be re-run)"
	}
	fmt.Fprintf(env.stderr, "perfslo: confirming %d flagged benchmark(s) with %d more %s\n", len(cands), in.Rounds, what)

	var head2, base2 *gate.Side
	head2 = gate.NewSide(in.Head.Source)
	if !stored {
		base2 = gate.NewSide(in.Base.Source)
	}
	var failures []run.Failure
	var warnings []string
	for _, g := range confirmGroups(cands) {
		plan := in.Plan
		plan.Rounds = in.Rounds
		plan.Bench = g.bench
		plan.Head = packagesNamed(in.Plan.Head, g.pkg)
		plan.Base = packagesNamed(in.Plan.Base, g.pkg)
		if len(plan.Head) == 0 || (!stored && len(plan.Base) == 0) {
			// The flagged package has no binary on a side (added or
			// removed packages are never regressions); nothing to rerun.
			continue
		}
		out, err := run.Interleave(ctx, plan)
		if err != nil {
			return nil, err
		}
		for _, r := range out.Head {
			head2.Add(r)
		}
		if base2 != nil {
			for _, r := range out.Base {
				base2.Add(r)
			}
		}
		failures = append(failures, out.Failures...)
		for _, w := range out.LoadWarnings(runtime.NumCPU()) {
			warnings = append(warnings, "confirmation rounds of "+g.pkg+": "+w)
		}
	}
	final := gate.Confirm(rep, in.Base, in.Head, gate.Stage2{Base: base2, Head: head2, Rounds: in.Rounds}, in.Options)
	final.Warnings = append(final.Warnings, warnings...)
	for _, f := range failures {
		final.Failures = append(final.Failures, gate.Failure{Package: f.Package, Benchmark: f.Benchmark, Side: f.Side, Kind: f.Kind,
			Output: "during confirmation: " + f.Output})
	}
	gate.Recount(final)
	return final, nil
}

// confirmGroup is one run of the confirmation: one package, one
// -test.bench regexp.
type confirmGroup struct {
	pkg, bench string
}

// confirmGroups turns candidates into runs, in candidate order of packages.
func confirmGroups(cands []gate.Candidate) []confirmGroup {
	var order []string
	names := map[string][]string{}
	for _, c := range cands {
		if _, ok := names[c.Package]; !ok {
			order = append(order, c.Package)
		}
		names[c.Package] = append(names[c.Package], c.Benchmark)
	}
	var out []confirmGroup
	for _, pkg := range order {
		for _, re := range run.SelectBenchmarks(names[pkg]) {
			out = append(out, confirmGroup{pkg: pkg, bench: re})
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
