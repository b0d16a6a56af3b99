package gate

// Minimum detectable effect: how large a change the gate can see.
//
// The gate tests with Mann-Whitney's U, whose exact power has no closed
// form. perfslo uses the standard approximation: the two-sample t-test's
// sample size formula, with the effective sample size scaled by the U-test's
// asymptotic relative efficiency under normal noise, 3/π ≈ 0.955 (it is
// never below 0.864 for any distribution, and above 1 for heavy tails, so
// this is a fair middle for benchmark noise):
//
//	MDE = (t(1-α/2, ν) + t(power, ν)) · cv · √(2 / (n·3/π)),  ν = n·3/π - 1
//
// with cv the noise's standard deviation relative to the center, estimated
// robustly (1.4826·MAD/median) so that one preempted run does not make the
// noise look twice as large. Student's t with one side's degrees of freedom
// (not both sides', as a pooled t-test would have) keeps the formula on the
// safe side at the 5–20 samples benchmarks use, where the exact U-test's
// discreteness costs power: against simulated U-tests on normal noise the
// power at the returned effect is the asked power to +4 points, never below
// by more than the simulation's error (see the tests). Small samples also have a hard floor: with n
// samples per side the smallest two-sided p the exact U-test can give is
// 2/C(2n, n), so below MinSamples no effect, however large, is detectable.
//
// Holm makes the first test of a family of m face α/m: pass alpha/m for the
// effect a lone regression needs in a suite of m statistical rows.

import (
	"math"
	"sort"
	"sync"

	"github.com/aclements/go-moremath/stats"
)

// are is the asymptotic relative efficiency of the Mann-Whitney U-test with
// respect to the t-test for normal samples.
const are = 3 / math.Pi

// MinimumDetectableEffect returns the smallest true shift, as a fraction of
// the center, that a two-sided Mann-Whitney U-test with n samples per side
// detects at level alpha with probability power, when the samples' relative
// noise (standard deviation / center) is cv. It returns +Inf when n samples
// cannot reach alpha at all, and NaN for meaningless arguments.
func MinimumDetectableEffect(n int, cv, alpha, power float64) float64 {
	if n < 2 || cv < 0 || alpha <= 0 || alpha >= 1 || power <= 0 || power >= 1 {
		return math.NaN()
	}
	if minP(n) >= alpha {
		return math.Inf(1)
	}
	if cv == 0 {
		return 0
	}
	return mdeFactor(n, alpha, power) * cv
}

// mdeFactor is the MDE per unit of noise. Inverting Student's t is slow
// (numerical root finding), and a suite asks for the same few (n, α, power)
// thousands of times, so the factors are kept.
func mdeFactor(n int, alpha, power float64) float64 {
	key := mdeKey{n, alpha, power}
	if f, ok := mdeFactors.Load(key); ok {
		return f.(float64)
	}
	eff := float64(n) * are
	df := eff - 1
	if df < 1 {
		df = 1
	}
	t := stats.InvCDF(stats.TDist{V: df})
	f := (t(1-alpha/2) + t(power)) * math.Sqrt(2/eff)
	mdeFactors.Store(key, f)
	return f
}

type mdeKey struct {
	n            int
	alpha, power float64
}

var mdeFactors sync.Map // mdeKey → float64

// SamplesFor returns the smallest number of samples per side whose minimum
// detectable effect is at most effect, or 0 when none up to max does.
func SamplesFor(effect, cv, alpha, power float64, max int) int {
	for n := 2; n <= max; n++ {
		if MinimumDetectableEffect(n, cv, alpha, power) <= effect {
			return n
		}
	}
	return 0
}

// MinSamples is the smallest number of samples per side with which the exact
// two-sided U-test can reach p < alpha at all: 2/C(2n, n) < alpha.
func MinSamples(alpha float64) int {
	for n := 1; n < 64; n++ {
		if minP(n) < alpha {
			return n
		}
	}
	return 64
}

// minP is the smallest two-sided p-value of the exact U-test with n samples
// per side: all of one side below all of the other.
func minP(n int) float64 {
	// 2 / C(2n, n), in logs to stay finite.
	lc := lgamma(float64(2*n+1)) - 2*lgamma(float64(n+1))
	return math.Min(1, 2*math.Exp(-lc))
}

func lgamma(x float64) float64 {
	y, _ := math.Lgamma(x)
	return y
}

// RobustCV estimates the relative noise of samples: 1.4826·MAD/median, which
// equals the coefficient of variation for normal noise and ignores the odd
// outlier that a preempted or migrated process produces. 0 for fewer than
// two samples or a zero median.
func RobustCV(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	med := median(xs)
	if med == 0 {
		return 0
	}
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - med)
	}
	return 1.4826 * median(dev) / math.Abs(med)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
