package gate

import (
	"fmt"
	"math"
	"sort"
	"strings"

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

// judgeCounted fills a counted row whose sides the counts decide: the
// sides are summarised by median and range (not a confidence interval: the
// range is every value seen), the change is the medians' ratio with the
// interval the ranges allow, and the change is real (Significant) when the
// ranges do not overlap. Like an exact count, it is then a regression when
// it is also beyond the tolerance.
//
// The counts decide when each side agrees within the bound, or, whatever
// the spread, when the ranges alone settle the question: every head run
// more than the tolerance above every base run (or below), or the whole
// interval within ±tolerance. Otherwise (and with a single run on a side:
// determinism is measured, not assumed) it returns false with a warning,
// and the row is compared statistically.
func judgeCounted(row *Row, baseVals, headVals []float64, bound, tol float64) bool {
	if len(baseVals) == 0 || len(headVals) == 0 {
		return false
	}
	var wide []string
	for _, side := range []struct {
		name string
		vals []float64
	}{{"base", baseVals}, {"head", headVals}} {
		if len(side.vals) < 2 {
			row.Warnings = append(row.Warnings, fmt.Sprintf("%s: one run on the %s side, so its determinism is not measured: compared statistically", row.Unit, side.name))
			return false
		}
		if s := relSpread(side.vals); s > bound {
			wide = append(wide, fmt.Sprintf("%s between the %d runs of the %s side", finePct(s), len(side.vals), side.name))
		}
	}
	bLo, bHi, bTrim := countRange(baseVals)
	hLo, hHi, hTrim := countRange(headVals)
	if bLo <= 0 {
		return false
	}
	trimmed := ""
	if bTrim || hTrim {
		trimmed = fmt.Sprintf(" (of a side with %d or more runs, all but its lowest and highest)", MinTrimmedRuns)
	}
	lo, hi := hLo/bHi-1, hHi/bLo-1
	if len(wide) > 0 {
		if !(lo > tol || hi < -tol || (lo >= -tol && hi <= tol)) {
			row.Warnings = append(row.Warnings, fmt.Sprintf("%s varied %s, more than the %s bound for counts, and the sides' ranges (change %s) do not settle the %s tolerance: compared statistically, not as exact counts",
				row.Unit, strings.Join(wide, " and "), finePct(bound), intervalText(&Change{Low: lo, High: hi}), pct(tol)))
			return false
		}
		row.Reasons = append(row.Reasons, fmt.Sprintf("counts varied %s (bound %s), but every run of each side%s lies where the ranges' change %s settles the %s tolerance: judged as exact counts",
			strings.Join(wide, " and "), finePct(bound), trimmed, intervalText(&Change{Low: lo, High: hi}), pct(tol)))
	} else {
		row.Reasons = append(row.Reasons, fmt.Sprintf("counts agree within %s on each side (spread %s base, %s head; n=%d, %d): judged as exact counts, the change interval is the ranges'",
			finePct(bound), finePct(relSpread(baseVals)), finePct(relSpread(headVals)), len(baseVals), len(headVals)))
	}
	row.Assumption = "exact"
	row.Base = &Stat{Center: median(baseVals), Low: bLo, High: bHi, N: len(baseVals)}
	row.Head = &Stat{Center: median(headVals), Low: hLo, High: hHi, N: len(headVals)}
	d := row.Head.Center/row.Base.Center - 1
	row.Delta = &d
	row.Change = &Change{Estimate: d, Low: lo, High: hi, Confidence: 1}
	row.Significant = hLo > bHi || hHi < bLo
	p := 1.0
	if row.Significant {
		p = 0
	}
	row.P = &p
	return true
}

// MinTrimmedRuns is the fewest runs of a side whose range leaves out its
// lowest and highest run. Some per-op costs differ in a rare process:
// google/uuid's MarshalJSON counted 2,925 instructions/op in most
// processes and 2,950 in about one of seven while hash seeds were random
// (encoding/json's encoder cache is a sync.Map, whose trie depth follows
// the seed); the counted binaries now fix the seed, but a process whose
// scheduler starts another thread still counts more, and a toolchain the
// seed overlay does not fit keeps random seeds. One such process widens a
// side's range by 0.85%, more than the 0.5% tolerance, and would keep an
// unchanged row undecided; a side that varied beyond the bound has five
// runs (callgrind's MaxPairs), and its middle three stand for it. A row
// is still flagged only when the trimmed ranges are apart by more than
// the tolerance, and that is confirmed by a look.
const MinTrimmedRuns = 5

// countRange is the range a side's counts stand for: every run, or with
// MinTrimmedRuns or more, all but the lowest and the highest.
func countRange(vals []float64) (lo, hi float64, trimmed bool) {
	if len(vals) < MinTrimmedRuns {
		return minOf(vals), maxOf(vals), false
	}
	s := append([]float64(nil), vals...)
	sort.Float64s(s)
	return s[1], s[len(s)-2], true
}

// finePct renders the small fractions counts are about: "0.0144%".
func finePct(f float64) string { return fmt.Sprintf("%.3g%%", 100*f) }

// countTolerance is the tolerance a counted row will be judged against.
func countTolerance(cfg *budgets.Config, k Key) float64 {
	if cfg == nil {
		cfg = budgets.Default()
	}
	return cfg.ToleranceFor(cfg.Match(k.Package, k.Name), k.Unit)
}
