package gate

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
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
	// DefaultLooks is how many confirmation looks the gate may take.
	DefaultLooks = 3
)

// Screens: what makes a first-stage row a candidate for confirmation.
const (
	// ScreenRaw screens at the row's own p < alpha (perfslo's default: the
	// screen decides nothing, the fresh looks do).
	ScreenRaw = "raw"
	// ScreenCorrected screens only rows significant after the correction
	// over the whole family (the procedure before the redesign).
	ScreenCorrected = "corrected"
)

// Spending rules: how alpha is spent over the looks.
const (
	// SpendHalving gives look j the level alpha/2^j: the looks together
	// spend less than alpha (perfslo's default).
	SpendHalving = "halving"
	// SpendNone tests every look at alpha (the procedure before the
	// redesign, which took one look).
	SpendNone = "none"
)

// Options controls a comparison.
type Options struct {
	// Config holds the budgets and tolerances; nil means budgets.Default().
	Config *budgets.Config
	// Alpha is the suite-wise false-alarm level (default 0.05).
	Alpha float64
	// Confidence is the level of the per-side intervals and of each row's
	// change interval (default 0.95).
	Confidence float64
	// Correction is CorrectionBH (default), CorrectionHolm or
	// CorrectionNone (benchstat's behaviour: each row tested at alpha alone).
	Correction string
	// Looks is the most confirmation looks a Procedure takes (fresh rounds
	// of the rows still open); 0 decides on the first sample alone, as
	// Compare does. NewProcedure's default is DefaultLooks when Looks < 0.
	Looks int
	// Screen is ScreenRaw (default) or ScreenCorrected.
	Screen string
	// Spending is SpendHalving (default) or SpendNone.
	Spending string
	// Settings are copied into the report (run settings the caller used).
	Settings Settings
	// Now stamps the report; the caller passes the clock so the core stays pure.
	Now time.Time
	// CountSpread bounds the run-to-run spread of a counted unit
	// (CountedUnit) within which its rows are judged as exact counts;
	// default DefaultCountSpread.
	CountSpread float64
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
		o.Correction = CorrectionBH
	}
	if o.Screen == "" {
		o.Screen = ScreenRaw
	}
	if o.Spending == "" {
		o.Spending = SpendHalving
	}
	if o.CountSpread <= 0 {
		o.CountSpread = DefaultCountSpread
	}
}

// Validate reports settings the statistics cannot use, naming the flag.
func (o Options) Validate() error {
	if o.Correction != "" && !slices.Contains(Corrections, o.Correction) {
		return fmt.Errorf("--correction %q: want one of %s", o.Correction, strings.Join(Corrections, ", "))
	}
	if o.Alpha != 0 && !(o.Alpha > 0 && o.Alpha < 1) {
		return fmt.Errorf("--alpha %g: want a level between 0 and 1, such as 0.05", o.Alpha)
	}
	return nil
}

// Compare judges head against base on these samples alone: one Row per
// (package, benchmark, unit) present on either side, budgets applied to the
// head, one stage (no confirmation; see Procedure for the gate's).
func Compare(base, head *Side, opt Options) *Report {
	opt.Looks = 0
	return NewProcedure(base, head, opt).report(true)
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
	if CountedUnit(k.Unit) && judgeCounted(&row, baseVals, headVals, opt.CountSpread, countTolerance(opt.Config, k)) {
		return row
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
		if row.Delta != nil {
			row.Change = &Change{Estimate: *row.Delta, Low: *row.Delta, High: *row.Delta, Confidence: 1}
		}
	} else {
		row.Change = estimateChange(baseVals, headVals, opt.Confidence)
	}
	return row
}

// measured is one comparison of two sides, before any verdict: the rows with
// their statistics, the key of each row, and the units that follow sec/op.
type measured struct {
	rows    []Row
	keys    []Key
	index   map[Key]int // built on first use (at): most comparisons never ask
	derived map[Key]derivation
	noise   []float64 // robust CV per row
	family  []*Row    // the statistical rows the correction applies to
}

// at returns the index of k's row.
func (m *measured) at(k Key) (int, bool) {
	if m.index == nil {
		m.index = make(map[Key]int, len(m.keys))
		for i, k := range m.keys {
			m.index[k] = i
		}
	}
	i, ok := m.index[k]
	return i, ok
}

// measure summarises and tests every series of base and head, and applies
// the correction over the family of statistical rows that are not derived.
func measure(base, head *Side, opt Options) *measured {
	units := benchfmt.UnitMetadataMap{}
	for k, v := range base.units {
		units[k] = v
	}
	for k, v := range head.units {
		units[k] = v
	}
	keys := unionKeys(base, head)
	m := &measured{keys: keys, derived: map[Key]derivation{},
		rows: make([]Row, 0, len(keys)), noise: make([]float64, 0, len(keys))}
	if opt.Correction != CorrectionNone {
		// Without a correction every row is its own test, as in benchstat:
		// there is no family for derived units to enlarge.
		m.derived = derivedUnits(base, head)
	}
	showProcs := distinctProcs(keys) > 1
	th := &benchmath.Thresholds{CompareAlpha: opt.Alpha}
	for _, k := range keys {
		m.noise = append(m.noise, max(RobustCV(base.samples[k]), RobustCV(head.samples[k])))
		row := compareRow(k, base.samples[k], head.samples[k], units, th, opt)
		if showProcs && k.Procs != 0 {
			row.Benchmark = k.Full()
		}
		if _, ok := m.derived[k]; ok {
			row.DerivedFrom = ParentUnit
		}
		m.rows = append(m.rows, row)
	}
	for i := range m.rows {
		if r := &m.rows[i]; r.P != nil && r.Assumption != "exact" && r.DerivedFrom == "" {
			m.family = append(m.family, r)
		}
	}
	adjust(m.family, opt.Correction)
	for _, r := range m.family {
		r.Significant = *r.PAdjusted < opt.Alpha
	}
	return m
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
