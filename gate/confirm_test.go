package gate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/budgets"
)

// noisy returns n samples of center with normal relative noise cv.
func noisy(rng *rand.Rand, center, cv float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = center * (1 + cv*rng.NormFloat64())
	}
	return xs
}

// suite draws one side of m benchmarks: sec/op with the given shift on the
// first `shifted` of them.
func suite(rng *rand.Rand, m, shifted int, shift, cv float64, n int) map[[2]string][]float64 {
	s := map[[2]string][]float64{}
	for i := range m {
		c := 1e-5
		if i < shifted {
			c *= 1 + shift
		}
		s[[2]string{fmt.Sprintf("Benchmark%c", 'A'+i), "sec/op"}] = noisy(rng, c, cv, n)
	}
	return s
}

// twoStage runs the whole procedure once under the given truth and reports
// whether stage 1 flagged any row and whether any flag survived. With stored,
// stage 2 reuses stage 1's base (a stored baseline).
func twoStage(rng *rand.Rand, m, shifted int, shift float64, stored bool, opt Options) (stage1, final int) {
	const n, cv = 10, 0.02
	b1, h1 := sideOf("base", suite(rng, m, 0, 0, cv, n)), sideOf("head", suite(rng, m, shifted, shift, cv, n))
	first := Compare(b1, h1, opt)
	if first.Failed() == 0 {
		return 0, 0
	}
	st := Stage2{Head: sideOf("head", suite(rng, m, shifted, shift, cv, n)), Rounds: n}
	if !stored {
		st.Base = sideOf("base", suite(rng, m, 0, 0, cv, n))
	}
	return first.Failed(), Confirm(first, b1, h1, st, opt).Failed()
}

// binomialMax is a generous upper limit for a rate p observed in n trials:
// the expectation plus four standard deviations.
func binomialMax(p float64, n int) float64 { return p + 4*math.Sqrt(p*(1-p)/float64(n)) }

// TestConfirmFalseAlarmBound checks by simulation, under the null hypothesis
// (nothing changed), that two independent stages flag a row with probability
// at most α² (per row, uncorrected) and a family with probability at most α²
// (Holm in each stage); and that a stored baseline, reused by stage 2, does
// not get that protection, only α.
func TestConfirmFalseAlarmBound(t *testing.T) {
	zero := mustConfig(t, "version: 1\ntolerance: {sec/op: 0}\n")
	rng := rand.New(rand.NewPCG(7, 7))

	// One row, no correction, a large α so rates are measurable.
	const alpha, trials = 0.2, 4000
	opt := Options{Config: zero, Alpha: alpha, Correction: CorrectionNone}
	var s1, indep, stored int
	for range trials {
		a, b := twoStage(rng, 1, 0, 0, false, opt)
		s1 += min(a, 1)
		indep += min(b, 1)
		_, c := twoStage(rng, 1, 0, 0, true, opt)
		stored += min(c, 1)
	}
	r1, rI, rS := float64(s1)/trials, float64(indep)/trials, float64(stored)/trials
	t.Logf("α=%.2f, one row, %d trials: stage 1 flags %.4f, two independent stages %.4f (bound α² = %.4f), stored baseline %.4f (bound α)", alpha, trials, r1, rI, alpha*alpha, rS)
	if r1 > binomialMax(alpha, trials) {
		t.Errorf("stage 1 false-alarm rate %.4f above α = %.2f", r1, alpha)
	}
	if rI > binomialMax(alpha*alpha, trials) {
		t.Errorf("confirmed false-alarm rate %.4f above α² = %.4f", rI, alpha*alpha)
	}
	if rS > binomialMax(alpha, trials) {
		t.Errorf("stored-baseline confirmed rate %.4f above α = %.2f", rS, alpha)
	}
	if rS < 2*rI {
		t.Errorf("stored-baseline confirmation (%.4f) should be clearly weaker than independent stages (%.4f): they share the base sample", rS, rI)
	}

	// A family of 8 rows with Holm at α = 0.2.
	const family, ftrials = 8, 1500
	opt = Options{Config: zero, Alpha: alpha}
	var f1, fF int
	for range ftrials {
		a, b := twoStage(rng, family, 0, 0, false, opt)
		f1 += min(a, 1)
		fF += min(b, 1)
	}
	fr1, frF := float64(f1)/ftrials, float64(fF)/ftrials
	t.Logf("α=%.2f, %d rows with Holm, %d trials: family-wise stage 1 %.4f, confirmed %.4f (bound α² = %.4f)", alpha, family, ftrials, fr1, frF, alpha*alpha)
	if fr1 > binomialMax(alpha, ftrials) || frF > binomialMax(alpha*alpha, ftrials) {
		t.Errorf("family-wise rates %.4f / %.4f above α / α²", fr1, frF)
	}
}

