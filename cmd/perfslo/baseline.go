package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/gitref"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/internal/store"
)

func init() {
	register(command{name: "baseline", summary: "save, list or show stored baselines", run: runBaseline})
}

func runBaseline(ctx context.Context, env *environment, args []string) (int, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(env.stderr, "Usage: perfslo baseline save [--name NAME] | list | show NAME  [--store DIR|git:BRANCH]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return exitPass, nil
		}
		return exitUndecided, errors.New("want a subcommand: save, list or show")
	}
	switch args[0] {
	case "save":
		return baselineSave(ctx, env, args[1:])
	case "list":
		return baselineList(ctx, env, args[1:])
	case "show":
		return baselineShow(ctx, env, args[1:])
	}
	return exitUndecided, fmt.Errorf("unknown subcommand %q: want save, list or show", args[0])
}

func baselineSave(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("baseline save", "baseline save [--name NAME] [--config perfslo.yaml] [--store DIR|git:BRANCH] [run flags]", env.stderr)
	name := fs.String("name", "", "baseline `name` (default: the current git branch, else \"default\")")
	config := fs.String("config", "", "budgets `file` (default: perfslo.yaml in the module, if any)")
	storeSpec := fs.String("store", "", "baseline store: a directory (default .perfslo in the module) or git:BRANCH")
	noProfiles := fs.Bool("no-profiles", false, "do not keep CPU and memory profiles of every benchmark")
	rf := registerRunFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUndecided, err
	}
	if len(pos) > 0 {
		return exitUndecided, fmt.Errorf("unexpected argument %q (the name goes in --name)", pos[0])
	}
	moduleDir, cfg, err := loadRunConfig(env, *config, rf)
	if err != nil {
		return exitUndecided, err
	}
	st, err := openStore(ctx, env, *storeSpec, moduleDir)
	if err != nil {
		return exitUndecided, err
	}
	meta := store.CurrentMachine(ctx)
	meta.Name = *name
	if commit, dirty, err := gitref.Head(ctx, moduleDir); err == nil {
		meta.Commit = commit
		if dirty {
			fmt.Fprintln(env.stderr, "perfslo: warning: the working tree has uncommitted changes; the baseline records HEAD's commit but measures the tree as it is")
		}
	}
	if meta.Name == "" {
		meta.Name = currentBranch(ctx, moduleDir)
	}
	meta.Ref = meta.Name
	meta.Count, meta.Benchtime, meta.GOMAXPROCS, meta.Packages = cfg.Run.Count, cfg.Run.Benchtime, cfg.Run.CPU, cfg.Run.Packages
	meta.Date = time.Now().UTC()

	work, err := os.MkdirTemp("", "perfslo-baseline-")
	if err != nil {
		return exitUndecided, err
	}
	defer os.RemoveAll(work)
	pkgs, err := run.Build(ctx, moduleDir, cfg.Run.Packages, filepath.Join(work, "bin"))
	if err != nil {
		return exitUndecided, err
	}
	outcome, err := run.Interleave(ctx, run.Plan{Head: pkgs, Bench: cfg.Run.Bench, Benchtime: cfg.Run.Benchtime, CPU: cfg.Run.CPU, Rounds: cfg.Run.Count, Timeout: *rf.timeout, Progress: env.stderr, Pin: !*rf.noPin})
	if err != nil {
		return exitUndecided, err
	}
	if len(outcome.Failures) > 0 {
		for _, f := range outcome.Failures {
			fmt.Fprintf(env.stderr, "FAILED (%s): %s %s\n%s\n", f.Kind, f.Package, f.Benchmark, f.Output)
		}
		return exitUndecided, fmt.Errorf("%d benchmark(s) failed: a baseline with holes would hide regressions; nothing saved", len(outcome.Failures))
	}
	if len(outcome.Head) == 0 {
		return exitUndecided, errors.New("no benchmark results: nothing saved")
	}
	var profs map[string]string
	if !*noProfiles {
		if profs, err = captureProfiles(ctx, env, pkgs, cfg, filepath.Join(work, "profiles")); err != nil {
			return exitUndecided, fmt.Errorf("profiling for the baseline: %w", err)
		}
	}
	if err := st.Save(meta, outcome.HeadText, profs); err != nil {
		return exitUndecided, err
	}
	fmt.Fprintf(env.stdout, "saved baseline %q: %d samples of %d benchmarks at %s (%s)\n", meta.Name, len(outcome.Head), countBenchmarks(outcome.Head), shortCommit(meta.Commit), meta.CPU)
	return exitPass, nil
}

