package profiles

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/internal/atomicfile"
)

// Delta is head minus base, both per Ops operations.
type Delta struct {
	// Profile holds head − base: positive values are cost the head added.
	Profile *profile.Profile
	// Base and Head are each side on its own, per Ops operations, for
	// `go tool pprof -diff_base=BASE HEAD`.
	Base, Head *profile.Profile
	// Ops is the number of operations every value stands for (a power of
	// ten, 1 when per-op integers are precise enough): divide by it for
	// per op. pprof's files hold integers, which is why it is not always 1.
	Ops int64
	// BaseName and HeadName are the files the sides came from.
	BaseName, HeadName string
	// BaseSamples and HeadSamples count CPU samples per side (0 for memory
	// profiles): the evidence the function deltas rest on.
	BaseSamples, HeadSamples int64
}

// Diff subtracts base from head the pprof way: each side scaled to per Ops
// operations, base scaled by −1, then profile.Merge. The profiles must have
// the same sample types (two CPU profiles, or two memory profiles).
func Diff(base, head *Measured) (d *Delta, err error) {
	if err := base.check(); err != nil {
		return nil, fmt.Errorf("base: %v", err)
	}
	if err := head.check(); err != nil {
		return nil, fmt.Errorf("head: %v", err)
	}
	if err := compatible(base, head); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("diffing %s and %s: malformed profile data (%v)", base.Path, head.Path, r)
		}
	}()
	ops := chooseOps(base, head)
	b, err := scaled(base, ops, 1)
	if err != nil {
		return nil, err
	}
	h, err := scaled(head, ops, 1)
	if err != nil {
		return nil, err
	}
	neg, err := scaled(base, ops, -1)
	if err != nil {
		return nil, err
	}
	diff, err := profile.Merge([]*profile.Profile{h, neg})
	if err != nil {
		return nil, fmt.Errorf("diffing %s and %s: %v", base.Path, head.Path, err)
	}
	per := "per op"
	if ops > 1 {
		per = fmt.Sprintf("per %d ops", ops)
	}
	b.Comments = []string{fmt.Sprintf("perfslo: base %s, values %s (b.N=%d)", base.Path, per, base.Iters)}
	h.Comments = []string{fmt.Sprintf("perfslo: head %s, values %s (b.N=%d)", head.Path, per, head.Iters)}
	diff.Comments = []string{fmt.Sprintf("perfslo: head %s minus base %s, values %s", head.Path, base.Path, per)}
	d = &Delta{Profile: diff, Base: b, Head: h, Ops: ops, BaseName: base.Path, HeadName: head.Path}
	d.BaseSamples = countSamples(base.Profile)
	d.HeadSamples = countSamples(head.Profile)
	return d, nil
}

// compatible checks what profile.Merge checks, with an error that names both
// files and says what each holds.
func compatible(base, head *Measured) error {
	a, b := base.Profile, head.Profile
	same := len(a.SampleType) == len(b.SampleType)
	for i := 0; same && i < len(a.SampleType); i++ {
		same = a.SampleType[i].Type == b.SampleType[i].Type && a.SampleType[i].Unit == b.SampleType[i].Unit
	}
	if !same {
		return fmt.Errorf("cannot diff %s and %s: different sample types (%s vs %s); expected two CPU or two memory profiles", base.Path, head.Path, sampleTypes(a), sampleTypes(b))
	}
	pa, pb := a.PeriodType, b.PeriodType
	if (pa == nil) != (pb == nil) || pa != nil && (pa.Type != pb.Type || pa.Unit != pb.Unit) {
		return fmt.Errorf("cannot diff %s and %s: different period types (%v vs %v)", base.Path, head.Path, pa, pb)
	}
	return nil
}

func countSamples(p *profile.Profile) int64 {
	i, err := sampleIndex(p, "", TypeCPUSamples)
	if err != nil {
		return 0
	}
	var n int64
	for _, s := range p.Sample {
		n += s.Value[i]
	}
	return n
}

// WriteFile writes p gzipped to path, atomically: a reader sees the old file
// or the whole new one, never a torn profile.
func WriteFile(path string, p *profile.Profile) error {
	if err := atomicfile.Write(path, p.Write); err != nil {
		return fmt.Errorf("writing profile: %w", err)
	}
	return nil
}

// Files are the paths Write puts a Delta's profiles at.
type Files struct {
	Base, Head, Diff string
}

// Write stores the per-op base, head and diff profiles in dir as
// PREFIX.base.pb.gz, PREFIX.head.pb.gz and PREFIX.diff.pb.gz.
func (d *Delta) Write(dir, prefix string) (Files, error) {
	fs := Files{
		Base: filepath.Join(dir, prefix+".base.pb.gz"),
		Head: filepath.Join(dir, prefix+".head.pb.gz"),
		Diff: filepath.Join(dir, prefix+".diff.pb.gz"),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Files{}, err
	}
	for _, w := range []struct {
		path string
		p    *profile.Profile
	}{{fs.Base, d.Base}, {fs.Head, d.Head}, {fs.Diff, d.Profile}} {
		if err := WriteFile(w.path, w.p); err != nil {
			return Files{}, err
		}
	}
	return fs, nil
}

// PprofCommand is the command that opens head against base in pprof's web
// UI (flame graph, source, diff colouring).
func PprofCommand(base, head string) string {
	return "go tool pprof -http=: -diff_base=" + shellQuote(base) + " " + shellQuote(head)
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '/' || r == '.' || r == '_' || r == '-' || r == '=' || r == ':' || r == '+' || r == ',') {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	out := "'"
	for _, r := range s {
		if r == '\'' {
			out += `'\''`
		} else {
			out += string(r)
		}
	}
	return out + "'"
}
