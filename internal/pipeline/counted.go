package pipeline

// The measure stage of the deterministic mode (run.measure: instructions or
// auto): every selected benchmark counted under valgrind's callgrind on
// base and head (internal/callgrind), one sample per (ShortN, N+ShortN) process pair,
// in instructions/op and est-cycles/op; the gate judges those rows by
// their spread (gate.CountedUnit). Under auto, a benchmark callgrind cannot
// run is measured in wall time instead, and its rows say why.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/callgrind"
	"github.com/perfslo/perfslo/internal/run"
	"golang.org/x/perf/benchfmt"
)

// CountPairs is how many (ShortN, N+ShortN) callgrind process pairs each side of a
// benchmark gets in the first stage: two, so that determinism is measured,
// not assumed (callgrind takes more when they disagree).
const CountPairs = 2

// countTarget is one benchmark of the deterministic mode.
type countTarget struct {
	id         budgets.BenchmarkID // Procs 0
	base, head *run.Package        // nil on the side that lacks it
	n          int
	method     callgrind.Method
	first      *callgrind.Pair // the first stage's counts, for the function diff
	// measure is how perfslo.yaml asks for it to be measured (run.measure
	// or its entry's measure:).
	measure string
	// timeWhy is set when the benchmark is measured in wall time: why
	// callgrind was not used (asked is true when perfslo.yaml asked for
	// time; else auto fell back).
	timeWhy string
	asked   bool
}

// Counter measures benchmarks under callgrind for one gate run: the first
// stage (MeasureCounts) and the looks (Remeasure, as DecideInput.Measure),
// and annotates the report (Annotate).
type Counter struct {
	p       Plan
	b       *Built
	dir     string // callgrind output files
	version string // valgrind's
	targets []*countTarget
	byID    map[budgets.BenchmarkID]*countTarget
	looks   int
	mu      sync.Mutex
	// Why is set when the gate falls back to wall time as a whole (auto
	// with no usable valgrind, a stored baseline).
	Why string
}

// options are the callgrind settings of this run.
func (c *Counter) options(dir string) callgrind.Options {
	// More pairs only where the gate could not judge the counts as exact
	// anyway: a spread under its bound is decided by the first pairs.
	return callgrind.Options{OutDir: dir, CacheSim: true, Timeout: c.p.Timeout, Pairs: CountPairs, MaxSpread: gate.DefaultCountSpread}
}

// NewCounter checks that the deterministic mode can run and returns its
// counter. With measure "auto", a missing valgrind or a stored baseline
// returns a counter whose Why says why the gate measures wall time; with
// "instructions", they are errors (the missing valgrind's names the
// install command).
func NewCounter(ctx context.Context, p Plan, b *Built, dir string) (*Counter, error) {
	c := &Counter{p: p, b: b, dir: dir, byID: map[budgets.BenchmarkID]*countTarget{}}
	// Only auto may fall back to time as a whole; instructions, in
	// run.measure or in an entry, must be counted.
	auto := !demandsCounts(p.Config)
	if b.Base == nil {
		why := "a stored baseline holds timings, and instruction counts compare only with a base counted the same way (use --base REF)"
		if !auto {
			return nil, errors.New("measure instructions: " + why)
		}
		c.Why = why
		return c, nil
	}
	_, version, err := callgrind.Check(ctx, "")
	if err != nil {
		if !auto {
			return nil, err
		}
		c.Why = err.Error()
		return c, nil
	}
	c.version = version
	return c, nil
}

// MeasureCounts is the deterministic mode's first stage: it lists the
// benchmarks (one native 1x run per side, which also finds their
// sub-benchmarks and failures), counts each under callgrind on both sides,
// and, under auto, times those callgrind cannot run.
func (c *Counter) MeasureCounts(ctx context.Context) (*Measured, error) {
	cfg := c.p.Config
	start := time.Now()
	list, err := run.Interleave(ctx, run.Plan{Base: c.b.Base, Head: c.b.Head, Bench: cfg.Run.Bench, Benchtime: "1x", CPU: 1, Rounds: 1, Timeout: c.p.Timeout})
	if err != nil {
		return nil, err
	}
	c.addTargets(list.Head, c.b.Head, true)
	c.addTargets(list.Base, c.b.Base, false)
	fmt.Fprintf(c.p.log(), "perfslo: counting %d benchmark(s) under callgrind (%s), %d process pairs per side\n", len(c.targets), c.version, CountPairs)
	out := &run.Outcome{Failures: list.Failures, PinnedCPU: -1}
	if err := c.count(ctx, c.targets, CountPairs, c.dir, out); err != nil {
		return nil, err
	}
	plan := run.Plan{Base: c.b.Base, Head: c.b.Head, Bench: cfg.Run.Bench, Benchtime: cfg.Run.Benchtime, CPU: cfg.Run.CPU, Rounds: CountPairs, Timeout: c.p.Timeout, Progress: c.p.Log, Pin: c.p.Pin}
	if err := c.timeFallbacks(ctx, plan, cfg.Run.Count, out); err != nil {
		return nil, err
	}
	m := &Measured{Plan: plan, Outcome: out, Head: SideOf(c.b.HeadSrc, out.Head), Base: SideOf(c.b.BaseSrc, out.Base), Started: start, Elapsed: time.Since(start)}
	return m, nil
}

