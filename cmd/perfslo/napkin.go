package main

import (
	"context"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/pipeline"
)

func init() {
	register(command{name: "napkin", summary: "measure this machine's floors; put benchmarks next to them", run: runNapkin})
}

func runNapkin(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("napkin", "napkin [--floors FILE] [--results bench.txt] [--remeasure] [--quick]", env.stderr)
	floors := fs.String("floors", "", "the floors `file` (default .perfslo/napkin.json in the module)")
	results := fs.String("results", "", "a go test -bench output (`file`) to put next to the floors")
	again := fs.Bool("remeasure", false, "measure even when the floors file exists")
	quick := fs.Bool("quick", false, "shorter, noisier probes")
	if err := parseNone(fs, args); err != nil {
		return gate.ExitUndecided, err
	}
	path := resolve(env, *floors)
	if *floors == "" {
		path = pipeline.FloorsFile(pipeline.ModuleOrDir(env.dir))
	}
	return pipeline.Napkin(ctx, env.stdout, pipeline.NapkinPlan{Floors: path, Results: resolve(env, *results), Remeasure: *again, Quick: *quick, Log: env.stderr})
}
