package budgets

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// budget reads one RAER entry of budgets[].
func (r *reader) budget(n ast.Node) (Budget, bool) {
	var b Budget
	b.Line, b.Column = pos(r.resolve(n))
	fs, ok := r.strict(n, "a budgets entry", budgetKeys...)
	if !ok {
		return b, false
	}
	nerr := len(r.errs.errs)
	f, ok := fs["benchmark"]
	if !ok {
		r.errorf(n, "budgets entry without \"benchmark\": name the benchmark (or a glob, such as BenchmarkSum/lines=*) it applies to")
	} else if s, ok := r.text(f.value, "benchmark"); ok {
		b.Benchmark = strings.TrimSpace(s)
		if _, err := path.Match(b.Benchmark, ""); err != nil {
			r.errorf(f.value, "benchmark pattern %q: bad glob (path.Match syntax: * ? [a-z] \\)", b.Benchmark)
		}
	}
	if f, ok := fs["package"]; ok {
		if s, ok := r.text(f.value, "package"); ok {
			b.Package = strings.TrimSpace(s)
			if _, err := path.Match(b.Package, ""); err != nil {
				r.errorf(f.value, "package pattern %q: bad glob (path.Match syntax: * ? [a-z] \\)", b.Package)
			}
		}
	}
	if f, ok := fs["operation"]; ok {
		b.Operation, _ = r.text(f.value, "operation")
	}
	if f, ok := fs["dataset"]; ok {
		b.Dataset, _ = r.text(f.value, "dataset")
	}
	if f, ok := fs["limits"]; ok {
		b.Limits = r.limits(f.value, &b)
	}
	if f, ok := fs["tolerance"]; ok {
		b.Tolerance = r.tolerances(f.value, "tolerance")
	}
	if f, ok := fs["profile"]; ok {
		b.Profile = r.profile(f.value)
	}
	if f, ok := fs["measure"]; ok {
		r.measure(f, &b)
	}
	if len(r.errs.errs) > nerr {
		return b, false
	}
	switch {
	case len(b.Limits) == 0 && len(b.Tolerance) == 0 && b.Profile == nil && b.Measure == "":
		r.errorf(n, "budget for %s states nothing; give it limits, a tolerance, a profile budget or a measure", b.Benchmark)
	case len(b.Limits) > 0 && (strings.TrimSpace(b.Operation) == "" || strings.TrimSpace(b.Dataset) == ""):
		r.errorf(n, "budget for %s has limits but no %s: a RAER says what one op does and on which data, or its numbers mean nothing to the next reader",
			b.Benchmark, missingWords(b))
	}
	r.checkStaticParams(b)
	return b, true
}

// measure reads an entry's measure: one of run.measure's values, and
// consistent with the units the entry limits: a counted entry
// (instructions) has no time rows to limit, a timed one no counts.
func (r *reader) measure(f field, b *Budget) {
	s, ok := r.text(f.value, "measure")
	if !ok {
		return
	}
	s = strings.TrimSpace(s)
	if err := CheckMeasure(s); err != nil {
		r.errorf(f.value, "%v", err)
		return
	}
	b.Measure = s
	b.MeasureLine, _ = pos(r.resolve(f.value))
	for _, set := range []struct {
		what  string
		units []string
	}{{"limits", sortedUnits(b.Limits)}, {"tolerance", sortedUnits(b.Tolerance)}} {
		for _, u := range set.units {
			counted := u == UnitInstructions || u == UnitEstCycles
			switch {
			case s == MeasureInstructions && !counted:
				r.errorf(f.value, "measure: instructions, but %s names %s: this entry's benchmarks are counted under callgrind, whose rows are %s and %s only", set.what, u, UnitInstructions, UnitEstCycles)
			case s == MeasureTime && counted:
				r.errorf(f.value, "measure: time, but %s names %s: this entry's benchmarks are timed, and only a counted run has %s rows", set.what, u, u)
			}
		}
	}
}

func missingWords(b Budget) string {
	var m []string
	if strings.TrimSpace(b.Operation) == "" {
		m = append(m, `"operation"`)
	}
	if strings.TrimSpace(b.Dataset) == "" {
		m = append(m, `"dataset"`)
	}
	return strings.Join(m, " and ")
}

