package gate

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// MDEPower is the power at which a row's minimum detectable effect is
// stated: a regression of that size is flagged 80% of the time.
const MDEPower = 0.8

// Defaults for Options.
const (
	DefaultAlpha      = 0.05
	DefaultConfidence = 0.95
)

// Corrections for multiple comparisons.
const (
	CorrectionHolm = "holm"
	CorrectionNone = "none"
)

// Options controls a comparison.
type Options struct {
	// Config holds the budgets and tolerances; nil means budgets.Default().
	Config *budgets.Config
	// Alpha is the family-wise significance level (default 0.05).
	Alpha float64
	// Confidence is the level of the per-side intervals (default 0.95).
	Confidence float64
	// Correction is CorrectionHolm (default) or CorrectionNone (benchstat's
	// behaviour: each row tested at alpha alone).
	Correction string
	// Settings are copied into the report (run settings the caller used).
	Settings Settings
	// Now stamps the report; the caller passes the clock so the core stays pure.
	Now time.Time
}

func (o *Options) defaults() {
	if o.Config == nil {
		o.Config = budgets.Default()
	}
	if o.Alpha == 0 {
		o.Alpha = DefaultAlpha
	}
	if o.Confidence == 0 {
		o.Confidence = DefaultConfidence
	}
	if o.Correction == "" {
		o.Correction = CorrectionHolm
	}
}

// Compare judges head against base: one Row per (package, benchmark, unit)
// present on either side, budgets applied to the head.
func Compare(base, head *Side, opt Options) *Report {
	opt.defaults()
	rep := &Report{
		Schema:   SchemaVersion,
		Base:     base.Source,
		Head:     head.Source,
		Settings: opt.Settings,
		Created:  opt.Now,
	}
	rep.Settings.Alpha = opt.Alpha
	rep.Settings.Confidence = opt.Confidence
	rep.Settings.Correction = opt.Correction

	units := benchfmt.UnitMetadataMap{}
	for k, v := range base.units {
		units[k] = v
	}
	for k, v := range head.units {
		units[k] = v
	}

	keys := unionKeys(base, head)
	showProcs := distinctProcs(keys) > 1
	thresholds := &benchmath.Thresholds{CompareAlpha: opt.Alpha}
	var tested []*Row
	noise := make([]float64, 0, len(keys)) // robust CV per row, for its MDE
	for _, k := range keys {
		noise = append(noise, max(RobustCV(base.samples[k]), RobustCV(head.samples[k])))
		row := compareRow(k, base.samples[k], head.samples[k], units, thresholds, opt)
		if showProcs && k.Procs != 0 {
			row.Benchmark = k.Full()
		}
		rep.Results = append(rep.Results, row)
	}
	for i := range rep.Results {
		if r := &rep.Results[i]; r.P != nil && r.Assumption != "exact" {
			tested = append(tested, r)
		}
	}
	adjust(tested, opt.Correction)
	// A single regression among m tests faces Holm's first threshold, α/m:
	// the power every row must have to be judged at all.
	alphaRow := opt.Alpha
	if opt.Correction == CorrectionHolm && len(tested) > 1 {
		alphaRow /= float64(len(tested))
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		k := keys[i]
		if r.Assumption == "exact" || r.PAdjusted == nil {
			// Significance of exact rows was settled in compareRow.
		} else {
			r.Significant = *r.PAdjusted < opt.Alpha
			if r.Base != nil && r.Head != nil {
				n := min(r.Base.N, r.Head.N)
				if mde := MinimumDetectableEffect(n, noise[i], alphaRow, MDEPower); !math.IsNaN(mde) {
					r.MDE = &mde
				}
			}
		}
		decide(r, opt.Config, k, noise[i], alphaRow)
	}
	rep.Settings.Tests = len(tested)
	return rep
}

func unionKeys(base, head *Side) []Key {
	keys := append([]Key(nil), base.keys...)
	for _, k := range head.keys {
		if _, ok := base.samples[k]; !ok {
			keys = append(keys, k)
		}
	}
	// Group by package, then keep first-seen benchmark order, units in a
	// fixed order: time, bytes, allocations, then the rest by name.
	pkgOrder := map[string]int{}
	benchOrder := map[string]int{}
	for i, k := range keys {
		if _, ok := pkgOrder[k.Package]; !ok {
			pkgOrder[k.Package] = i
		}
		bk := k.Package + "\x00" + k.Name
		if _, ok := benchOrder[bk]; !ok {
			benchOrder[bk] = i
		}
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if pkgOrder[a.Package] != pkgOrder[b.Package] {
			return pkgOrder[a.Package] < pkgOrder[b.Package]
		}
		ab, bb := benchOrder[a.Package+"\x00"+a.Name], benchOrder[b.Package+"\x00"+b.Name]
		if ab != bb {
			return ab < bb
		}
		if a.Procs != b.Procs {
			return a.Procs < b.Procs
		}
		return unitRank(a.Unit) < unitRank(b.Unit) || (unitRank(a.Unit) == unitRank(b.Unit) && a.Unit < b.Unit)
	})
	return keys
}

