package main

import (
	"context"
	"fmt"
	"github.com/perfslo/perfslo/gate"

	"github.com/perfslo/perfslo/internal/pipeline"
)

func init() {
	register(command{name: "compare", summary: "judge two existing go test -bench outputs (no running)", run: runCompare})
}

func runCompare(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("compare", "compare OLD.txt NEW.txt [--config perfslo.yaml] [--json F] [--markdown F]", env.stderr)
	out := registerReportOutputs(env, fs)
	config := fs.String("config", "", "budgets `file` (default: perfslo.yaml in the current directory, if any)")
	stats := registerStatsFlags(fs)
	allowRemoved := fs.Bool("allow-removed", false, "accept benchmarks of OLD that NEW lacks (by default each fails: a cut-short NEW must not pass)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return gate.ExitUndecided, err
	}
	if len(pos) != 2 {
		fs.Usage()
		return gate.ExitUndecided, fmt.Errorf("want two files, OLD and NEW; got %d argument(s)", len(pos))
	}
	cfg, err := pipeline.LoadConfig(resolve(env, *config), env.dir)
	if err != nil {
		return gate.ExitUndecided, err
	}
	if err := stats.validate(); err != nil {
		return gate.ExitUndecided, err
	}
	opt := stats.options(cfg)
	opt.Settings.Config = cfg.File
	defer pipeline.BatchGC()()
	rep, err := pipeline.CompareFiles([2]string{resolve(env, pos[0]), resolve(env, pos[1])}, [2]string{pos[0], pos[1]}, opt, *allowRemoved)
	if err != nil {
		return gate.ExitUndecided, err
	}
	return emit(env, out, rep)
}
