package profiles

import (
	"fmt"
	"strings"

	"github.com/google/pprof/profile"
)

// Sample types of Go's profiles, as runtime/pprof names them.
const (
	TypeCPU          = "cpu"           // nanoseconds, in -test.cpuprofile
	TypeCPUSamples   = "samples"       // count, in -test.cpuprofile
	TypeAllocObjects = "alloc_objects" // count, in -test.memprofile
	TypeAllocSpace   = "alloc_space"   // bytes, in -test.memprofile
)

// metric says where a benchmark unit's cost lives in a profile: which sample
// type, and the per-op unit the numbers are reported in.
type metric struct {
	sampleType string
	perOp      string
}

// metricFor maps a benchmark unit to the profile that explains it. Time is
// explained in ns/op whatever the row's unit, because pprof counts CPU in
// nanoseconds.
func metricFor(unit string) (metric, error) {
	switch unit {
	case "sec/op", "ns/op", "cpu-share":
		return metric{TypeCPU, "ns/op"}, nil
	case "B/op":
		return metric{TypeAllocSpace, "B/op"}, nil
	case "allocs/op":
		return metric{TypeAllocObjects, "allocs/op"}, nil
	}
	return metric{}, fmt.Errorf("no profile explains unit %q (profiles explain sec/op, B/op and allocs/op)", unit)
}

// ProfileKind says which profile to capture for a benchmark unit: "cpu" or
// "mem".
func ProfileKind(unit string) (string, error) {
	m, err := metricFor(unit)
	if err != nil {
		return "", err
	}
	if m.sampleType == TypeCPU {
		return "cpu", nil
	}
	return "mem", nil
}

// sampleIndex finds a sample type in p, with an error that lists what p has.
func sampleIndex(p *profile.Profile, name, typ string) (int, error) {
	for i, st := range p.SampleType {
		if st.Type == typ {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s: no %q samples in this profile (it has %s): expected a %s", name, typ, sampleTypes(p), kindOf(typ))
}

func kindOf(typ string) string {
	if typ == TypeCPU || typ == TypeCPUSamples {
		return "CPU profile (-test.cpuprofile)"
	}
	return "memory profile (-test.memprofile)"
}

func sampleTypes(p *profile.Profile) string {
	if len(p.SampleType) == 0 {
		return "no sample types"
	}
	var b strings.Builder
	for i, st := range p.SampleType {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(st.Type + "/" + st.Unit)
	}
	return b.String()
}
