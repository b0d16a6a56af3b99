package gate

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/perfslo/perfslo/budgets"
	"golang.org/x/perf/benchfmt"
)

// What go test -bench never prints, and the gate therefore refuses in its
// input (a located error, not a sample): it comes from a corrupt, edited
// or hand-made file, and judging it would give a confident wrong verdict.

// check refuses a result that go test could not have printed: one unit
// twice, a negative cost or rate, or a quantity the same benchmark
// reported in another unit before. (printableNames is checked first.)
func (s *Side) check(r *benchfmt.Result) error {
	seen := make(map[string]bool, len(r.Values))
	for _, v := range r.Values {
		if seen[v.Unit] {
			return fmt.Errorf("unit %s given twice on one line: not go test output (two results pasted together?)", v.Unit)
		}
		seen[v.Unit] = true
		if v.Value < 0 && nonNegative[v.Unit] && isFinite(v.Value) { // Add reports -Inf
			return fmt.Errorf("%v %s is negative: a cost per op or a throughput cannot be (expected go test -bench output)", v.Value, v.Unit)
		}
	}
	id := budgets.ResultID(r, 0)
	file, line := r.Pos()
	for _, v := range r.Values {
		q, ok := quantityOf(v.Unit)
		if !ok || !isFinite(v.Value) { // Add reports a value that is not a number
			continue
		}
		k := spellKey{id, q}
		first, had := s.spelled[k]
		switch {
		case !had:
			if s.spelled == nil {
				s.spelled = map[spellKey]spelling{}
			}
			s.spelled[k] = spelling{v.Unit, fmt.Sprintf("%s:%d", file, line)}
		case first.unit != v.Unit && !seen[first.unit]:
			return fmt.Errorf("mixed units: %s here, %s at %s for the same quantity; one benchmark's results must use one unit (benchstat would split them into two rows that never compare)",
				v.Unit, first.unit, first.at)
		}
	}
	return nil
}

// nonNegative are the units go test prints (after benchfmt's tidying),
// none of which can be below zero.
var nonNegative = map[string]bool{"sec/op": true, "B/op": true, "allocs/op": true, "B/s": true}

type spellKey struct {
	id       budgets.BenchmarkID
	quantity string
}

type spelling struct{ unit, at string }

// quantityOf names what a time or byte unit measures, per its
// denominator: "ms/op" and "sec/op" are both "time/op".
func quantityOf(unit string) (string, bool) {
	num, den, ok := strings.Cut(unit, "/")
	if !ok {
		return "", false
	}
	switch num {
	case "sec", "s", "ms", "us", "µs", "ns":
		return "time/" + den, true
	case "B", "KB", "MB", "GB", "KiB", "MiB", "GiB":
		return "bytes/" + den, true
	}
	return "", false
}

// printableNames refuses a result whose name, package or units hold a
// control character (or a Unicode line or paragraph separator).
func printableNames(r *benchfmt.Result) error {
	check := func(what string, b []byte) error {
		if i := strings.IndexFunc(string(b), func(c rune) bool { return unicode.IsControl(c) || c == 0x2028 || c == 0x2029 }); i >= 0 {
			return fmt.Errorf("%s %q holds the control character %U", what, b, []rune(string(b[i:]))[0])
		}
		return nil
	}
	if err := check("benchmark name", append([]byte("Benchmark"), r.Name...)); err != nil {
		return err
	}
	if err := check("pkg", []byte(r.GetConfig("pkg"))); err != nil {
		return err
	}
	for _, v := range r.Values {
		if err := check("unit", []byte(v.Unit)); err != nil {
			return err
		}
	}
	return nil
}

// SameUnits refuses a head that reports a quantity of a benchmark in
// another unit than the base does (sec/op there, ms/op here): the two would
// be a removed and an added row, and the change would go unjudged.
func SameUnits(base, head *Side) error {
	var errs []error
	name := head.Source.Label
	for _, k := range head.keys {
		q, ok := quantityOf(k.Unit)
		if !ok {
			continue
		}
		b, had := base.spelled[spellKey{k.BenchmarkID, q}]
		h := head.spelled[spellKey{k.BenchmarkID, q}]
		if had && b.unit != h.unit && len(base.samples[Key{k.BenchmarkID, h.unit}]) == 0 {
			errs = append(errs, fmt.Errorf("%s: %s: mixed units: %s here, %s in the base (%s); re-run both sides the same way", h.at, k.Full(), h.unit, b.unit, b.at))
		}
	}
	return capErrors(name, errs)
}

// maxErrors caps the errors one input reports: the first few say what is
// wrong, a million more would only flood the terminal.
const maxErrors = 10

func capErrors(name string, errs []error) error {
	if len(errs) > maxErrors {
		errs = append(errs[:maxErrors:maxErrors], fmt.Errorf("%s: ... and %d more like these", name, len(errs)-maxErrors))
	}
	return errors.Join(errs...)
}
