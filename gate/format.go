package gate

import (
	"fmt"
	"math"

	"golang.org/x/perf/benchunit"
)

// FormatValue renders v in unit the way benchstat does: scaled with an SI or
// binary prefix and four significant digits ("1.234µ", "10.00Ki").
func FormatValue(v float64, unit string) string {
	if unit == ShareUnit {
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	return benchunit.Scale(v, benchunit.ClassOf(unit))
}

// ShareUnit is the unit of function-budget rows that judge a fraction of a
// profile; its values are fractions, shown as percentages.
const ShareUnit = "cpu-share"

// SignedPerOp renders a per-op profile delta with its sign and unit:
// "+15.19µs", "-1.5KiB", "+2 allocs". Profile attributions use pprof's
// units (ns/op, B/op, allocs/op).
func SignedPerOp(v float64, unit string) string {
	if v == 0 {
		return "0"
	}
	sign := "+"
	if v < 0 {
		sign, v = "-", -v
	}
	switch unit {
	case "ns/op":
		return sign + benchunit.Scale(v*1e-9, benchunit.Decimal) + "s"
	case "B/op":
		return sign + benchunit.Scale(v, benchunit.Binary) + "B"
	case "allocs/op":
		return sign + benchunit.Scale(v, benchunit.Decimal) + " allocs"
	}
	return sign + benchunit.Scale(v, benchunit.ClassOf(unit)) + " " + unit
}

// FormatStat renders a side like benchstat: "46.55n ± 9%". The ± is the
// larger distance of the interval's ends from the center, as a percentage of
// the center; "∞" when too few samples give no interval.
func FormatStat(s *Stat, unit string) string {
	if s == nil {
		return ""
	}
	v := FormatValue(s.Center, unit)
	return v + " ± " + rangePercent(s)
}

func rangePercent(s *Stat) string {
	if math.IsInf(s.Low, 0) || math.IsInf(s.High, 0) {
		return "∞"
	}
	sign := func(x float64) int {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	}
	c := sign(s.Center)
	if c != sign(s.Low) || c != sign(s.High) {
		return "?"
	}
	if s.Center == 0 {
		return "0%"
	}
	r := math.Max(s.High/s.Center-1, 1-s.Low/s.Center)
	return fmt.Sprintf("%.0f%%", 100*r)
}

// FormatDelta renders a row's change like benchstat: "+3.12%", or "~" when the
// change is not significant, "?" when it cannot be computed.
func FormatDelta(r *Row) string {
	if r.Base == nil || r.Head == nil {
		return ""
	}
	if !r.Significant {
		return "~"
	}
	if r.Base.Center == r.Head.Center {
		return "0.00%"
	}
	if r.Delta == nil {
		return "?"
	}
	return fmt.Sprintf("%+.2f%%", 100**r.Delta)
}

// FormatP renders a p-value with its sample sizes, like benchstat's
// "(p=0.002 n=10)". Counted rows judged as exact counts had no test, so
// they show their sizes only ("~ (n=2)"), whether their ranges overlap or
// not.
func FormatP(r *Row) string {
	if r.P == nil || r.Base == nil || r.Head == nil {
		return ""
	}
	var s string
	if *r.P != 0 && !(r.Assumption == "exact" && CountedUnit(r.Unit)) {
		s = fmt.Sprintf("p=%.3f ", *r.P)
	}
	if r.Base.N == r.Head.N {
		return s + fmt.Sprintf("n=%d", r.Base.N)
	}
	return s + fmt.Sprintf("n=%d+%d", r.Base.N, r.Head.N)
}

// FormatHeadroom renders a budget: "≤ 10.00µ (23% headroom)" or
// "≤ 10.00µ (12% over)".
func FormatHeadroom(b *BudgetResult, unit string) string {
	if b == nil {
		return ""
	}
	op := "≤"
	if b.Kind == "min" {
		op = "≥"
	}
	lim := FormatValue(b.Limit, unit)
	if b.Limit == 0 && b.Headroom == 0 {
		return op + " 0 (met)"
	}
	if b.Headroom < 0 {
		return fmt.Sprintf("%s %s (%.0f%% over)", op, lim, -100*b.Headroom)
	}
	return fmt.Sprintf("%s %s (%.0f%% headroom)", op, lim, 100*b.Headroom)
}
