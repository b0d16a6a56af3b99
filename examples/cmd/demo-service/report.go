package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// latencyReport summarises n synthetic request latencies (a log-normal
// body with a heavy tail) as percentiles and a text histogram.
//
// No benchmark exercises it, on purpose: it is the hot, unbenchmarked path
// that `perfslo staging coverage` exists to find.
func latencyReport(n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	ms := make([]float64, n)
	for i := range ms {
		v := 2 + rng.NormFloat64()*0.5
		if rng.IntN(50) == 0 {
			v += rng.ExpFloat64() * 2 // the tail: GC pauses, retries
		}
		ms[i] = v * v
	}
	slices.Sort(ms)

	var b strings.Builder
	fmt.Fprintf(&b, "requests: %d\n", n)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		fmt.Fprintf(&b, "p%-5g %8.2f ms\n", 100*q, ms[int(q*float64(n-1))])
	}
	const buckets = 40
	lo, hi := ms[0], ms[n-1]
	counts := make([]int, buckets)
	for _, v := range ms {
		i := int(float64(buckets-1) * (v - lo) / (hi - lo))
		counts[i]++
	}
	peak := slices.Max(counts)
	for i, c := range counts {
		from := lo + (hi-lo)*float64(i)/buckets
		fmt.Fprintf(&b, "%8.2f %-50s %d\n", from, strings.Repeat("#", 50*c/peak), c)
	}
	return b.String()
}
