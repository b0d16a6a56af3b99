package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/github"
	"github.com/perfslo/perfslo/internal/gitref"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/internal/store"
	"golang.org/x/perf/benchfmt"
)

func init() {
	register(command{name: "gate", summary: "run the benchmarks against a base ref or a stored baseline and judge them", run: runGate})
}

// runFlags are the run settings that override perfslo.yaml's run section.
type runFlags struct {
	packages, bench, benchtime *string
	count, cpu                 *int
	timeout                    *time.Duration
	noPin                      *bool
}

func registerRunFlags(fs interface {
	String(string, string, string) *string
	Int(string, int, string) *int
	Duration(string, time.Duration, string) *time.Duration
	Bool(string, bool, string) *bool
}) runFlags {
	return runFlags{
		packages:  fs.String("packages", "", "package `patterns`, comma-separated (default: the config's, else ./...)"),
		bench:     fs.String("bench", "", "benchmark `regexp` (default: the config's, else .)"),
		benchtime: fs.String("benchtime", "", "per-sample benchtime, a duration or Nx (default: the config's, else 100ms)"),
		count:     fs.Int("count", 0, "samples per benchmark and side, each from its own process (default: the config's, else 10)"),
		cpu:       fs.Int("cpu", 0, "GOMAXPROCS and -test.cpu for both sides (default: the config's, else 1)"),
		timeout:   fs.Duration("timeout", 10*time.Minute, "limit per test process"),
		noPin:     fs.Bool("no-pin", false, "let benchmark processes run on any CPU (by default each runs on one CPU, which halves process-to-process noise on Linux)"),
	}
}

// apply overrides the config's run settings with the flags that were set.
func (f runFlags) apply(r *budgets.Run) {
	if *f.packages != "" {
		r.Packages = splitList(*f.packages)
	}
	if *f.bench != "" {
		r.Bench = *f.bench
	}
	if *f.benchtime != "" {
		r.Benchtime = *f.benchtime
	}
	if *f.count != 0 {
		r.Count = *f.count
	}
	if *f.cpu != 0 {
		r.CPU = *f.cpu
	}
}

func (f runFlags) validate(r budgets.Run) error {
	if r.Count < 2 {
		return fmt.Errorf("--count %d: need at least 2 samples per side for any statistics (6 or more to detect a change at α=0.05)", r.Count)
	}
	if r.CPU < 1 {
		return fmt.Errorf("--cpu %d: need at least 1", r.CPU)
	}
	return nil
}

// profileInput is what the profiling step needs from a gate run.
type profileInput struct {
	Config       *budgets.Config
	Base         []run.Package // nil when comparing with a stored baseline
	Head         []run.Package
	BaseProfiles map[string]string // a stored baseline's profiles (name -> path)
	Benchtime    string
	CPU          int
	Timeout      time.Duration
	Staging      *profile.Profile // the staging service's CPU profile, nil when none is configured
	OutDir       string           // where .pb.gz files and diffs are kept
	ModuleDir    string           // head module root
	BaseRef      string           // base commit when known
}

// confirmInput is what re-measuring flagged rows needs from a gate run.
type confirmInput struct {
	Plan    run.Plan     // the timing plan; Plan.Base is nil with a stored baseline
	Rounds  int          // extra interleaved rounds for each flagged benchmark
	Outcome *run.Outcome // the first pass
	Base    *gate.Side   // the first pass's samples
	Head    *gate.Side
	Options gate.Options
}

