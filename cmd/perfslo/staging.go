package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/profiles"
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
			return exitUndecided, nil
		}
		return exitPass, nil
	}
	sub, ok := stagingCommands[args[0]]
	if !ok {
		return exitUndecided, fmt.Errorf("unknown staging command %q: want check, coverage, pgo or compare", args[0])
	}
	return sub(ctx, env, args[1:])
}

// stagingFlags are the flags every staging command shares.
type stagingFlags struct {
	server, service, selector string
	since, timeout            time.Duration
}

func (f *stagingFlags) register(fs *flag.FlagSet, selector bool) {
	fs.StringVar(&f.server, "server", "", "Pyroscope server `URL` (default $"+pyroscope.EnvServerAddress+")")
	fs.StringVar(&f.service, "service", "", "service `name` (the agent's application name, label service_name)")
	fs.DurationVar(&f.since, "since", time.Hour, "query window: the last `duration`")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "timeout of each request to the server")
	if selector {
		fs.StringVar(&f.selector, "selector", "", "extra label `selector`, such as '{commit=\"3f2c1e0\"}'")
	}
}

// client builds the query client from the flags and the environment.
func (f *stagingFlags) client(env *environment) (*pyroscope.Client, error) {
	cfg := pyroscope.ClientConfigFromEnv(env.getenv)
	if f.server != "" {
		cfg.Server = f.server
	}
	cfg.Timeout = f.timeout
	return pyroscope.NewClient(cfg)
}

// fetch is most staging commands' first step: the service's merged
// profile of one type over the window.
func (f *stagingFlags) fetch(ctx context.Context, env *environment, profileType, selector string) (*profile.Profile, error) {
	c, err := f.client(env)
	if err != nil {
		return nil, err
	}
	q, err := f.query(profileType, selector)
	if err != nil {
		return nil, err
	}
	return c.Profile(ctx, q)
}

// query is the window ending now.
func (f *stagingFlags) query(profileType, selector string) (pyroscope.Query, error) {
	if f.since <= 0 {
		return pyroscope.Query{}, fmt.Errorf("--since %v: want a positive duration", f.since)
	}
	end := time.Now()
	return pyroscope.Query{
		Service: f.service, ProfileType: profileType, Selector: selector,
		Start: end.Add(-f.since), End: end,
	}, nil
}

func noPositional(pos []string) error {
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q", pos[0])
	}
	return nil
}

func runStagingCheck(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("staging check", "staging check --server URL --service NAME [--since 1h] [--selector '{commit=\"…\"}'] [--config F] [--json F] [--markdown F]", env.stderr)
	var sf stagingFlags
	sf.register(fs, true)
	config := fs.String("config", "perfslo.yaml", "budgets `file` with a staging: section")
	var out reportOutputs
	out.register(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUndecided, err
	}
	if err := noPositional(pos); err != nil {
		return exitUndecided, err
	}
	cfg, err := budgets.Load(resolve(env, *config))
	if err != nil {
		return exitUndecided, err
	}
	if cfg.Staging == nil || len(cfg.Staging.Budgets) == 0 {
		return exitUndecided, fmt.Errorf("%s: no staging budgets: add a staging: section with service and budgets", cfg.File)
	}
	if sf.service == "" {
		sf.service = cfg.Staging.Service
	}
	c, err := sf.client(env)
	if err != nil {
		return exitUndecided, err
	}
	in := pyroscope.CheckInput{Service: sf.service, Selector: sf.selector, Window: sf.since}
	if pyroscope.NeedsCPU(cfg.Staging) {
		q, err := sf.query(pyroscope.ProfileCPU, sf.selector)
		if err != nil {
			return exitUndecided, err
		}
		in.End = q.End
		if in.CPU, err = c.Profile(ctx, q); err != nil {
			return exitUndecided, err
		}
	}
	if pyroscope.NeedsAllocs(cfg.Staging) {
		q, err := sf.query(pyroscope.ProfileAllocObjects, sf.selector)
		if err != nil {
			return exitUndecided, err
		}
		in.End = q.End
		if in.Allocs, err = c.Profile(ctx, q); err != nil {
			return exitUndecided, err
		}
		span, err := c.Span(ctx, q)
		if err != nil {
			return exitUndecided, err
		}
		in.AllocSeconds = span.Seconds()
	}
	r, err := pyroscope.Check(cfg, in)
	if err != nil {
		return exitUndecided, err
	}
	return out.emit(env, r)
}

