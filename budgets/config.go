// Package budgets reads perfslo.yaml: the project's RAER budgets (Resource-Aware
// Efficiency Requirements, from Efficient Go, B. Płotka, ch. 3).
//
// A RAER states, for one operation on a stated dataset, a limit per resource:
// "summing a file of N lines takes ≤ 10 ns per line, ≤ 10 KiB + 0.4 B per line
// and 0 allocations". This package's opinions:
//
//   - The operation and the dataset are part of the requirement, not comments:
//     a limit without them means nothing to the next reader.
//   - Limits may be expressions over a sub-benchmark's parameters
//     (BenchmarkSum/lines=1000 binds lines=1000), so one entry covers a family
//     of sizes and states the complexity the team expects.
//   - Unknown keys, unknown units and unparsable values are errors that name
//     file:line:column, so a typo never silently disables a budget.
//   - Regression tolerances are relative: a regression fails only when it is
//     statistically significant and larger than its tolerance.
//   - Quantities carry units and the units are checked: "10ns" in a sec/op
//     limit, "10KiB" in a B/op limit; a duration in a B/op limit is an
//     error, not a silent 1e-9. Bare numbers are in the unit as written.
//   - Entries match benchmarks by glob and the first match wins; an entry
//     that matches no benchmark checks nothing, so Unmatched reports it.
//
// Parsing walks goccy/go-yaml's AST rather than decoding into structs, so
// every value keeps its position and all problems are reported at once.
// Limit expressions use Go's expression syntax, parsed by go/parser.
package budgets

import (
	"fmt"
	"time"
)

// Version is the only perfslo.yaml schema version this package reads.
const Version = 1

// Config is a parsed perfslo.yaml.
type Config struct {
	// File is the path the config was read from ("" for Default()).
	File string
	// Module is the main module's path. Relative Package patterns ("./sum",
	// ".") resolve against it exactly; Load fills it from the nearest go.mod
	// at or above the config file, and a caller that knows better may set
	// it. When empty, "./sum" matches any import path ending in "/sum" and
	// "." matches nothing.
	Module string

	Version int
	Run     Run
	// Tolerance holds the project-wide regression tolerances per unit,
	// as fractions (0.05 for 5%). Units without an entry use
	// DefaultTolerance.
	Tolerance map[string]float64
	Budgets   []Budget
	Staging   *Staging
	// History, Creep and Burn configure the baseline history (see
	// history.go); nil means the defaults.
	History *History
	Creep   *Creep
	Burn    *Burn
}

// Run holds the defaults for `perfslo gate`; command-line flags override them.
type Run struct {
	Packages  []string // package patterns, default ["./..."]
	Bench     string   // -test.bench regexp, default "."
	Count     int      // samples per benchmark and side, default 10
	Benchtime string   // -test.benchtime, default "100ms" (a duration or "Nx")
	CPU       int      // -test.cpu / GOMAXPROCS for both sides, default 1
	// MaxTime bounds the gate's measuring: the first stage always runs
	// whole, and confirmation looks run while they fit. Default 10m.
	MaxTime time.Duration
	// Measure is what the gate measures: MeasureTime (wall time, the
	// default), MeasureInstructions (instructions and estimated cycles per
	// op under valgrind's callgrind) or MeasureAuto (instructions where
	// valgrind runs the benchmark, time otherwise).
	Measure string
}

// The measures of run.measure and --measure.
const (
	MeasureTime         = "time"
	MeasureInstructions = "instructions"
	MeasureAuto         = "auto"
)

// CheckMeasure says what is wrong with a run.measure or --measure value.
func CheckMeasure(m string) error {
	switch m {
	case MeasureTime, MeasureInstructions, MeasureAuto:
		return nil
	}
	return fmt.Errorf("measure %q: expected time, instructions (counted under valgrind's callgrind) or auto (instructions where valgrind runs the benchmark, else time)", m)
}

