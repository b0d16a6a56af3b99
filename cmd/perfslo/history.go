package main

import (
	"context"
	"flag"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/pipeline"
)

func init() {
	register(command{name: "history", summary: "the default branch's trend per benchmark, creep and budget burn", run: runHistory})
}

func runHistory(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("history", "history [--store git:BRANCH] [--bench RE] [--last N] [--config perfslo.yaml]", env.stderr)
	hf := registerHistoryFlags(fs)
	last := fs.Int("last", pipeline.DefaultShow, "print the newest `N` baselines of each trend")
	v, err := hf.load(ctx, env, fs, args)
	if err != nil {
		return gate.ExitUndecided, err
	}
	v.Show = *last
	return v.Exit(), pipeline.WriteHistory(env.stdout, v)
}

// historyFlags are the flags of the commands that read the history.
type historyFlags struct{ store, bench, config *string }

func registerHistoryFlags(fs *flag.FlagSet) historyFlags {
	return historyFlags{
		store:  fs.String("store", "", "baseline store holding the history (default git:perfslo-baselines)"),
		bench:  fs.String("bench", "", "only benchmarks matching `regexp`"),
		config: fs.String("config", "", "budgets `file` (default: perfslo.yaml in the module, if any)"),
	}
}

// load parses args and reads the judged history.
func (hf historyFlags) load(ctx context.Context, env *environment, fs *flag.FlagSet, args []string) (*pipeline.HistoryView, error) {
	if err := parseNone(fs, args); err != nil {
		return nil, err
	}
	return pipeline.ReadHistory(ctx, env.dir, resolve(env, *hf.config), storeSpec(env, *hf.store), *hf.bench)
}
