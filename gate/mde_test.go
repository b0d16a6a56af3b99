package gate

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/aclements/go-moremath/stats"
)

// utestPower simulates the two-sided U-test (benchstat's, via go-moremath,
// the code benchmath runs) on normal noise with relative sd cv and a shift
// of effect, and returns the fraction of trials with p < alpha.
func utestPower(rng *rand.Rand, n int, cv, effect, alpha float64, trials int) float64 {
	hits := 0
	a, b := make([]float64, n), make([]float64, n)
	for range trials {
		for i := range n {
			a[i] = 1 + cv*rng.NormFloat64()
			b[i] = (1 + effect) * (1 + cv*rng.NormFloat64())
		}
		res, err := stats.MannWhitneyUTest(a, b, stats.LocationDiffers)
		if err == nil && res.P < alpha {
			hits++
		}
	}
	return float64(hits) / float64(trials)
}

// TestMDEAgainstSimulation checks the approximation where the gate uses it:
// 6–20 samples, α from 0.05 down to a Holm step of 0.05/10, power 0.8–0.95.
// The simulated power at the returned effect must be near the asked power.
func TestMDEAgainstSimulation(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		n            int
		cv           float64
		alpha, power float64
	}{
		{10, 0.02, 0.05, 0.8},
		{10, 0.02, 0.05, 0.95},
		{6, 0.05, 0.05, 0.8},
		{20, 0.01, 0.005, 0.9},
		{15, 0.03, 0.01, 0.8},
	}
	for _, c := range cases {
		mde := MinimumDetectableEffect(c.n, c.cv, c.alpha, c.power)
		got := utestPower(rng, c.n, c.cv, mde, c.alpha, 3000)
		t.Logf("n=%d cv=%.2f α=%.3f power=%.2f: MDE %.2f%%, simulated power %.3f", c.n, c.cv, c.alpha, c.power, 100*mde, got)
		// 3000 trials: sd of the estimate ≤ 0.009; the approximation
		// itself may be off by a few points at small n.
		if math.Abs(got-c.power) > 0.06 {
			t.Errorf("n=%d cv=%g α=%g: MDE %.4f gives simulated power %.3f, want %.2f ± 0.06", c.n, c.cv, c.alpha, mde, got, c.power)
		}
	}
}

func TestMDEProperties(t *testing.T) {
	cases := []struct {
		name string
		got  float64
		want func(float64) bool
	}{
		{"too few samples to ever reach α", MinimumDetectableEffect(3, 0.01, 0.05, 0.8), func(x float64) bool { return math.IsInf(x, 1) }},
		{"4 samples reach 0.05 (p ≥ 2/70)", MinimumDetectableEffect(4, 0.01, 0.05, 0.8), func(x float64) bool { return x > 0 && !math.IsInf(x, 0) }},
		{"but not 0.05/2", MinimumDetectableEffect(4, 0.01, 0.025, 0.8), func(x float64) bool { return math.IsInf(x, 1) }},
		{"no noise, any effect", MinimumDetectableEffect(10, 0, 0.05, 0.8), func(x float64) bool { return x == 0 }},
		{"bad power", MinimumDetectableEffect(10, 0.01, 0.05, 1), math.IsNaN},
		{"bad n", MinimumDetectableEffect(1, 0.01, 0.05, 0.8), math.IsNaN},
	}
	for _, c := range cases {
		if !c.want(c.got) {
			t.Errorf("%s: got %v", c.name, c.got)
		}
	}
	// Linear in the noise, shrinking like 1/√n, growing as α tightens.
	a := MinimumDetectableEffect(10, 0.02, 0.05, 0.8)
	if b := MinimumDetectableEffect(10, 0.04, 0.05, 0.8); math.Abs(b/a-2) > 1e-9 {
		t.Errorf("doubling cv: MDE ×%.3f, want ×2", b/a)
	}
	if b := MinimumDetectableEffect(40, 0.02, 0.05, 0.8); b/a > 0.55 || b/a < 0.45 {
		t.Errorf("4× the samples: MDE ×%.3f, want about ×0.5", b/a)
	}
	if b := MinimumDetectableEffect(10, 0.02, 0.005, 0.8); b <= a {
		t.Errorf("α 0.005: MDE %.4f not above %.4f at α 0.05", b, a)
	}
}

func TestSamplesForAndMinSamples(t *testing.T) {
	if got := MinSamples(0.05); got != 4 {
		t.Errorf("MinSamples(0.05) = %d, want 4 (2/C(8,4) = 0.029)", got)
	}
	if got := MinSamples(0.05 / 10); got != 6 {
		t.Errorf("MinSamples(0.005) = %d, want 6 (2/C(12,6) = 0.0022)", got)
	}
	n := SamplesFor(0.03, 0.02, 0.05, 0.8, 100)
	if n < 2 || MinimumDetectableEffect(n, 0.02, 0.05, 0.8) > 0.03 || MinimumDetectableEffect(n-1, 0.02, 0.05, 0.8) <= 0.03 {
		t.Errorf("SamplesFor(3%%, cv 2%%) = %d: not the smallest n reaching 3%%", n)
	}
	if got := SamplesFor(0.001, 0.5, 0.05, 0.8, 50); got != 0 {
		t.Errorf("unreachable effect: SamplesFor = %d, want 0", got)
	}
}

func TestRobustCV(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, 2000)
	for i := range xs {
		xs[i] = 100 * (1 + 0.03*rng.NormFloat64())
	}
	if cv := RobustCV(xs); math.Abs(cv-0.03) > 0.003 {
		t.Errorf("normal noise 3%%: RobustCV %.4f", cv)
	}
	// One preempted run does not move it.
	ys := []float64{100, 101, 99, 100.5, 99.5, 100, 300}
	if cv := RobustCV(ys); cv > 0.01 {
		t.Errorf("one outlier: RobustCV %.4f, want < 1%%", cv)
	}
	if RobustCV([]float64{5}) != 0 || RobustCV([]float64{0, 0, 0}) != 0 {
		t.Error("degenerate samples: want 0")
	}
}
