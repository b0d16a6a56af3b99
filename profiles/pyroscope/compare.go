package pyroscope

import (
	"fmt"
	"io"
	"math"
	"sort"
	"text/tabwriter"

	"github.com/google/pprof/profile"
)

// Comparison is a service's CPU profile under one selector (the base, say
// the stable commit) against another (the head, the canary): the macro twin
// of the gate's benchmark comparison.
//
// The two sides rarely served the same traffic, so absolute CPU says
// little: functions are compared by their share of each side's CPU. A
// change is tested with a two-proportion z-test over the sides' sample
// counts; samples of one process are not independent, so read p as a guide
// to noise, not a verdict.
type Comparison struct {
	BaseSamples float64 `json:"base_samples"`
	HeadSamples float64 `json:"head_samples"`
	// Functions are the largest changes of flat share, largest first.
	Functions []FunctionChange `json:"functions"`
}

// FunctionChange is one function's share of CPU on both sides.
type FunctionChange struct {
	Function string  `json:"function"`
	BaseFlat float64 `json:"base_flat"`
	HeadFlat float64 `json:"head_flat"`
	BaseCum  float64 `json:"base_cum"`
	HeadCum  float64 `json:"head_cum"`
	// P is the two-sided p-value of the flat shares' difference.
	P float64 `json:"p"`
}

// Compare returns the topN functions whose flat share of CPU changed most
// from base to head.
func Compare(base, head *profile.Profile, topN int) (*Comparison, error) {
	bi, err := cpuIndex(base)
	if err != nil {
		return nil, fmt.Errorf("base CPU profile: %v", err)
	}
	hi, err := cpuIndex(head)
	if err != nil {
		return nil, fmt.Errorf("head CPU profile: %v", err)
	}
	bt, ht := newTally(base, bi), newTally(head, hi)
	if bt.total == 0 || ht.total == 0 {
		return nil, fmt.Errorf("%w: a side of the comparison has no CPU samples", ErrEmptyProfile)
	}
	c := &Comparison{BaseSamples: bt.samples(), HeadSamples: ht.samples()}
	names := map[string]bool{}
	for f := range bt.flat {
		names[f] = true
	}
	for f := range ht.flat {
		names[f] = true
	}
	for f := range names {
		fc := FunctionChange{
			Function: f,
			BaseFlat: float64(bt.flat[f]) / float64(bt.total),
			HeadFlat: float64(ht.flat[f]) / float64(ht.total),
			BaseCum:  bt.share(f),
			HeadCum:  ht.share(f),
		}
		fc.P = twoProportionP(fc.BaseFlat, c.BaseSamples, fc.HeadFlat, c.HeadSamples)
		c.Functions = append(c.Functions, fc)
	}
	sort.Slice(c.Functions, func(i, j int) bool {
		a, b := c.Functions[i], c.Functions[j]
		da, db := math.Abs(a.HeadFlat-a.BaseFlat), math.Abs(b.HeadFlat-b.BaseFlat)
		if da != db {
			return da > db
		}
		return a.Function < b.Function
	})
	if topN > 0 && len(c.Functions) > topN {
		c.Functions = c.Functions[:topN]
	}
	return c, nil
}

// twoProportionP is the two-sided p-value of the pooled two-proportion
// z-test of p1 in n1 trials against p2 in n2.
func twoProportionP(p1, n1, p2, n2 float64) float64 {
	if n1 <= 0 || n2 <= 0 {
		return 1
	}
	pool := (p1*n1 + p2*n2) / (n1 + n2)
	se := math.Sqrt(pool * (1 - pool) * (1/n1 + 1/n2))
	if se == 0 {
		if p1 == p2 {
			return 1
		}
		return 0
	}
	z := math.Abs(p1-p2) / se
	return math.Erfc(z / math.Sqrt2)
}

// WriteText prints the comparison as a table, shares in percent of each
// side's CPU and changes in percentage points.
func (c *Comparison) WriteText(w io.Writer, baseLabel, headLabel string) error {
	fmt.Fprintf(w, "base: %s (%.0f CPU samples)\nhead: %s (%.0f CPU samples)\n\n", baseLabel, c.BaseSamples, headLabel, c.HeadSamples)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "flat base\tflat head\tΔ flat\tcum base\tcum head\tp\t\tfunction")
	for _, f := range c.Functions {
		fmt.Fprintf(tw, "%.2f%%\t%.2f%%\t%+.2fpp\t%.2f%%\t%.2f%%\t%.3f\t\t%s\n",
			100*f.BaseFlat, 100*f.HeadFlat, 100*(f.HeadFlat-f.BaseFlat),
			100*f.BaseCum, 100*f.HeadCum, f.P, f.Function)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nShares of each side's CPU (flat: in the function itself; cum: with callees); pp = percentage points; p: two-proportion z-test.")
	return err
}