func unitRank(u string) int {
	switch u {
	case "sec/op":
		return 0
	case "B/op":
		return 1
	case "allocs/op":
		return 2
	}
	return 3
}

func distinctProcs(keys []Key) int {
	seen := map[int]bool{}
	for _, k := range keys {
		seen[k.Procs] = true
	}
	return len(seen)
}

// exactByDefault lists the units perfslo treats as exact counts unless the
// input says otherwise: allocation counts and sizes do not jitter like time.
func exactByDefault(unit string) bool { return unit == "B/op" || unit == "allocs/op" }

func higherIsBetter(units benchfmt.UnitMetadataMap, unit string) bool {
	switch units.GetBetter(unit) {
	case 1:
		return true
	case -1:
		return false
	}
	return budgets.HigherIsBetter(unit)
}

func constant(xs []float64) bool {
	for _, x := range xs[1:] {
		if x != xs[0] {
			return false
		}
	}
	return true
}

// compareRow summarises both sides and tests them. Significance of
// statistical rows is decided later, after the family-wise correction.
func compareRow(k Key, baseVals, headVals []float64, units benchfmt.UnitMetadataMap, th *benchmath.Thresholds, opt Options) Row {
	row := Row{
		Benchmark:      k.Name,
		Package:        k.Package,
		Unit:           k.Unit,
		HigherIsBetter: higherIsBetter(units, k.Unit),
	}
	assumption := units.GetAssumption(k.Unit)
	declaredExact := assumption == benchmath.AssumeExact
	if !declaredExact && units.Get(k.Unit, "assume") == nil && exactByDefault(k.Unit) {
		assumption = benchmath.AssumeExact
	}
	if assumption == benchmath.AssumeExact {
		for _, side := range []struct {
			name string
			vals []float64
		}{{"base", baseVals}, {"head", headVals}} {
			if len(side.vals) > 1 && !constant(side.vals) {
				assumption = benchmath.AssumeNothing
				row.Warnings = append(row.Warnings, fmt.Sprintf("%s varies between runs on the %s side (%g to %g): compared statistically, not as an exact count",
					k.Unit, side.name, minOf(side.vals), maxOf(side.vals)))
				break
			}
		}
	}
	if assumption == benchmath.AssumeExact {
		row.Assumption = "exact"
	} else {
		row.Assumption = "nothing"
	}

	var bs, hs *benchmath.Sample
	if len(baseVals) > 0 {
		bs = benchmath.NewSample(append([]float64(nil), baseVals...), th)
		row.Base = summarize(assumption, bs, opt.Confidence, &row)
	}
	if len(headVals) > 0 {
		hs = benchmath.NewSample(append([]float64(nil), headVals...), th)
		row.Head = summarize(assumption, hs, opt.Confidence, &row)
	}
	if bs == nil || hs == nil {
		return row
	}
	if row.Base.Center != 0 {
		d := row.Head.Center/row.Base.Center - 1
		row.Delta = &d
	} else if row.Head.Center == 0 {
		d := 0.0
		row.Delta = &d
	}
	cmp := assumption.Compare(bs, hs)
	p := cmp.P
	row.P = &p
	for _, w := range cmp.Warnings {
		row.Warnings = append(row.Warnings, w.Error())
	}
	if assumption == benchmath.AssumeExact {
		row.Significant = row.Base.Center != row.Head.Center
	}
	return row
}

func summarize(a benchmath.Assumption, s *benchmath.Sample, confidence float64, row *Row) *Stat {
	sum := a.Summary(s, confidence)
	for _, w := range sum.Warnings {
		row.Warnings = appendOnce(row.Warnings, w.Error())
	}
	return &Stat{Center: sum.Center, Low: sum.Lo, High: sum.Hi, N: len(s.Values)}
}

func appendOnce(xs []string, s string) []string {
	for _, x := range xs {
		if x == s {
			return xs
		}
	}
	return append(xs, s)
}

func minOf(xs []float64) float64 {
	m := math.Inf(1)
	for _, x := range xs {
		m = math.Min(m, x)
	}
	return m
}

func maxOf(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = math.Max(m, x)
	}
	return m
}
