package profiles

import (
	"bytes"
	"io"
	"testing"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/budgets"
)

var fuzzBudget = &budgets.Budget{Profile: &budgets.ProfileBudget{
	CPUShare:    map[string]float64{"fmt": 0.1},
	AllocsPerOp: map[string]float64{"runtime": 1},
	BytesPerOp:  map[string]float64{".": 10},
}}

// fuzzSeeds are real profiles of this process (CPU with pprof labels, and
// allocations), gzipped and raw, plus their damaged forms. They are cut to a
// few samples: the fuzzer minimizes every new input, and a small seed keeps
// that from eating a short CI run.
func fuzzSeeds(f *testing.F) [][]byte {
	cpu, heap := ownProfiles(f)
	var seeds [][]byte
	for _, data := range [][]byte{cpu, heap} {
		if data == nil {
			continue
		}
		p, err := Parse("seed", data)
		if err != nil {
			f.Fatal(err)
		}
		if len(p.Sample) > 6 {
			p.Sample = p.Sample[:6]
		}
		p = p.Compact()
		var gz, raw bytes.Buffer
		if err := p.Write(&gz); err != nil {
			f.Fatal(err)
		}
		if err := p.WriteUncompressed(&raw); err != nil {
			f.Fatal(err)
		}
		g, r := gz.Bytes(), raw.Bytes()
		seeds = append(seeds, g, r, g[:len(g)/2], r[:len(r)/3])
	}
	return append(seeds, nil, []byte("garbage"), []byte{0x1f, 0x8b})
}

// FuzzLoad: no input makes Parse panic, and a profile it accepts survives
// the rest of the pipeline.
func FuzzLoad(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.pb.gz", data)
		if err != nil {
			return
		}
		m := &Measured{Path: "fuzz.pb.gz", Profile: p, Iters: 3}
		exercise(t, m, m)
	})
}

// FuzzDiff: any two inputs go through load, Subtract, Diff, Attribute,
// labels, budgets and Write without a panic.
func FuzzDiff(f *testing.F) {
	seeds := fuzzSeeds(f)
	for i, a := range seeds {
		f.Add(a, seeds[(i+1)%len(seeds)], uint16(7))
		f.Add(a, a, uint16(1000))
	}
	f.Fuzz(func(t *testing.T, a, b []byte, iters uint16) {
		pa, err := Parse("a.pb.gz", a)
		if err != nil {
			return
		}
		pb, err := Parse("b.pb.gz", b)
		if err != nil {
			return
		}
		n := int64(iters)
		exercise(t, &Measured{Path: "a.pb.gz", Profile: pa, Iters: n}, &Measured{Path: "b.pb.gz", Profile: pb, Iters: n + 1})
	})
}

// exercise runs every operation of the package on two parsed profiles; only
// panics fail (errors are the expected outcome for mismatched inputs).
func exercise(t *testing.T, base, head *Measured) {
	if s, err := Subtract(head, base); err == nil {
		if _, err := s.PerOp(TypeAllocObjects); err != nil {
			_ = err
		}
	}
	d, err := Diff(base, head)
	if err != nil {
		return
	}
	for _, unit := range []string{"sec/op", "B/op", "allocs/op"} {
		a, err := Attribute(d, unit, 3)
		if err != nil {
			continue
		}
		_ = MarkLikelyLayout(a, d, unit, &Changes{Functions: []string{"main.main"}})
	}
	BudgetRows(fuzzBudget, BudgetTarget{Benchmark: "BenchmarkF", CPU: head, Mem: head})
	for _, p := range []*profile.Profile{d.Base, d.Head, d.Profile} {
		if err := p.Write(io.Discard); err != nil {
			t.Fatalf("writing a diff of parsed profiles: %v", err)
		}
	}
}
