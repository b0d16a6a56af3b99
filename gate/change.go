package gate

// The size of a change, with its confidence interval.
//
// A p-value says whether two samples differ; a gate must also know by how
// much, because a row passes only when the change is confidently within its
// tolerance. perfslo estimates the relative change distribution-free, in the
// same model as its test (Mann-Whitney's U): the Hodges–Lehmann estimate of
// the shift between log(head) and log(base), the median of all n·m pairwise
// differences, with Moses' confidence interval — the k-th smallest and k-th
// largest pairwise differences, k read off the exact null distribution of U
// (Hollander & Wolfe, Nonparametric Statistical Methods, §4.3). Logs make
// the shift multiplicative, which is how benchmark timings move; the result
// is reported as exp(shift)-1, a fraction like Delta. Samples with a value
// ≤ 0 (custom metrics) are shifted on the raw scale instead, relative to the
// base center.

import (
	"math"
	"sort"
	"sync"

	"github.com/aclements/go-moremath/stats"
)

// Change is a row's estimated relative change, head vs base, with its
// confidence interval. For exact rows the interval is the point.
type Change struct {
	// Estimate is the Hodges–Lehmann estimate of the change (fraction).
	Estimate float64 `json:"estimate"`
	// Low and High bound the change at Confidence. An interval that
	// cannot be had (too few samples for the level) is infinite, written
	// as null in JSON.
	Low        float64 `json:"low"`
	High       float64 `json:"high"`
	Confidence float64 `json:"confidence"`
}

// estimateChange returns the change of head relative to base, or nil when
// there is no scale to state it in (a zero base on the raw scale).
func estimateChange(base, head []float64, confidence float64) *Change {
	if len(base) == 0 || len(head) == 0 {
		return nil
	}
	logScale := positive(base) && positive(head)
	diffs := make([]float64, 0, len(base)*len(head))
	for _, h := range head {
		for _, b := range base {
			if logScale {
				diffs = append(diffs, math.Log(h)-math.Log(b))
			} else {
				diffs = append(diffs, h-b)
			}
		}
	}
	sort.Float64s(diffs)
	est := median(diffs)
	lo, hi := math.Inf(-1), math.Inf(1)
	if k := mosesRank(len(base), len(head), confidence); k > 0 {
		lo, hi = diffs[k-1], diffs[len(diffs)-k]
	}
	c := &Change{Confidence: confidence}
	if logScale {
		c.Estimate, c.Low, c.High = math.Expm1(est), math.Expm1(lo), math.Expm1(hi)
	} else {
		scale := math.Abs(median(base))
		if scale == 0 {
			return nil
		}
		c.Estimate, c.Low, c.High = est/scale, lo/scale, hi/scale
	}
	if math.IsInf(lo, 0) {
		// No interval at this level: say unbounded, not "-100%".
		c.Low, c.High = math.Inf(-1), math.Inf(1)
	}
	return c
}

func positive(xs []float64) bool {
	for _, x := range xs {
		if !(x > 0) {
			return false
		}
	}
	return true
}

// mosesRank returns k such that the k-th smallest and k-th largest of the
// n·m pairwise differences bound the shift at the given two-sided
// confidence: the largest k with P(U ≤ k-1) ≤ (1-confidence)/2 under no
// shift. 0 means no interval reaches that confidence with so few samples.
func mosesRank(n, m int, confidence float64) int {
	key := mosesKey{n, m, confidence}
	if k, ok := mosesRanks.Load(key); ok {
		return k.(int)
	}
	tail := (1 - confidence) / 2
	k := 0
	if n*m > 400 {
		// The exact distribution costs O(n²m²) per point; past 20 vs 20
		// its normal approximation is within a rank of it.
		sd := math.Sqrt(float64(n*m*(n+m+1)) / 12)
		z := stats.NormalDist{Mu: 0, Sigma: 1}.InvCDF(tail)
		k = max(0, int(math.Floor(float64(n*m)/2+z*sd)))
	} else {
		d := stats.UDist{N1: n, N2: m}
		for u := 0; u < n*m/2; u++ {
			if d.CDF(float64(u)) > tail {
				break
			}
			k = u + 1
		}
	}
	mosesRanks.Store(key, k)
	return k
}

type mosesKey struct {
	n, m       int
	confidence float64
}

var mosesRanks sync.Map // mosesKey → int

// worseBound is how far the change may go in the unit's bad direction at the
// interval's confidence: High for lower-is-better units, -Low for
// higher-is-better ones.
func (c *Change) worseBound(higherIsBetter bool) float64 {
	if higherIsBetter {
		return -c.Low
	}
	return c.High
}
