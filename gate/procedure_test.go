package gate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aclements/go-moremath/stats"
)

// noisy returns n samples of center with normal relative noise cv.
func noisy(rng *rand.Rand, center, cv float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = center * (1 + cv*rng.NormFloat64())
		if xs[i] <= 0 {
			// A time is never negative, and the gate refuses one as
			// bad input: the normal model's far tail is cut.
			xs[i] = center / 100
		}
	}
	return xs
}

// world is a simulated suite: m benchmarks of sec/op with relative noise
// cv; the first `shifted` are slower by shift on the head.
type world struct {
	m, shifted  int
	shift, cv   float64
	rng         *rand.Rand
	onlyBenches map[string]bool // nil: all
}

func (w *world) side(label string, head bool, n int) *Side {
	s := map[[2]string][]float64{}
	for i := range w.m {
		name := fmt.Sprintf("Benchmark%c%c", 'A'+i/26, 'A'+i%26)
		if w.onlyBenches != nil && !w.onlyBenches[name] {
			continue
		}
		c := 1e-5
		if head && i < w.shifted {
			c *= 1 + w.shift
		}
		s[[2]string{name, "sec/op"}] = noisy(w.rng, c, w.cv, n)
	}
	return sideOf(label, s)
}

// gateRun runs the whole procedure once: the first stage at n samples,
// then every look it asks for, measured in the simulated world.
func gateRun(w *world, n int, opt Options) *Report {
	w.onlyBenches = nil
	p := NewProcedure(w.side("base", false, n), w.side("head", true, n), opt)
	for {
		look, ok := p.Next()
		if !ok {
			break
		}
		w.onlyBenches = map[string]bool{}
		for _, c := range look.Benchmarks {
			w.onlyBenches[c.Name] = true
		}
		p.Add(w.side("base", false, look.Rounds), w.side("head", true, look.Rounds))
		w.onlyBenches = nil
	}
	return p.Report()
}

// binomialMax is a generous upper limit for a rate p observed in n trials:
// the expectation plus four standard deviations.
func binomialMax(p float64, n int) float64 { return p + 4*math.Sqrt(p*(1-p)/float64(n)) }

// TestProcedureSuiteFalseAlarms checks by simulation that, when nothing
// changed, the whole procedure (screen, looks, BH, spending) fails a suite
// at most α of the time — including at 6 samples, where Holm over the
// family could not flag anything at all.
func TestProcedureSuiteFalseAlarms(t *testing.T) {
	const runs = 200
	for _, c := range []struct {
		name string
		m, n int
		cv   float64
	}{
		{"12 rows, n=6, noise 20%", 12, 6, 0.2},
		{"40 rows, n=6, noise 3%", 40, 6, 0.03},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(c.m)))
			w := &world{m: c.m, cv: c.cv, rng: rng}
			fails := 0
			for range runs {
				if gateRun(w, c.n, Options{Looks: -1}).Failed() > 0 {
					fails++
				}
			}
			rate := float64(fails) / runs
			t.Logf("suite false alarms: %d/%d (bound α=0.05)", fails, runs)
			if rate > binomialMax(DefaultAlpha, runs) {
				t.Errorf("suite false-alarm rate %.3f exceeds α=0.05 beyond simulation error", rate)
			}
		})
	}
}

// TestProcedureDetects checks that regressions well beyond the tolerance are
// flagged at 6 samples per side among 40 rows, and that untouched rows are
// not; Holm in one stage is blind there (its first threshold, 0.05/40, is
// below the smallest p a U-test has at 6 vs 6).
func TestProcedureDetects(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	w := &world{m: 40, shifted: 4, shift: 0.3, cv: 0.05, rng: rng}
	const runs = 40
	detected, falseFlags := 0, 0
	for range runs {
		rep := gateRun(w, 6, Options{Looks: -1})
		for i, row := range rep.Results {
			if row.Verdict != Regression {
				continue
			}
			if i < w.shifted {
				detected++
			} else {
				falseFlags++
			}
		}
	}
	t.Logf("detected %d/%d, false flags %d", detected, runs*w.shifted, falseFlags)
	if detected < runs*w.shifted*95/100 {
		t.Errorf("detected %d of %d +30%% regressions, want ≥ 95%%", detected, runs*w.shifted)
	}
	if falseFlags > 0 {
		t.Errorf("%d untouched rows flagged", falseFlags)
	}
	holm := Compare(w.side("base", false, 6), w.side("head", true, 6), Options{Correction: CorrectionHolm})
	if holm.Failed() != 0 {
		t.Errorf("Holm in one stage flagged %d rows at n=6 of 40: the test's premise is wrong", holm.Failed())
	}
}

