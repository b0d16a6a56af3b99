package main

import (
	"context"
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
	if err := parseNoneHint(fs, args, "the file goes in --config"); err != nil {
		return gate.ExitUndecided, err
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
	return gate.ExitPass, pipeline.CheckPatterns(ctx, filepath.Dir(resolve(env, *config)), cfg, env.stdout, env.stderr)
}
