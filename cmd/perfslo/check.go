package main

import (
	"context"
	"fmt"
	"github.com/perfslo/perfslo/gate"
	"path/filepath"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/internal/pipeline"
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
		return gate.ExitUndecided, err
	}
	if len(pos) > 0 {
		return gate.ExitUndecided, fmt.Errorf("unexpected argument %q (the file goes in --config)", pos[0])
	}
	cfg, err := budgets.Load(resolve(env, *config))
	if err != nil {
		return gate.ExitUndecided, err
	}
	if err := budgets.Describe(env.stdout, cfg); err != nil {
		return gate.ExitUndecided, err
	}
	if !*list {
		return gate.ExitPass, nil
	}
	ids, err := pipeline.ListBenchmarks(ctx, filepath.Dir(resolve(env, *config)), cfg, env.stderr)
	if err != nil {
		return gate.ExitUndecided, fmt.Errorf("listing benchmarks: %w", err)
	}
	unmatched := cfg.Unmatched(ids)
	for _, e := range unmatched {
		fmt.Fprintf(env.stderr, "warning: %v\n", e)
	}
	fmt.Fprintf(env.stdout, "\n%d benchmarks found; %d budget pattern(s) match none.\n", len(ids), len(unmatched))
	return gate.ExitPass, nil
}
