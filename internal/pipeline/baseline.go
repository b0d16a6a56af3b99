package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/gitref"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/internal/store"
	"github.com/perfslo/perfslo/internal/tempdir"
)

// BaselinePlan is one `perfslo baseline save`.
type BaselinePlan struct {
	// ModuleDir is the module to measure; Config its final settings.
	ModuleDir string
	Config    *budgets.Config
	// Name is the baseline's name ("" is the current git branch, else
	// "default"); StoreSpec the store (see OpenStore).
	Name, StoreSpec string
	// Timeout bounds one benchmark process; Pin runs each on one CPU.
	Timeout time.Duration
	Pin     bool
	// NoProfiles skips the CPU and allocation profiles of every benchmark.
	NoProfiles bool
	// Log receives progress and warnings; nil is quiet.
	Log io.Writer
}

// SavedBaseline says what SaveBaseline stored.
type SavedBaseline struct {
	Meta                store.Meta
	Samples, Benchmarks int
}

// SaveBaseline measures the module's benchmarks (head-only rounds), profiles
// each unless p.NoProfiles, and stores the baseline. A benchmark that fails
// saves nothing: a baseline with holes would hide regressions.
func SaveBaseline(ctx context.Context, p BaselinePlan) (*SavedBaseline, error) {
	log := p.Log
	if log == nil {
		log = io.Discard
	}
	cfg := p.Config
	st, err := OpenStore(ctx, p.StoreSpec, p.ModuleDir)
	if err != nil {
		return nil, err
	}
	meta := baselineMeta(ctx, log, p)
	work, err := tempdir.New("baseline-")
	if err != nil {
		return nil, err
	}
	defer tempdir.Remove(work)
	pkgs, err := run.Build(ctx, p.ModuleDir, cfg.Run.Packages, filepath.Join(work, "bin"))
	if err != nil {
		return nil, err
	}
	outcome, err := run.Interleave(ctx, run.Plan{Head: pkgs, Bench: cfg.Run.Bench, Benchtime: cfg.Run.Benchtime, CPU: cfg.Run.CPU, Rounds: cfg.Run.Count, Timeout: p.Timeout, Progress: log, Pin: p.Pin})
	if err != nil {
		return nil, err
	}
	if len(outcome.Failures) > 0 {
		for _, f := range outcome.Failures {
			fmt.Fprintf(log, "FAILED (%s): %s %s\n%s\n", f.Kind, f.Package, f.Benchmark, f.Output)
		}
		return nil, fmt.Errorf("%d benchmark(s) failed: a baseline with holes would hide regressions; nothing saved", len(outcome.Failures))
	}
	if len(outcome.Head) == 0 {
		return nil, errors.New("no benchmark results: nothing saved")
	}
	var profs map[string]string
	if !p.NoProfiles {
		if profs, err = captureProfiles(ctx, log, pkgs, cfg, filepath.Join(work, "profiles")); err != nil {
			return nil, fmt.Errorf("profiling for the baseline: %w", err)
		}
	}
	// The last line before the store is touched: a user who interrupts
	// after it knows the old baseline or the new one is there, never half.
	fmt.Fprintf(log, "perfslo: saving baseline %q (%d samples, %d profiles)\n", meta.Name, len(outcome.Head), len(profs))
	if err := st.Save(meta, outcome.HeadText, profs); err != nil {
		return nil, err
	}
	logRecord(log, recordHistoryLogged(ctx, p.ModuleDir, st, meta, outcome.HeadText, cfg))
	return &SavedBaseline{Meta: meta, Samples: len(outcome.Head), Benchmarks: len(Benchmarks(SideOf(gate.Source{}, outcome.Head)))}, nil
}

// baselineMeta describes the baseline about to be measured.
func baselineMeta(ctx context.Context, log io.Writer, p BaselinePlan) store.Meta {
	meta := store.Meta{Name: p.Name, Machine: store.CurrentMachine(ctx)}
	if commit, dirty, err := gitref.Head(ctx, p.ModuleDir); err == nil {
		meta.Commit = commit
		if dirty {
			fmt.Fprintln(log, "perfslo: warning: the working tree has uncommitted changes; the baseline records HEAD's commit but measures the tree as it is")
		}
	}
	if meta.Name == "" {
		meta.Name = currentBranch(ctx, p.ModuleDir)
	}
	meta.Ref = meta.Name
	r := p.Config.Run
	meta.Count, meta.Benchtime, meta.GOMAXPROCS, meta.Packages = r.Count, r.Benchtime, r.CPU, r.Packages
	meta.Date = time.Now().UTC()
	return meta
}

// currentBranch names a baseline after the branch checked out, "default"
// on a detached HEAD or outside git.
func currentBranch(ctx context.Context, dir string) string {
	if b, err := gitref.Git(ctx, dir, "rev-parse", "--abbrev-ref", "HEAD"); err == nil && b != "" && b != "HEAD" {
		return strings.ReplaceAll(b, "/", "-")
	}
	return "default"
}

// captureProfiles is baseline save's profiling step:
// every benchmark of pkgs gets a CPU profile and an exact allocation profile,
// saved with their iteration counts under the names storedProfiles looks
// for. One short calibration round finds the benchmarks and their sec/op.
func captureProfiles(ctx context.Context, log io.Writer, pkgs []run.Package, cfg *budgets.Config, dir string) (map[string]string, error) {
	cal, err := run.Interleave(ctx, run.Plan{Head: pkgs, Bench: cfg.Run.Bench, Benchtime: "100ms", CPU: cfg.Run.CPU, Rounds: 1, Progress: log})
	if err != nil {
		return nil, err
	}
	type bench struct {
		id  budgets.BenchmarkID
		spo float64
	}
	var benches []bench
	seen := map[budgets.BenchmarkID]bool{}
	for _, r := range cal.Head {
		id := budgets.ResultID(r, cfg.Run.CPU)
		id.Procs = 0
		if seen[id] {
			continue
		}
		seen[id] = true
		spo := 0.0
		for _, v := range r.Values {
			if v.Unit == "sec/op" {
				spo = v.Value
			}
		}
		benches = append(benches, bench{id, spo})
	}
	sort.SliceStable(benches, func(i, j int) bool { return benches[i].id.Package < benches[j].id.Package })
	out := map[string]string{}
	var errs []error
	for _, b := range benches {
		pkg := findPackage(pkgs, b.id.Package)
		if pkg == nil {
			continue
		}
		fmt.Fprintf(log, "perfslo: profiling %s %s for the baseline\n", b.id.Package, b.id.Name)
		opts := run.ProfileOptions{OutDir: filepath.Join(dir, run.FileName(b.id.Package)), SecPerOp: b.spo, Mem: true, CPU: cfg.Run.CPU}
		pr, err := run.Profile(ctx, *pkg, b.id.Name, opts)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			errs = append(errs, err)
			continue
		}
		sp, err := measured(pr)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cpuSaved := filepath.Join(opts.OutDir, run.FileName(b.id.Name)+".cpu.saved.pb.gz")
		if err := sp.cpu.Save(cpuSaved); err != nil {
			return nil, err
		}
		out[baselineProfileName(b.id, "cpu")] = cpuSaved
		out[baselineProfileName(b.id, "allocs")] = sp.mem.Path
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%d benchmark(s) not profiled: %w", len(errs), errors.Join(errs...))
	}
	return out, nil
}