// TestConfirmKeepsRealRegressions: a real +5% at 2% noise is flagged by both
// stages nearly always; the power is about the product of the stages'.
func TestConfirmKeepsRealRegressions(t *testing.T) {
	zero := mustConfig(t, "version: 1\ntolerance: {sec/op: 1%}\n")
	rng := rand.New(rand.NewPCG(9, 9))
	opt := Options{Config: zero}
	const trials = 300
	var s1, fin int
	for range trials {
		a, b := twoStage(rng, 4, 1, 0.05, false, opt)
		s1 += min(a, 1)
		fin += min(b, 1)
	}
	p1, pf := float64(s1)/trials, float64(fin)/trials
	t.Logf("+5%%, cv 2%%, n=10, 4 rows with Holm: stage 1 power %.3f, confirmed %.3f", p1, pf)
	if pf < 0.9*p1*p1 || pf < 0.85 {
		t.Errorf("confirmed power %.3f: want about stage 1's squared (%.3f) or better, and ≥ 0.85", pf, p1*p1)
	}
}

func TestConfirmRows(t *testing.T) {
	const a, b = "BenchmarkA", "BenchmarkB"
	sec := func(n string) [2]string { return [2]string{n, "sec/op"} }
	allocs := func(n string) [2]string { return [2]string{n, "allocs/op"} }
	same := around(1e-5, 0.01, 10)
	slow := around(1.3e-5, 0.01, 10)
	wide := around(1e-5, 0.4, 10)
	budget := "version: 1\nbudgets:\n  - benchmark: BenchmarkA\n    operation: a\n    dataset: d\n    limits: {sec/op: 11us}\n"
	cases := []struct {
		name           string
		config         string
		base1, head1   map[[2]string][]float64
		base2, head2   map[[2]string][]float64 // base2 nil: stored baseline
		wantCandidates string
		want           map[string]RowVerdict // "bench unit" → verdict
		wantReason     map[string]string
	}{
		{
			name:  "confirmed regression, control untouched",
			base1: map[[2]string][]float64{sec(a): same, sec(b): same}, head1: map[[2]string][]float64{sec(a): slow, sec(b): same},
			base2: map[[2]string][]float64{sec(a): same}, head2: map[[2]string][]float64{sec(a): slow},
			wantCandidates: "BenchmarkA",
			want:           map[string]RowVerdict{"BenchmarkA sec/op": Regression, "BenchmarkB sec/op": RowPass},
			wantReason:     map[string]string{"BenchmarkA sec/op": "confirmed with 10 more interleaved rounds: +30.0%, p="},
		},
		{
			name:  "withdrawn",
			base1: map[[2]string][]float64{sec(a): same}, head1: map[[2]string][]float64{sec(a): slow},
			base2: map[[2]string][]float64{sec(a): same}, head2: map[[2]string][]float64{sec(a): same},
			wantCandidates: "BenchmarkA",
			want:           map[string]RowVerdict{"BenchmarkA sec/op": RowPass},
			wantReason:     map[string]string{"BenchmarkA sec/op": "not confirmed by 10 more interleaved rounds: +0.0%"},
		},
		{
			name:  "withdrawn and too noisy to judge",
			base1: map[[2]string][]float64{sec(a): same}, head1: map[[2]string][]float64{sec(a): slow},
			base2: map[[2]string][]float64{sec(a): wide}, head2: map[[2]string][]float64{sec(a): wide},
			wantCandidates: "BenchmarkA",
			want:           map[string]RowVerdict{"BenchmarkA sec/op": Unmeasurable},
			wantReason:     map[string]string{"BenchmarkA sec/op": "could not judge it (too noisy to judge"},
		},
		{
			name:  "stored baseline: only head re-run, said so",
			base1: map[[2]string][]float64{sec(a): same}, head1: map[[2]string][]float64{sec(a): slow},
			head2:          map[[2]string][]float64{sec(a): slow},
			wantCandidates: "BenchmarkA",
			want:           map[string]RowVerdict{"BenchmarkA sec/op": Regression},
			wantReason:     map[string]string{"BenchmarkA sec/op": "only the head could be re-run"},
		},
		{
			name:  "exact allocation count confirmed",
			base1: map[[2]string][]float64{allocs(a): constantVals(4, 10), sec(a): same}, head1: map[[2]string][]float64{allocs(a): constantVals(5, 10), sec(a): same},
			base2: map[[2]string][]float64{allocs(a): constantVals(4, 10), sec(a): same}, head2: map[[2]string][]float64{allocs(a): constantVals(5, 10), sec(a): same},
			wantCandidates: "BenchmarkA",
			want:           map[string]RowVerdict{"BenchmarkA allocs/op": Regression, "BenchmarkA sec/op": RowPass},
			wantReason:     map[string]string{"BenchmarkA allocs/op": "+25.0% (exact)"},
		},
		{
			name:   "budget violation confirmed",
			config: budget,
			base1:  map[[2]string][]float64{sec(a): around(1.2e-5, 0.01, 10)}, head1: map[[2]string][]float64{sec(a): around(1.2e-5, 0.01, 10)},
			base2: map[[2]string][]float64{sec(a): around(1.2e-5, 0.01, 10)}, head2: map[[2]string][]float64{sec(a): around(1.2e-5, 0.01, 10)},
			wantCandidates: "BenchmarkA",
			want:           map[string]RowVerdict{"BenchmarkA sec/op": Violation},
			wantReason:     map[string]string{"BenchmarkA sec/op": "confirmed with 10 more interleaved rounds: measured 12"},
		},
		{
			name:   "budget violation withdrawn",
			config: budget,
			base1:  map[[2]string][]float64{sec(a): around(1.2e-5, 0.01, 10)}, head1: map[[2]string][]float64{sec(a): around(1.2e-5, 0.01, 10)},
			base2: map[[2]string][]float64{sec(a): around(1.0e-5, 0.01, 10)}, head2: map[[2]string][]float64{sec(a): around(1.0e-5, 0.01, 10)},
			wantCandidates: "BenchmarkA",
			want:           map[string]RowVerdict{"BenchmarkA sec/op": RowPass},
			wantReason:     map[string]string{"BenchmarkA sec/op": "not confirmed by 10 more interleaved rounds: measured 10"},
		},
		{
			name:  "nothing flagged: nothing to do",
			base1: map[[2]string][]float64{sec(a): same}, head1: map[[2]string][]float64{sec(a): same},
			base2: map[[2]string][]float64{}, head2: map[[2]string][]float64{},
			wantCandidates: "",
			want:           map[string]RowVerdict{"BenchmarkA sec/op": RowPass},
		},
		{
			name:  "benchmark missing from the rerun: first verdict stands",
			base1: map[[2]string][]float64{sec(a): same}, head1: map[[2]string][]float64{sec(a): slow},
			base2: map[[2]string][]float64{}, head2: map[[2]string][]float64{},
			wantCandidates: "BenchmarkA",
			want:           map[string]RowVerdict{"BenchmarkA sec/op": Regression},
			wantReason:     map[string]string{"BenchmarkA sec/op": "not re-measured"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cfg *budgets.Config
			if c.config != "" {
				cfg = mustConfig(t, c.config)
			}
			opt := Options{Config: cfg}
			b1, h1 := sideOf("base", c.base1), sideOf("head", c.head1)
			first := Compare(b1, h1, opt)
			before := fmt.Sprint(first.Results)

			var names []string
			for _, cand := range Candidates(first, b1, h1) {
				if cand.Package != pkg {
					t.Errorf("candidate package %q, want %q", cand.Package, pkg)
				}
				names = append(names, cand.Name)
			}
			if got := strings.Join(names, ","); got != c.wantCandidates {
				t.Errorf("candidates %q, want %q", got, c.wantCandidates)
			}

			st := Stage2{Head: sideOf("head", c.head2), Rounds: 10}
			if c.base2 != nil {
				st.Base = sideOf("base", c.base2)
			}
			final := Confirm(first, b1, h1, st, opt)
			if fmt.Sprint(first.Results) != before {
				t.Error("Confirm modified the first report")
			}
			failed := 0
			for _, r := range final.Results {
				key := r.Benchmark + " " + r.Unit
				if want, ok := c.want[key]; ok && r.Verdict != want {
					t.Errorf("%s: verdict %s, want %s; reasons %q", key, r.Verdict, want, r.Reasons)
				}
				if want := c.wantReason[key]; want != "" && !strings.Contains(strings.Join(r.Reasons, "\n"), want) {
					t.Errorf("%s: reasons %q lack %q", key, r.Reasons, want)
				}
				if r.Verdict == Regression || r.Verdict == Violation {
					failed++
				}
			}
			if final.Failed() != failed || (final.Verdict() == Fail) != (failed > 0) {
				t.Errorf("suite not recounted: failed %d verdict %s, rows say %d", final.Failed(), final.Verdict(), failed)
			}
		})
	}
}
