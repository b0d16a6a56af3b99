// Package pipeline is the gate as a library: the path of one benchmark
// result from `go test -c` to the judged report, in stages that the command
// line, the evaluation harnesses and tests call:
//
//	plan     Plan: what to compare, with which settings (the caller's flags)
//	build    Build: the head's test binaries, and the base's (a git ref in a
//	         temporary worktree) or a stored baseline's samples
//	measure  Measure: interleaved timing rounds, gathered into gate sides
//	decide   Decide: the decision procedure (gate.Procedure) on the first
//	         stage, with looks of fresh rounds for the open rows while they
//	         fit in the time budget; KeepSamples saves both sides' raw samples
//	judge    Judge: run-level warnings, failures and budgets that matched
//	         nothing, added to the report
//	explain  Explain: profile what failed and judge function budgets
//	finish   Finish: calibration warnings and source locations
//
// Gate runs them in that order. The statistics live in gate, the profile
// arithmetic in profiles, the processes in internal/run: this package only
// decides what runs when and where its results go. It prints progress to
// Plan.Log and never decides an exit code.
package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/internal/tempdir"
)

// Plan is one gate run, as the caller decided it.
type Plan struct {
	// ModuleDir is the head module's root; Config its budgets, with the
	// run settings (packages, bench, count, benchtime, cpu) final.
	ModuleDir string
	Config    *budgets.Config
	// BaseRef is the git ref to build and run interleaved with the head;
	// "" with no Baseline picks gitref.DefaultBase.
	BaseRef string
	// Baseline names a stored baseline to compare with instead, in the
	// store StoreSpec names (see OpenStore).
	Baseline, StoreSpec string
	// Timeout bounds one benchmark process; Pin runs each on one CPU.
	Timeout time.Duration
	Pin     bool
	// AllowRemoved accepts benchmarks the head no longer runs; without it
	// each one fails the suite (Vanished).
	AllowRemoved bool
	// Narrowed is true when the caller narrowed the configured selection
	// (--bench, --packages): budgets outside it are then not exercised,
	// which is not a mistake.
	Narrowed bool
	// Looks is the most confirmation looks the decision takes (fresh
	// rounds of the rows still open): 0 decides on the first stage alone,
	// < 0 is gate.DefaultLooks.
	Looks int
	// MaxTime bounds the measuring (0: the config's run.max-time): the
	// first stage always runs whole, looks only while they fit.
	MaxTime time.Duration
	// SamplesDir keeps both sides' raw samples as benchfmt text, so any
	// run can be judged again with perfslo compare. "" puts them beside
	// ReportPath (report.json → report.samples/), or with no report in
	// .perfslo/samples/<time> in the module.
	SamplesDir string
	// ReportPath is where the caller will write the JSON report, "" for
	// none: the report names its samples relative to it, so the two move
	// together (an artifact downloaded into another job still finds them).
	ReportPath string
	// Options are the statistical settings (alpha, correction, clock);
	// Gate fills Options.Settings and Options.Config.
	Options gate.Options
	// NoProfiles skips the explain stage; ProfilesDir keeps its profiles
	// ("" is .perfslo/profiles/<time> in the module).
	NoProfiles  bool
	ProfilesDir string
	// Staging is where the explain stage finds the staging service's CPU
	// profile, to weigh regressed functions by their share of real CPU.
	Staging StagingSource
	// Scale narrows the run to the affected packages and one shard, and
	// caches base builds.
	Scale Scale
	// Log receives progress; nil is quiet.
	Log io.Writer

	chosen *choice // set by Gate from Scale
}

// partial is true when the selection left packages out: budgets of those
// are not exercised, which is not a mistake.
func (p *Plan) partial() bool { return p.chosen != nil && len(p.chosen.skipped) > 0 }

func (p *Plan) log() io.Writer {
	if p.Log == nil {
		return io.Discard
	}
	return p.Log
}

// decideInput is the decision stage's input for this plan.
func (p *Plan) decideInput(m *Measured) DecideInput {
	opt := p.Options
	opt.Config = p.Config
	opt.Settings = m.Settings(*p)
	opt.Looks = p.Looks
	maxTime := p.MaxTime
	if maxTime == 0 {
		maxTime = p.Config.Run.MaxTime
	}
	return DecideInput{Plan: m.Plan, Base: m.Base, Head: m.Head, Options: opt,
		Started: m.Started, FirstStage: m.Elapsed, MaxTime: maxTime, Log: p.Log}
}

func (p *Plan) samplesDir() string {
	switch {
	case p.SamplesDir != "":
		return p.SamplesDir
	case p.ReportPath != "":
		return strings.TrimSuffix(p.ReportPath, filepath.Ext(p.ReportPath)) + ".samples"
	}
	return filepath.Join(p.ModuleDir, ".perfslo", "samples", time.Now().UTC().Format("20060102T150405Z"))
}

// RaiseCount makes sure the first stage can reach significance at all:
// with fewer samples per side than gate.MinSamples(alpha) no U-test can,
// and the count is raised, with a warning that says so.
func RaiseCount(p *Plan) []string {
	alpha := p.Options.Alpha
	if alpha == 0 {
		alpha = gate.DefaultAlpha
	}
	need := gate.MinSamples(alpha)
	if p.Config.Run.Count >= need {
		return nil
	}
	was := p.Config.Run.Count
	p.Config.Run.Count = need
	return []string{fmt.Sprintf("count %d raised to %d: with %d samples per side the smallest p a U-test can give is above α=%g, so no row could be judged", was, need, was, alpha)}
}

