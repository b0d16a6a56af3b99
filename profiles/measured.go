package profiles

import (
	"fmt"
	"math"

	"github.com/google/pprof/profile"
)

// Measured is the profile of one process that ran one benchmark alone for a
// fixed number of iterations (-test.benchtime=Nx).
type Measured struct {
	// Path is the file the profile was read from; errors and the pprof
	// command name it.
	Path    string
	Profile *profile.Profile
	// Iters is b.N as the benchmark's result line in the same process
	// printed it (benchfmt Result.Iters): the divisor that makes the
	// profile per op.
	Iters int64
	// Exact is true when Profile holds exactly Iters iterations and nothing
	// else: a Subtract of two runs. A single run also holds the benchmark's
	// setup and, for b.N-style benchmarks, testing's one-iteration probe.
	Exact bool
}

// Subtract returns the cost of the iterations that big ran and small did
// not: two runs of the same benchmark binary with -test.benchtime=N2x and
// N1x (N1 ≥ 2), subtracted the pprof way (Scale(-1), Merge). Everything but
// the loop cancels — setup, the testing framework, b.N-style benchmarks'
// extra probe iteration (both runs have one) — so the result is exactly
// N2−N1 iterations, per-op like the benchmark's own allocs/op, and a
// "0 allocs/op" budget is not broken by setup code.
func Subtract(big, small *Measured) (d *Measured, err error) {
	if err := big.check(); err != nil {
		return nil, err
	}
	if err := small.check(); err != nil {
		return nil, err
	}
	if big.Iters <= small.Iters {
		return nil, fmt.Errorf("%s (b.N=%d) minus %s (b.N=%d): expected the first run to be the longer", big.Path, big.Iters, small.Path, small.Iters)
	}
	if err := compatible(small, big); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("subtracting %s from %s: malformed profile data (%v)", small.Path, big.Path, r)
		}
	}()
	neg := small.Profile.Copy()
	neg.Scale(-1)
	p, err := profile.Merge([]*profile.Profile{big.Profile, neg})
	if err != nil {
		return nil, fmt.Errorf("subtracting %s from %s: %v", small.Path, big.Path, err)
	}
	p.Comments = append(p.Comments, fmt.Sprintf("perfslo: %s (b.N=%d) minus %s (b.N=%d): exactly %d iterations", big.Path, big.Iters, small.Path, small.Iters, big.Iters-small.Iters))
	return &Measured{Path: big.Path, Profile: p, Iters: big.Iters - small.Iters, Exact: true}, nil
}

// LoadMeasured loads a profile taken over iters iterations of a benchmark.
func LoadMeasured(path string, iters int64) (*Measured, error) {
	if iters <= 0 {
		return nil, fmt.Errorf("%s: iteration count %d: expected the b.N (> 0) of the benchmark run that wrote the profile", path, iters)
	}
	p, err := Load(path)
	if err != nil {
		return nil, err
	}
	return &Measured{Path: path, Profile: p, Iters: iters}, nil
}

func (m *Measured) check() error {
	if m == nil || m.Profile == nil {
		return fmt.Errorf("missing profile")
	}
	if m.Iters <= 0 {
		return fmt.Errorf("%s: iteration count %d: expected the b.N (> 0) of the benchmark run that wrote the profile", m.Path, m.Iters)
	}
	return nil
}

// PerOp returns the profile's total of one sample type per op: ns/op for
// "cpu", B/op for "alloc_space", allocs/op for "alloc_objects". It is an
// upper end unless m is Exact: a b.N-style benchmark ran Iters+1 iterations
// (see the package comment), so the true value is within
// [v·Iters/(Iters+1), v].
func (m *Measured) PerOp(sampleType string) (float64, error) {
	if err := m.check(); err != nil {
		return 0, err
	}
	i, err := sampleIndex(m.Profile, m.Path, sampleType)
	if err != nil {
		return 0, err
	}
	var total float64
	for _, s := range m.Profile.Sample {
		total += float64(s.Value[i])
	}
	return total / float64(m.Iters), nil
}

// reported are the sample types whose per-op values this package reports;
// the per-Ops scaling keeps their rounding small.
var reported = map[string]bool{TypeCPU: true, TypeAllocObjects: true, TypeAllocSpace: true}

// chooseOps returns the smallest power of ten Ops such that scaling each
// profile to per Ops operations (pprof rounds every sample to an integer)
// moves no reported total by more than 0.1%: with S nonzero samples summing
// to T over N iterations, the rounding error is at most S/2 against a total
// of T·Ops/N, so Ops ≥ 500·S·N/T.
func chooseOps(ms ...*Measured) int64 {
	need := 1.0
	for _, m := range ms {
		for i, st := range m.Profile.SampleType {
			if !reported[st.Type] {
				continue
			}
			var s, t float64
			for _, smp := range m.Profile.Sample {
				if v := smp.Value[i]; v != 0 {
					s++
					t += math.Abs(float64(v))
				}
			}
			if t > 0 {
				need = math.Max(need, 500*s*float64(m.Iters)/t)
			}
		}
	}
	ops := int64(1)
	for float64(ops) < need && ops < 1e15 {
		ops *= 10
	}
	return ops
}

// scaled returns a copy of m's profile holding sign × the cost of ops
// operations, with addresses and columns dropped so that two builds' profiles
// line up by function, file and line.
func scaled(m *Measured, ops int64, sign float64) (*profile.Profile, error) {
	p := m.Profile.Copy()
	if err := p.Aggregate(true, true, true, true, false, false); err != nil {
		return nil, fmt.Errorf("%s: %v", m.Path, err)
	}
	p.Scale(sign * float64(ops) / float64(m.Iters))
	return p, nil
}

// AtPace returns a copy of m whose CPU time is scaled so that its total per
// op is secPerOp, the side's median over all its timing rounds. One profiled
// process per side is one draw of a process-level noise that reaches 8–42%
// on shared machines — a slow process, or one that waited for a core, moves
// every function alike — so diffing two raw profiles can show a 35%
// regression as 3% or as 88%. Rescaled, each profile keeps what one process
// can tell (how the cost divides among functions) and takes the total from
// the statistics, so the functions' deltas add up to the measured change.
// Where GC workers ran on other cores, CPU per op exceeds time per op and
// the rescaling shares the time out in proportion to CPU. Sample counts are
// left as they are: they are the evidence.
func (m *Measured) AtPace(secPerOp float64) (*Measured, error) {
	if !(secPerOp > 0) || math.IsInf(secPerOp, 0) {
		return nil, fmt.Errorf("%s: rescaling to %g sec/op: expected a finite time per op > 0", m.Path, secPerOp)
	}
	own, err := m.PerOp(TypeCPU)
	if err != nil {
		return nil, err
	}
	if !(own > 0) {
		return nil, fmt.Errorf("%s: no CPU time in the profile: nothing to rescale to %g sec/op", m.Path, secPerOp)
	}
	cpu, _ := sampleIndex(m.Profile, m.Path, TypeCPU)
	ratio := secPerOp * 1e9 / own
	ratios := make([]float64, len(m.Profile.SampleType))
	for i := range ratios {
		ratios[i] = 1
	}
	ratios[cpu] = ratio
	p := m.Profile.Copy()
	if err := p.ScaleN(ratios); err != nil {
		return nil, fmt.Errorf("%s: %v", m.Path, err)
	}
	p.Comments = append(p.Comments, fmt.Sprintf("perfslo: CPU time ×%.4g, from the profiled process's %.4g ns/op to the side's median %.4g ns/op", ratio, own, secPerOp*1e9))
	out := *m
	out.Profile = p
	return &out, nil
}
