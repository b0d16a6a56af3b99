package budgets

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Describe writes what a config means, in words: what `perfslo check`
// prints so a reviewer can read the budgets as requirements rather than
// YAML.
func Describe(w io.Writer, c *Config) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	name := c.File
	if name == "" {
		name = "no perfslo.yaml: defaults"
	}
	p("%s (version %d)\n\n", name, c.Version)

	r := c.Run
	p("Run: %s, benchmarks matching %q, %d samples per side of %s each, GOMAXPROCS %d.\n",
		strings.Join(r.Packages, " "), r.Bench, r.Count, r.Benchtime, r.CPU)
	p("     (gate flags override these)\n\n")

	p("Regression tolerance: a change fails the gate only when significant and larger than\n")
	p("  %s.\n\n", describeTolerances(c.Tolerance, true))

	if len(c.Budgets) == 0 {
		p("Budgets: none; only regressions against the baseline are judged.\n")
	} else {
		p("Budgets (RAER; the first entry that matches a benchmark applies):\n")
	}
	for i := range c.Budgets {
		describeBudget(bw, c, i)
	}

	if s := c.Staging; s != nil {
		p("\nStaging: service %s, from its continuous profile:\n", s.Service)
		if len(s.Budgets) == 0 {
			p("  no function budgets.\n")
		}
		for _, b := range s.Budgets {
			var lim []string
			if b.CPUShare > 0 {
				lim = append(lim, "≤ "+percent(b.CPUShare)+" of CPU")
			}
			if b.AllocsPerSecond > 0 {
				lim = append(lim, "≤ "+number(b.AllocsPerSecond)+" allocs/s")
			}
			p("  functions matching %s: %s\n", b.Function, strings.Join(lim, ", "))
		}
	}
	describeHistory(p, c)
	return bw.Flush()
}

// describeHistory says what the history sections mean, when there are any.
func describeHistory(p func(string, ...any), c *Config) {
	if c.History == nil && c.Creep == nil && c.Burn == nil {
		return
	}
	h := c.HistoryPolicy()
	age := ""
	if h.MaxAge > 0 {
		age = fmt.Sprintf(", none older than %g days", h.MaxAge.Hours()/24)
	}
	p("\nHistory (git store, default branch): at most %d baselines%s; the newest %d keep their samples, older ones their summaries.\n", h.Keep, age, h.Raw)
	cr := c.CreepPolicy()
	var back []string
	if cr.Commits > 0 {
		back = append(back, fmt.Sprintf("%d baselines back", cr.Commits))
	}
	if cr.Days > 0 {
		back = append(back, fmt.Sprintf("%d days back", cr.Days))
	}
	tol := "the regression tolerances"
	if len(cr.Tolerance) > 0 {
		tol = describeTolerances(cr.Tolerance, false)
	}
	which := strings.Join(back, "")
	if len(back) == 2 {
		which = strings.Join(back, " or ") + " (the older one)"
	}
	p("Creep: the head against the baseline %s, judged like the gate with %s.\n", which, tol)
	b := c.BurnPolicy()
	p("Burn: budget headroom consumed per baseline over the last %d", b.Window)
	if b.Warn > 0 {
		p("; warn from %s of the limit per baseline", percent(b.Warn))
	}
	if b.Fail > 0 {
		p("; fail from %s", percent(b.Fail))
	}
	p(".\n")
}

func describeBudget(w io.Writer, c *Config, i int) {
	b := &c.Budgets[i]
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	where := ""
	if b.Package != "" {
		where = " in " + b.Package
	}
	p("  %d. %s%s (%s)\n", i+1, fullPattern(b.Benchmark), where, (&Error{File: c.File, Line: b.Line, Column: b.Column}).location())
	if b.Operation != "" || b.Dataset != "" {
		p("     Operation: %s, on dataset %q:\n", oneLine(b.Operation), oneLine(b.Dataset))
	}
	var parts []string
	params := map[string]bool{}
	for _, u := range sortedUnits(b.Limits) {
		l := b.Limits[u]
		rel := "≤"
		if HigherIsBetter(u) {
			rel = "≥"
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", l.writtenUnit(), rel, l.String()))
		for _, name := range l.Params() {
			params[name] = true
		}
	}
	if len(b.Tolerance) > 0 {
		parts = append(parts, "tolerance "+describeTolerances(b.Tolerance, false))
	}
	if len(parts) > 0 {
		p("     %s\n", strings.Join(parts, ", "))
	}
	if len(params) > 0 {
		names := sortedUnits(params)
		p("     Parameters from the benchmark name: %s (as in %s/%s=1000).\n",
			strings.Join(names, ", "), strings.SplitN(fullPattern(b.Benchmark), "/", 2)[0], names[0])
	}
	if pb := b.Profile; pb != nil {
		for _, re := range sortedUnits(pb.CPUShare) {
			p("     Profile: functions matching %s take ≤ %s of CPU.\n", re, percent(pb.CPUShare[re]))
		}
		for _, re := range sortedUnits(pb.AllocsPerOp) {
			p("     Profile: functions matching %s allocate ≤ %s times per op.\n", re, number(pb.AllocsPerOp[re]))
		}
		for _, re := range sortedUnits(pb.BytesPerOp) {
			p("     Profile: functions matching %s allocate ≤ %s per op.\n", re, bytesText(pb.BytesPerOp[re]))
		}
	}
}

// describeTolerances lists tolerances; with defaults, the standard units
// always appear (with the defaults where the map says nothing).
func describeTolerances(t map[string]float64, withDefaults bool) string {
	all := map[string]float64{}
	if withDefaults {
		for _, u := range []string{UnitSecPerOp, UnitBytesPerOp, UnitAllocsPerOp} {
			all[u] = DefaultTolerance(u)
		}
	}
	for u, v := range t {
		all[u] = v
	}
	var parts []string
	for _, u := range sortedUnits(all) {
		parts = append(parts, u+" "+percent(all[u]))
	}
	if withDefaults {
		parts = append(parts, "other units "+percent(DefaultTolerance("")))
	}
	return strings.Join(parts, ", ")
}

func percent(f float64) string { return strconv.FormatFloat(f*100, 'g', 4, 64) + "%" }

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// bytesText prints a size the way people write it in the config: 4KiB
// rather than 4096 B when it is a whole number of KiB, MiB or GiB.
func bytesText(f float64) string {
	for _, u := range []struct {
		name string
		size float64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if f >= u.size && f == math.Trunc(f/u.size)*u.size {
			return number(f/u.size) + u.name
		}
	}
	return number(f) + " B"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// location is the "file:line:col" prefix of Error() without the message.
func (e *Error) location() string {
	return strings.TrimSuffix((&Error{File: e.File, Line: e.Line, Column: e.Column, Msg: ""}).Error(), ": ")
}
