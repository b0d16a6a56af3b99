package budgets

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Loosened lists, in words, each way head's config lets through what base's
// would stop: a larger tolerance (project-wide or an entry's), a limit that
// is larger (a maximum) or smaller (a minimum) or gone, a budget entry or a
// function budget that is gone, a new entry placed before an existing one
// that takes its benchmarks (the first match wins), and a run selection that
// measures fewer benchmarks or fewer samples. A nil config is Default().
//
// It is what a reviewer of a pull request that edits perfslo.yaml must see:
// the pull request's own budgets do not judge it, but they will judge every
// change after it is merged. Entries are paired by benchmark pattern and
// package; an entry whose pattern or package changed counts as removed (and
// its replacement as new), since it may no longer cover the same benchmarks.
func Loosened(base, head *Config) []string {
	if base == nil {
		base = Default()
	}
	if head == nil {
		head = Default()
	}
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	for _, u := range unionUnits(base.Tolerance, head.Tolerance) {
		if b, h := base.ToleranceFor(nil, u), head.ToleranceFor(nil, u); h > b {
			add("tolerance %s: %s → %s", u, percent(b), percent(h))
		}
	}
	out = append(out, looserRun(base.Run, head.Run)...)

	headAt := map[entryKey]int{}
	for i := range head.Budgets {
		if k := keyOf(&head.Budgets[i]); !hasKey(headAt, k) {
			headAt[k] = i
		}
	}
	baseKeys := map[entryKey]bool{}
	for i := range base.Budgets {
		baseKeys[keyOf(&base.Budgets[i])] = true
	}
	seen := map[entryKey]bool{}
	for i := range base.Budgets {
		b := &base.Budgets[i]
		k := keyOf(b)
		if seen[k] {
			continue // a repeated entry never applies: the first does
		}
		seen[k] = true
		j, ok := headAt[k]
		if !ok {
			add("%s: removed (%s)", entryName(base, b), entryHolds(b))
			continue
		}
		h := &head.Budgets[j]
		name := entryName(head, h)
		for _, s := range looserLimits(b, h) {
			add("%s: %s", name, s)
		}
		for _, u := range unionUnits(b.Tolerance, h.Tolerance) {
			if bt, ht := base.ToleranceFor(b, u), head.ToleranceFor(h, u); ht > bt {
				add("%s: tolerance %s %s → %s", name, u, percent(bt), percent(ht))
			}
		}
		for _, s := range looserProfile(b.Profile, h.Profile) {
			add("%s: %s", name, s)
		}
		// An entry the head added before this one takes the benchmarks
		// both match (first match wins).
		for e := 0; e < j; e++ {
			n := &head.Budgets[e]
			if !baseKeys[keyOf(n)] && overlaps(n, b) {
				add("%s: the new entry %s comes first and takes its benchmarks", name, entryName(head, n))
			}
		}
	}
	out = append(out, looserStaging(base.Staging, head.Staging)...)
	return out
}

type entryKey struct{ pkg, bench string }

func keyOf(b *Budget) entryKey { return entryKey{b.Package, fullPattern(b.Benchmark)} }

func hasKey(m map[entryKey]int, k entryKey) bool { _, ok := m[k]; return ok }

// entryName names an entry as a reviewer finds it in the file.
func entryName(c *Config, b *Budget) string {
	s := "budget " + b.Benchmark
	if b.Package != "" {
		s += " (package " + b.Package + ")"
	}
	if c.File != "" && b.Line > 0 {
		s += fmt.Sprintf(" at %s:%d", c.File, b.Line)
	}
	return s
}

// entryHolds says what a removed entry stopped being checked.
func entryHolds(b *Budget) string {
	var what []string
	for _, u := range sortedUnits(b.Limits) {
		what = append(what, u+" ≤ "+b.Limits[u].String())
	}
	if len(what) == 0 {
		what = append(what, "no limits")
	}
	if b.Profile != nil {
		what = append(what, "function budgets")
	}
	return "it checked " + strings.Join(what, ", ")
}

func unionUnits[V any](a, b map[string]V) []string {
	all := map[string]bool{}
	for u := range a {
		all[u] = true
	}
	for u := range b {
		all[u] = true
	}
	return sortedUnits(all)
}

// looserLimits compares one entry's limits, unit by unit.
func looserLimits(b, h *Budget) []string {
	var out []string
	for _, u := range sortedUnits(b.Limits) {
		bl := b.Limits[u]
		hl, ok := h.Limits[u]
		if !ok {
			out = append(out, fmt.Sprintf("%s limit removed (was %s)", u, bl.String()))
			continue
		}
		if at, ok := looserAt(bl, hl, HigherIsBetter(u)); ok {
			kind := "larger"
			if HigherIsBetter(u) {
				kind = "smaller"
			}
			out = append(out, fmt.Sprintf("%s limit %s → %s (%s%s)", u, bl.String(), hl.String(), kind, at))
		}
	}
	return out
}

// probeValues are the parameter values at which two limit expressions over
// sub-benchmark parameters are compared: a limit is looser when it lets
// more through at any of them. Sizes in benchmarks span these decades.
var probeValues = []float64{1, 2, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e9}