// Gate runs every stage and returns the final report.
func Gate(ctx context.Context, p Plan) (*gate.Report, error) {
	if err := budgets.CheckMeasure(p.Config.Run.Measure); err != nil {
		return nil, fmt.Errorf("--measure or run.%w", err)
	}
	if p.Scale.Affected && p.Baseline == "" && p.BaseRef == "" {
		// The selection diffs against the base, so it is fixed first.
		ref, err := defaultBaseRef(ctx, p.ModuleDir)
		if err != nil {
			return nil, err
		}
		p.BaseRef = ref
		fmt.Fprintf(p.log(), "perfslo: base defaults to %s\n", ref)
	}
	chosen, err := choose(ctx, &p)
	if err != nil {
		return nil, err
	}
	p.chosen = chosen
	if chosen != nil && chosen.empty() {
		rep := chosen.nothingToGate(p)
		// Empty sample files, so that the report is judged again (perfslo
		// comment on workflow_run, perfslo merge) like any other.
		if err := KeepSamples(p.samplesDir(), p.ReportPath, &Built{}, &Measured{Outcome: &run.Outcome{}}, &Looked{}, rep); err != nil {
			rep.Warnings = append(rep.Warnings, "raw samples not kept: "+err.Error())
		}
		return rep, nil
	}
	work, err := tempdir.New("gate-")
	if err != nil {
		return nil, err
	}
	defer tempdir.Remove(work)
	// Every go command of the run (go env for the cache key, go list, go
	// test -c) keeps its work directory inside ours: one that an interrupt
	// or a kill cuts short then leaves nothing in $TMPDIR that the next
	// run's sweep of our directories would not remove.
	if os.Getenv("GOTMPDIR") == "" {
		gotmp := filepath.Join(work, ".gotmp")
		if err := os.MkdirAll(gotmp, 0o755); err != nil {
			return nil, err
		}
		os.Setenv("GOTMPDIR", gotmp)
		defer os.Unsetenv("GOTMPDIR")
	}
	b, err := Build(ctx, p, work)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if p.ProfilesDir == "" {
		// One directory for the run's profiles and callgrind files.
		p.ProfilesDir = filepath.Join(p.ModuleDir, ".perfslo", "profiles", time.Now().UTC().Format("20060102T150405Z"))
	}
	// Reports name budget locations relative to the module, so they read the
	// same on a laptop and in CI.
	if rel, err := filepath.Rel(p.ModuleDir, p.Config.File); p.Config.File != "" && err == nil && !strings.HasPrefix(rel, "..") {
		p.Config.File = rel
	}
	raised := RaiseCount(&p)
	counter, m, err := measureStage(ctx, p, b)
	if err != nil {
		return nil, err
	}
	in := p.decideInput(m)
	if counter != nil && counter.Why == "" {
		in.Measure = counter.Remeasure
	}
	rep, looked, err := Decide(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("deciding: %w", err)
	}
	if counter != nil {
		counter.Settings(&rep.Settings)
		counter.Annotate(rep, 10)
		removeEmpty(counter.dir)
	}
	rep.Warnings = append(raised, rep.Warnings...)
	if err := KeepSamples(p.samplesDir(), p.ReportPath, b, m, looked, rep); err != nil {
		rep.Warnings = append(rep.Warnings, "raw samples not kept: "+err.Error())
	}
	Judge(p, b, m, rep)
	p.chosen.annotate(rep)
	setModules(b, rep)
	rep.Durations = Durations(m.Outcome)
	if !p.NoProfiles {
		in := p.explainInput(b)
		if rep.Failed() > 0 {
			in.Staging = StagingProfile(ctx, p.Config, p.Staging, p.log(), rep)
		}
		if err := Explain(ctx, in, rep); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			rep.Warnings = append(rep.Warnings, "profiles: "+err.Error())
		}
	}
	AttachHistory(ctx, p, m.Head, rep)
	AttachNapkin(p.ModuleDir, m.Head, rep)
	Finish(ctx, p.ModuleDir, rep)
	return rep, nil
}

// measureStage measures in the configured measure: wall time, or counts
// under callgrind (with the counter that made them, which also times the
// benchmarks perfslo.yaml asks to time; under auto with no usable
// valgrind, the counter says why time was measured instead).
func measureStage(ctx context.Context, p Plan, b *Built) (*Counter, *Measured, error) {
	if !p.Config.Counts() {
		m, err := Measure(ctx, p, b)
		return nil, m, err
	}
	c, err := NewCounter(ctx, p, b, callgrindDir(p))
	if err != nil {
		return nil, nil, err
	}
	if c.Why != "" {
		fmt.Fprintf(p.log(), "perfslo: measure auto: timing every benchmark, because %s\n", c.Why)
		m, err := Measure(ctx, p, b)
		return c, m, err
	}
	m, err := c.MeasureCounts(ctx)
	return c, m, err
}
