package pyroscope

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/profiles"
)

// WritePGO writes a staging CPU profile to path (gzipped, atomically) for
// `go build -pgo=path`, after checking what the compiler needs: a
// cpu/nanoseconds (or samples/count) sample type, samples, and functions'
// start lines (cmd/compile's PGO reads call edges as offsets from a
// function's first line and rejects profiles without them). The Go agent's
// profiles carry all of this; the check catches a profile that went through
// a tool that dropped them, before the build silently ignores it. It
// returns the CPU time the profile holds.
func WritePGO(path string, p *profile.Profile) (time.Duration, error) {
	total, err := writePGO(path, p)
	return time.Duration(total), err
}

func writePGO(path string, p *profile.Profile) (int64, error) {
	idx, err := cpuIndex(p)
	if err != nil {
		return 0, fmt.Errorf("not a CPU profile for PGO: %v", err)
	}
	var total int64
	for _, s := range p.Sample {
		total += s.Value[idx]
	}
	if total == 0 {
		return 0, fmt.Errorf("%w: the CPU profile has no samples; go build would ignore it", ErrEmptyProfile)
	}
	hasStart := false
	for _, f := range p.Function {
		if f.StartLine != 0 {
			hasStart = true
			break
		}
	}
	if !hasStart {
		return 0, errors.New("the CPU profile has no function start lines, which go build -pgo requires (was the service built with Go 1.20 or newer?)")
	}
	// Keep only the CPU values the compiler reads: a smaller file, and no
	// sample type it could pick by mistake.
	q := p.Copy()
	if len(q.SampleType) > 1 {
		q.SampleType = []*profile.ValueType{q.SampleType[idx]}
		for _, s := range q.Sample {
			s.Value = []int64{s.Value[idx]}
		}
		q.DefaultSampleType = ""
	}
	q.Comments = append(q.Comments, "perfslo staging pgo: merged staging CPU profile for go build -pgo")
	if err := q.CheckValid(); err != nil {
		return 0, fmt.Errorf("PGO profile: %v", err)
	}
	return total, profiles.WriteFile(path, q)
}
