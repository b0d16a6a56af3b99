package pipeline

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/run"
	"golang.org/x/perf/benchfmt"
)

// DecideInput is what the decision stage needs from a gate run.
type DecideInput struct {
	// Plan is the timing plan of the first stage; Plan.Base is nil with a
	// stored baseline (only the head can be re-run).
	Plan run.Plan
	// Base and Head are the first stage's samples, Options the statistics
	// (Options.Looks 0 decides on them alone).
	Base, Head *gate.Side
	Options    gate.Options
	// MaxTime bounds the whole measuring, counted from Started; FirstStage
	// is how long the first stage took, from which a look's cost is
	// estimated. MaxTime 0 is unbounded.
	Started    time.Time
	FirstStage time.Duration
	MaxTime    time.Duration
	// Measure runs one plan of a look; nil is run.Interleave. The
	// evaluation harnesses measure other ways (one process per side).
	Measure func(context.Context, run.Plan) (*run.Outcome, error)
	// Log receives progress; nil is quiet.
	Log io.Writer
}

// Decide runs the gate's decision procedure (gate.Procedure states it and
// its false-alarm bound) on the first stage's samples: while rows are open
// it re-measures only their benchmarks, in fresh interleaved rounds, as long
// as the next look fits in the time budget; then it returns the report.
// The looks' samples are returned too, so that they can be kept with the
// first stage's.
func Decide(ctx context.Context, in DecideInput) (*gate.Report, *Looked, error) {
	proc := gate.NewProcedure(in.Base, in.Head, in.Options)
	looked := &Looked{}
	perBench := perBenchmarkRound(in.FirstStage, in.Plan.Rounds, in.Head)
	stored := in.Plan.Base == nil
	for {
		look, ok := proc.Next()
		if !ok {
			break
		}
		if in.MaxTime > 0 {
			left := in.MaxTime - time.Since(in.Started)
			fit := int(left / max(time.Millisecond, perBench*time.Duration(len(look.Benchmarks))))
			if fit < look.MinRounds {
				proc.Stop(fmt.Sprintf("the %s time budget (--max-time, run.max-time) ran out: look %d needed at least %d rounds of %d benchmark(s), about %s, and %s was left; the rows still open stay undecided",
					in.MaxTime, look.Index, look.MinRounds, len(look.Benchmarks), (perBench * time.Duration(len(look.Benchmarks)*look.MinRounds)).Round(time.Second), left.Round(time.Second)))
				break
			}
			look.Rounds = min(look.Rounds, fit)
		}
		announce(in, look, stored)
		t0 := time.Now()
		re, err := Remeasure(ctx, in, look.Benchmarks, look.Rounds)
		if err != nil {
			return nil, nil, err
		}
		if d := time.Since(t0); look.Rounds > 0 && len(look.Benchmarks) > 0 {
			perBench = d / time.Duration(look.Rounds*len(look.Benchmarks))
		}
		proc.Add(re.Base, re.Head)
		looked.add(re)
	}
	rep := proc.Report()
	for _, w := range looked.Warnings {
		// One look may run several plans (benchmark groups) under the
		// same load: say it once.
		if !slices.Contains(rep.Warnings, w) {
			rep.Warnings = append(rep.Warnings, w)
		}
	}
	rep.Failures = append(rep.Failures, Failures(looked.Failures, "during a confirmation look: ")...)
	if in.MaxTime > 0 {
		rep.Settings.MaxTime = in.MaxTime.String()
	}
	return rep, looked, nil
}

func announce(in DecideInput, look gate.Look, stored bool) {
	if in.Log == nil {
		return
	}
	what := "interleaved rounds"
	if stored {
		what = "rounds of the head (the stored baseline cannot be re-run)"
	}
	if look.Index == 0 {
		fmt.Fprintf(in.Log, "perfslo: %d more %s of %d benchmark(s): the family needs more samples to reach its smallest threshold\n", look.Rounds, what, len(look.Benchmarks))
		return
	}
	fmt.Fprintf(in.Log, "perfslo: look %d: %d more %s of %d benchmark(s) with open rows (%d candidate(s) tested at α=%.3g)\n",
		look.Index, look.Rounds, what, len(look.Benchmarks), look.Candidates, look.Alpha)
}

// perBenchmarkRound estimates what one round of one benchmark costs, both
// sides, from the first stage.
func perBenchmarkRound(d time.Duration, rounds int, head *gate.Side) time.Duration {
	benches := map[gate.Candidate]bool{}
	for _, k := range head.Keys() {
		benches[gate.Candidate{Package: k.Package, Name: k.Name}] = true
	}
	if rounds <= 0 || len(benches) == 0 {
		return time.Second
	}
	return d / time.Duration(rounds*len(benches))
}

// Looked is what the looks produced, beyond the first stage.
type Looked struct {
	// Base and Head are the looks' raw results, in order.
	Base, Head []*benchfmt.Result
	// Warnings are the rounds' load warnings, Failures what did not run
	// cleanly.
	Warnings []string
	Failures []run.Failure
}

func (l *Looked) add(re *Remeasured) {
	l.Base = append(l.Base, re.BaseResults...)
	l.Head = append(l.Head, re.HeadResults...)
	l.Warnings = append(l.Warnings, re.Warnings...)
	l.Failures = append(l.Failures, re.Failures...)
}

// Remeasured is what one look's rounds produced.
type Remeasured struct {
	// Base and Head are the samples as sides (Base nil with a stored
	// baseline); BaseResults and HeadResults the raw results.
	Base, Head               *gate.Side
	BaseResults, HeadResults []*benchfmt.Result
	// Warnings are the rounds' load warnings, Failures what did not run
	// cleanly, Load a sample per process.
	Warnings []string
	Failures []run.Failure
	Load     []run.LoadSample
}

// Remeasure runs rounds more rounds of the given benchmarks only, one plan
// per package and -test.bench group (ConfirmGroups). With a stored baseline
// (in.Plan.Base nil) only the head is re-run.
func Remeasure(ctx context.Context, in DecideInput, cands []gate.Candidate, rounds int) (*Remeasured, error) {
	measure := in.Measure
	if measure == nil {
		measure = run.Interleave
	}
	stored := in.Plan.Base == nil
	re := &Remeasured{Head: gate.NewSide(in.Head.Source)}
	if !stored {
		re.Base = gate.NewSide(in.Base.Source)
	}
	for _, g := range ConfirmGroups(cands) {
		plan := in.Plan
		plan.Rounds = rounds
		plan.Bench = g.Bench
		plan.Head = packagesNamed(in.Plan.Head, g.Package)
		plan.Base = packagesNamed(in.Plan.Base, g.Package)
		if len(plan.Head) == 0 || (!stored && len(plan.Base) == 0) {
			// The package has no binary on a side (added or removed
			// packages are never regressions); nothing to rerun.
			continue
		}
		out, err := measure(ctx, plan)
		if err != nil {
			return nil, err
		}
		addAll(re.Head, out.Head)
		re.HeadResults = append(re.HeadResults, out.Head...)
		if re.Base != nil {
			addAll(re.Base, out.Base)
			re.BaseResults = append(re.BaseResults, out.Base...)
		}
		re.Failures = append(re.Failures, out.Failures...)
		re.Load = append(re.Load, out.Load...)
		for _, w := range out.LoadWarnings(runtime.NumCPU()) {
			re.Warnings = append(re.Warnings, fmt.Sprintf("look of %d rounds, %s: %s", rounds, g.Package, w))
		}
	}
	return re, nil
}

// ConfirmGroup is one run of a look: the benchmarks of one package that one
// -test.bench regexp selects.
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
