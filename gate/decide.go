package gate

import (
	"fmt"
	"math"
	"strings"

	"github.com/perfslo/perfslo/budgets"
)

// decide sets a row's tolerance, budget and verdict. Precedence: a budget
// violation, then a regression, then unmeasurable, then improvement.
func decide(r *Row, cfg *budgets.Config, k Key, noise, alphaRow float64) {
	entry := cfg.Match(k.Package, k.Name)
	r.Tolerance = cfg.ToleranceFor(entry, r.Unit)

	switch {
	case r.Base == nil:
		r.Verdict = Added
		r.Reasons = append(r.Reasons, "new in head: nothing to compare with")
	case r.Head == nil:
		r.Verdict = Removed
		r.Reasons = append(r.Reasons, "missing in head")
	default:
		r.Verdict = judgeChange(r, noise, alphaRow)
	}

	if entry != nil && r.Head != nil {
		if lim, ok := entry.Limits[r.Unit]; ok {
			applyBudget(r, entry, lim, cfg.File)
		}
	}
}

// worse reports whether the head moved in the unit's bad direction.
func worse(r *Row) bool {
	if r.HigherIsBetter {
		return r.Head.Center < r.Base.Center
	}
	return r.Head.Center > r.Base.Center
}

func judgeChange(r *Row, noise, alphaRow float64) RowVerdict {
	if r.Significant {
		if !worse(r) {
			r.Reasons = append(r.Reasons, fmt.Sprintf("significantly better (%s)", FormatDelta(r)))
			return Improvement
		}
		if r.Delta == nil || math.Abs(*r.Delta) > r.Tolerance {
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s is significant and beyond the %s tolerance", changeText(r), pct(r.Tolerance)))
			return Regression
		}
		r.Reasons = append(r.Reasons, fmt.Sprintf("%s is significant but within the %s tolerance", changeText(r), pct(r.Tolerance)))
		return RowPass
	}
	// No significant change: did the test have the power to see one?
	if need := powerWarning(r.Warnings); need != "" {
		r.Reasons = append(r.Reasons, "too few samples: "+need)
		return Unmeasurable
	}
	// The test saw nothing; could it have? A regression of the tolerance's
	// size must be found with MDEPower, or the row was not judged.
	if r.MDE != nil && r.Tolerance > 0 && *r.MDE > r.Tolerance {
		need := "no count up to 200"
		if n := SamplesFor(r.Tolerance, noise, alphaRow, MDEPower, 200); n > 0 {
			need = fmt.Sprintf("count %d", n)
		}
		r.Reasons = append(r.Reasons, fmt.Sprintf("too noisy to judge: noise %s (robust CV) hides regressions under %s at n=%d, more than the %s tolerance (%s would see it; or quiet the machine)",
			pct(noise), pct(*r.MDE), min(r.Base.N, r.Head.N), pct(r.Tolerance), need))
		return Unmeasurable
	}
	return RowPass
}

func changeText(r *Row) string {
	if r.Delta == nil {
		return fmt.Sprintf("%s → %s", FormatValue(r.Base.Center, r.Unit), FormatValue(r.Head.Center, r.Unit))
	}
	return fmt.Sprintf("%+.1f%%", 100**r.Delta)
}

// powerWarning returns benchmath's "need >= N samples" warning, if any.
func powerWarning(ws []string) string {
	for _, w := range ws {
		if strings.HasPrefix(w, "need ") {
			return w
		}
	}
	return ""
}

func pct(f float64) string {
	if math.IsInf(f, 0) {
		return "∞"
	}
	s := fmt.Sprintf("%.1f", 100*f)
	s = strings.TrimSuffix(s, ".0")
	return s + "%"
}

// applyBudget judges the head against an absolute RAER limit. The limit is
// broken only when the whole interval is past it; a center past the limit
// with the interval straddling it is a warning, never silence.
func applyBudget(r *Row, entry *budgets.Budget, lim budgets.Limit, file string) {
	limit, err := lim.Eval(r.Benchmark)
	if err != nil {
		r.Verdict = Unmeasurable
		r.Reasons = append(r.Reasons, "budget not evaluated: "+err.Error())
		return
	}
	b := &BudgetResult{
		Limit:     limit,
		Expr:      lim.Source,
		Kind:      "max",
		Operation: entry.Operation,
		Dataset:   entry.Dataset,
	}
	if file != "" {
		b.Config = fmt.Sprintf("%s:%d:%d", file, lim.Line, lim.Column)
	}
	h := r.Head
	var over, confidentlyOver bool
	if r.HigherIsBetter {
		b.Kind = "min"
		b.Headroom = Headroom(h.Center-limit, limit)
		over, confidentlyOver = h.Center < limit, h.High < limit
	} else {
		b.Headroom = Headroom(limit-h.Center, limit)
		over, confidentlyOver = h.Center > limit, h.Low > limit
	}
	r.Budget = b
	bound := FormatHeadroom(b, r.Unit)
	measured := fmt.Sprintf("%s [%s, %s]", FormatValue(h.Center, r.Unit), FormatValue(h.Low, r.Unit), FormatValue(h.High, r.Unit))
	switch {
	case confidentlyOver:
		r.Verdict = Violation
		where := ""
		if b.Config != "" {
			where = " (" + b.Config + ")"
		}
		r.Reasons = append(r.Reasons, fmt.Sprintf("RAER budget %s broken: measured %s, limit %s = %s%s", r.Unit, measured, lim.Source, FormatValue(limit, r.Unit), where))
	case over:
		r.Warnings = append(r.Warnings, fmt.Sprintf("median %s is past the budget %s but its interval reaches the limit: not yet a violation", FormatValue(h.Center, r.Unit), bound))
	}
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
