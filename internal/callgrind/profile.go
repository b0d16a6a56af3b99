package callgrind

import (
	"math"
	"sort"
)

// Profile is a benchmark's cost per op by function: for every function,
// (self cost at N+ShortN − self cost at ShortN) / N, averaged over the pairs. Self
// costs are exact whatever callgrind made of Go's stack switches.
type Profile struct {
	Events []string
	// Functions maps a function name to its per-op self cost, per event
	// (in the order of Events).
	Functions map[string][]float64
}

// FunctionDelta is one function's change in self cost per op.
type FunctionDelta struct {
	Function string
	// Base, Head and Delta are instructions per op (self).
	Base, Head, Delta float64
	// BaseCycles, HeadCycles and DeltaCycles are est-cycles per op (self),
	// when both profiles have the cache and branch events; else 0.
	BaseCycles, HeadCycles, DeltaCycles float64
}

func profileOf(runs []Run, n int, files map[string]*File) *Profile {
	var events []string
	sum := map[string][]float64{}
	pairs := 0
	byPair := map[int][2]*File{}
	for _, r := range runs {
		v := byPair[r.Pair]
		if r.N == ShortN {
			v[0] = files[r.File]
		} else {
			v[1] = files[r.File]
		}
		byPair[r.Pair] = v
	}
	for _, v := range byPair {
		short, long := v[0], v[1]
		if short == nil || long == nil {
			continue
		}
		pairs++
		events = long.Events
		for name, fl := range long.Functions {
			acc := sum[name]
			if acc == nil {
				acc = make([]float64, len(events))
				sum[name] = acc
			}
			fs := short.Functions[name]
			for i := range events {
				d := float64(fl.Self[i])
				if fs != nil {
					d -= float64(fs.Self[i])
				}
				acc[i] += d
			}
		}
		for name, fs := range short.Functions {
			if long.Functions[name] != nil {
				continue
			}
			acc := sum[name]
			if acc == nil {
				acc = make([]float64, len(events))
				sum[name] = acc
			}
			for i := range events {
				acc[i] -= float64(fs.Self[i])
			}
		}
	}
	p := &Profile{Events: events, Functions: map[string][]float64{}}
	for name, acc := range sum {
		for i := range acc {
			acc[i] /= float64(n) * float64(pairs)
		}
		p.Functions[name] = acc
	}
	return p
}

// Self returns a function's per-op self cost of one event (0 if absent).
func (p *Profile) Self(function, event string) float64 {
	v := p.Functions[function]
	for i, e := range p.Events {
		if e == event && v != nil {
			return v[i]
		}
	}
	return 0
}

func (p *Profile) cycles(function string) float64 {
	v := p.Functions[function]
	if v == nil {
		return 0
	}
	c := map[string]float64{}
	for i, e := range p.Events {
		c[e] = v[i]
	}
	return EstCycles(c)
}

func (p *Profile) hasCacheEvents() bool {
	for _, e := range p.Events {
		if e == "D1mr" {
			return true
		}
	}
	return false
}

// Diff returns the top functions by instruction change per op from base to
// head (largest |Delta| first; est-cycles break ties, then names), leaving
// out changes below half an instruction per op, which are the averaging of
// counts that differ by a few between runs. top <= 0 returns all.
func Diff(base, head *Profile, top int) []FunctionDelta {
	names := map[string]bool{}
	for n := range base.Functions {
		names[n] = true
	}
	for n := range head.Functions {
		names[n] = true
	}
	withCycles := base.hasCacheEvents() && head.hasCacheEvents()
	var out []FunctionDelta
	for n := range names {
		d := FunctionDelta{Function: n, Base: base.Self(n, "Ir"), Head: head.Self(n, "Ir")}
		d.Delta = d.Head - d.Base
		if withCycles {
			d.BaseCycles, d.HeadCycles = base.cycles(n), head.cycles(n)
			d.DeltaCycles = d.HeadCycles - d.BaseCycles
		}
		if math.Abs(d.Delta) < 0.5 && math.Abs(d.DeltaCycles) < 0.5 {
			continue
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if math.Abs(a.Delta) != math.Abs(b.Delta) {
			return math.Abs(a.Delta) > math.Abs(b.Delta)
		}
		if math.Abs(a.DeltaCycles) != math.Abs(b.DeltaCycles) {
			return math.Abs(a.DeltaCycles) > math.Abs(b.DeltaCycles)
		}
		return a.Function < b.Function
	})
	if top > 0 && len(out) > top {
		out = out[:top]
	}
	return out
}
