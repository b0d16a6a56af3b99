package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
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
	base, err := ReadSideFile(paths[0], names[0])
	if err != nil {
		return nil, err
	}
	head, err := ReadSideFile(paths[1], names[1])
	if err != nil {
		return nil, err
	}
	if err := gate.SameUnits(base, head); err != nil {
		return nil, err
	}
	var unmatched []string
	if opt.Config != nil {
		for _, e := range opt.Config.Unmatched(Benchmarks(head)) {
			unmatched = append(unmatched, e.Error())
		}
	}
	// Compare owns the sides from here: nothing else holds them, so their
	// samples can go once the rows are measured (on a large input a third
	// of the peak memory).
	rep := gate.Compare(base, head, opt)
	rep.Warnings = append(rep.Warnings, unmatched...)
	rep.Failures = append(rep.Failures, gate.Vanished(rep, allowRemoved)...)
	return rep, nil
}

// BatchGC makes the garbage collector run at half the usual heap growth
// (GOGC=50) for a batch comparison, unless the user set GOGC; the returned
// function restores the setting. compare holds its inputs until the end, so
// with the default the heap grows to twice them before a collection: at
// 10⁵ result lines per file that was 106–111 MiB of peak RSS, at 50 it is
// 86–94 MiB for no measurable time (bench/compare/rss.md).
func BatchGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(50)
	return func() { debug.SetGCPercent(old) }
}
