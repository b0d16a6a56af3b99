package main

// Run hygiene: options that might make timings quieter, measured rather than
// believed. Each option runs the same A/A gate runs (the base binary against
// itself, interleaved, the suite's settings), options rotated within each
// repetition so that the machine's load hits all alike; what is compared is
// the noise (robust CV of sec/op per side), the MDE it implies at the
// configured count, and A/A false flags.
//
// Options not measured, and why:
//   - -test.cpu without GOMAXPROCS (or the reverse): -test.cpu N makes the
//     testing package call runtime.GOMAXPROCS(N) around each benchmark, so
//     the two are one knob; the runner sets both. What is measured is that
//     knob at 1 versus unset (the machine's core count).
//   - GC before each round: a test binary has no flag to run the collector,
//     but it needs none: every sample here is a fresh process with an empty
//     heap, and the testing package calls runtime.GC() before each
//     benchmark's timed runs anyway.

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/atomicfile"
	"github.com/perfslo/perfslo/internal/run"
)

// hygieneOption is one way of running the benchmark processes.
type hygieneOption struct {
	name   string
	cpu    int  // Plan.CPU
	warmup bool // one discarded round first
	pin    bool // Plan.Pin: benchmark processes on one CPU
}

func hygieneOptions(s Settings) []hygieneOption {
	cpu := max(s.CPU, 1)
	return []hygieneOption{
		{name: fmt.Sprintf("GOMAXPROCS=%d, pinned to one CPU (default)", cpu), cpu: cpu, pin: true},
		{name: fmt.Sprintf("GOMAXPROCS=%d, unpinned", cpu), cpu: cpu},
		{name: fmt.Sprintf("unpinned, GOMAXPROCS=%d", runtime.NumCPU()), cpu: 0},
		{name: "default + warm-up round", cpu: cpu, pin: true, warmup: true},
	}
}

// hygieneStats accumulates one option's A/A runs.
type hygieneStats struct {
	runs, falseRuns int
	seconds         float64
	cvs             map[string][]float64 // per benchmark, one per run
}

func runHygiene(ctx context.Context, s Settings, r int, dir string, stdout, log io.Writer) error {
	work, err := os.MkdirTemp("", "perfslo-power-hygiene-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	base, err := run.Build(ctx, s.Examples, s.Packages, filepath.Join(work, "base"))
	if err != nil {
		return err
	}
	opts := hygieneOptions(s)
	stats := make([]*hygieneStats, len(opts))
	for i := range stats {
		stats[i] = &hygieneStats{cvs: map[string][]float64{}}
	}
	cfg, err := harnessConfig(s)
	if err != nil {
		return err
	}
	for rep := 0; rep < r; rep++ {
		for j := range opts {
			i := (j + rep) % len(opts) // rotate the order
			o := opts[i]
			t0 := time.Now()
			var out *run.Outcome
			measure := func() error {
				plan := run.Plan{Base: base, Head: base, Bench: s.Bench, Benchtime: s.Benchtime, CPU: o.cpu, Rounds: 1, Pin: o.pin}
				if o.warmup {
					if _, err := run.Interleave(ctx, plan); err != nil {
						return err
					}
				}
				plan.Rounds = s.Count
				var err error
				out, err = run.Interleave(ctx, plan)
				return err
			}
			err = measure()
			if err != nil {
				return fmt.Errorf("hygiene %q: %w", o.name, err)
			}
			st := stats[i]
			st.runs++
			st.seconds += since(t0)
			a, b := sideOf("A", out.Base), sideOf("A'", out.Head)
			aa := gate.Compare(a, b, gate.Options{Config: cfg, Alpha: s.Alpha})
			if aa.Failed() > 0 {
				st.falseRuns++
			}
			for _, k := range a.Keys() {
				if k.Unit != "sec/op" {
					continue
				}
				cv := (gate.RobustCV(a.Samples(k)) + gate.RobustCV(b.Samples(k))) / 2
				st.cvs[k.Name] = append(st.cvs[k.Name], cv)
			}
			fmt.Fprintf(log, "hygiene rep %d/%d: %-40s %d flagged, %.1fs\n", rep+1, r, o.name, aa.Failed(), since(t0))
		}
		if err := writeHygiene(dir, s, opts, stats, stdout, rep+1 == r); err != nil {
			return err
		}
	}
	return nil
}

func writeHygiene(dir string, s Settings, opts []hygieneOption, stats []*hygieneStats, stdout io.Writer, last bool) error {
	var b strings.Builder
	var benches []string
	for k := range stats[0].cvs {
		benches = append(benches, k)
	}
	sort.Strings(benches)
	m := len(benches)
	fmt.Fprintf(&b, "# Run hygiene, measured (bench/power -hygiene)\n\n")
	fmt.Fprintf(&b, "A/A: the base binary against itself, interleaved, %d samples per side, benchtime %s, suite `%s`; options rotated within each repetition. "+
		"CV: robust (1.4826·MAD/median) of sec/op per side, median over runs. MDE: the smallest shift seen with 80%% power at %d samples, α %g/%d (Holm over the sec/op rows). %s, %d cores.\n\n",
		s.Count, s.Benchtime, strings.Join(s.Packages, " "), s.Count, s.Alpha, max(m, 1), cpuModel(), runtime.NumCPU())
	fmt.Fprint(&b, "| option | runs | median CV | worst benchmark CV | MDE (median CV) | MDE (worst) | A/A runs with a flag | time/run |\n|---|---|---|---|---|---|---|---|\n")
	for i, o := range opts {
		st := stats[i]
		if st.runs == 0 {
			continue
		}
		var meds []float64
		worst, worstName := 0.0, ""
		for _, bn := range benches {
			md := medianOf(st.cvs[bn])
			meds = append(meds, md)
			if md > worst {
				worst, worstName = md, bn
			}
		}
		med := medianOf(meds)
		alpha := s.Alpha / float64(max(m, 1))
		fmt.Fprintf(&b, "| %s | %d | %s | %s (%s) | %s | %s | %s | %.1fs |\n", o.name, st.runs, pc(med), pc(worst), worstName,
			pcInf(gate.MinimumDetectableEffect(s.Count, med, alpha, 0.8)), pcInf(gate.MinimumDetectableEffect(s.Count, worst, alpha, 0.8)),
			prop(st.falseRuns, st.runs), st.seconds/float64(st.runs))
	}
	fmt.Fprint(&b, "\nPer benchmark (median CV):\n\n| benchmark |")
	for _, o := range opts {
		fmt.Fprintf(&b, " %s |", o.name)
	}
	fmt.Fprint(&b, "\n|---|")
	for range opts {
		fmt.Fprint(&b, "---|")
	}
	fmt.Fprintln(&b)
	for _, bn := range benches {
		fmt.Fprintf(&b, "| %s |", bn)
		for i := range opts {
			fmt.Fprintf(&b, " %s |", pc(medianOf(stats[i].cvs[bn])))
		}
		fmt.Fprintln(&b)
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, "hygiene.md"), []byte(b.String())); err != nil {
		return err
	}
	if last {
		_, err := io.WriteString(stdout, b.String())
		return err
	}
	return nil
}

func pcInf(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "∞"
	}
	return pc(f)
}

func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}