// addTargets records the benchmarks one side's listing ran.
func (c *Counter) addTargets(results []*benchfmt.Result, pkgs []run.Package, head bool) {
	for _, r := range results {
		id := budgets.ResultID(r, 0)
		id.Procs = 0
		pkg := packageOf(pkgs, id.Package)
		if pkg == nil {
			continue
		}
		t := c.byID[id]
		if t == nil {
			t = &countTarget{id: id}
			t.measure, t.timeWhy = c.p.Config.MeasureFor(id.Package, id.Name)
			if t.measure == budgets.MeasureTime {
				t.asked = true
			} else {
				t.timeWhy = ""
			}
			c.byID[id] = t
			c.targets = append(c.targets, t)
		}
		if head {
			t.head = pkg
		} else {
			t.base = pkg
		}
	}
}

func packageOf(pkgs []run.Package, importPath string) *run.Package {
	for i := range pkgs {
		if pkgs[i].ImportPath == importPath || strings.TrimSuffix(pkgs[i].ImportPath, ".test") == importPath {
			return &pkgs[i]
		}
	}
	return nil
}

// count counts targets with pairs process pairs per side, into out; files
// go to dir. A benchmark callgrind cannot run is a failure under
// instructions and a wall-time fallback under auto. Benchmarks are counted
// CountParallel at a time (each with one process per CPU): counts do not
// depend on neighbours, so oversubscribing costs no accuracy, and on a
// shared machine it keeps the wall time down. Results are added in target
// order, so reports list benchmarks in the same order every run.
func (c *Counter) count(ctx context.Context, targets []*countTarget, pairs int, dir string, out *run.Outcome) error {
	type slot struct {
		pair    *callgrind.Pair
		failure *run.Failure
	}
	slots := make([]slot, len(targets))
	sem := make(chan struct{}, CountParallel)
	var wg sync.WaitGroup
	for i, t := range targets {
		if t.timeWhy != "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			slots[i].pair, slots[i].failure = c.countTarget(ctx, t, pairs, dir)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, t := range targets {
		if f := slots[i].failure; f != nil {
			out.Failures = append(out.Failures, *f)
		}
		if p := slots[i].pair; p != nil {
			out.Base = append(out.Base, countResults(t, p.Base)...)
			out.Head = append(out.Head, countResults(t, p.Head)...)
		}
	}
	return nil
}

// CountParallel is how many benchmarks are counted at once.
const CountParallel = 2

// countTarget counts one benchmark: its pair, or the failure to report
// (nil for neither when auto falls back to wall time).
func (c *Counter) countTarget(ctx context.Context, t *countTarget, pairs int, dir string) (*callgrind.Pair, *run.Failure) {
	o := c.options(dir)
	o.Pairs, o.MaxPairs = pairs, max(5, pairs)
	o.N, o.Method = t.n, t.method
	t0 := time.Now()
	pair, side, err := c.countOne(ctx, t, o)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil
		}
		if t.measure == budgets.MeasureAuto && t.first == nil {
			t.timeWhy = fmt.Sprintf("callgrind could not run it (%s), so it was timed: %s", side, firstLine(err.Error()))
			c.logf("perfslo: %s: %s\n", t.id.Name, t.timeWhy)
			return nil, nil
		}
		return nil, &run.Failure{Side: side, Package: t.id.Package, Benchmark: t.id.Name, Kind: "callgrind", Output: err.Error()}
	}
	if t.first == nil {
		t.first = pair
	}
	ref := pair.Head
	if ref == nil {
		ref = pair.Base
	}
	t.n, t.method = ref.N, ref.Method
	c.logf("perfslo: counted %s %s: %s in %.1fs\n", t.id.Package, t.id.Name, countSummary(pair), time.Since(t0).Seconds())
	return pair, nil
}