func runGate(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("gate", "gate [--config perfslo.yaml] [--base REF | --baseline NAME] [--json F] [--markdown F] [flags]", env.stderr)
	var out reportOutputs
	out.register(fs)
	config := fs.String("config", "", "budgets `file` (default: perfslo.yaml in the module, if any)")
	baseRef := fs.String("base", "", "git `ref` to compare with, built in a temporary worktree (default: merge-base with the default branch; HEAD when the tree is dirty)")
	baselineName := fs.String("baseline", "", "compare with the stored baseline `name` instead of building a ref")
	storeSpec := fs.String("store", "", "baseline store: a directory (default .perfslo in the module) or git:BRANCH")
	profilesDir := fs.String("profiles", "", "keep profiles in `dir` (default .perfslo/profiles/<time> in the module)")
	noProfiles := fs.Bool("no-profiles", false, "skip the profiling rounds that explain regressions")
	stagingServer := fs.String("staging", "", "Pyroscope server `URL` whose profile of the staging.service in perfslo.yaml weighs each regressed function by its share of real CPU (default $PYROSCOPE_SERVER_ADDRESS when perfslo.yaml has a staging section)")
	stagingSince := fs.Duration("staging-since", 24*time.Hour, "the staging profile's window: the last `duration`")
	confirmRounds := fs.Int("confirm", -1, "extra interleaved rounds that re-measure rows flagged in the first pass before the verdict is final (default: the count; 0 disables)")
	rf := registerRunFlags(fs)
	stats := registerStatsFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUndecided, err
	}
	if len(pos) > 0 {
		return exitUndecided, fmt.Errorf("unexpected argument %q", pos[0])
	}
	if *baseRef != "" && *baselineName != "" {
		return exitUndecided, errors.New("--base and --baseline exclude each other: compare with a git ref or with a stored baseline")
	}

	moduleDir, cfg, err := loadRunConfig(env, *config, rf)
	if err != nil {
		return exitUndecided, err
	}
	// Reports name budget locations relative to the module, so they read the
	// same on a laptop and in CI.
	if rel, err := filepath.Rel(moduleDir, cfg.File); cfg.File != "" && err == nil && !strings.HasPrefix(rel, "..") {
		cfg.File = rel
	}

	work, err := os.MkdirTemp("", "perfslo-gate-")
	if err != nil {
		return exitUndecided, err
	}
	defer os.RemoveAll(work)

	fmt.Fprintf(env.stderr, "perfslo: building head (%s) in %s\n", strings.Join(cfg.Run.Packages, " "), moduleDir)
	head, err := run.Build(ctx, moduleDir, cfg.Run.Packages, filepath.Join(work, "head"))
	if err != nil {
		return exitUndecided, fmt.Errorf("building head: %w", err)
	}
	headSrc := sourceFor(ctx, "head", moduleDir)

	plan := run.Plan{
		Head:      head,
		Bench:     cfg.Run.Bench,
		Benchtime: cfg.Run.Benchtime,
		CPU:       cfg.Run.CPU,
		Rounds:    cfg.Run.Count,
		Timeout:   *rf.timeout,
		Progress:  env.stderr,
		Pin:       !*rf.noPin,
	}
	base, err := prepareBase(ctx, env, baseChoice{ref: *baseRef, baseline: *baselineName, store: *storeSpec}, moduleDir, cfg, headSrc, filepath.Join(work, "base"))
	if err != nil {
		return exitUndecided, err
	}
	defer base.cleanup()
	plan.Base = base.pkgs

	outcome, err := run.Interleave(ctx, plan)
	if err != nil {
		return exitUndecided, err
	}
	headSide := sideOf(headSrc, outcome.Head)
	baseSide := base.side
	if baseSide == nil {
		baseSide = sideOf(base.src, outcome.Base)
	}

	opt := stats.options(cfg)
	opt.Settings = gate.Settings{Count: cfg.Run.Count, Benchtime: cfg.Run.Benchtime, CPU: cfg.Run.CPU, Interleaved: plan.Base != nil, Pinned: outcome.PinnedCPU >= 0, Config: cfg.File}
	rep := gate.Compare(baseSide, headSide, opt)
	if rounds := *confirmRounds; rounds != 0 {
		if rounds < 0 {
			rounds = cfg.Run.Count
		}
		rep, err = confirmFlagged(ctx, env, confirmInput{Plan: plan, Rounds: rounds, Outcome: outcome, Base: baseSide, Head: headSide, Options: opt}, rep)
		if err != nil {
			return exitUndecided, fmt.Errorf("confirming flagged rows: %w", err)
		}
	}
	rep.Warnings = append(rep.Warnings, base.warnings...)
	rep.Warnings = append(rep.Warnings, outcome.LoadWarnings(runtime.NumCPU())...)
	for _, f := range outcome.Failures {
		rep.Failures = append(rep.Failures, gate.Failure{Package: f.Package, Benchmark: f.Benchmark, Side: f.Side, Kind: f.Kind, Output: f.Output})
	}
	// With --bench or --packages narrowing the run, budgets outside the
	// selection are simply not exercised; with the configured selection, a
	// budget that matches nothing is a mistake (a renamed benchmark) and
	// must not pass silently.
	narrowed := *rf.bench != "" || *rf.packages != ""
	unmatched := cfg.Unmatched(sideBenchmarks(headSide))
	if narrowed {
		if len(unmatched) > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d budget(s) not exercised: --bench/--packages left their benchmarks out", len(unmatched)))
		}
		unmatched = nil
	}
	for _, e := range unmatched {
		rep.Warnings = append(rep.Warnings, "budget matches no benchmark: "+e.Error())
	}

	if !*noProfiles {
		dir := *profilesDir
		if dir == "" {
			dir = filepath.Join(moduleDir, ".perfslo", "profiles", time.Now().UTC().Format("20060102T150405Z"))
		}
		in := profileInput{
			Config: cfg, Base: plan.Base, Head: head, BaseProfiles: base.profiles,
			Benchtime: cfg.Run.Benchtime, CPU: cfg.Run.CPU, Timeout: *rf.timeout,
			OutDir: resolve(env, dir), ModuleDir: moduleDir, BaseRef: base.src.Commit,
		}
		if rep.Failed > 0 {
			in.Staging = stagingProfile(ctx, env, cfg, *stagingServer, *stagingSince, rep)
		}
		if err := explainProfiles(ctx, env, in, rep); err != nil {
			if ctx.Err() != nil {
				return exitUndecided, ctx.Err()
			}
			rep.Warnings = append(rep.Warnings, "profiles: "+err.Error())
		}
	}
	gate.Recount(rep)
	rep.Warnings = append(rep.Warnings, calibrationWarnings(moduleDir, rep)...)
	locateBenchmarks(moduleDir, rep)

	code, err := out.emit(env, rep)
	if err != nil {
		return exitUndecided, err
	}
	if len(unmatched) > 0 && code == exitPass {
		// A budget that judges nothing must not pass silently: a renamed
		// benchmark would otherwise switch its RAER off.
		fmt.Fprintf(env.stderr, "perfslo: %d budget pattern(s) match no benchmark; fix perfslo.yaml\n", len(unmatched))
		return exitUndecided, nil
	}
	return code, nil
}