// MeasureFor is how a benchmark is measured: the Measure of the first
// entry that matches it, if that entry sets one, else run.measure. why
// says which ("perfslo.yaml:12: measure: time", or "run.measure: time").
func (c *Config) MeasureFor(pkg, benchmark string) (measure, why string) {
	if b := c.Match(pkg, benchmark); b != nil && b.Measure != "" {
		return b.Measure, fmt.Sprintf("%s:%d: measure: %s", c.fileName(), b.MeasureLine, b.Measure)
	}
	m := c.Run.Measure
	if m == "" {
		m = MeasureTime
	}
	return m, "run.measure: " + m
}

// Counts reports whether any benchmark may be counted under callgrind:
// run.measure is instructions or auto, or some entry's measure is.
func (c *Config) Counts() bool {
	if c.Run.Measure == MeasureInstructions || c.Run.Measure == MeasureAuto {
		return true
	}
	for _, b := range c.Budgets {
		if b.Measure == MeasureInstructions || b.Measure == MeasureAuto {
			return true
		}
	}
	return false
}

func (c *Config) fileName() string {
	if c.File == "" {
		return "perfslo.yaml"
	}
	return c.File
}

// Budget is one RAER entry: an operation on a dataset, the benchmark(s) that
// measure it, and its limits.
type Budget struct {
	// Benchmark is an exact benchmark name or a glob (path.Match syntax,
	// applied to the full name including sub-benchmarks, e.g.
	// "BenchmarkSum/lines=*"). The "Benchmark" prefix is optional. '*'
	// stops at '/', except that a trailing '*' also covers deeper
	// sub-benchmarks (see match.go): "BenchmarkSum" is that name only,
	// "BenchmarkSum/*" its subs, "BenchmarkSum*" both.
	Benchmark string
	// Package, when set, restricts the entry to one package: a relative
	// directory ("./sum") or an import path. Globs allowed.
	Package   string
	Operation string
	Dataset   string
	// Limits are absolute per-op limits keyed by unit. For lower-is-better
	// units (sec/op, B/op, allocs/op) the limit is a maximum; for
	// higher-is-better units (B/s, ops/s, anything "better=higher") a minimum.
	Limits map[string]Limit
	// Tolerance overrides the project tolerance per unit for this entry.
	Tolerance map[string]float64
	// Profile holds function budgets over this benchmark's profiles.
	Profile *ProfileBudget
	// Measure, when set, is how this entry's benchmarks are measured
	// (MeasureTime, MeasureInstructions, MeasureAuto) whatever run.measure
	// says: a few benchmarks counted under callgrind in a timed suite, or
	// timed in a counted one. MeasureLine is its line in the file.
	Measure     string
	MeasureLine int

	// Line and Column locate the entry in the config file.
	Line, Column int
}

// Limit is one absolute limit: an expression such as "10ns * lines" or
// "10KiB + 0.4 * lines", with its position in the file. Eval gives its value
// for one benchmark in the tidied unit's base (seconds, bytes, counts).
type Limit struct {
	// Source is the expression as written.
	Source string
	// Unit is the tidied unit the limit is expressed in (sec/op, B/op, ...).
	Unit string
	expr expr

	// File, Line and Column locate the expression in the config file, so
	// an evaluation error (a missing parameter) can point at it.
	File         string
	Line, Column int
}

// ProfileBudget limits how much of a benchmark's profile functions may take.
type ProfileBudget struct {
	// CPUShare maps a function regexp to the largest fraction of the
	// benchmark's CPU samples (flat+callees, i.e. cum) it may take.
	CPUShare map[string]float64
	// AllocsPerOp maps a function regexp to the most allocations per op
	// attributed to it (cum).
	AllocsPerOp map[string]float64
	// BytesPerOp maps a function regexp to the most bytes allocated per op
	// attributed to it (cum).
	BytesPerOp map[string]float64
}

// Staging holds budgets evaluated on a live service's continuous profile.
type Staging struct {
	Service string
	Budgets []StagingBudget
}

// StagingBudget limits one function pattern in the staging profile.
type StagingBudget struct {
	Function string // regexp over function names
	// CPUShare is the largest fraction of the service's CPU (cum), or 0 for none.
	CPUShare float64
	// AllocsPerSecond is the most allocations per second (cum), or 0 for none.
	AllocsPerSecond float64

	Line, Column int
}