func (c *Counter) logf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.p.log(), format, args...)
}

// countOne counts one benchmark on the sides that have it.
func (c *Counter) countOne(ctx context.Context, t *countTarget, o callgrind.Options) (*callgrind.Pair, string, error) {
	target := func(p *run.Package) callgrind.Target {
		return callgrind.Target{Binary: p.Binary, Dir: p.Dir, Benchmark: t.id.Name, ImportPath: strings.TrimSuffix(p.ImportPath, ".test")}
	}
	switch {
	case t.base != nil && t.head != nil:
		pair, err := callgrind.MeasurePair(ctx, target(t.base), target(t.head), o)
		return pair, "base and head", err
	case t.head != nil:
		o.Label = run.SideHead
		r, err := callgrind.Measure(ctx, target(t.head), o)
		return &callgrind.Pair{Head: r}, run.SideHead, err
	default:
		o.Label = run.SideBase
		r, err := callgrind.Measure(ctx, target(t.base), o)
		return &callgrind.Pair{Base: r}, run.SideBase, err
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func countSummary(p *callgrind.Pair) string {
	var parts []string
	for _, r := range []*callgrind.Result{p.Base, p.Head} {
		if r == nil {
			continue
		}
		if m, ok := r.Metric(callgrind.UnitInstructions); ok {
			parts = append(parts, fmt.Sprintf("%.0f instructions/op (spread %.3g%%, %d pairs)", m.Value, 100*m.Spread, len(m.Samples)))
		}
	}
	return strings.Join(parts, " → ")
}

// countResults turns one side's counts into benchmark results, one per
// process pair, as the gate's sides take them.
func countResults(t *countTarget, r *callgrind.Result) []*benchfmt.Result {
	if r == nil {
		return nil
	}
	var n int
	for _, m := range r.Metrics {
		n = max(n, len(m.Samples))
	}
	out := make([]*benchfmt.Result, 0, n)
	for i := range n {
		res := &benchfmt.Result{Name: benchfmt.Name(strings.TrimPrefix(t.id.Name, "Benchmark")), Iters: r.N}
		res.SetConfig("pkg", t.id.Package)
		if j, ok := res.ConfigIndex("pkg"); ok {
			res.Config[j].File = true
		}
		for _, m := range r.Metrics {
			if i < len(m.Samples) {
				res.Values = append(res.Values, benchfmt.Value{Value: m.Samples[i], Unit: m.Unit})
			}
		}
		out = append(out, res)
	}
	return out
}

// timeFallbacks times, interleaved as in time mode, the benchmarks that
// callgrind could not run (auto).
func (c *Counter) timeFallbacks(ctx context.Context, plan run.Plan, rounds int, out *run.Outcome) error {
	var ids []budgets.BenchmarkID
	for _, t := range c.targets {
		if t.timeWhy != "" {
			ids = append(ids, t.id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	for _, g := range ConfirmGroups(ids) {
		pl := plan
		pl.Rounds = rounds
		pl.Bench = g.Bench
		pl.Head = packagesNamed(plan.Head, g.Package)
		pl.Base = packagesNamed(plan.Base, g.Package)
		o, err := run.Interleave(ctx, pl)
		if err != nil {
			return err
		}
		out.Base = append(out.Base, o.Base...)
		out.Head = append(out.Head, o.Head...)
		out.Failures = append(out.Failures, o.Failures...)
		out.Load = append(out.Load, o.Load...)
	}
	return nil
}

// Remeasure is DecideInput.Measure for the deterministic mode: a look
// counts its benchmarks again (fresh processes, plan.Rounds pairs per
// side, the first stage's N and method) and times the wall-time ones.
func (c *Counter) Remeasure(ctx context.Context, plan run.Plan) (*run.Outcome, error) {
	c.mu.Lock()
	c.looks++
	dir := filepath.Join(c.dir, fmt.Sprintf("look%d", c.looks))
	c.mu.Unlock()
	var counted []*countTarget
	timed := false
	for _, pkg := range plan.Head {
		for _, t := range c.targets {
			if t.head == nil || t.head.ImportPath != pkg.ImportPath || !benchSelects(plan.Bench, t.id.Name) {
				continue
			}
			if t.timeWhy != "" {
				timed = true
			} else {
				counted = append(counted, t)
			}
		}
	}
	out := &run.Outcome{PinnedCPU: -1}
	if err := c.count(ctx, counted, max(CountPairs, plan.Rounds), dir, out); err != nil {
		return nil, err
	}
	if timed {
		o, err := run.Interleave(ctx, plan)
		if err != nil {
			return nil, err
		}
		// Only the timed benchmarks' rows are open for time units; the
		// counted ones' time rows do not exist, so extra results of the
		// selection are harmless.
		out.Base = append(out.Base, o.Base...)
		out.Head = append(out.Head, o.Head...)
		out.Failures = append(out.Failures, o.Failures...)
		out.Load = append(out.Load, o.Load...)
	}
	return out, nil
}

// benchSelects reports whether a -test.bench pattern selects a benchmark
// name, level by level, as the testing package matches (a pattern with
// fewer levels matches every deeper name below it).
func benchSelects(pattern, name string) bool {
	if pattern == "" {
		pattern = "."
	}
	pats := strings.Split(pattern, "/")
	levels := strings.Split(name, "/")
	if len(pats) > len(levels) {
		return false
	}
	for i, p := range pats {
		re, err := regexp.Compile(p)
		if err != nil || !re.MatchString(levels[i]) {
			return false
		}
	}
	return true
}

// Settings records the measure in the report's settings: what was
// counted, how, and the caveats of every counted row.
func (c *Counter) Settings(s *gate.Settings) {
	if c.Why != "" {
		s.Measure = "auto: wall time for every benchmark, because " + c.Why
		return
	}
	var timed, asked int
	for _, t := range c.targets {
		if t.timeWhy != "" {
			timed++
		}
		if t.asked {
			asked++
		}
	}
	s.Measure = fmt.Sprintf("instructions/op and est-cycles/op under valgrind's callgrind (%s), %d process pairs (%d, N+%d) per side, per op = (count(N+%d) − count(%d))/N", c.version, CountPairs, callgrind.ShortN, callgrind.ShortN, callgrind.ShortN, callgrind.ShortN)
	switch {
	case asked > 0:
		s.Measure = fmt.Sprintf("%d benchmark(s) counted, %d timed (%d as perfslo.yaml asks, %d that callgrind could not run); ", len(c.targets)-timed, timed, asked, timed-asked) + s.Measure
	case c.p.Config.Run.Measure == budgets.MeasureAuto:
		s.Measure = fmt.Sprintf("auto: %d benchmark(s) counted, %d timed (callgrind could not run them); ", len(c.targets)-timed, timed) + s.Measure
	}
	if timed == 0 {
		// Otherwise the timed rows' settings stay, and Measure says which
		// rows were counted.
		s.Count, s.Benchtime = CountPairs, "N per benchmark, from a 20ms native run"
		s.Interleaved = false
	}
	s.MeasureNotes = []string{
		"Counts are judged as exact while each side's runs agree within " + finePercent(gate.DefaultCountSpread) + ", or whenever the sides' ranges alone settle the tolerance (the change interval is then the ranges'; a side of five or more runs stands for its range without its lowest and highest run); other counts are compared statistically, and the row says so.",
		"est-cycles/op = Ir + 10·(Bim+Bcm) + 10·(I1mr+D1mr+D1mw) + 100·(ILmr+DLmr+DLmw): KCachegrind's Cycle Estimation (libcore/globalconfig.cpp), over callgrind's simulated caches (I1/D1 " + callgrind.CacheD1 + ", LL " + callgrind.CacheLL + ") and branch predictor.",
		callgrind.CPUNote() + ".",
		"Counted with GOMAXPROCS=1, GODEBUG=asyncpreemptoff=1 and, by default, GOGC=off (allocation is counted, collection is not), binaries built with a fixed heap base (GOEXPERIMENT=norandomizedheapbase64 where the toolchain has it) and " + c.seedNote() + "; instruction deltas are smaller than time deltas for the same change.",
	}
	if c.dir != "" {
		s.MeasureNotes = append(s.MeasureNotes, "callgrind output files (callgrind_annotate, KCachegrind): "+c.dir)
	}
}

// seedNote says how the counted binaries' runtime seed was set.
func (c *Counter) seedNote() string {
	if c.b.randomSeed {
		return "the runtime's seed random per process (see the warning)"
	}
	return "a fixed runtime seed (an -overlay of runtime/rand.go: maps' hash seeds the same in every process, math/rand's draws the same or one draw later)"
}

func finePercent(f float64) string { return fmt.Sprintf("%.3g%%", 100*f) }

// Annotate adds to each row how it was measured, and to every regressed
// or violating counted row the functions whose self counts changed most
// (callgrind's per-function costs, base → head) with the files to open.
func (c *Counter) Annotate(rep *gate.Report, top int) {
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Function != "" {
			continue
		}
		id := budgets.ParseBenchmarkID(r.Package, r.Benchmark, 0)
		id.Procs = 0
		t := c.byID[id]
		if t == nil {
			continue
		}
		switch {
		case t.asked:
			r.Reasons = append(r.Reasons, "timed, as asked: "+t.timeWhy)
			continue
		case t.timeWhy != "":
			r.Warnings = append(r.Warnings, "wall time, not instructions: "+t.timeWhy)
			continue
		}
		if !gate.CountedUnit(r.Unit) || t.first == nil {
			continue
		}
		ref := t.first.Head
		if ref == nil {
			ref = t.first.Base
		}
		r.Reasons = append(r.Reasons, fmt.Sprintf("counted under callgrind (%s, N=%d)", ref.Method, ref.N))
		for _, side := range []*callgrind.Result{t.first.Base, t.first.Head} {
			if side == nil {
				continue
			}
			for _, w := range side.Warnings {
				// MeasurePair gives both sides the same note.
				if !slices.Contains(r.Warnings, w) {
					r.Warnings = append(r.Warnings, w)
				}
			}
		}
		if (r.Verdict == gate.Regression || r.Verdict == gate.Violation) && t.first.Base != nil && t.first.Head != nil {
			r.Attribution = attribution(t.first, r.Unit, top)
		}
	}
}

// attribution is the function diff of one counted benchmark in a unit.
func attribution(p *callgrind.Pair, unit string, top int) *gate.Attribution {
	deltas := callgrind.Diff(p.Base.Profile, p.Head.Profile, 0)
	cycles := unit == budgets.UnitEstCycles
	val := func(d callgrind.FunctionDelta) float64 {
		if cycles {
			return d.DeltaCycles
		}
		return d.Delta
	}
	sort.SliceStable(deltas, func(i, j int) bool { return math.Abs(val(deltas[i])) > math.Abs(val(deltas[j])) })
	a := &gate.Attribution{Unit: unit}
	if m, ok := p.Base.Metric(unit); ok {
		if h, ok := p.Head.Metric(unit); ok {
			a.Total = h.Value - m.Value
		}
	}
	for _, d := range deltas {
		if len(a.Functions) == top {
			break
		}
		f := gate.FunctionDelta{Function: d.Function, Flat: val(d)}
		if a.Total != 0 {
			f.Share = f.Flat / a.Total
		}
		a.Functions = append(a.Functions, f)
	}
	base, head := lastFile(p.Base), lastFile(p.Head)
	if base != "" && head != "" {
		a.Command = "callgrind_annotate " + head + "   # base: callgrind_annotate " + base
	}
	return a
}

// lastFile is the long process's output of a side's first pair: the one to
// open (with --separate-threads, its main thread's file).
func lastFile(r *callgrind.Result) string {
	for _, run := range r.Runs {
		if run.Pair == 1 && run.N == r.N+callgrind.ShortN {
			for _, f := range run.Files {
				if f != run.Excluded {
					return f
				}
			}
			return run.File
		}
	}
	return ""
}

// demandsCounts reports whether perfslo.yaml asks for instructions (in
// run.measure or an entry), not only auto: then a missing valgrind is an
// error, not a reason to time everything.
func demandsCounts(cfg *budgets.Config) bool {
	if cfg.Run.Measure == budgets.MeasureInstructions {
		return true
	}
	for _, b := range cfg.Budgets {
		if b.Measure == budgets.MeasureInstructions {
			return true
		}
	}
	return false
}

// countBuildEnv is the build environment's additions for a run that counts
// under callgrind (instructions or auto; with a stored baseline nothing is
// counted): callgrind.BuildEnv's fixed heap base and fixed runtime seed,
// on both sides alike. What it could not fix becomes a warning of the
// report, once.
func (b *Built) countBuildEnv(ctx context.Context, p Plan, dir string) []string {
	if !p.Config.Counts() || p.Baseline != "" {
		return nil
	}
	env, warnings := callgrind.BuildEnv(ctx, dir)
	for _, w := range warnings {
		b.randomSeed = true
		if !slices.Contains(b.Warnings, w) {
			fmt.Fprintf(p.log(), "perfslo: warning: %s\n", w)
			b.Warnings = append(b.Warnings, w)
		}
	}
	return env
}

// callgrindDir is where a gate run keeps its callgrind output files.
func callgrindDir(p Plan) string {
	return filepath.Join(p.ProfilesDir, "callgrind")
}

// removeEmpty deletes dir when nothing was written to it.
func removeEmpty(dir string) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) == 0 {
		os.Remove(dir)
	}
}