// checkStaticParams evaluates each limit against an exact (glob-free)
// benchmark name now, so "BenchmarkSum: sec/op: 10ns * lines" fails at
// check time rather than in CI.
func (r *reader) checkStaticParams(b Budget) {
	if b.Benchmark == "" || strings.ContainsAny(b.Benchmark, `*?[\`) {
		return
	}
	name := fullPattern(b.Benchmark)
	for _, u := range sortedUnits(b.Limits) {
		if _, err := b.Limits[u].Eval(name); err != nil {
			if e, ok := err.(*Error); ok {
				r.errs.errs = append(r.errs.errs, e)
			}
		}
	}
}

// limits reads unit → expression.
func (r *reader) limits(n ast.Node, b *Budget) map[string]Limit {
	out := map[string]Limit{}
	for _, e := range r.unitEntries(n, "limits") {
		line, col := pos(r.resolve(e.value))
		c := compile(e.src, e.key, r.locator(e.value, e.src), r.errs)
		if c == nil {
			continue
		}
		out[e.unit] = Limit{Source: e.src, Unit: e.unit, expr: expr{c}, File: r.errs.file, Line: line, Column: col}
	}
	return out
}

// profile reads function budgets over a benchmark's profiles.
func (r *reader) profile(n ast.Node) *ProfileBudget {
	fs, _ := r.strict(n, "profile", profileKeys...)
	p := &ProfileBudget{}
	if f, ok := fs["cpu-share"]; ok {
		p.CPUShare = r.regexpMap(f.value, "profile cpu-share", r.share)
	}
	if f, ok := fs["allocs/op"]; ok {
		p.AllocsPerOp = r.regexpMap(f.value, "profile allocs/op", r.amount(dimNone))
	}
	if f, ok := fs["B/op"]; ok {
		p.BytesPerOp = r.regexpMap(f.value, "profile B/op", r.amount(dimBytes))
	}
	return p
}

// regexpMap reads function-regexp → value, compiling each regexp.
func (r *reader) regexpMap(n ast.Node, what string, value func(ast.Node, string) (float64, bool)) map[string]float64 {
	fs, _ := r.fields(n, what)
	out := map[string]float64{}
	for _, f := range fs {
		okRE := r.checkRegexp(f.keyN, f.key, what)
		if v, ok := value(f.value, what+" "+f.key); ok && okRE {
			out[f.key] = v
		}
	}
	return out
}

func (r *reader) checkRegexp(n ast.Node, re, what string) bool {
	if _, err := regexp.Compile(re); err != nil {
		r.errorf(n, "%s: function pattern %q is not a Go regexp: %v", what, re, err)
		return false
	}
	return true
}

// share reads a fraction of a whole: 0..100%.
func (r *reader) share(n ast.Node, what string) (float64, bool) {
	s, ok := r.scalar(n, what)
	if !ok {
		return 0, false
	}
	v, msg := parsePercent(s)
	if msg == "" && v > 1 {
		msg = fmt.Sprintf("%q is more than 100%% of the whole", s)
	}
	if msg != "" {
		r.errorf(n, "%s: %s", what, msg)
		return 0, false
	}
	return v, true
}

// amount returns a reader for a non-negative quantity of dimension d: a
// plain number, or with a suffix of that dimension (10KiB for bytes, 1k
// for counts).
func (r *reader) amount(d dimension) func(ast.Node, string) (float64, bool) {
	return func(n ast.Node, what string) (float64, bool) {
		s, ok := r.scalar(n, what)
		if !ok {
			return 0, false
		}
		q, ok := parseQuantity(s)
		switch {
		case !ok || q.rate:
			r.errorf(n, "%s: %q is not %s", what, s, exampleOf(d))
		case q.dim != dimNone && q.dim != d:
			r.errorf(n, "%s: %q is %s, but this limit is %s%s", what, s, q.dim, d, suffixHint(d))
		default:
			return q.value, true
		}
		return 0, false
	}
}

func exampleOf(d dimension) string {
	if d == dimBytes {
		return "a size such as 4096, 10KiB or 1MB"
	}
	return "a number such as 3, 1000 or 1k"
}

// staging reads the Pyroscope side.
func (r *reader) staging(n ast.Node) *Staging {
	fs, ok := r.strict(n, "staging", stagingKeys...)
	if !ok {
		return nil
	}
	s := &Staging{}
	if f, ok := fs["service"]; ok {
		s.Service, _ = r.text(f.value, "staging.service")
	} else {
		r.errorf(n, "staging without \"service\": name the service as the agent reports it (service_name)")
	}
	if f, ok := fs["budgets"]; ok {
		items, _ := r.sequence(f.value, "staging.budgets")
		for _, item := range items {
			if b, ok := r.stagingBudget(item); ok {
				s.Budgets = append(s.Budgets, b)
			}
		}
	}
	return s
}

func (r *reader) stagingBudget(n ast.Node) (StagingBudget, bool) {
	var b StagingBudget
	b.Line, b.Column = pos(r.resolve(n))
	fs, ok := r.strict(n, "a staging budget", stageBudKey...)
	if !ok {
		return b, false
	}
	if f, ok := fs["function"]; !ok {
		r.errorf(n, "staging budget without \"function\": a Go regexp over function names, such as encoding/json.*")
	} else if s, ok := r.text(f.value, "staging function"); ok && r.checkRegexp(f.value, s, "staging") {
		b.Function = s
	}
	// Zero means "no limit" in StagingBudget, so a written 0 would be
	// silently ignored: refuse it.
	if f, ok := fs["cpu-share"]; ok {
		if v, ok := r.share(f.value, "staging cpu-share"); ok && v == 0 {
			r.errorf(f.value, "staging cpu-share 0 would mean no limit; give a positive share or drop the key")
		} else {
			b.CPUShare = v
		}
	}
	if f, ok := fs["allocs/s"]; ok {
		if v, ok := r.amount(dimNone)(f.value, "staging allocs/s"); ok && v == 0 {
			r.errorf(f.value, "staging allocs/s 0 would mean no limit; give a positive rate or drop the key")
		} else {
			b.AllocsPerSecond = v
		}
	}
	_, hasCPU := fs["cpu-share"]
	_, hasAllocs := fs["allocs/s"]
	if !hasCPU && !hasAllocs {
		r.errorf(n, "staging budget for %s has no limit; give it cpu-share or allocs/s", b.Function)
	}
	return b, true
}
