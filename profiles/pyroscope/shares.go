package pyroscope

import (
	"fmt"
	"regexp"
	"slices"
	"sort"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/profiles"
)

// agentHz is the Go agent's CPU sampling rate (pyroscope-go fixes it at
// 100 Hz): a CPU profile of T nanoseconds holds about T/1e7 samples. The
// merged profiles Pyroscope returns do not carry a usable period.
const agentHz = 100

// minCPUSamples is the number of CPU samples below which a share is too
// rough to judge a budget on (half a second of CPU at 100 Hz).
const minCPUSamples = 50

// confidence is the level of the intervals around shares.
const confidence = 0.95

// tally is one sample type's values per function over a profile: flat to
// the leaf frame, cum once to every distinct function on the stack (inlined
// frames are functions of their own).
type tally struct {
	total     int64
	flat, cum map[string]int64
	p         *profile.Profile
	idx       int
}

// valueIndex finds the sample type to read: the first of the (type, unit)
// pairs present.
func valueIndex(p *profile.Profile, pairs ...[2]string) (int, error) {
	for _, want := range pairs {
		for i, st := range p.SampleType {
			if st.Type == want[0] && st.Unit == want[1] {
				return i, nil
			}
		}
	}
	var have []string
	for _, st := range p.SampleType {
		have = append(have, st.Type+"/"+st.Unit)
	}
	return 0, fmt.Errorf("profile has sample types %v, want one of %v", have, pairs)
}

// cpuIndex is the CPU sample type of a profile from Pyroscope or from
// runtime/pprof.
func cpuIndex(p *profile.Profile) (int, error) {
	return valueIndex(p, [2]string{"cpu", "nanoseconds"}, [2]string{"samples", "count"})
}

func newTally(p *profile.Profile, idx int) *tally {
	t := &tally{flat: map[string]int64{}, cum: map[string]int64{}, p: p, idx: idx}
	var stack []string
	for _, s := range p.Sample {
		v := s.Value[idx]
		if v == 0 {
			continue
		}
		t.total += v
		stack = profiles.StackFunctions(s, stack[:0])
		if len(stack) > 0 {
			t.flat[stack[0]] += v
		}
		for i, name := range stack {
			if !slices.Contains(stack[:i], name) {
				t.cum[name] += v
			}
		}
	}
	return t
}

// samples estimates the number of CPU samples behind the tally, for
// intervals around shares.
func (t *tally) samples() float64 {
	st := t.p.SampleType[t.idx]
	if st.Type == "samples" {
		return float64(t.total)
	}
	return float64(t.total) / (1e9 / agentHz)
}

// share is the fraction of the profile in which fn is on the stack.
func (t *tally) share(fn string) float64 {
	if t.total == 0 {
		return 0
	}
	return float64(t.cum[fn]) / float64(t.total)
}

// matching is the value of the samples with at least one frame matching re
// (counted once per sample), and the matching functions by cum, largest first.
func (t *tally) matching(re *regexp.Regexp) (int64, []string) {
	var fns []string
	for name := range t.cum {
		if re.MatchString(name) {
			fns = append(fns, name)
		}
	}
	sort.Slice(fns, func(i, j int) bool {
		if t.cum[fns[i]] != t.cum[fns[j]] {
			return t.cum[fns[i]] > t.cum[fns[j]]
		}
		return fns[i] < fns[j]
	})
	if len(fns) == 0 {
		return 0, nil
	}
	var v int64
	var stack []string
	for _, s := range t.p.Sample {
		stack = profiles.StackFunctions(s, stack[:0])
		for _, name := range stack {
			if re.MatchString(name) {
				v += s.Value[t.idx]
				break
			}
		}
	}
	return v, fns
}

// ranked returns the functions of m, largest value first, ties by name.
func ranked(m map[string]int64) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if m[names[i]] != m[names[j]] {
			return m[names[i]] > m[names[j]]
		}
		return names[i] < names[j]
	})
	return names
}
