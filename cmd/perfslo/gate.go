package main

import (
	"context"
	"errors"
	"flag"
	"github.com/perfslo/perfslo/gate"
	"time"

	"github.com/perfslo/perfslo/internal/pipeline"
)

func init() {
	register(command{name: "gate", summary: "run the benchmarks against a base ref or a stored baseline and judge them", run: runGate})
}

// gateFlags are the flags of perfslo gate beyond the run and stats flags.
type gateFlags struct {
	config, baseRef, baseline, store, profiles, staging *string
	noProfiles                                          *bool
	stagingSince, maxTime                               *time.Duration
	confirm                                             *int
	samples                                             *string
	allowRemoved                                        *bool
}

func registerGateFlags(fs *flag.FlagSet) gateFlags {
	return gateFlags{
		config:       fs.String("config", "", "budgets `file` (default: perfslo.yaml in the module, if any)"),
		baseRef:      fs.String("base", "", "git `ref` to compare with, built in a temporary worktree (default: merge-base with the default branch; HEAD when the tree is dirty)"),
		baseline:     fs.String("baseline", "", "compare with the stored baseline `name` instead of building a ref"),
		store:        fs.String("store", "", "baseline store: a directory (default .perfslo in the module) or git:BRANCH"),
		profiles:     fs.String("profiles", "", "keep profiles in `dir` (default .perfslo/profiles/<time> in the module)"),
		noProfiles:   fs.Bool("no-profiles", false, "skip the profiling rounds that explain regressions"),
		staging:      fs.String("staging", "", "Pyroscope server `URL` whose profile of the staging.service in perfslo.yaml weighs each regressed function by its share of real CPU (default $PYROSCOPE_SERVER_ADDRESS when perfslo.yaml has a staging section)"),
		stagingSince: fs.Duration("staging-since", 24*time.Hour, "the staging profile's window: the last `duration`"),
		confirm:      fs.Int("confirm", -1, "at most `N` confirmation looks: fresh interleaved rounds of the rows still open, which confirm flags and settle undecided rows (default 3; 0 decides on the first stage alone)"),
		maxTime:      fs.Duration("max-time", 0, "measure for at most `duration`: the first stage runs whole, confirmation looks while they fit (default: run.max-time, else 10m)"),
		allowRemoved: fs.Bool("allow-removed", false, "accept benchmarks the head no longer runs (by default each fails the suite: a rename or a b.Skip must not pass silently)"),
		samples:      fs.String("samples", "", "keep both sides' raw samples (benchfmt) in `dir`, to judge again with perfslo compare (default: next to --json as NAME.samples/, else .perfslo/samples/<time> in the module)"),
	}
}

func runGate(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("gate", "gate [--config perfslo.yaml] [--base REF | --baseline NAME] [--json F] [--markdown F] [flags]", env.stderr)
	var out reportOutputs
	out.register(fs)
	gf := registerGateFlags(fs)
	rf := registerRunFlags(fs)
	stats := registerStatsFlags(fs)
	sf := registerScaleFlags(fs)
	if err := parseNone(fs, args); err != nil {
		return gate.ExitUndecided, err
	}
	if err := stats.validate(); err != nil {
		return gate.ExitUndecided, err
	}
	if *gf.baseRef != "" && *gf.baseline != "" {
		return gate.ExitUndecided, errors.New("--base and --baseline exclude each other: compare with a git ref or with a stored baseline")
	}
	moduleDir, cfg, err := loadRunConfig(env, *gf.config, rf)
	if err != nil {
		return gate.ExitUndecided, err
	}
	scale, err := sf.scale(env)
	if err != nil {
		return gate.ExitUndecided, err
	}
	p := pipeline.Plan{
		ModuleDir: moduleDir, Config: cfg, BaseRef: *gf.baseRef, Baseline: *gf.baseline, StoreSpec: storeSpec(env, *gf.store),
		Timeout: *rf.timeout, Pin: !*rf.noPin, Narrowed: *rf.bench != "" || *rf.packages != "",
		AllowRemoved: *gf.allowRemoved, Looks: *gf.confirm, MaxTime: *gf.maxTime, SamplesDir: resolve(env, *gf.samples), ReportPath: reportPath(env, out.json),
		Options: stats.options(cfg), NoProfiles: *gf.noProfiles, ProfilesDir: resolve(env, *gf.profiles),
		Staging: pipeline.StagingSource{Server: *gf.staging, Since: *gf.stagingSince, Getenv: env.getenv}, Log: env.stderr, Scale: scale,
	}
	rep, err := pipeline.Gate(ctx, p)
	if err != nil {
		return gate.ExitUndecided, err
	}
	return out.emit(env, rep)
}

// reportPath is the JSON report's file, "" when it goes to stdout or nowhere.
func reportPath(env *environment, json string) string {
	if json == "-" {
		return ""
	}
	return resolve(env, json)
}
