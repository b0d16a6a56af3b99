package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/run"
	"golang.org/x/perf/benchfmt"
)

// Measured is the measure stage's result: the timing plan, what it
// produced, and the samples as the two sides the gate compares.
type Measured struct {
	Plan    run.Plan // Plan.Base is nil with a stored baseline
	Outcome *run.Outcome
	Base    *gate.Side
	Head    *gate.Side
	// Started is when the rounds began, Elapsed how long they took.
	Started time.Time
	Elapsed time.Duration
}

// Measure runs the timing rounds: the head and a built base interleaved,
// or the head alone against a stored baseline.
func Measure(ctx context.Context, p Plan, b *Built) (*Measured, error) {
	cfg := p.Config
	plan := run.Plan{
		Base:      b.Base,
		Head:      b.Head,
		Bench:     cfg.Run.Bench,
		Benchtime: cfg.Run.Benchtime,
		CPU:       cfg.Run.CPU,
		Rounds:    cfg.Run.Count,
		Timeout:   p.Timeout,
		Progress:  p.Log,
		Pin:       p.Pin,
	}
	start := time.Now()
	out, err := run.Interleave(ctx, plan)
	if err != nil {
		return nil, err
	}
	m := &Measured{Plan: plan, Outcome: out, Head: SideOf(b.HeadSrc, out.Head), Base: b.BaseSide, Started: start, Elapsed: time.Since(start)}
	if m.Base == nil {
		m.Base = SideOf(b.BaseSrc, out.Base)
	}
	return m, nil
}

// Settings are the run settings the report records.
func (m *Measured) Settings(p Plan) gate.Settings {
	r := p.Config.Run
	return gate.Settings{Count: r.Count, Benchtime: r.Benchtime, CPU: r.CPU, Interleaved: m.Plan.Base != nil, Pinned: m.Outcome.PinnedCPU >= 0, Config: p.Config.File}
}

// SideOf gathers results into a side.
func SideOf(src gate.Source, results []*benchfmt.Result) *gate.Side {
	s := gate.NewSide(src)
	for _, r := range results {
		s.Add(r)
	}
	return s
}

// ReadSideFile reads go test -bench output from path into a side labelled
// with the file's name and dated by its modification time; name is how
// errors call the file (as the user wrote it).
func ReadSideFile(path, name string) (*gate.Side, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src := gate.Source{Label: filepath.Base(name)}
	if st, err := f.Stat(); err == nil {
		t := st.ModTime()
		src.Date = &t
	}
	return gate.ReadSide(src, f, name)
}

// CompareFiles judges two existing go test -bench outputs (no running):
// paths are base and head, names how errors and tables call them. Budgets
// of opt.Config that match no benchmark of the head are warnings. A
// benchmark of the base that the head lacks fails the report as in the
// gate, unless allowRemoved: a head file cut short at a benchmark's end
// (a killed job, a partial copy) must not pass.
func CompareFiles(paths, names [2]string, opt gate.Options, allowRemoved bool) (*gate.Report, error) {
	var sides [2]*gate.Side
	for i := range paths {
		s, err := ReadSideFile(paths[i], names[i])
		if err != nil {
			return nil, err
		}
		sides[i] = s
	}
	if err := gate.SameUnits(sides[0], sides[1]); err != nil {
		return nil, err
	}
	rep := gate.Compare(sides[0], sides[1], opt)
	if opt.Config != nil {
		for _, e := range opt.Config.Unmatched(Benchmarks(sides[1])) {
			rep.Warnings = append(rep.Warnings, e.Error())
		}
	}
	rep.Failures = append(rep.Failures, gate.Vanished(rep, allowRemoved)...)
	return rep, nil
}
