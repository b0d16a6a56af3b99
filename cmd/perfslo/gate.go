package main

import (
	"context"
	"errors"
	"flag"
	"time"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/pipeline"
)

func init() {
	register(command{name: "gate", summary: "run the benchmarks against a base ref or a stored baseline and judge them", run: runGate})
}

// registerGateFlags binds the flags of perfslo gate beyond the run, stats
// and scale flags to the plan's fields; it returns --config.
func registerGateFlags(fs *flag.FlagSet, p *pipeline.Plan) *string {
	config := fs.String("config", "", "budgets `file` (default: perfslo.yaml in the module, if any)")
	fs.StringVar(&p.BaseRef, "base", "", "git `ref` to compare with, built in a temporary worktree (default: merge-base with the default branch; HEAD when the tree is dirty)")
	fs.StringVar(&p.Baseline, "baseline", "", "compare with the stored baseline `name` instead of building a ref")
	fs.StringVar(&p.StoreSpec, "store", "", "baseline store: a directory (default .perfslo in the module) or git:BRANCH")
	fs.StringVar(&p.ProfilesDir, "profiles", "", "keep profiles in `dir` (default .perfslo/profiles/<time> in the module)")
	fs.BoolVar(&p.NoProfiles, "no-profiles", false, "skip the profiling rounds that explain regressions")
	fs.StringVar(&p.Staging.Server, "staging", "", "Pyroscope server `URL` whose profile of the staging.service in perfslo.yaml weighs each regressed function by its share of real CPU (default $PYROSCOPE_SERVER_ADDRESS when perfslo.yaml has a staging section)")
	fs.DurationVar(&p.Staging.Since, "staging-since", 24*time.Hour, "the staging profile's window: the last `duration`")
	fs.IntVar(&p.Looks, "confirm", -1, "at most `N` confirmation looks: fresh interleaved rounds of the rows still open, which confirm flags and settle undecided rows (default 3; 0 decides on the first stage alone)")
	fs.DurationVar(&p.MaxTime, "max-time", 0, "measure for at most `duration`: the first stage runs whole, confirmation looks while they fit (default: run.max-time, else 10m)")
	fs.BoolVar(&p.AllowRemoved, "allow-removed", false, "accept benchmarks the head no longer runs (by default each fails the suite: a rename or a b.Skip must not pass silently)")
	fs.StringVar(&p.SamplesDir, "samples", "", "keep both sides' raw samples (benchfmt) in `dir`, to judge again with perfslo compare (default: next to --json as NAME.samples/, else .perfslo/samples/<time> in the module)")
	return config
}

func runGate(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("gate", "gate [--config perfslo.yaml] [--base REF | --baseline NAME] [--json F] [--markdown F] [flags]", env.stderr)
	out := registerReportOutputs(env, fs)
	var p pipeline.Plan
	config := registerGateFlags(fs, &p)
	rf := registerRunFlags(fs)
	stats := registerStatsFlags(fs)
	sf := registerScaleFlags(fs)
	if err := parseNone(fs, args); err != nil {
		return gate.ExitUndecided, err
	}
	if err := stats.validate(); err != nil {
		return gate.ExitUndecided, err
	}
	if p.BaseRef != "" && p.Baseline != "" {
		return gate.ExitUndecided, errors.New("--base and --baseline exclude each other: compare with a git ref or with a stored baseline")
	}
	var err error
	if p.ModuleDir, p.Config, err = loadRunConfig(env, *config, rf); err != nil {
		return gate.ExitUndecided, err
	}
	if p.Scale, err = sf.Open(env.dir, env.getenv); err != nil {
		return gate.ExitUndecided, err
	}
	p.StoreSpec = storeSpec(env, p.StoreSpec)
	p.SamplesDir, p.ProfilesDir = resolve(env, p.SamplesDir), resolve(env, p.ProfilesDir)
	p.Timeout, p.Pin, p.Narrowed = rf.timeout, !rf.noPin, rf.narrowed()
	p.ReportPath, p.Options = out.ReportPath(), stats.options(p.Config)
	p.Staging.Getenv, p.Log = env.getenv, env.stderr
	rep, err := pipeline.Gate(ctx, p)
	if err != nil {
		return gate.ExitUndecided, err
	}
	return emit(env, out, rep)
}
