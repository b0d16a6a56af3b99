package gate

import "sort"

// Corrections for multiple comparisons.
const (
	// CorrectionBH is Benjamini–Hochberg's step-up procedure, perfslo's
	// default (the package doc says why).
	CorrectionBH = "bh"
	// CorrectionHolm is Holm–Bonferroni's step-down procedure.
	CorrectionHolm = "holm"
	// CorrectionNone tests each row at alpha alone, as benchstat does.
	CorrectionNone = "none"
)

// Corrections lists the accepted values of Options.Correction.
var Corrections = []string{CorrectionBH, CorrectionHolm, CorrectionNone}

// adjust sets PAdjusted on every row from its P, so that comparing
// PAdjusted with alpha applies the correction.
//
// Holm (1979): the i-th smallest of m p-values is multiplied by m-i+1, the
// sequence made non-decreasing; rejecting adjusted p < alpha keeps the
// family-wise error at alpha under any dependence.
//
// Benjamini–Hochberg (1995): the i-th smallest is multiplied by m/i, the
// sequence made non-increasing from the largest down; rejecting adjusted
// p < alpha keeps the false discovery rate at alpha for independent or
// positively dependent tests, and so, when no row changed at all, the
// chance of any rejection at alpha as well.
func adjust(rows []*Row, correction string) {
	m := len(rows)
	sorted := append([]*Row(nil), rows...)
	sort.SliceStable(sorted, func(i, j int) bool { return *sorted[i].P < *sorted[j].P })
	switch correction {
	case CorrectionHolm:
		running := 0.0
		for i, r := range sorted {
			p := min(1, float64(m-i)**r.P)
			running = max(running, p)
			adj := running
			r.PAdjusted = &adj
		}
	case CorrectionBH:
		running := 1.0
		for i := m - 1; i >= 0; i-- {
			r := sorted[i]
			p := min(1, *r.P*float64(m)/float64(i+1))
			running = min(running, p)
			adj := running
			r.PAdjusted = &adj
		}
	default:
		for _, r := range rows {
			p := *r.P
			r.PAdjusted = &p
		}
	}
}

// smallestThreshold is the raw p-value that the most significant row of a
// family of m must reach to be rejected at alpha: alpha/m for Holm and BH,
// alpha without correction.
func smallestThreshold(alpha float64, m int, correction string) float64 {
	if correction == CorrectionNone || m <= 1 {
		return alpha
	}
	return alpha / float64(m)
}
