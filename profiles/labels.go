package profiles

import (
	"sort"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/gate"
)

// LabelKeys returns the string label keys that any sample of p carries,
// sorted. Go's CPU profiles carry the labels a benchmark set with pprof.Do;
// its memory profiles carry none.
func LabelKeys(p *profile.Profile) []string {
	seen := map[string]bool{}
	for _, s := range p.Sample {
		for k := range s.Label {
			seen[k] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ByLabel splits p by the values of the label key: one profile per value,
// each holding the samples with that value; samples without the label go
// under "". The profiles share p's locations and functions, so treat them as
// read-only views.
func ByLabel(p *profile.Profile, key string) map[string]*profile.Profile {
	out := map[string]*profile.Profile{}
	for _, s := range p.Sample {
		v := ""
		if vs := s.Label[key]; len(vs) > 0 {
			v = vs[0]
		}
		q, ok := out[v]
		if !ok {
			q = &profile.Profile{
				SampleType:        p.SampleType,
				DefaultSampleType: p.DefaultSampleType,
				Mapping:           p.Mapping,
				Location:          p.Location,
				Function:          p.Function,
				Comments:          p.Comments,
				TimeNanos:         p.TimeNanos,
				DurationNanos:     p.DurationNanos,
				PeriodType:        p.PeriodType,
				Period:            p.Period,
			}
			out[v] = q
		}
		q.Sample = append(q.Sample, s)
	}
	return out
}

// labelDeltas splits a diff's total per label value, for every label key the
// diff carries.
func labelDeltas(diff *profile.Profile, idx int, total int64, ops float64) []gate.LabelDelta {
	var out []gate.LabelDelta
	for _, key := range LabelKeys(diff) {
		for value, part := range ByLabel(diff, key) {
			t := tally(part, idx)
			ld := gate.LabelDelta{
				Key:   key,
				Value: value,
				Total: float64(t.total) / ops,
				Share: share(float64(t.total), float64(total)),
			}
			dir := 1.0
			if total < 0 {
				dir = -1
			}
			if names := t.ranked(t.flat, dir); len(names) > 0 && dir*float64(t.flat[names[0]]) > 0 {
				ld.Top = names[0]
			}
			out = append(out, ld)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		if a, b := abs(out[i].Total), abs(out[j].Total); a != b {
			return a > b
		}
		return out[i].Value < out[j].Value
	})
	return out
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