// TestProcedureEquivalence: a quiet unchanged suite is decided pass in the
// first stage, with no look.
func TestProcedureEquivalence(t *testing.T) {
	w := &world{m: 10, cv: 0.01, rng: rand.New(rand.NewPCG(3, 3))}
	p := NewProcedure(w.side("base", false, 10), w.side("head", true, 10), Options{Looks: -1})
	if look, ok := p.Next(); ok {
		t.Fatalf("a quiet unchanged suite asked for a look: %+v", look)
	}
	rep := p.Report()
	for _, row := range rep.Results {
		if row.Verdict != RowPass || !strings.Contains(strings.Join(row.Reasons, " "), "interval") {
			t.Errorf("%s: %s %q, want a pass within tolerance", row.Benchmark, row.Verdict, row.Reasons)
		}
	}
}

// TestProcedureStopAndUndecided: noise far wider than the tolerance leaves
// rows open; stopping says why, and each row says what it could see.
func TestProcedureStopAndUndecided(t *testing.T) {
	w := &world{m: 3, cv: 0.4, rng: rand.New(rand.NewPCG(4, 4))}
	p := NewProcedure(w.side("base", false, 6), w.side("head", true, 6), Options{Looks: -1})
	look, ok := p.Next()
	if !ok || look.Index != 1 || look.Rounds < look.MinRounds || len(look.Benchmarks) == 0 {
		t.Fatalf("look %+v, %v: want a first look of the open rows", look, ok)
	}
	p.Stop("the --max-time 1m budget ran out before look 1")
	if _, ok := p.Next(); ok {
		t.Fatal("Next after Stop")
	}
	rep := p.Report()
	if rep.Unmeasurable() == 0 || rep.Verdict() != Pass {
		t.Fatalf("verdict %s with %d undecided, want pass with undecided rows", rep.Verdict(), rep.Unmeasurable())
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "--max-time") {
		t.Errorf("warnings %q lack the stop reason", rep.Warnings)
	}
	for _, row := range rep.Results {
		if row.Verdict == Unmeasurable && !strings.Contains(strings.Join(row.Reasons, " "), "could detect ≥") {
			t.Errorf("%s: reasons %q do not say what it could detect", row.Benchmark, row.Reasons)
		}
	}
}

// TestStructurallyBlindFamily: one stage at n=6 over 40 rows cannot reach
// α/40; the procedure asks for the rounds that can, and an undecided row
// says the true reason.
func TestStructurallyBlindFamily(t *testing.T) {
	w := &world{m: 40, cv: 0.3, rng: rand.New(rand.NewPCG(5, 5))}
	p := NewProcedure(w.side("base", false, 6), w.side("head", true, 6), Options{Looks: 0})
	look, ok := p.Next()
	if !ok || look.Index != 0 || look.Rounds != MinSamples(DefaultAlpha/40)-6 {
		t.Fatalf("look %+v %v, want a top-up to %d samples", look, ok, MinSamples(DefaultAlpha/40))
	}
	rep := Compare(w.side("base", false, 6), w.side("head", true, 6), Options{})
	found := false
	for _, row := range rep.Results {
		if row.Verdict == Unmeasurable && strings.Contains(strings.Join(row.Reasons, " "), "too few samples for the family") {
			found = true
		}
	}
	if !found {
		t.Error("no undecided row names the family as the reason")
	}
}

// TestDerivedUnitsFollowParent: B/s from SetBytes and ns/line from
// ReportMetric are one measurement with sec/op: not in the family, and
// decided with it.
func TestDerivedUnitsFollowParent(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	const bytes, lines = 4096.0, 100.0
	mk := func(label string, center float64) *Side {
		sec := noisy(rng, center, 0.02, 10)
		bps, perLine := make([]float64, len(sec)), make([]float64, len(sec))
		for i, s := range sec {
			// Printed numbers are rounded: keep 4 significant digits.
			bps[i] = roundSig(bytes/s, 4)
			perLine[i] = roundSig(s/lines, 4)
		}
		return sideOf(label, map[[2]string][]float64{
			{"BenchmarkX", "sec/op"}: sec, {"BenchmarkX", "B/s"}: bps, {"BenchmarkX", "sec/line"}: perLine,
		})
	}
	rep := Compare(mk("base", 1e-5), mk("head", 1.3e-5), Options{})
	if rep.Settings.Tests != 1 {
		t.Errorf("family of %d tests, want 1 (sec/op alone)", rep.Settings.Tests)
	}
	for _, row := range rep.Results {
		if row.Verdict != Regression {
			t.Errorf("%s: %s, want regression with sec/op", row.Unit, row.Verdict)
		}
		if row.Unit != "sec/op" && row.DerivedFrom != "sec/op" {
			t.Errorf("%s not marked as derived from sec/op", row.Unit)
		}
	}
	if rep.Failed() != 1 {
		t.Errorf("%d failed rows counted, want 1: one measurement", rep.Failed())
	}
	// A unit that moves on its own is not derived.
	base := map[[2]string][]float64{{"BenchmarkY", "sec/op"}: noisy(rng, 1e-5, 0.02, 10), {"BenchmarkY", "hits/op"}: noisy(rng, 5, 0.02, 10)}
	if r := Compare(sideOf("b", base), sideOf("h", base), Options{}); r.Settings.Tests != 2 {
		t.Errorf("independent unit: family of %d, want 2", r.Settings.Tests)
	}
}