func runStagingPGO(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("staging pgo", "staging pgo --server URL --service NAME [--since 1h] [--selector …] -o default.pgo", env.stderr)
	var sf stagingFlags
	sf.register(fs, true)
	output := fs.String("o", "default.pgo", "write the profile to `file` (go build -pgo=auto reads default.pgo in the main package's directory)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUndecided, err
	}
	if err := noPositional(pos); err != nil {
		return exitUndecided, err
	}
	p, err := sf.fetch(ctx, env, pyroscope.ProfileCPU, sf.selector)
	if err != nil {
		return exitUndecided, err
	}
	path := resolve(env, *output)
	if err := pyroscope.WritePGO(path, p); err != nil {
		return exitUndecided, err
	}
	var cpu int64
	for _, s := range p.Sample {
		cpu += s.Value[0]
	}
	fmt.Fprintf(env.stdout, "wrote %s: %d stacks, %.1f s of CPU of %s over the last %v\nbuild with: go build -pgo=%s\n",
		*output, len(p.Sample), float64(cpu)/1e9, sf.service, pyroscope.ShortDuration(sf.since), *output)
	return exitPass, nil
}

func runStagingCompare(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("staging compare", "staging compare --server URL --service NAME --base '{commit=\"A\"}' --head '{commit=\"B\"}' [--since 1h] [--top 15] [--json F]", env.stderr)
	var sf stagingFlags
	sf.register(fs, false)
	base := fs.String("base", "", "label `selector` of the base side, such as '{commit=\"A\"}'")
	head := fs.String("head", "", "label `selector` of the head side, such as '{commit=\"B\"}'")
	top := fs.Int("top", 15, "list the `n` largest changes")
	jsonOut := fs.String("json", "", "write the comparison as JSON to `file` (- for stdout)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUndecided, err
	}
	if err := noPositional(pos); err != nil {
		return exitUndecided, err
	}
	if *base == "" || *head == "" {
		return exitUndecided, errors.New("staging compare needs --base and --head selectors, such as --base '{commit=\"A\"}' --head '{commit=\"B\"}'")
	}
	c, err := sf.client(env)
	if err != nil {
		return exitUndecided, err
	}
	var sides [2]*profile.Profile
	for i, sel := range []string{*base, *head} {
		q, err := sf.query(pyroscope.ProfileCPU, sel)
		if err != nil {
			return exitUndecided, err
		}
		if sides[i], err = c.Profile(ctx, q); err != nil {
			return exitUndecided, err
		}
	}
	cmp, err := pyroscope.Compare(sides[0], sides[1], *top)
	if err != nil {
		return exitUndecided, err
	}
	if *jsonOut != "-" {
		if err := cmp.WriteText(env.stdout, sf.service+" "+*base, sf.service+" "+*head); err != nil {
			return exitUndecided, err
		}
	}
	if *jsonOut != "" {
		if err := writeOutput(env, *jsonOut, func(w io.Writer) error { return stagingJSON(w, cmp) }); err != nil {
			return exitUndecided, err
		}
	}
	return exitPass, nil
}

