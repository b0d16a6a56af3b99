package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/perfslo/perfslo/gate"
	"strings"

	"github.com/perfslo/perfslo/internal/pipeline"
	"github.com/perfslo/perfslo/internal/store"
)

func init() {
	register(command{name: "baseline", summary: "save, list or show stored baselines", run: runBaseline})
}

func runBaseline(ctx context.Context, env *environment, args []string) (int, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(env.stderr, "Usage: perfslo baseline save [--name NAME] | list | show NAME  [--store DIR|git:BRANCH]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return gate.ExitPass, nil
		}
		return gate.ExitUndecided, errors.New("want a subcommand: save, list or show")
	}
	switch args[0] {
	case "save":
		return baselineSave(ctx, env, args[1:])
	case "list":
		return baselineList(ctx, env, args[1:])
	case "show":
		return baselineShow(ctx, env, args[1:])
	}
	return gate.ExitUndecided, fmt.Errorf("unknown subcommand %q: want save, list or show", args[0])
}

func baselineSave(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("baseline save", "baseline save [--name NAME] [--config perfslo.yaml] [--store DIR|git:BRANCH] [run flags]", env.stderr)
	name := fs.String("name", "", "baseline `name` (default: the current git branch, else \"default\")")
	config := fs.String("config", "", "budgets `file` (default: perfslo.yaml in the module, if any)")
	spec := fs.String("store", "", "baseline store: a directory (default .perfslo in the module) or git:BRANCH")
	noProfiles := fs.Bool("no-profiles", false, "do not keep CPU and memory profiles of every benchmark")
	rf := registerRunFlags(fs)
	if err := parseNoneHint(fs, args, "the name goes in --name"); err != nil {
		return gate.ExitUndecided, err
	}
	moduleDir, cfg, err := loadRunConfig(env, *config, rf)
	if err != nil {
		return gate.ExitUndecided, err
	}
	saved, err := pipeline.SaveBaseline(ctx, pipeline.BaselinePlan{
		ModuleDir: moduleDir, Config: cfg, Name: *name, StoreSpec: storeSpec(env, *spec),
		Timeout: rf.timeout, Pin: !rf.noPin, NoProfiles: *noProfiles, Log: env.stderr,
	})
	if err != nil {
		return gate.ExitUndecided, err
	}
	return gate.ExitPass, saved.WriteText(env.stdout)
}

func baselineList(ctx context.Context, env *environment, args []string) (int, error) {
	st, _, err := storeCommand(ctx, env, "baseline list", "baseline list [--store DIR|git:BRANCH]", args)
	if err != nil {
		return gate.ExitUndecided, err
	}
	return gate.ExitPass, pipeline.ListBaselines(st, env.stdout)
}

func baselineShow(ctx context.Context, env *environment, args []string) (int, error) {
	st, pos, err := storeCommand(ctx, env, "baseline show", "baseline show NAME [--store DIR|git:BRANCH]", args)
	if err != nil {
		return gate.ExitUndecided, err
	}
	if len(pos) != 1 {
		return gate.ExitUndecided, errors.New("want one baseline name")
	}
	return gate.ExitPass, pipeline.ShowBaseline(st, pos[0], env.stdout)
}

// storeCommand parses the flags of a command that reads the store and
// opens it; it returns the positional arguments.
func storeCommand(ctx context.Context, env *environment, name, synopsis string, args []string) (store.Store, []string, error) {
	fs := newFlagSet(name, synopsis, env.stderr)
	spec := fs.String("store", "", "baseline store")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, nil, err
	}
	st, err := pipeline.OpenModuleStore(ctx, env.dir, storeSpec(env, *spec))
	return st, pos, err
}