func roundSig(x float64, digits int) float64 {
	if x == 0 {
		return 0
	}
	p := math.Pow(10, float64(digits)-math.Ceil(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

// TestChangeInterval checks the Hodges–Lehmann estimate and Moses' ranks
// against textbook values.
func TestChangeInterval(t *testing.T) {
	// Critical values of U, two-sided α=0.05 (any table): 5 at 6 vs 6, 23
	// at 10 vs 10; Moses' k is one more.
	for _, c := range []struct{ n, m, k int }{{6, 6, 6}, {10, 10, 24}, {3, 3, 0}} {
		if k := mosesRank(c.n, c.m, 0.95); k != c.k {
			t.Errorf("mosesRank(%d, %d) = %d, want %d", c.n, c.m, k, c.k)
		}
	}
	base := []float64{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	head := make([]float64, len(base))
	for i, b := range base {
		head[i] = b * 1.2
	}
	c := estimateChange(base, head, 0.95)
	if math.Abs(c.Estimate-0.2) > 1e-9 || !(c.Low < 0.2 && c.High > 0.2) {
		t.Errorf("change %+v, want estimate 0.2 inside the interval", c)
	}
	if c := estimateChange([]float64{1, 1, 1}, []float64{1, 1, 1}, 0.95); !math.IsInf(c.Low, -1) {
		t.Errorf("3 vs 3 has no 95%% interval, got %+v", c)
	}
}

// TestNonFiniteJSON: numbers JSON cannot hold are written as null with a
// reason, and the report is never lost to the encoder.
func TestNonFiniteJSON(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	rep := &Report{Schema: SchemaVersion, Results: []Row{{
		Benchmark: "BenchmarkX", Unit: "sec/op", Verdict: Unmeasurable,
		Base: &Stat{Center: 0, Low: math.Inf(-1), High: inf, N: 3}, Head: &Stat{Center: 1, Low: 0, High: 2, N: 3},
		Delta: &inf, MDE: &inf, P: &nan,
		Change:      &Change{Estimate: 1, Low: math.Inf(-1), High: inf, Confidence: 0.95},
		Attribution: &Attribution{Unit: "ns/op", Total: 0, Functions: []FunctionDelta{{Function: "f", Flat: 1, Share: nan}}},
	}}}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rep); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	var got struct {
		Results []struct {
			Delta, MDE, P *float64
			Nulls         map[string]string
			Change        struct{ Low, High *float64 }
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	r := got.Results[0]
	if r.Delta != nil || r.MDE != nil || r.P != nil || r.Change.Low != nil || r.Change.High != nil {
		t.Errorf("non-finite numbers not null: %s", buf.String())
	}
	for _, f := range []string{"delta", "mde", "p"} {
		if r.Nulls[f] == "" {
			t.Errorf("no reason for null %s: %v", f, r.Nulls)
		}
	}
	if rep.Results[0].MDE == nil || rep.Results[0].Nulls != nil {
		t.Error("WriteJSON changed the report it was given")
	}
}

// TestMosesRankApproximation: past 20 vs 20 the normal approximation
// agrees with the exact distribution to within one rank.
func TestMosesRankApproximation(t *testing.T) {
	exact := func(n, m int) int {
		d := stats.UDist{N1: n, N2: m}
		k := 0
		for u := 0; u < n*m/2 && d.CDF(float64(u)) <= 0.025; u++ {
			k = u + 1
		}
		return k
	}
	for _, n := range []int{21, 25} {
		if got, want := mosesRank(n, n, 0.95), exact(n, n); got < want-1 || got > want+1 {
			t.Errorf("mosesRank(%d, %d) = %d, exact %d", n, n, got, want)
		}
	}
}
