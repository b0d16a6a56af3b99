package main

import (
	"context"
	"errors"
	"time"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/shard"
)

func init() {
	register(command{name: "merge", summary: "join the JSON reports of gate --shard i/n into one, judged over the whole suite", run: runMerge})
}

func runMerge(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("merge", "merge report-*.json [--config perfslo.yaml] [--json F] [--markdown F]", env.stderr)
	out := registerReportOutputs(env, fs)
	config := fs.String("config", "", "budgets `file` the shards judged with (default: perfslo.yaml in the module, if any)")
	samples := fs.String("samples", "", "keep the merged raw samples in `dir` (default: next to --json as NAME.samples/)")
	allowRemoved := fs.Bool("allow-removed", false, "accept benchmarks the head no longer runs")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return gate.ExitUndecided, err
	}
	if len(pos) == 0 {
		return gate.ExitUndecided, errors.New("want the shards' JSON reports")
	}
	cfg, err := loadModuleConfig(env, *config)
	if err != nil {
		return gate.ExitUndecided, err
	}
	for i := range pos {
		pos[i] = resolve(env, pos[i])
	}
	rep, err := shard.Merge(shard.MergeInput{Reports: pos, Config: cfg, AllowRemoved: *allowRemoved,
		SamplesDir: resolve(env, *samples), ReportPath: out.ReportPath(), Now: time.Now().UTC()})
	if err != nil {
		return gate.ExitUndecided, err
	}
	return emit(env, out, rep)
}
