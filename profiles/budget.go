package profiles

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

// BudgetTarget is one benchmark whose head profiles a RAER entry's function
// budgets are judged on.
type BudgetTarget struct {
	Benchmark, Package string
	// CPU and Mem are the head's profiles; either may be nil when no
	// budget needs it (a needed one missing makes the row unmeasurable).
	CPU, Mem *Measured
	// ConfigFile names perfslo.yaml in the rows' budget locations.
	ConfigFile string
}

// z95 is the normal quantile of a two-sided 95% interval.
const z95 = 1.959963984540054

// BudgetRows judges an entry's function budgets (entry.Profile) on one
// benchmark's head profiles: one row per pattern and unit, sorted by unit
// then pattern, with Unit "cpu-share", "allocs/op" or "B/op" and Function set
// to the pattern. A row is a violation only when its whole interval is over
// the limit; over the limit inside the interval passes with a warning.
func BudgetRows(entry *budgets.Budget, t BudgetTarget) []gate.Row {
	if entry == nil || entry.Profile == nil {
		return nil
	}
	var rows []gate.Row
	pb := entry.Profile
	for _, pat := range sortedKeys(pb.CPUShare) {
		rows = append(rows, t.cpuShareRow(entry, pat, pb.CPUShare[pat]))
	}
	for _, pat := range sortedKeys(pb.AllocsPerOp) {
		rows = append(rows, t.allocRow(entry, "allocs/op", TypeAllocObjects, pat, pb.AllocsPerOp[pat]))
	}
	for _, pat := range sortedKeys(pb.BytesPerOp) {
		rows = append(rows, t.allocRow(entry, "B/op", TypeAllocSpace, pat, pb.BytesPerOp[pat]))
	}
	return rows
}

func sortedKeys(m map[string]float64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (t BudgetTarget) row(entry *budgets.Budget, unit, pat string, limit float64, expr string) gate.Row {
	r := gate.Row{
		Benchmark: t.Benchmark,
		Package:   t.Package,
		Unit:      unit,
		Function:  pat,
		Budget: &gate.BudgetResult{
			Limit:     limit,
			Expr:      expr,
			Kind:      "max",
			Operation: entry.Operation,
			Dataset:   entry.Dataset,
		},
	}
	if t.ConfigFile != "" {
		r.Budget.Config = fmt.Sprintf("%s:%d:%d", t.ConfigFile, entry.Line, entry.Column)
	}
	return r
}

func unmeasurable(r gate.Row, format string, args ...any) gate.Row {
	r.Verdict = gate.Unmeasurable
	r.Reasons = append(r.Reasons, "function budget not evaluated: "+fmt.Sprintf(format, args...))
	return r
}

// matcher compiles a function pattern, unanchored as pprof's -focus.
func matcher(pat string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, fmt.Errorf("function pattern %q: %v", pat, err)
	}
	return re, nil
}

// matchedCum sums, over the samples whose stack holds a function matching
// re, the values at idx (each sample once, however many frames match), and
// says which distinct functions matched.
func matchedCum(m *Measured, re *regexp.Regexp, idx int) (sum, total int64, samples []int, names []string) {
	seen := map[string]bool{}
	var stack []string
	for si, s := range m.Profile.Sample {
		v := s.Value[idx]
		total += v
		stack = StackFunctions(s, stack[:0])
		hit := false
		for _, name := range stack {
			if re.MatchString(name) {
				hit = true
				if !seen[name] {
					seen[name] = true
					names = append(names, name)
				}
			}
		}
		if hit {
			sum += v
			samples = append(samples, si)
		}
	}
	sort.Strings(names)
	return sum, total, samples, names
}

func (t BudgetTarget) cpuShareRow(entry *budgets.Budget, pat string, limit float64) gate.Row {
	r := t.row(entry, "cpu-share", pat, limit, pct(limit))
	r.Assumption = "nothing"
	if err := t.CPU.check(); err != nil {
		return unmeasurable(r, "no CPU profile of the head: %v", err)
	}
	re, err := matcher(pat)
	if err != nil {
		return unmeasurable(r, "%v", err)
	}
	idx, err := sampleIndex(t.CPU.Profile, t.CPU.Path, TypeCPUSamples)
	if err != nil {
		return unmeasurable(r, "%v", err)
	}
	k, n, _, names := matchedCum(t.CPU, re, idx)
	if n == 0 {
		return unmeasurable(r, "%s has no CPU samples", t.CPU.Path)
	}
	center := float64(k) / float64(n)
	lo, hi := Wilson(float64(k)/float64(n), float64(n))
	r.Head = &gate.Stat{Center: center, Low: lo, High: hi, N: int(n)}
	measured := fmt.Sprintf("%s takes %s of %s's CPU [%s, %s] (cum: %d of %d samples)", pat, pct(center), t.Benchmark, pct(lo), pct(hi), k, n)
	return judge(r, limit, measured, names, pct)
}

