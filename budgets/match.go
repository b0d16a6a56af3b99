package budgets

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Matching. A budget's Benchmark pattern is a path.Match glob over the full
// benchmark name, "Benchmark" prefix optional ("Sum/lines=*" is
// "BenchmarkSum/lines=*"). path.Match's '*' stops at '/', and so does ours,
// with one extension: a pattern whose last character is '*' also covers the
// sub-benchmarks below what it matches. So:
//
//	BenchmarkSum          only BenchmarkSum
//	BenchmarkSum/*        every sub-benchmark of BenchmarkSum, at any depth
//	BenchmarkSum*         BenchmarkSum, BenchmarkSumFast and all their subs
//	BenchmarkSum/lines=*  BenchmarkSum/lines=10, BenchmarkSum/lines=10/cold
//	*                     everything
//
// Entries are tried in file order and the first match wins, so put specific
// entries before general ones.

// Match returns the first budget that applies to a benchmark, or nil. pkg is
// an import path; benchmark the full name with its "Benchmark" prefix and
// without the -GOMAXPROCS suffix.
func (c *Config) Match(pkg, benchmark string) *Budget {
	for i := range c.Budgets {
		if b := &c.Budgets[i]; c.matchPackage(b.Package, pkg) && matchBenchmark(b.Benchmark, benchmark) {
			return b
		}
	}
	return nil
}

func matchBenchmark(pattern, name string) bool {
	if pattern == "" {
		return false
	}
	pattern = fullPattern(pattern)
	if ok, _ := path.Match(pattern, name); ok {
		return true
	}
	if !strings.HasSuffix(pattern, "*") {
		return false
	}
	// The trailing-'*' extension: match the pattern against the name's
	// leading elements, as many as the pattern has.
	n := strings.Count(pattern, "/") + 1
	elems := strings.SplitN(name, "/", n+1)
	if len(elems) <= n {
		return false
	}
	ok, _ := path.Match(pattern, strings.Join(elems[:n], "/"))
	return ok
}

// fullPattern adds the optional "Benchmark" prefix to a pattern that lacks
// it (unless it starts with a wildcard, which already covers it).
func fullPattern(pattern string) string {
	if strings.HasPrefix(pattern, "Benchmark") || strings.HasPrefix(pattern, "*") || strings.HasPrefix(pattern, "?") || strings.HasPrefix(pattern, "[") {
		return pattern
	}
	return "Benchmark" + pattern
}

// matchPackage applies a budget's Package pattern to an import path. An
// empty pattern matches every package. "./x" and "." are relative to the
// module root: exact when Module is known, otherwise "./x" matches import
// paths ending in "/x". Anything else is an import path pattern.
func (c *Config) matchPackage(pattern, pkg string) bool {
	switch {
	case pattern == "":
		return true
	case pattern == "." || pattern == "./":
		return c.Module != "" && pkg == c.Module
	case strings.HasPrefix(pattern, "./"):
		rel := strings.TrimSuffix(strings.TrimPrefix(pattern, "./"), "/")
		if c.Module != "" {
			ok, _ := path.Match(c.Module+"/"+rel, pkg)
			return ok
		}
		n := strings.Count(rel, "/") + 1
		elems := strings.Split(pkg, "/")
		if len(elems) <= n {
			ok, _ := path.Match(rel, pkg)
			return ok
		}
		ok, _ := path.Match(rel, strings.Join(elems[len(elems)-n:], "/"))
		return ok
	}
	ok, _ := path.Match(pattern, pkg)
	return ok
}

// ToleranceFor returns the regression tolerance for a unit under a budget
// (b may be nil): the entry's own, else the project's, else
// DefaultTolerance.
func (c *Config) ToleranceFor(b *Budget, unit string) float64 {
	_, unit = TidyUnit(unit)
	if b != nil {
		if v, ok := b.Tolerance[unit]; ok {
			return v
		}
	}
	if v, ok := c.Tolerance[unit]; ok {
		return v
	}
	return DefaultTolerance(unit)
}

// Unmatched returns, for each budget entry that applies to none of the
// given benchmarks, a located problem: a pattern that matches nothing
// checks nothing, whether by a typo or a renamed benchmark. An entry that
// matches benchmarks only already claimed by earlier entries is reported
// too (first match wins, so it never applies). The caller decides the
// severity: a warning in `perfslo check`, an error in the gate.
func (c *Config) Unmatched(benchmarks []BenchmarkID) []*Error {
	used := make([]bool, len(c.Budgets))
	raw := make([]int, len(c.Budgets)) // index of an earlier entry that shadows it, +1
	for _, id := range benchmarks {
		first := -1
		for i := range c.Budgets {
			b := &c.Budgets[i]
			if !c.matchPackage(b.Package, id.Package) || !matchBenchmark(b.Benchmark, id.Name) {
				continue
			}
			if first < 0 {
				first = i
				used[i] = true
			} else if raw[i] == 0 {
				raw[i] = first + 1
			}
		}
	}
	var out []*Error
	for i, b := range c.Budgets {
		if used[i] {
			continue
		}
		what := "budget " + b.Benchmark
		if b.Package != "" {
			what += " (package " + b.Package + ")"
		}
		msg := what + " matches no benchmark"
		if raw[i] > 0 {
			prev := c.Budgets[raw[i]-1]
			msg = fmt.Sprintf("%s never applies: every benchmark it matches is claimed first by the entry at line %d (%s)", what, prev.Line, prev.Benchmark)
		}
		if b.Profile != nil {
			msg += "; its limits and profile budgets check nothing"
		} else {
			msg += "; its limits check nothing"
		}
		out = append(out, &Error{File: c.File, Line: b.Line, Column: b.Column, Msg: msg})
	}
	return out
}

// unitOrder lists the standard units first, then the rest by name.
func unitOrder(a, b string) int {
	rank := func(u string) int {
		switch u {
		case UnitSecPerOp:
			return 0
		case UnitBytesPerOp:
			return 1
		case UnitAllocsPerOp:
			return 2
		}
		return 3
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b))
}

// sortedUnits returns a map's units in display order.
func sortedUnits[V any](m map[string]V) []string {
	units := make([]string, 0, len(m))
	for u := range m {
		units = append(units, u)
	}
	slices.SortFunc(units, unitOrder)
	return units
}