func runStagingCoverage(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("staging coverage", "staging coverage --server URL --service NAME [--since 1h] [--selector …] [--packages ./...] [--bench-profiles a.pprof,…]", env.stderr)
	var sf stagingFlags
	sf.register(fs, true)
	packages := fs.String("packages", "./...", "benchmark `packages` (comma-separated patterns) of the module in the working directory")
	bench := fs.String("bench", ".", "run benchmarks matching `regexp`")
	benchtime := fs.String("benchtime", "200ms", "-test.benchtime for the profiling run")
	given := fs.String("bench-profiles", "", "use these benchmark CPU profiles (comma-separated `files`) instead of running the benchmarks")
	top := fs.Int("top", 5, "list up to `n` hot unbenchmarked functions")
	jsonOut := fs.String("json", "", "write the coverage as JSON to `file` (- for stdout)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUndecided, err
	}
	if err := noPositional(pos); err != nil {
		return exitUndecided, err
	}
	staging, err := sf.fetch(ctx, env, pyroscope.ProfileCPU, sf.selector)
	if err != nil {
		return exitUndecided, err
	}
	var benches []*profile.Profile
	if *given != "" {
		for _, path := range splitList(*given) {
			p, err := profiles.Load(resolve(env, path))
			if err != nil {
				return exitUndecided, err
			}
			benches = append(benches, p)
		}
	} else {
		benches, err = benchmarkCPUProfiles(ctx, env, splitList(*packages), *bench, *benchtime)
		if err != nil {
			return exitUndecided, err
		}
	}
	cov, err := pyroscope.ComputeCoverage(staging, benches)
	if err != nil {
		return exitUndecided, err
	}
	if *jsonOut != "-" {
		fmt.Fprintln(env.stdout, cov.Summary(*top))
		tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "\nshare of staging CPU\tbenchmarked\tdeepest application function\n")
		rows := 0
		for _, f := range cov.Unbenchmarked {
			if rows == *top {
				break
			}
			fmt.Fprintf(tw, "%.1f%%\tno\t%s\n", 100*f.Share, f.Function)
			rows++
		}
		for i, f := range cov.Benchmarked {
			if i == *top {
				break
			}
			fmt.Fprintf(tw, "%.1f%%\tyes\t%s\n", 100*f.Share, f.Function)
		}
		tw.Flush()
		fmt.Fprintf(env.stdout, "\n%.0f staging CPU samples of %s over the last %v; %d benchmark profile(s). A sample counts for the deepest\nnon-standard-library function on its stack; it is benchmarked when that function appears in a benchmark's CPU profile.\n",
			cov.Samples, sf.service, pyroscope.ShortDuration(sf.since), len(benches))
	}
	if *jsonOut != "" {
		if err := writeOutput(env, *jsonOut, func(w io.Writer) error { return stagingJSON(w, cov) }); err != nil {
			return exitUndecided, err
		}
	}
	return exitPass, nil
}

// benchmarkCPUProfiles builds the test binaries of the packages in the
// working directory's module and runs their benchmarks once each with a CPU
// profile, in the package's directory (as go test does).
func benchmarkCPUProfiles(ctx context.Context, env *environment, patterns []string, bench, benchtime string) ([]*profile.Profile, error) {
	work, err := os.MkdirTemp("", "perfslo-coverage-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	pkgs, err := run.Build(ctx, env.dir, patterns, work)
	if err != nil {
		return nil, err
	}
	var out []*profile.Profile
	for i, pkg := range pkgs {
		path := filepath.Join(work, fmt.Sprintf("cpu%d.pprof", i))
		fmt.Fprintf(env.stderr, "profiling benchmarks of %s\n", pkg.ImportPath)
		cmd := exec.CommandContext(ctx, pkg.Binary, "-test.run=^$", "-test.bench="+bench,
			"-test.benchtime="+benchtime, "-test.count=1", "-test.cpuprofile="+path)
		cmd.Dir = pkg.Dir
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if b, err := cmd.Output(); err != nil {
			return nil, fmt.Errorf("benchmarks of %s failed: %v\n%s%s", pkg.ImportPath, err, b, stderr.String())
		}
		p, err := profiles.Load(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // no benchmark matched
		}
		if err != nil {
			return nil, err
		}
		if len(p.Sample) > 0 {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no benchmark matching %q produced CPU samples in %s", bench, strings.Join(patterns, " "))
	}
	return out, nil
}

func stagingJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// stagingProfile fetches the staging service's CPU profile for the gate's
// impact estimates. Staging is context, not evidence: when it cannot be had,
// the gate says so in a warning and judges without it.
func stagingProfile(ctx context.Context, env *environment, cfg *budgets.Config, server string, since time.Duration, rep *gate.Report) *profile.Profile {
	if cfg.Staging == nil || cfg.Staging.Service == "" {
		if server != "" {
			rep.Warnings = append(rep.Warnings, "--staging needs staging.service in perfslo.yaml: no staging impact shown")
		}
		return nil
	}
	f := stagingFlags{server: server, service: cfg.Staging.Service, since: since, timeout: 30 * time.Second}
	if f.server == "" && env.getenv(pyroscope.EnvServerAddress) == "" {
		return nil
	}
	p, err := f.fetch(ctx, env, pyroscope.ProfileCPU, "")
	if err == nil {
		fmt.Fprintf(env.stderr, "perfslo: staging profile of %s over the last %s\n", cfg.Staging.Service, since)
		return p
	}
	rep.Warnings = append(rep.Warnings, "staging: "+err.Error()+"; no staging impact shown")
	return nil
}