// baseChoice is what the user asked to compare with.
type baseChoice struct {
	ref      string // --base
	baseline string // --baseline
	store    string // --store
}

// gateBase is the base side of a gate run: either built from a git ref (and
// measured with the head, interleaved) or a stored baseline's samples.
type gateBase struct {
	src      gate.Source
	pkgs     []run.Package     // built test binaries; nil for a stored baseline
	side     *gate.Side        // a stored baseline's samples; nil when measured now
	profiles map[string]string // a stored baseline's profiles
	warnings []string
	cleanup  func() // removes the worktree; always safe to call
}

// prepareBase loads the stored baseline, or checks the base ref out into a
// temporary worktree and builds its test binaries.
func prepareBase(ctx context.Context, env *environment, choice baseChoice, moduleDir string, cfg *budgets.Config, headSrc gate.Source, binDir string) (*gateBase, error) {
	b := &gateBase{cleanup: func() {}}
	if choice.baseline != "" {
		st, err := openStore(ctx, env, choice.store, moduleDir)
		if err != nil {
			return nil, err
		}
		bl, err := st.Load(choice.baseline)
		if err != nil {
			return nil, err
		}
		b.src = sourceFromMeta(bl.Meta)
		b.side, err = gate.ReadSide(b.src, bytes.NewReader(bl.Results), "baseline "+bl.Meta.Name)
		if err != nil {
			return nil, err
		}
		b.profiles = bl.Profiles
		here := store.CurrentMachine(ctx)
		here.GOMAXPROCS = cfg.Run.CPU
		for _, d := range bl.Meta.Differences(here) {
			b.warnings = append(b.warnings, fmt.Sprintf("baseline %q was measured elsewhere: %s; timings may differ for that reason alone", bl.Meta.Name, d))
		}
		return b, nil
	}

	repo, err := gitref.Root(ctx, moduleDir)
	if err != nil {
		return nil, fmt.Errorf("--base needs a git repository (or use --baseline NAME): %w", err)
	}
	ref := choice.ref
	if ref == "" {
		if ref, err = gitref.DefaultBase(ctx, repo); err != nil {
			return nil, err
		}
		fmt.Fprintf(env.stderr, "perfslo: base defaults to %s\n", ref)
	}
	wt, commit, cleanup, err := gitref.Worktree(ctx, repo, ref)
	if err != nil {
		return nil, err
	}
	b.cleanup = func() {
		if err := cleanup(); err != nil {
			fmt.Fprintf(env.stderr, "perfslo: removing the base worktree: %v\n", err)
		}
	}
	baseDir, err := gitref.InWorktree(repo, moduleDir, wt)
	if err == nil {
		fmt.Fprintf(env.stderr, "perfslo: building base %s (%s)\n", ref, shortCommit(commit))
		b.pkgs, err = run.Build(ctx, baseDir, cfg.Run.Packages, binDir)
		if err != nil {
			err = fmt.Errorf("building base %s: %w", ref, err)
		}
	}
	if err != nil {
		b.cleanup()
		return nil, err
	}
	b.src = gate.Source{Label: ref, Ref: ref, Commit: commit, GoVersion: headSrc.GoVersion, GOOS: headSrc.GOOS, GOARCH: headSrc.GOARCH, CPU: headSrc.CPU}
	return b, nil
}

