package profiles

import (
	"math"
	"strings"
	"testing"
)

// TestAtPace: a profile of 130 ns/op of CPU, from a process that ran slow,
// is rescaled to the side's median of 100 ns/op; the split between
// functions and the sample counts, the evidence, are kept.
func TestAtPace(t *testing.T) {
	p := synth([]string{"samples/count", "cpu/nanoseconds"},
		stack{frames: []string{"a", "main"}, values: []int64{9, 90_000_000}},
		stack{frames: []string{"b", "main"}, values: []int64{4, 40_000_000}},
	)
	m := &Measured{Path: "slow.pb.gz", Profile: p, Iters: 1_000_000}
	before, err := m.PerOp(TypeCPU)
	if err != nil {
		t.Fatal(err)
	}
	if before != 130 {
		t.Fatalf("synthetic profile: %g ns/op, want 130", before)
	}
	r, err := m.AtPace(100e-9)
	if err != nil {
		t.Fatal(err)
	}
	after, err := r.PerOp(TypeCPU)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(after-100) > 1e-6 {
		t.Errorf("rescaled: %g ns/op, want 100", after)
	}
	if got := countSamples(r.Profile); got != 13 {
		t.Errorf("rescaled profile has %d samples, want the original 13", got)
	}
	if again, _ := m.PerOp(TypeCPU); again != 130 {
		t.Errorf("AtPace changed its receiver: %g ns/op", again)
	}
	if c := r.Profile.Comments; len(c) == 0 || !strings.Contains(c[len(c)-1], "median") {
		t.Errorf("rescaled profile does not say so in its comments: %q", c)
	}
	a := r.Profile.Sample[0].Value[1]
	if want := int64(math.Round(90_000_000 * 100.0 / 130)); a != want {
		t.Errorf("function a: %d ns, want %d (its share kept)", a, want)
	}
	for _, bad := range []float64{0, math.NaN(), math.Inf(1), -1} {
		if _, err := m.AtPace(bad); err == nil || !strings.Contains(err.Error(), "slow.pb.gz") {
			t.Errorf("AtPace(%g): error %v, want one naming the file", bad, err)
		}
	}
	mem := &Measured{Path: "mem.pb.gz", Profile: synth([]string{"alloc_objects/count"}, stack{frames: []string{"a"}, values: []int64{1}}), Iters: 1}
	if _, err := mem.AtPace(1e-7); err == nil {
		t.Errorf("AtPace on a memory profile: no error")
	}
}
