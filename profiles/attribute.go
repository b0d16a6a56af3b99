package profiles

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/gate"
)

// DefaultTopN is how many functions an attribution lists by cum and by flat.
const DefaultTopN = 5

// minSamples is the number of CPU samples per side below which function
// deltas are too rough to trust without saying so (at 100 Hz, under half a
// second of profile).
const minSamples = 50

// Attribute explains the change in one benchmark unit ("sec/op", "B/op",
// "allocs/op") from a Delta of the matching profiles: the whole profile's
// change per op, and the topN functions by cum then by flat change (a
// function in both lists appears once). The cum list comes first: it names
// where the change enters the code (the changed function, say), while the
// flat list names where the cycles land (often malloc and the GC). The cum
// list skips the benchmark harness, which is on every path, and forwarders:
// functions with a callee whose cum change is at least 90% of theirs, since
// the callee says the same more precisely. Share is a function's flat change
// as a fraction of the total change. Samples carrying pprof labels are also
// split per label.
func Attribute(d *Delta, unit string, topN int) (*gate.Attribution, error) {
	m, err := metricFor(unit)
	if err != nil {
		return nil, err
	}
	idx, err := sampleIndex(d.Profile, d.HeadName, m.sampleType)
	if err != nil {
		return nil, err
	}
	if topN <= 0 {
		topN = DefaultTopN
	}
	ops := float64(d.Ops)
	t := tally(d.Profile, idx)
	a := &gate.Attribution{Unit: m.perOp, Total: float64(t.total) / ops}

	// Explain the direction the profile moved: the biggest increases for a
	// regression, the biggest decreases otherwise.
	dir := 1.0
	if t.total < 0 {
		dir = -1
	}
	byFlat := t.ranked(t.flat, dir)
	var byCum []string
	for _, name := range t.ranked(t.cum, dir) {
		if !harness(name) && !t.forwarder(name, dir) {
			byCum = append(byCum, name)
		}
	}
	seen := map[string]bool{}
	add := func(names []string) {
		for i, name := range names {
			if i == topN {
				break
			}
			if seen[name] || dir*float64(t.flat[name]) <= 0 && dir*float64(t.cum[name]) <= 0 {
				continue
			}
			seen[name] = true
			fd := gate.FunctionDelta{Function: name, Flat: float64(t.flat[name]) / ops, Cum: float64(t.cum[name]) / ops}
			if t.total != 0 {
				fd.Share = float64(t.flat[name]) / float64(t.total)
			}
			a.Functions = append(a.Functions, fd)
		}
	}
	add(byCum)
	add(byFlat)
	a.Labels = labelDeltas(d.Profile, idx, t.total, ops)

	if m.sampleType == TypeCPU {
		if d.BaseSamples < minSamples || d.HeadSamples < minSamples {
			a.Warnings = append(a.Warnings, fmt.Sprintf("few CPU samples (base %d, head %d; %d+ wanted): function deltas are rough", d.BaseSamples, d.HeadSamples, minSamples))
		}
	}
	if d.Ops > 1 {
		a.Warnings = append(a.Warnings, fmt.Sprintf("the pprof files hold values per %d ops (pprof stores integers); the numbers here are per op", d.Ops))
	}
	return a, nil
}

// harness reports whether a function is part of every benchmark's call path
// (the testing framework, pprof.Do, the benchmark function itself): its cum
// change equals the whole change and says nothing, so the cum ranking skips
// it. Its flat change, if any, still ranks.
func harness(name string) bool {
	switch {
	case strings.HasPrefix(name, "testing."),
		strings.HasPrefix(name, "runtime/pprof.Do"),
		name == "runtime.goexit", name == "runtime.main":
		return true
	}
	// pkg.BenchmarkX, pkg.BenchmarkX.func1, pkg_test.BenchmarkX...
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	_, fn, _ := strings.Cut(name, ".")
	return strings.HasPrefix(fn, "Benchmark")
}

// totals are one sample type's values per function over a profile.
type totals struct {
	flat, cum map[string]int64
	total     int64
	// callees holds the call graph's edges, caller → callee.
	callees map[string]map[string]bool
}

// forwarder reports whether one of name's callees carries at least 90% of
// name's cum change: name only passes the change on.
func (t totals) forwarder(name string, dir float64) bool {
	c := dir * float64(t.cum[name])
	for callee := range t.callees[name] {
		if callee != name && dir*float64(t.cum[callee]) >= 0.9*c {
			return true
		}
	}
	return false
}

// tally sums sample values by function name: flat to the leaf frame (inlined
// frames count as their own functions), cum once to every distinct function
// on the stack, however often it recurs.
func tally(p *profile.Profile, idx int) totals {
	t := totals{flat: map[string]int64{}, cum: map[string]int64{}, callees: map[string]map[string]bool{}}
	var onStack []string
	for _, s := range p.Sample {
		v := s.Value[idx]
		if v == 0 {
			continue
		}
		t.total += v
		onStack = StackFunctions(s, onStack[:0])
		if len(onStack) > 0 {
			t.flat[onStack[0]] += v
		}
		for i, name := range onStack {
			if !slices.Contains(onStack[:i], name) {
				t.cum[name] += v
			}
			if i > 0 {
				caller, callee := name, onStack[i-1]
				if t.callees[caller] == nil {
					t.callees[caller] = map[string]bool{}
				}
				t.callees[caller][callee] = true
			}
		}
	}
	return t
}

// StackFunctions appends the function names of a sample's stack, leaf
// first, inlined frames included (Location.Line lists the inlined callee
// first and its caller last); a frame without symbols is its address.
func StackFunctions(s *profile.Sample, dst []string) []string {
	for _, loc := range s.Location {
		if loc == nil {
			continue
		}
		if len(loc.Line) == 0 {
			dst = append(dst, fmt.Sprintf("0x%x", loc.Address))
		}
		for _, ln := range loc.Line {
			name := "?"
			if ln.Function != nil && ln.Function.Name != "" {
				name = ln.Function.Name
			}
			dst = append(dst, name)
		}
	}
	return dst
}

// ranked returns the names of m sorted by value in direction dir (largest
// first for dir > 0), ties by name for stable output.
func (t totals) ranked(m map[string]int64, dir float64) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := dir*float64(m[names[i]]), dir*float64(m[names[j]])
		if a != b {
			return a > b
		}
		return names[i] < names[j]
	})
	return names
}

// share is x/total, 0 when total is 0.
func share(x, total float64) float64 {
	if total == 0 || math.IsNaN(x) {
		return 0
	}
	return x / total
}
