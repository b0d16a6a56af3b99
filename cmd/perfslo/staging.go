package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/perfslo/perfslo/gate"
	"io"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/internal/output"
	"github.com/perfslo/perfslo/internal/pipeline"
	"github.com/perfslo/perfslo/profiles/pyroscope"
)

func init() {
	register(command{name: "staging", summary: "check staging budgets, benchmark coverage, default.pgo and commit deltas from Pyroscope", run: runStaging})
}

var stagingCommands = map[string]func(context.Context, *environment, []string) (int, error){
	"check":    runStagingCheck,
	"coverage": runStagingCoverage,
	"pgo":      runStagingPGO,
	"compare":  runStagingCompare,
}

func runStaging(ctx context.Context, env *environment, args []string) (int, error) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.stderr, `Usage: perfslo staging <check|coverage|pgo|compare> [flags]

  check     judge perfslo.yaml's staging budgets on the service's live CPU profile
  coverage  how much of staging CPU the benchmarks exercise, and what is hot but unbenchmarked
  pgo       write the merged staging CPU profile for go build -pgo
  compare   the service's profile for one selector (commit) against another

--server defaults to $PYROSCOPE_SERVER_ADDRESS; credentials come from
PYROSCOPE_BASIC_AUTH_USER/_PASSWORD and the tenant from PYROSCOPE_TENANT_ID.`)
		if len(args) == 0 {
			return gate.ExitUndecided, nil
		}
		return gate.ExitPass, nil
	}
	sub, ok := stagingCommands[args[0]]
	if !ok {
		return gate.ExitUndecided, fmt.Errorf("unknown staging command %q: want check, coverage, pgo or compare", args[0])
	}
	return sub(ctx, env, args[1:])
}

// stagingFlags are the flags every staging command shares.
type stagingFlags struct {
	pyroscope.Window
	selector string
}

// newStagingFlagSet is the flag set of one staging command, with the
// shared flags registered (--selector when the command takes one).
func newStagingFlagSet(env *environment, name, synopsis string, selector bool) (*flag.FlagSet, *stagingFlags) {
	fs := newFlagSet(name, synopsis, env.stderr)
	f := &stagingFlags{Window: pyroscope.Window{Getenv: env.getenv}}
	fs.StringVar(&f.Server, "server", "", "Pyroscope server `URL` (default $"+pyroscope.EnvServerAddress+")")
	fs.StringVar(&f.Service, "service", "", "service `name` (the agent's application name, label service_name)")
	fs.DurationVar(&f.Since, "since", time.Hour, "query window: the last `duration`")
	fs.DurationVar(&f.Timeout, "timeout", 30*time.Second, "timeout of each request to the server")
	if selector {
		fs.StringVar(&f.selector, "selector", "", "extra label `selector`, such as '{commit=\"3f2c1e0\"}'")
	}
	return fs, f
}

func runStagingCheck(ctx context.Context, env *environment, args []string) (int, error) {
	fs, sf := newStagingFlagSet(env, "staging check", "staging check --server URL --service NAME [--since 1h] [--selector '{commit=\"…\"}'] [--config F] [--json F] [--markdown F]", true)
	config := fs.String("config", "perfslo.yaml", "budgets `file` with a staging: section")
	out := registerReportOutputs(env, fs)
	if err := parseNone(fs, args); err != nil {
		return gate.ExitUndecided, err
	}
	cfg, err := budgets.Load(resolve(env, *config))
	if err != nil {
		return gate.ExitUndecided, err
	}
	r, err := pyroscope.CheckWindow(ctx, sf.Window, cfg, sf.selector)
	if err != nil {
		return gate.ExitUndecided, err
	}
	return emit(env, out, r)
}

func runStagingPGO(ctx context.Context, env *environment, args []string) (int, error) {
	fs, sf := newStagingFlagSet(env, "staging pgo", "staging pgo --server URL --service NAME [--since 1h] [--selector …] -o default.pgo", true)
	pgoFile := fs.String("o", "default.pgo", "write the profile to `file` (go build -pgo=auto reads default.pgo in the main package's directory)")
	if err := parseNone(fs, args); err != nil {
		return gate.ExitUndecided, err
	}
	pgo, err := pyroscope.PGOWindow(ctx, sf.Window, sf.selector, resolve(env, *pgoFile))
	if err != nil {
		return gate.ExitUndecided, err
	}
	return gate.ExitPass, pgo.WriteText(env.stdout, *pgoFile)
}

func runStagingCompare(ctx context.Context, env *environment, args []string) (int, error) {
	fs, sf := newStagingFlagSet(env, "staging compare", "staging compare --server URL --service NAME --base '{commit=\"A\"}' --head '{commit=\"B\"}' [--since 1h] [--top 15] [--json F]", false)
	base := fs.String("base", "", "label `selector` of the base side, such as '{commit=\"A\"}'")
	head := fs.String("head", "", "label `selector` of the head side, such as '{commit=\"B\"}'")
	top := fs.Int("top", 15, "list the `n` largest changes")
	jsonOut := fs.String("json", "", "write the comparison as JSON to `file` (- for stdout)")
	if err := parseNone(fs, args); err != nil {
		return gate.ExitUndecided, err
	}
	if *base == "" || *head == "" {
		return gate.ExitUndecided, errors.New("staging compare needs --base and --head selectors, such as --base '{commit=\"A\"}' --head '{commit=\"B\"}'")
	}
	cmp, err := pyroscope.CompareWindow(ctx, sf.Window, *base, *head, *top)
	if err != nil {
		return gate.ExitUndecided, err
	}
	return gate.ExitPass, output.TextAndJSON(env.stdout, env.dir, *jsonOut, func(w io.Writer) error { return cmp.WriteText(w, sf.Service+" "+*base, sf.Service+" "+*head) }, cmp)
}

func runStagingCoverage(ctx context.Context, env *environment, args []string) (int, error) {
	fs, sf := newStagingFlagSet(env, "staging coverage", "staging coverage --server URL --service NAME [--since 1h] [--selector …] [--packages ./...] [--bench-profiles a.pprof,…]", true)
	packages := fs.String("packages", "./...", "benchmark `packages` (comma-separated patterns) of the module in the working directory")
	bench := fs.String("bench", ".", "run benchmarks matching `regexp`")
	benchtime := fs.String("benchtime", "200ms", "-test.benchtime for the profiling run")
	profilesFlag := fs.String("bench-profiles", "", "use these benchmark CPU profiles (comma-separated `files`) instead of running the benchmarks")
	top := fs.Int("top", 5, "list up to `n` hot unbenchmarked functions")
	jsonOut := fs.String("json", "", "write the coverage as JSON to `file` (- for stdout)")
	if err := parseNone(fs, args); err != nil {
		return gate.ExitUndecided, err
	}
	var given []string
	for _, p := range budgets.SplitList(*profilesFlag) {
		given = append(given, resolve(env, p))
	}
	cov, n, err := pipeline.Coverage(ctx, sf.Window, sf.selector, pipeline.CoverageSource{
		Profiles: given, Dir: env.dir, Packages: budgets.SplitList(*packages), Bench: *bench, Benchtime: *benchtime, Log: env.stderr,
	})
	if err != nil {
		return gate.ExitUndecided, err
	}
	return gate.ExitPass, output.TextAndJSON(env.stdout, env.dir, *jsonOut, func(w io.Writer) error { return cov.WriteText(w, *top, sf.Service, sf.Since, n) }, cov)
}
