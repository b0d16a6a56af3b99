package budgets

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/perf/benchunit"
)

// The standard units of Go benchmarks, after tidying.
const (
	UnitSecPerOp    = "sec/op"
	UnitBytesPerOp  = "B/op"
	UnitAllocsPerOp = "allocs/op"
	// UnitInstructions and UnitEstCycles are what perfslo's deterministic
	// mode counts under valgrind's callgrind (run.measure: instructions).
	UnitInstructions = "instructions/op"
	UnitEstCycles    = "est-cycles/op"
)

// DefaultCountTolerance is the default tolerance of instructions/op:
// counts move far less than time for the same change (a +4.6% wall-time
// regression was +0.64% in instructions, a +1.9% one +0.26%;
// notes/noise.md), and their run-to-run noise is ~0.01–0.45%
// (bench/counted/results.md).
const DefaultCountTolerance = 0.005

// DefaultCycleTolerance is the default tolerance of est-cycles/op. The
// simulated caches see the addresses a process happens to use, so the
// estimate varies more than the instructions under it (up to 0.94% between
// the five runs of one side on google/uuid, where the instructions varied
// 0.33%); the changes it exists to catch, cache misses with the same
// instructions, are large (a stride change: +405%).
const DefaultCycleTolerance = 0.02

// TidyUnit normalizes a unit the way benchstat does (benchunit.Tidy):
// "ns/op" becomes "sec/op" with scale 1e-9 and "MB/s" becomes "B/s" with
// scale 1e6, so a value in unit times scale is a value in tidied. Config keys
// are tidied, so "ns/op" and "sec/op" name the same limit.
func TidyUnit(unit string) (scale float64, tidied string) {
	return benchunit.Tidy(1, unit)
}

// DefaultTolerance is the regression tolerance for a unit no config
// mentions: 5% for time and any custom unit, 0 for B/op and allocs/op,
// whose counts are usually exact, so any significant change is real, and
// DefaultCountTolerance for instructions/op and DefaultCycleTolerance for
// est-cycles/op.
func DefaultTolerance(unit string) float64 {
	_, unit = TidyUnit(unit)
	switch unit {
	case UnitBytesPerOp, UnitAllocsPerOp:
		return 0
	case UnitInstructions:
		return DefaultCountTolerance
	case UnitEstCycles:
		return DefaultCycleTolerance
	}
	return 0.05
}

// HigherIsBetter reports whether larger values of unit are improvements:
// rates, i.e. units whose denominator is a time ("B/s", "MB/s", "ops/s",
// "rows/sec"). Everything else, including "sec/op" and custom per-op
// units, is lower-is-better. A limit on a higher-is-better unit is a
// minimum, and a regression is a drop. (benchfmt's "better=higher" unit
// metadata, when a benchmark reports it, is the caller's to honour.)
func HigherIsBetter(unit string) bool {
	_, unit = TidyUnit(unit)
	i := strings.LastIndexByte(unit, '/')
	if i < 0 {
		return false
	}
	switch unit[i+1:] {
	case "s", "sec", "ns", "us", "µs", "ms", "min", "h":
		return true
	}
	return false
}

// standardUnits is listed in error messages about units.
const standardUnits = "sec/op (or ns/op), B/op, allocs/op, or a custom unit like B/s, MB/s, lines/op, rows/s"

// checkUnit reports why unit is not a plausible benchmark unit, or "".
// Benchmarks may report any unit (testing.B.ReportMetric), so the check is
// about shape, not a closed list: "what/per-what", no spaces.
func checkUnit(unit string) string {
	switch {
	case unit == "":
		return "empty unit; expected " + standardUnits
	case strings.IndexFunc(unit, unicode.IsSpace) >= 0:
		return fmt.Sprintf("unit %q contains spaces; expected %s", unit, standardUnits)
	case strings.Count(unit, "/") != 1 || strings.HasPrefix(unit, "/") || strings.HasSuffix(unit, "/"):
		return fmt.Sprintf("unknown unit %q; expected %s", unit, standardUnits)
	}
	return ""
}

// dimension is what a quantity literal or a unit's numerator measures.
type dimension int

const (
	dimNone  dimension = iota // a plain count: allocs, lines, ops
	dimTime                   // seconds
	dimBytes                  // bytes
)

func (d dimension) String() string {
	switch d {
	case dimTime:
		return "a duration"
	case dimBytes:
		return "a size in bytes"
	}
	return "a count"
}

// unitDims splits a tidied unit into what its numerator measures and
// whether it is a rate (per second).
func unitDims(unit string) (num dimension, rate bool) {
	n, d, _ := strings.Cut(unit, "/")
	switch n {
	case "sec":
		num = dimTime
	case "B", "bytes":
		num = dimBytes
	}
	return num, HigherIsBetter("x/" + d)
}
