package gate

import (
	"fmt"
	"math"
	"strings"

	"github.com/perfslo/perfslo/budgets"
)

// setTolerance sets the regression tolerance that applies to a row.
func setTolerance(r *Row, cfg *budgets.Config, k Key) *budgets.Budget {
	entry := cfg.Match(k.Package, k.Name)
	r.Tolerance = cfg.ToleranceFor(entry, r.Unit)
	return entry
}

// worse reports whether the head moved in the unit's bad direction.
func worse(r *Row) bool {
	if r.HigherIsBetter {
		return r.Head.Center < r.Base.Center
	}
	return r.Head.Center > r.Base.Center
}

// beyond reports whether a row's change is larger than its tolerance.
func beyond(r *Row) bool { return r.Delta == nil || math.Abs(*r.Delta) > r.Tolerance }

// badChange reports whether a row moved the bad way by more than its
// tolerance: what a regression is, once it is significant.
func badChange(r *Row) bool { return r.Base != nil && r.Head != nil && worse(r) && beyond(r) }

// equivalent reports whether the change's interval lies within the
// tolerance on the bad side: the row is confidently not a regression.
func equivalent(r *Row) bool {
	if r.Change == nil {
		return false
	}
	b := r.Change.worseBound(r.HigherIsBetter)
	return isFinite(b) && b <= r.Tolerance
}

func changeText(r *Row) string {
	if r.Delta == nil {
		return fmt.Sprintf("%s → %s", FormatValue(r.Base.Center, r.Unit), FormatValue(r.Head.Center, r.Unit))
	}
	return fmt.Sprintf("%+.1f%%", 100**r.Delta)
}

// intervalText renders a change interval: "[-1.2%, +3.4%]".
func intervalText(c *Change) string {
	end := func(x float64) string {
		if math.IsInf(x, 0) {
			if x < 0 {
				return "-∞"
			}
			return "+∞"
		}
		return fmt.Sprintf("%+.1f%%", 100*x)
	}
	return "[" + end(c.Low) + ", " + end(c.High) + "]"
}

// evidence states a row's change and test: "+23.1% (p=0.002, BH-adjusted
// 0.011, n=6+6)".
func evidence(r *Row, correction string) string {
	if r.Assumption == "exact" {
		if r.Significant {
			return changeText(r) + " (exact)"
		}
		return changeText(r) + " (exact, unchanged)"
	}
	var parts []string
	if r.P != nil {
		parts = append(parts, fmt.Sprintf("p=%.2g", *r.P))
		if r.PAdjusted != nil && *r.PAdjusted != *r.P {
			parts = append(parts, fmt.Sprintf("%s-adjusted %.2g", correctionName(correction), *r.PAdjusted))
		}
	}
	parts = append(parts, fmt.Sprintf("n=%d+%d", r.Base.N, r.Head.N))
	return changeText(r) + " (" + strings.Join(parts, ", ") + ")"
}

func correctionName(c string) string {
	switch c {
	case CorrectionBH:
		return "BH"
	case CorrectionHolm:
		return "Holm"
	}
	return c
}

func pct(f float64) string {
	if !isFinite(f) {
		return "∞"
	}
	s := fmt.Sprintf("%.1f", 100*f)
	s = strings.TrimSuffix(s, ".0")
	return s + "%"
}

// budgetState is where a head sample stands against its RAER limit.
type budgetState int

const (
	withinBudget    budgetState = iota
	overInterval                // the center is past the limit, the interval reaches it
	confidentlyOver             // the whole interval is past the limit
	budgetError                 // the limit could not be evaluated
)

// judgeBudget evaluates a row's RAER limit against its head sample. It
// returns nil when no limit applies to the row.
func judgeBudget(r *Row, entry *budgets.Budget, file string) (*BudgetResult, budgetState, string) {
	if entry == nil || r.Head == nil {
		return nil, withinBudget, ""
	}
	lim, ok := entry.Limits[r.Unit]
	if !ok {
		return nil, withinBudget, ""
	}
	limit, err := lim.Eval(r.Benchmark)
	if err == nil && !isFinite(limit) {
		err = fmt.Errorf("limit %s evaluates to %v for %s", lim.Source, limit, r.Benchmark)
	}
	if err != nil {
		return nil, budgetError, "budget not evaluated: " + err.Error()
	}
	b := &BudgetResult{Limit: limit, Expr: lim.Source, Kind: "max", Operation: entry.Operation, Dataset: entry.Dataset}
	if file != "" {
		b.Config = fmt.Sprintf("%s:%d:%d", file, lim.Line, lim.Column)
	}
	h := r.Head
	var over, sure bool
	if r.HigherIsBetter {
		b.Kind = "min"
		b.Headroom = Headroom(h.Center-limit, limit)
		over, sure = h.Center < limit, h.High < limit
	} else {
		b.Headroom = Headroom(limit-h.Center, limit)
		over, sure = h.Center > limit, h.Low > limit
	}
	measured := fmt.Sprintf("%s [%s, %s]", FormatValue(h.Center, r.Unit), FormatValue(h.Low, r.Unit), FormatValue(h.High, r.Unit))
	switch {
	case sure:
		where := ""
		if b.Config != "" {
			where = " (" + b.Config + ")"
		}
		return b, confidentlyOver, fmt.Sprintf("RAER budget %s broken: measured %s, limit %s = %s%s", r.Unit, measured, lim.Source, FormatValue(limit, r.Unit), where)
	case over:
		return b, overInterval, fmt.Sprintf("median %s is past the budget %s but its interval reaches the limit: not yet a violation", FormatValue(h.Center, r.Unit), FormatHeadroom(b, r.Unit))
	}
	return b, withinBudget, ""
}

// Headroom is margin/limit: how far a measurement is inside its limit, as a
// fraction of the limit (negative when over). A zero limit has no scale, so
// any excess counts as fully over (-1) and exactly zero as no headroom.
func Headroom(margin, limit float64) float64 {
	if limit == 0 {
		switch {
		case margin < 0:
			return -1
		default:
			return 0
		}
	}
	return margin / math.Abs(limit)
}
