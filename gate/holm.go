package gate

import "sort"

// adjust sets PAdjusted on every row. With Holm–Bonferroni the i-th smallest
// of m p-values is multiplied by (m-i+1) and the sequence made monotone, so
// rejecting adjusted p < alpha keeps the family-wise false-alarm rate at
// alpha whatever the dependence between tests (Holm 1979).
func adjust(rows []*Row, correction string) {
	if correction != CorrectionHolm {
		for _, r := range rows {
			p := *r.P
			r.PAdjusted = &p
		}
		return
	}
	sorted := append([]*Row(nil), rows...)
	sort.SliceStable(sorted, func(i, j int) bool { return *sorted[i].P < *sorted[j].P })
	m := len(sorted)
	running := 0.0
	for i, r := range sorted {
		p := float64(m-i) * *r.P
		if p > 1 {
			p = 1
		}
		if p < running {
			p = running
		}
		running = p
		r.PAdjusted = &p
	}
}