func (t BudgetTarget) allocRow(entry *budgets.Budget, unit, typ, pat string, limit float64) gate.Row {
	r := t.row(entry, unit, pat, limit, quantity(limit, unit))
	r.Assumption = "exact"
	if err := t.Mem.check(); err != nil {
		return unmeasurable(r, "no memory profile of the head: %v", err)
	}
	re, err := matcher(pat)
	if err != nil {
		return unmeasurable(r, "%v", err)
	}
	idx, err := sampleIndex(t.Mem.Profile, t.Mem.Path, typ)
	if err != nil {
		return unmeasurable(r, "%v", err)
	}
	v, _, _, names := matchedCum(t.Mem, re, idx)
	n := float64(t.Mem.Iters)
	r.Head = &gate.Stat{Center: float64(v) / n, Low: float64(v) / n, High: float64(v) / n, N: int(t.Mem.Iters)}
	if !t.Mem.Exact {
		// b.N-style benchmarks ran one iteration more than they print.
		r.Head.Low = float64(v) / (n + 1)
	}
	if rate := t.Mem.Profile.Period; rate > 1 {
		r.Assumption = "nothing"
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s sampled one allocation per %d bytes: %s from it are estimates (profile with -test.memprofilerate=1 for exact counts)", t.Mem.Path, rate, unit))
	}
	format := func(x float64) string { return quantity(x, unit) + " " + unit }
	measured := fmt.Sprintf("%s allocates %s in %s (cum, b.N=%d)", pat, format(r.Head.Center), t.Benchmark, t.Mem.Iters)
	return judge(r, limit, measured, names, format)
}

// judge sets the verdict of a function budget row whose Head is measured.
func judge(r gate.Row, limit float64, measured string, names []string, format func(float64) string) gate.Row {
	h := r.Head
	r.Budget.Headroom = gate.Headroom(limit-h.Center, limit)
	switch {
	case h.Low > limit:
		r.Verdict = gate.Violation
		r.Reasons = append(r.Reasons, fmt.Sprintf("function budget broken: %s, limit %s", measured, format(limit)))
	case h.Center > limit:
		r.Verdict = gate.RowPass
		r.Reasons = append(r.Reasons, fmt.Sprintf("%s, limit %s", measured, format(limit)))
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s is past the limit %s but its interval reaches it: not yet a violation", format(h.Center), format(limit)))
	default:
		r.Verdict = gate.RowPass
		r.Reasons = append(r.Reasons, fmt.Sprintf("%s, limit %s", measured, format(limit)))
	}
	switch {
	case len(names) == 0:
		r.Warnings = append(r.Warnings, fmt.Sprintf("pattern %q matched no function in the profile: check its spelling against `go tool pprof -top`", r.Function))
	case len(names) <= 3:
		r.Reasons = append(r.Reasons, "matched "+strings.Join(names, ", "))
	default:
		r.Reasons = append(r.Reasons, fmt.Sprintf("matched %s and %d more", strings.Join(names[:3], ", "), len(names)-3))
	}
	return r
}

// Wilson is the 95% Wilson score interval of a proportion p observed in n
// trials: unlike p ± z·√(p(1-p)/n) it stays inside [0, 1] and is honest for
// shares near 0 and few samples. Profile shares are judged on it.
func Wilson(p, n float64) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	z2 := z95 * z95
	den := 1 + z2/n
	c := (p + z2/(2*n)) / den
	h := z95 * math.Sqrt(p*(1-p)/n+z2/(4*n*n)) / den
	return math.Max(0, c-h), math.Min(1, c+h)
}

// quantity renders a count or size per op plainly ("1", "0.5", "1.001"),
// and large ones with benchstat's prefixes ("12.50Ki").
func quantity(x float64, unit string) string {
	switch {
	case math.Abs(x) >= 1e4:
		return gate.FormatValue(x, unit)
	case x == math.Trunc(x):
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.4g", x)
}

// pct renders a fraction as a percentage with one decimal ("12.3%").
func pct(f float64) string {
	s := fmt.Sprintf("%.1f", 100*f)
	return strings.TrimSuffix(s, ".0") + "%"
}