func countBenchmarks(rs []*benchfmt.Result) int {
	return len(sideBenchmarks(sideOf(gate.Source{}, rs)))
}

func baselineList(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("baseline list", "baseline list [--store DIR|git:BRANCH]", env.stderr)
	storeSpec := fs.String("store", "", "baseline store")
	if _, err := parseInterspersed(fs, args); err != nil {
		return exitUndecided, err
	}
	moduleDir, err := findModule(env.dir)
	if err != nil {
		return exitUndecided, err
	}
	st, err := openStore(ctx, env, *storeSpec, moduleDir)
	if err != nil {
		return exitUndecided, err
	}
	metas, err := st.List()
	if err != nil {
		return exitUndecided, err
	}
	if len(metas) == 0 {
		fmt.Fprintln(env.stdout, "no baselines stored; save one with 'perfslo baseline save'")
		return exitPass, nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "name\tcommit\tdate\tgo\tmachine")
	for _, m := range metas {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s/%s %s\n", m.Name, shortCommit(m.Commit), m.Date.Format("2006-01-02 15:04"), m.GoVersion, m.GOOS, m.GOARCH, m.CPU)
	}
	return exitPass, tw.Flush()
}

func baselineShow(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("baseline show", "baseline show NAME [--store DIR|git:BRANCH]", env.stderr)
	storeSpec := fs.String("store", "", "baseline store")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUndecided, err
	}
	if len(pos) != 1 {
		return exitUndecided, errors.New("want one baseline name")
	}
	moduleDir, err := findModule(env.dir)
	if err != nil {
		return exitUndecided, err
	}
	st, err := openStore(ctx, env, *storeSpec, moduleDir)
	if err != nil {
		return exitUndecided, err
	}
	bl, err := st.Load(pos[0])
	if err != nil {
		return exitUndecided, err
	}
	m := bl.Meta
	fmt.Fprintf(env.stdout, "baseline %s\ncommit:  %s\ndate:    %s\ngo:      %s %s/%s\ncpu:     %s (%d cores)\nrun:     count %d, benchtime %s, GOMAXPROCS %d, packages %s\nprofiles: %d\n\n",
		m.Name, m.Commit, m.Date.Format(time.RFC3339), m.GoVersion, m.GOOS, m.GOARCH, m.CPU, m.NumCPU, m.Count, m.Benchtime, m.GOMAXPROCS, strings.Join(m.Packages, " "), len(bl.Profiles))
	side, err := gate.ReadSide(sourceFromMeta(m), strings.NewReader(string(bl.Results)), "baseline "+m.Name)
	if err != nil {
		return exitUndecided, err
	}
	// A one-sided report renders the samples as benchstat would.
	rep := gate.Compare(gate.NewSide(gate.Source{}), side, gate.Options{Now: time.Now().UTC()})
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "package\tbenchmark\tunit\tvalue")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Package, strings.TrimPrefix(r.Benchmark, "Benchmark"), r.Unit, gate.FormatStat(r.Head, r.Unit))
	}
	return exitPass, tw.Flush()
}

func currentBranch(ctx context.Context, dir string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--abbrev-ref", "HEAD").Output()
	if b := strings.TrimSpace(string(out)); err == nil && b != "" && b != "HEAD" {
		return strings.ReplaceAll(b, "/", "-")
	}
	return "default"
}

// openStore opens the baseline store named by spec: "" (the .perfslo
// directory of the module), a directory path, or "git:BRANCH".
func openStore(ctx context.Context, env *environment, spec, moduleDir string) (store.Store, error) {
	switch {
	case spec == "":
		return store.Dir{Root: filepath.Join(moduleDir, ".perfslo")}, nil
	case strings.HasPrefix(spec, "git:"):
		branch := strings.TrimPrefix(spec, "git:")
		repo, err := gitref.Root(ctx, moduleDir)
		if err != nil {
			return nil, fmt.Errorf("--store %s needs a git repository: %w", spec, err)
		}
		return openGitStore(repo, branch)
	}
	return store.Dir{Root: resolve(env, spec)}, nil
}