// sideOf gathers results into a side.
func sideOf(src gate.Source, results []*benchfmt.Result) *gate.Side {
	s := gate.NewSide(src)
	for _, r := range results {
		s.Add(r)
	}
	return s
}

// locateBenchmarks records each benchmark function's file and line
// (module-relative), so annotations work where the report is read without a
// checkout, as a fork-safe workflow_run job must be.
func locateBenchmarks(moduleDir string, rep *gate.Report) {
	loc := github.NewLocator(moduleDir)
	loc.Prefix = "" // module-relative; the comment step adds the repository prefix
	found := map[string]*gate.Location{}
	for i := range rep.Results {
		row := &rep.Results[i]
		key := row.Package + " " + row.Benchmark
		l, seen := found[key]
		if !seen {
			if at, ok := loc.Locate(row); ok {
				l = &at
			}
			found[key] = l
		}
		row.Source = l
	}
}

// findModule walks up from dir to the directory holding go.mod.
func findModule(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%s is not inside a Go module (no go.mod found above it)", dir)
		}
		d = parent
	}
}

// sourceFor describes the working tree being measured.
func sourceFor(ctx context.Context, label, moduleDir string) gate.Source {
	m := store.CurrentMachine(ctx)
	src := gate.Source{Label: label, GoVersion: m.GoVersion, GOOS: m.GOOS, GOARCH: m.GOARCH, CPU: m.CPU}
	if commit, dirty, err := gitref.Head(ctx, moduleDir); err == nil {
		src.Commit = commit
		if dirty {
			src.Label = label + " (uncommitted changes)"
		}
	}
	now := time.Now().UTC()
	src.Date = &now
	return src
}

func sourceFromMeta(m store.Meta) gate.Source {
	d := m.Date
	return gate.Source{Label: "baseline " + m.Name, Ref: m.Ref, Commit: m.Commit, GoVersion: m.GoVersion, GOOS: m.GOOS, GOARCH: m.GOARCH, CPU: m.CPU, Date: &d}
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
