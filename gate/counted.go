package gate

import (
	"fmt"
	"math"
	"sort"

	"github.com/perfslo/perfslo/budgets"
)

// DefaultCountSpread bounds how much a counted unit (instructions/op,
// est-cycles/op) may vary between the runs of one side, as (max − min) /
// median, for the row to be judged as exact counts. Half the default 0.5%
// tolerance of those units: two sides that each agree within it and whose
// medians are more than the tolerance apart cannot be one count seen twice.
// Measured here: ±0.012% on a CPU-bound loop, 0.1–0.3% on allocating ones
// (notes/noise.md, internal/callgrind's doc).
const DefaultCountSpread = 0.0025

// CountedUnit reports whether a unit is a count of work that a simulator
// measured (callgrind's instructions and estimated cycles per op): near
// deterministic, so its rows are judged by their spread, not by a U-test,
// whenever the spread allows.
func CountedUnit(unit string) bool {
	return unit == budgets.UnitInstructions || unit == budgets.UnitEstCycles
}

// relSpread is (max − min) / |median| of xs; +Inf for a zero median.
func relSpread(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	lo, hi := s[0], s[len(s)-1]
	if lo == hi {
		return 0
	}
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	if med == 0 {
		return math.Inf(1)
	}
	return (hi - lo) / math.Abs(med)
}

// judgeCounted fills a counted row whose sides both agree within the bound:
// the sides are summarised by median and range (not a confidence
// interval: the range is every value seen), the change is the medians'
// ratio with the interval the ranges allow, and the change is real
// (Significant) when the ranges do not overlap. Like an exact count, it is
// then a regression when it is also beyond the tolerance. It returns false,
// with a warning on the row, when the counts varied more than the bound on
// either side or a side has a single run (determinism is measured, not
// assumed): the row is then compared statistically.
func judgeCounted(row *Row, baseVals, headVals []float64, bound float64) bool {
	for _, side := range []struct {
		name string
		vals []float64
	}{{"base", baseVals}, {"head", headVals}} {
		switch {
		case len(side.vals) == 0:
			return false
		case len(side.vals) < 2:
			row.Warnings = append(row.Warnings, fmt.Sprintf("%s: one run on the %s side, so its determinism is not measured: compared statistically", row.Unit, side.name))
			return false
		}
		if s := relSpread(side.vals); s > bound {
			row.Warnings = append(row.Warnings, fmt.Sprintf("%s varied %s between the %d runs of the %s side, more than the %s bound for counts: compared statistically, not as exact counts",
				row.Unit, finePct(s), len(side.vals), side.name, finePct(bound)))
			return false
		}
	}
	stat := func(xs []float64) *Stat {
		return &Stat{Center: median(xs), Low: minOf(xs), High: maxOf(xs), N: len(xs)}
	}
	row.Assumption = "exact"
	row.Base, row.Head = stat(baseVals), stat(headVals)
	b, h := row.Base, row.Head
	if b.Center == 0 || b.Low <= 0 {
		return false
	}
	d := h.Center/b.Center - 1
	row.Delta = &d
	row.Change = &Change{Estimate: d, Low: h.Low/b.High - 1, High: h.High/b.Low - 1, Confidence: 1}
	row.Significant = h.Low > b.High || h.High < b.Low
	p := 1.0
	if row.Significant {
		p = 0
	}
	row.P = &p
	row.Reasons = append(row.Reasons, fmt.Sprintf("counts agree within %s on each side (spread %s base, %s head; n=%d, %d): judged as exact counts, the change interval is the ranges'",
		finePct(bound), finePct(relSpread(baseVals)), finePct(relSpread(headVals)), b.N, h.N))
	return true
}

// finePct renders the small fractions counts are about: "0.0144%".
func finePct(f float64) string { return fmt.Sprintf("%.3g%%", 100*f) }
