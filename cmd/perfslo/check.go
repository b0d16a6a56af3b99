package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/run"
)

func init() {
	register(command{name: "check", summary: "validate perfslo.yaml and print what its budgets mean", run: runCheck})
}

func runCheck(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("check", "check [--config perfslo.yaml] [--list=false]", env.stderr)
	config := fs.String("config", "perfslo.yaml", "budgets `file`")
	list := fs.Bool("list", true, "run each benchmark once (-benchtime 1x) to check that every budget pattern matches a benchmark")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUndecided, err
	}
	if len(pos) > 0 {
		return exitUndecided, fmt.Errorf("unexpected argument %q (the file goes in --config)", pos[0])
	}
	cfg, err := budgets.Load(resolve(env, *config))
	if err != nil {
		return exitUndecided, err
	}
	if err := budgets.Describe(env.stdout, cfg); err != nil {
		return exitUndecided, err
	}
	if !*list {
		return exitPass, nil
	}
	ids, err := listBenchmarks(ctx, env, filepath.Dir(resolve(env, *config)), cfg)
	if err != nil {
		return exitUndecided, fmt.Errorf("listing benchmarks: %w", err)
	}
	unmatched := cfg.Unmatched(ids)
	for _, e := range unmatched {
		fmt.Fprintf(env.stderr, "warning: %v\n", e)
	}
	fmt.Fprintf(env.stdout, "\n%d benchmarks found; %d budget pattern(s) match none.\n", len(ids), len(unmatched))
	return exitPass, nil
}

// listBenchmarks runs every benchmark of the configured packages once, to
// learn their full names including sub-benchmarks (go test -list cannot
// see sub-benchmarks: they exist only at run time).
func listBenchmarks(ctx context.Context, env *environment, dir string, cfg *budgets.Config) ([]budgets.BenchmarkID, error) {
	work, err := os.MkdirTemp("", "perfslo-check-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	pkgs, err := run.Build(ctx, dir, cfg.Run.Packages, work)
	if err != nil {
		return nil, err
	}
	out, err := run.Interleave(ctx, run.Plan{Head: pkgs, Bench: cfg.Run.Bench, Benchtime: "1x", CPU: cfg.Run.CPU, Rounds: 1, Progress: env.stderr})
	if err != nil {
		return nil, err
	}
	return sideBenchmarks(sideOf(gate.Source{}, out.Head)), nil
}