// looserAt reports whether head's limit lets through more than base's (a
// larger maximum, or a smaller minimum when higher is better) at some
// binding of their parameters, and names that binding. A limit that cannot
// be evaluated at a binding (a division by zero) is skipped there.
func looserAt(b, h Limit, higherIsBetter bool) (string, bool) {
	if b.String() == h.String() {
		return "", false
	}
	params := slices.Compact(slices.Sorted(slices.Values(append(b.Params(), h.Params()...))))
	for _, bind := range bindings(params) {
		name := "Benchmark"
		for i, p := range params {
			name += "/" + p + "=" + strconv.FormatFloat(bind[i], 'f', -1, 64)
		}
		bv, err1 := b.Eval(name)
		hv, err2 := h.Eval(name)
		if err1 != nil || err2 != nil {
			continue
		}
		looser := hv > bv*(1+1e-9)
		if higherIsBetter {
			looser = hv < bv*(1-1e-9)
		}
		if looser {
			if len(params) == 0 {
				return "", true
			}
			return " at " + strings.TrimPrefix(strings.ReplaceAll(name, "/", ", "), "Benchmark, "), true
		}
	}
	return "", false
}

// bindings is every combination of probeValues for up to three
// parameters; with more, the same value for all (the grid would grow as
// 9^n).
func bindings(params []string) [][]float64 {
	if len(params) > 3 {
		var out [][]float64
		for _, v := range probeValues {
			row := make([]float64, len(params))
			for i := range row {
				row[i] = v
			}
			out = append(out, row)
		}
		return out
	}
	out := [][]float64{{}}
	for range params {
		var next [][]float64
		for _, prefix := range out {
			for _, v := range probeValues {
				next = append(next, append(slices.Clone(prefix), v))
			}
		}
		out = next
	}
	return out
}

func looserProfile(b, h *ProfileBudget) []string {
	if b == nil {
		return nil
	}
	if h == nil {
		h = &ProfileBudget{}
	}
	var out []string
	cmpShares := func(what string, bm, hm map[string]float64, format func(float64) string) {
		for _, pat := range sortedUnits(bm) {
			hv, ok := hm[pat]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s budget of functions matching %s removed (was %s)", what, pat, format(bm[pat])))
			case hv > bm[pat]:
				out = append(out, fmt.Sprintf("%s budget of functions matching %s: %s → %s", what, pat, format(bm[pat]), format(hv)))
			}
		}
	}
	cmpShares("cpu-share", b.CPUShare, h.CPUShare, percent)
	cmpShares("allocs/op", b.AllocsPerOp, h.AllocsPerOp, number)
	cmpShares("B/op", b.BytesPerOp, h.BytesPerOp, bytesText)
	return out
}

// looserRun reports run settings under which the gate measures less: a
// package pattern or a benchmark selection that leaves benchmarks out, or
// fewer samples (smaller regressions go unseen).
func looserRun(b, h Run) []string {
	var out []string
	if !slices.Contains(h.Packages, "./...") {
		for _, p := range b.Packages {
			if !slices.Contains(h.Packages, p) {
				out = append(out, fmt.Sprintf("run.packages: %s is no longer measured (now %s)", p, strings.Join(h.Packages, " ")))
			}
		}
	}
	if h.Bench != b.Bench && h.Bench != "." && h.Bench != "" {
		out = append(out, fmt.Sprintf("run.bench: %q → %q: benchmarks it does not match are no longer measured", b.Bench, h.Bench))
	}
	if h.Count < b.Count {
		out = append(out, fmt.Sprintf("run.count: %d → %d samples per side: smaller regressions go unseen", b.Count, h.Count))
	}
	return out
}

// overlaps reports whether entry n may match benchmarks entry b matches: its
// package pattern admits b's and its benchmark pattern matches b's pattern
// read as a name (so "*" and "BenchmarkSum*" take "BenchmarkSum/lines=*").
func overlaps(n, b *Budget) bool {
	if n.Package != "" && n.Package != b.Package {
		return false
	}
	return matchBenchmark(n.Benchmark, fullPattern(b.Benchmark))
}

func looserStaging(b, h *Staging) []string {
	if b == nil {
		return nil
	}
	if h == nil {
		h = &Staging{}
	}
	byFunc := map[string]StagingBudget{}
	for _, s := range h.Budgets {
		if _, dup := byFunc[s.Function]; !dup {
			byFunc[s.Function] = s
		}
	}
	var out []string
	for _, s := range b.Budgets {
		n, ok := byFunc[s.Function]
		if !ok {
			out = append(out, fmt.Sprintf("staging budget of functions matching %s removed", s.Function))
			continue
		}
		if s.CPUShare > 0 && (n.CPUShare == 0 || n.CPUShare > s.CPUShare) {
			out = append(out, fmt.Sprintf("staging budget of functions matching %s: cpu-share %s → %s", s.Function, percent(s.CPUShare), orNone(n.CPUShare, percent)))
		}
		if s.AllocsPerSecond > 0 && (n.AllocsPerSecond == 0 || n.AllocsPerSecond > s.AllocsPerSecond) {
			out = append(out, fmt.Sprintf("staging budget of functions matching %s: allocs/s %s → %s", s.Function, number(s.AllocsPerSecond), orNone(n.AllocsPerSecond, number)))
		}
	}
	return out
}

func orNone(v float64, format func(float64) string) string {
	if v == 0 {
		return "none"
	}
	return format(v)
}
