package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/github"
	"github.com/perfslo/perfslo/internal/store"
)

// Judge adds what concerns the whole run to the report: the base's
// warnings, the host's load, the benchmarks that failed to run, and the
// budgets that matched no benchmark.
func Judge(p Plan, b *Built, m *Measured, rep *gate.Report) {
	rep.Warnings = append(rep.Warnings, b.Warnings...)
	rep.Warnings = append(rep.Warnings, m.Outcome.LoadWarnings(runtime.NumCPU())...)
	rep.Failures = append(rep.Failures, Failures(m.Outcome.Failures, "")...)
	// With --bench or --packages narrowing the run, budgets outside the
	// selection are simply not exercised; with the configured selection, a
	// budget that matches nothing is a mistake (a renamed benchmark) and
	// must not pass silently.
	unmatched := UnmatchedBudgets(p.Config, rep)
	if p.Narrowed {
		if len(unmatched) > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d budget(s) not exercised: --bench/--packages left their benchmarks out", len(unmatched)))
		}
		return
	}
	for _, e := range unmatched {
		// A budget that judges nothing fails the suite, in its verdict and
		// not only in the exit code: a renamed benchmark would otherwise
		// switch its RAER off while the check run says success.
		rep.Failures = append(rep.Failures, gate.Failure{Side: "head", Kind: gate.FailureBudget,
			Output: "budget matches no benchmark: " + e.Error()})
	}
	rep.Failures = append(rep.Failures, Vanished(rep, p.AllowRemoved)...)
}

// Vanished returns a failure for each package that gave results on the base
// and none on the head (a TestMain that exits early, a build tag), and,
// unless removed benchmarks are allowed, one for each benchmark the head no
// longer ran (renamed, deleted, or b.Skip): without these a head that
// produced nothing would turn every row into "removed" and pass.
func Vanished(rep *gate.Report, allowRemoved bool) []gate.Failure {
	headPkgs := map[string]bool{}
	for _, r := range rep.Results {
		if r.Head != nil {
			headPkgs[r.Package] = true
		}
	}
	var out []gate.Failure
	seen := map[string]bool{}
	for _, r := range rep.Results {
		if r.Verdict != gate.Removed {
			continue
		}
		switch {
		case !headPkgs[r.Package] && !seen[r.Package]:
			seen[r.Package] = true
			out = append(out, gate.Failure{Package: r.Package, Side: "head", Kind: gate.FailureNoResults,
				Output: "the base gave benchmark results for this package and the head none: did its TestMain exit early, or a build tag drop its benchmarks?"})
		case headPkgs[r.Package] && !allowRemoved && !seen[r.Package+" "+r.Benchmark]:
			seen[r.Package+" "+r.Benchmark] = true
			out = append(out, gate.Failure{Package: r.Package, Benchmark: r.Benchmark, Side: "head", Kind: gate.FailureRemoved,
				Output: r.Benchmark + " ran on the base and not on the head (renamed, deleted, or skipped with b.Skip); --allow-removed accepts that"})
		}
	}
	return out
}

// UnmatchedBudgets lists the budget entries of cfg that apply to no
// benchmark the report's head measured.
func UnmatchedBudgets(cfg *budgets.Config, rep *gate.Report) []*budgets.Error {
	seen := map[budgets.BenchmarkID]bool{}
	var ids []budgets.BenchmarkID
	for _, r := range rep.Results {
		id := budgets.ParseBenchmarkID(r.Package, r.Benchmark, 0)
		id.Procs = 0
		if r.Head != nil && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return cfg.Unmatched(ids)
}

// Benchmarks lists the benchmarks a side holds, for budget matching.
func Benchmarks(s *gate.Side) []budgets.BenchmarkID {
	seen := map[budgets.BenchmarkID]bool{}
	var ids []budgets.BenchmarkID
	for _, k := range s.Keys() {
		id := k.BenchmarkID
		id.Procs = 0
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// Finish adds the last annotations: rows that passed without the power to
// see their tolerance on this machine (from the module's saved
// calibration), and each benchmark's source location.
func Finish(ctx context.Context, moduleDir string, rep *gate.Report) {
	rep.Warnings = append(rep.Warnings, CalibrationWarnings(ctx, moduleDir, rep)...)
	locateBenchmarks(moduleDir, rep)
}

// CalibrationFile is where calibrate saves and the gate looks, relative to
// the module root.
const CalibrationFile = ".perfslo/calibration.json"

// CalibrationWarnings reads the module's saved calibration, if any, and
// says which rows of a passing report could not have seen a regression of
// their tolerance on this machine. A calibration from another machine, with
// another GOMAXPROCS, or older than gate.CalibrationMaxAge is ignored, with
// a note saying so. No calibration, no warnings: the gate's own
// unmeasurable check still applies.
func CalibrationWarnings(ctx context.Context, moduleDir string, rep *gate.Report) []string {
	path := filepath.Join(moduleDir, CalibrationFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return []string{fmt.Sprintf("calibration %s ignored: %v", path, err)}
	}
	cal, err := gate.ParseCalibration(path, data)
	if err != nil {
		return []string{fmt.Sprintf("calibration ignored: %v", err)}
	}
	if why := cal.Unusable(store.CurrentMachine(ctx), rep.Settings, time.Now()); why != "" {
		return []string{fmt.Sprintf("calibration %s ignored: %s; run perfslo calibrate again", path, why)}
	}
	return cal.Warnings(rep, path)
}

// locateBenchmarks records each benchmark function's file and line
// (module-relative), so annotations work where the report is read without a
// checkout, as a fork-safe workflow_run job must be.
func locateBenchmarks(moduleDir string, rep *gate.Report) {
	loc := github.NewLocator(moduleDir)
	loc.Prefix = "" // module-relative; the comment step adds the repository prefix
	found := map[string]*gate.Location{}
	for i := range rep.Results {
		row := &rep.Results[i]
		key := row.Package + " " + row.Benchmark
		l, seen := found[key]
		if !seen {
			if at, ok := loc.Locate(row); ok {
				l = &at
			}
			found[key] = l
		}
		row.Source = l
	}
}
