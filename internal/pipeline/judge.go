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
	if p.Narrowed {
		if n := len(gate.UnmatchedBudgets(p.Config, rep)); n > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d budget(s) not exercised: --bench/--packages left their benchmarks out", n))
		}
		return
	}
	// Packages the selection skipped (unaffected, another shard's) do not
	// exercise their budgets; what vanished from the gated ones still fails.
	if p.partial() {
		if n := len(gate.UnmatchedBudgets(p.Config, rep)); n > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d budget(s) not exercised here: their packages were skipped", n))
		}
		rep.Failures = append(rep.Failures, gate.Vanished(rep, p.AllowRemoved)...)
		return
	}
	rep.Failures = append(rep.Failures, gate.UnmatchedFailures(p.Config, rep)...)
	rep.Failures = append(rep.Failures, gate.Vanished(rep, p.AllowRemoved)...)
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
