package callgrind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/perf/benchfmt"
)

// Units of the metrics a Result carries.
const (
	UnitInstructions = "instructions/op"
	UnitEstCycles    = "est-cycles/op"
)

// Method is how a benchmark's instructions were counted.
type Method string

const (
	// MethodAuto is MethodNoGC, with more pairs (a statistical result)
	// when its counts are not deterministic.
	MethodAuto Method = ""
	// MethodNoGC counts every instruction of the process, but those of
	// sysmon's thread and of the scheduler's functions, with the collector
	// off (GOGC=off, GOMEMLIMIT as a safety net). Allocation is counted,
	// collection is not: with GC on, when a cycle starts and how much of it
	// the benchmark's goroutine does depend on wall time, which valgrind
	// stretches 30–70×; counts of allocating benchmarks then vary by 2–14%
	// between runs.
	MethodNoGC Method = "whole-program,GOGC=off"
	// MethodWholeProgram is MethodNoGC with the collector on: GC work is
	// counted, at the price of that run-to-run variation.
	MethodWholeProgram Method = "whole-program"
	// MethodToggle counts only inside the benchmark's function
	// (--collect-atstart=no --toggle-collect=<symbol>; for a sub-benchmark
	// the function b.Run ran, found in a profile of one run). Exact for
	// code that never leaves its goroutine's stack; but callgrind follows
	// calls by the stack pointer, and Go's switches to the system stack
	// (preemption, runtime.GC, ReadMemStats in b.ResetTimer, large
	// allocations) confuse it: counts then lose whole iterations (seen:
	// 9.5% spread on a recursive benchmark, 7% on an allocating one).
	MethodToggle Method = "toggle"
)

// Target is one benchmark of one built test binary.
type Target struct {
	// Binary is a test binary built with `go test -c` (with its symbol
	// table: not -ldflags=-s).
	Binary string
	// Dir is the package's source directory; the binary runs there, as
	// `go test` runs it, so benchmarks can read testdata/.
	Dir string
	// Benchmark is the full name as `go test -bench` prints it with
	// GOMAXPROCS=1, sub-benchmarks included: "BenchmarkSum/lines=1000".
	Benchmark string
	// ImportPath is the package's import path; "" reads it from the
	// binary's build information.
	ImportPath string
}

// Options tune a measurement. The zero value is usable once OutDir is set.
type Options struct {
	// Valgrind is the valgrind executable; "" looks "valgrind" up in PATH.
	Valgrind string
	// OutDir receives the callgrind output files, kept for
	// callgrind_annotate and KCachegrind. Required; created if missing.
	OutDir string
	// Label goes into file names, to keep sides apart ("base", "head").
	Label string
	// CacheSim turns on callgrind's cache and branch simulation, which
	// est-cycles/op needs; it makes every process about 2.5× slower.
	CacheSim bool
	// N is how many more iterations the long process of a pair runs than
	// the short one (which runs ShortN). 0 chooses it from a short native
	// run so that the long process's benchmark part takes about Target
	// under callgrind, and at least MinDiff instructions.
	N int
	// Target is the intended benchmark time of the long process under
	// callgrind; default 500ms. Deterministic counts need no long runs:
	// the per-process start (≈0.3 s) dominates anyway.
	Target time.Duration
	// MinDiff is the fewest instructions the N more ops of the long process
	// should execute: each process's count varies by tens of thousands of
	// instructions whatever N is (the runtime's own bookkeeping; see
	// bookkeepingFunctions), so per-op noise is that over N·instructions/op.
	// After the first pair, whose instructions/op are then known, an N
	// more than 2× off this target is corrected and the pair run again.
	// 0 means DefaultMinDiff; < 0 turns the correction off.
	MinDiff int64
	// Slowdown is the assumed callgrind/native time ratio for choosing N;
	// default 40 (measured 22–35× here on CPU-bound and allocating
	// benchmarks), multiplied by 2.5 with CacheSim.
	Slowdown float64
	// MaxSpread bounds the relative spread (max−min)/median of the per-op
	// instruction counts between pairs for a method to count as
	// deterministic; default 0.001 (0.1%).
	MaxSpread float64
	// Pairs is the number of (ShortN, N+ShortN) process pairs per method; at least 2
	// (the default), so that determinism is measured, not assumed.
	Pairs int
	// MaxPairs is how many pairs are taken in all when the counts are not
	// deterministic; default 5.
	MaxPairs int
	// Method chooses how to count (MethodAuto: MethodNoGC). Base and head
	// must be counted the same way: see MeasurePair.
	Method Method
	// Parallel is how many callgrind processes run at once; default the
	// number of CPUs. Counts do not depend on neighbours (measured: the
	// spread is unchanged with the other core busy).
	Parallel int
	// Timeout bounds each process; default 10 minutes.
	Timeout time.Duration
	// MemLimit is GOMEMLIMIT for MethodNoGC, so that GOGC=off
	// cannot exhaust memory; default "2GiB".
	MemLimit string
	// Env is added to the processes' environment (after os.Environ()).
	Env []string
	// Progress, if set, receives one line per process.
	Progress io.Writer
}

func (o Options) withDefaults() Options {
	if o.Target <= 0 {
		o.Target = 500 * time.Millisecond
	}
	if o.MinDiff == 0 {
		o.MinDiff = DefaultMinDiff
	}
	if o.Slowdown <= 0 {
		o.Slowdown = 40
		if o.CacheSim {
			o.Slowdown *= 2.5
		}
	}
	if o.MaxSpread <= 0 {
		o.MaxSpread = 0.001
	}
	if o.Pairs < 2 {
		o.Pairs = 2
	}
	if o.MaxPairs < o.Pairs {
		o.MaxPairs = max(5, o.Pairs)
	}
	if o.Parallel <= 0 {
		o.Parallel = runtime.NumCPU()
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.MemLimit == "" {
		o.MemLimit = "2GiB"
	}
	return o
}

// The simulated caches (size,associativity,line size), fixed rather than
// read from the host: valgrind otherwise copies the host's, and a VM here
// reports a 320 MiB L3, which valgrind simulated as a 256 MiB direct-mapped
// LL; est-cycles/op would then differ from machine to machine. These are a
// common desktop/server core's L1s and a modest shared last level.
const (
	CacheI1 = "32768,8,64"
	CacheD1 = "32768,8,64"
	CacheLL = "8388608,16,64"
)

// Metric is one per-op measurement.
type Metric struct {
	Unit string // UnitInstructions or UnitEstCycles
	// Value is (median count at N+ShortN − median count at ShortN) / N:
	// with two pairs the mean of Samples, with more robust to a disturbed
	// process.
	Value float64
	// Samples holds one per-op value per (ShortN, N+ShortN) pair:
	// (count(N+ShortN) − count(ShortN)) / N.
	Samples []float64
	// Spread is (max−min)/|Value| of Samples: 0 when they are equal.
	Spread float64
}

// ShortN is the iteration count of a pair's short process. Per op is
// (count(N+ShortN) − count(ShortN)) / N: the short process carries the
// same start, setup, forced collections and exit as the long one, so they
// cancel, and it costs little more than the start. It replaced an
// (N, 2N) pair: for the same N the long process is half as long, the
// per-process noise is divided by the same N, and a per-process cost that
// varies with the seed of a hash (encoding/json's sync.Map of encoders:
// 51 or 75 instructions per Load on google/uuid's BenchmarkUUID_MarshalJSON)
// enters once, not as 2·c(2N) − c(N). Not 1: at 1x the testing package
// runs b.N once, at any other count twice (1, then N), so a 1x process
// would lack one b.N run's fixed work.
const ShortN = 2

// DefaultMinDiff is Options.MinDiff's default: 40M instructions. Whole-
// program counts of identical processes differ by ~20–50k instructions
// (measured on google/uuid and the examples, after bookkeepingFunctions,
// the collector's sources and with BuildEnv's fixed heap base), which on
// 40M is 0.05–0.12%: well within the gate's 0.25% bound for exact counts.
// With the ShortN pair the long process counts 40M plus the start, less
// than the 20M + 40M of an (N, 2N) pair at the former 20M.
const DefaultMinDiff = 40_000_000

// nativeInstrPerNs converts a native time per op into a first guess of
// instructions per op: 10–16 per ns measured here on the examples (53 on a
// SHA-256 whose SHA-NI path valgrind replaces with AVX2 code).
const nativeInstrPerNs = 10

// Run is one callgrind process.
type Run struct {
	Method Method
	Pair   int // 1-based
	N      int // -test.benchtime iterations
	File   string
	Wall   time.Duration
	// Files are the process's callgrind output files (one per thread for
	// the whole-program methods: File-01, File-02, ...); Excluded is the
	// sysmon thread's, which Counts leave out.
	Files    []string
	Excluded string
	// Counts are the process's totals by event: the sum of self costs,
	// for the whole-program methods without sysmon's thread and the
	// scheduler's functions (schedulerFunctions).
	Counts map[string]int64
	// NsPerOp is what the benchmark reported under callgrind.
	NsPerOp float64
}

// Result is one benchmark counted under callgrind.
type Result struct {
	Benchmark string
	// Symbol is the benchmark's function, the toggle of MethodToggle (for
	// a sub-benchmark, the function b.Run ran); "" for the other methods.
	Symbol string
	// Method is how the metrics were counted.
	Method Method
	// Statistical is true when the counts of the first pairs differed by
	// more than MaxSpread: then more pairs were taken, and Metrics' Samples
	// must be compared statistically, not as exact counts.
	Statistical bool
	N           int
	// NativeNsPerOp is the calibration run's time per op (0 when N was given).
	NativeNsPerOp float64
	// Metrics holds instructions/op and, with CacheSim, est-cycles/op.
	Metrics []Metric
	// PerOp is every callgrind event per op, computed as Value is: "Ir",
	// and with CacheSim "D1mr", "DLmw", "Bcm", ...
	PerOp map[string]float64
	// Profile is the per-function self cost per op, for Diff.
	Profile *Profile
	// Runs lists every process of the final method (Files every file kept,
	// of all methods and the symbol discovery).
	Runs  []Run
	Files []string
	// Adjusted says why N differs from the first guess (the first pair's
	// instructions per op put it far from Options.MinDiff).
	Adjusted string
	// Warnings are about this row: fallbacks, noise, very long processes.
	Warnings []string
	// Notes are caveats true of every row (the CPU valgrind presents).
	Notes    []string
	Valgrind string // version
	Wall     time.Duration
}

// Metric returns the metric of a unit, if measured.
func (r *Result) Metric(unit string) (Metric, bool) {
	for _, m := range r.Metrics {
		if m.Unit == unit {
			return m, true
		}
	}
	return Metric{}, false
}

// EstCycles is the cycle estimate KCachegrind defines (libcore/globalconfig.cpp,
// event type "CEst", "Cycle Estimation"):
//
//	CEst = Ir + 10 Bm + 10 L1m + 20 Ge + 100 L2m + 100 LLm
//	L1m = I1mr + D1mr + D1mw,  LLm = ILmr + DLmr + DLmw,  Bm = Bim + Bcm
//
// Ge (global bus events) needs --collect-bus=yes and L2m is the name older
// valgrinds gave the last level; neither is collected here, so they count
// as 0. counts maps event names to values; missing events count as 0.
func EstCycles(counts map[string]float64) float64 {
	c := func(k string) float64 { return counts[k] }
	l1m := c("I1mr") + c("D1mr") + c("D1mw")
	llm := c("ILmr") + c("DLmr") + c("DLmw")
	l2m := c("I2mr") + c("D2mr") + c("D2mw")
	bm := c("Bim") + c("Bcm")
	return c("Ir") + 10*bm + 10*l1m + 20*c("Ge") + 100*l2m + 100*llm
}

// Measure counts one benchmark's instructions (and, with CacheSim,
// estimated cycles) per op under callgrind.
func Measure(ctx context.Context, t Target, o Options) (*Result, error) {
	start := time.Now()
	o = o.withDefaults()
	if o.OutDir == "" {
		return nil, errors.New("callgrind: Options.OutDir is required (the output files are kept there)")
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(t.Benchmark, "Benchmark") {
		return nil, fmt.Errorf("callgrind: %q is not a benchmark name (want BenchmarkX or BenchmarkX/sub)", t.Benchmark)
	}
	vg, version, err := Check(ctx, o.Valgrind)
	if err != nil {
		return nil, err
	}
	m := &measurer{t: t, o: o, vg: vg}
	res := &Result{Benchmark: t.Benchmark, Valgrind: version, Notes: []string{CPUNote()}}

	if o.Method == MethodToggle {
		if res.Symbol, err = m.symbol(ctx, res); err != nil {
			return nil, err
		}
		m.symbolName = res.Symbol
	}

	n := o.N
	if n <= 0 {
		ns, err := Calibrate(ctx, t, o.Timeout)
		if err != nil {
			return nil, err
		}
		res.NativeNsPerOp = ns
		n = chooseN(ns, o.Target, o.Slowdown)
		if o.MinDiff > 0 && ns > 0 {
			n = max(n, int(math.Min(1e8, math.Ceil(float64(o.MinDiff)/(ns*nativeInstrPerNs)))))
		}
		n = floorN(n, o.CacheSim)
	}
	res.N = n

	res.Method = o.Method
	if res.Method == MethodAuto {
		res.Method = MethodNoGC
	}
	runs, err := m.pairs(ctx, res.Method, &res.N, o.Pairs, res)
	if err != nil {
		return nil, err
	}
	if spread := instrSpread(runs, res.N); spread > o.MaxSpread {
		// Not deterministic: take more pairs and hand the caller samples
		// to compare statistically.
		more, err := m.runPairs(ctx, res.Method, res.N, o.Pairs+1, o.MaxPairs, res)
		if err != nil {
			return nil, err
		}
		runs = append(runs, more...)
		res.Statistical = true
		res.Warnings = append(res.Warnings, fmt.Sprintf("instruction counts varied %s between the first %d runs of each length (bound %s): %d pairs taken, spread %s; compare them statistically, not as exact counts",
			pct(spread), o.Pairs, pct(o.MaxSpread), o.MaxPairs, pct(instrSpread(runs, res.N))))
	}
	if res.Method == MethodNoGC {
		res.Notes = append(res.Notes, "counted with GOGC=off: allocation is counted, garbage collection is not")
	}
	res.Runs = runs
	m.summarize(res)
	if ir, ok := res.Metric(UnitInstructions); ok {
		if ir.Value <= 0 {
			return nil, fmt.Errorf("%s: %s counted %.0f instructions/op: the count does not grow with -test.benchtime", t.Benchmark, res.Method, ir.Value)
		}
	}
	res.Wall = time.Since(start)
	return res, nil
}

// Pair is one benchmark counted on both sides the same way.
type Pair struct {
	Base, Head *Result
}

// MeasurePair counts a benchmark on base and head with the same method and
// the same N (chosen on base), so that their per-op counts compare. If
// either side's counts are not deterministic, both are marked Statistical.
// o.Label is ignored: files are labelled "base" and "head".
func MeasurePair(ctx context.Context, base, head Target, o Options) (*Pair, error) {
	ob := o
	ob.Label = "base"
	b, err := Measure(ctx, base, ob)
	if err != nil {
		return nil, err
	}
	oh := o
	oh.Label = "head"
	oh.N = b.N
	oh.Method = b.Method
	h, err := Measure(ctx, head, oh)
	if err != nil {
		return nil, err
	}
	if b.Statistical != h.Statistical {
		b.Statistical, h.Statistical = true, true
		note := "the other side's counts are not deterministic: compare statistically"
		b.Warnings = append(b.Warnings, note)
		h.Warnings = append(h.Warnings, note)
	}
	return &Pair{Base: b, Head: h}, nil
}

// MinCacheSimN is the fewest ops a pair's long process runs beyond the
// short one when the caches and branch predictor are simulated. A single
// op's simulated misses depend on the state the previous ops left (the
// predictor still learning, lines still cold): measured on the examples'
// BenchmarkSum/lines=100000 (32M instructions per op, so MinDiff alone
// gives N=1), est-cycles/op spread 2.0% over 4 pairs at N=1 (branch
// mispredictions per op 92k–133k) and 0.235% over 3 pairs at N=4, while
// instructions/op spread 0.09% and 0.03%.
const MinCacheSimN = 4

// floorN is N at least MinCacheSimN with the cache simulation on.
func floorN(n int, cacheSim bool) int {
	if cacheSim {
		return max(n, MinCacheSimN)
	}
	return max(n, 1)
}

// chooseN picks N so that 2N ops take about target under callgrind (the
// long process runs N+ShortN: the target leaves room for MinDiff).
func chooseN(nsPerOp float64, target time.Duration, slowdown float64) int {
	if nsPerOp <= 0 {
		return 1000
	}
	n := float64(target.Nanoseconds()) / (2 * nsPerOp * slowdown)
	return int(math.Max(1, math.Min(n, 1e8)))
}

// Calibrate runs the benchmark natively for about 20ms (GOMAXPROCS=1, as
// under callgrind) and returns its time per op.
func Calibrate(ctx context.Context, t Target, timeout time.Duration) (float64, error) {
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, t.Binary, "-test.run", "^$", "-test.bench", BenchRegexp(t.Benchmark),
		"-test.benchtime", "20ms", "-test.count", "1")
	cmd.Dir = t.Dir
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: native calibration run failed: %v\n%s", t.Benchmark, err, tail(stdout.String()+stderr.String(), 2000))
	}
	r, err := benchLine(stdout.Bytes(), t.Benchmark)
	if err != nil {
		return 0, err
	}
	return r.nsPerOp, nil
}

// BenchRegexp returns the -test.bench pattern that selects exactly one
// benchmark: each slash-separated level anchored and quoted, because the
// testing package matches level by level and a bare "BenchmarkX" also
// selects BenchmarkXY.
func BenchRegexp(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

type measurer struct {
	t          Target
	o          Options
	vg         string
	symbolName string

	mu     sync.Mutex
	parsed map[string]*File // by Run.File
}

// symbol returns the function whose calls are the benchmark: the top-level
// function, or for a sub-benchmark the function its b.Run ran, found in a
// whole-program profile of one run.
func (m *measurer) symbol(ctx context.Context, res *Result) (string, error) {
	pkg := m.t.ImportPath
	if pkg == "" {
		var err error
		if pkg, err = importPath(m.t.Binary); err != nil {
			return "", err
		}
	}
	levels := strings.Split(m.t.Benchmark, "/")
	top, err := topSymbol(m.t.Binary, pkg, levels[0])
	if err != nil {
		return "", err
	}
	sym := top
	if len(levels) > 1 {
		file := m.fileName("discover", 1, 0)
		run, err := m.process(ctx, procSpec{method: "discover", n: 1, file: file})
		if err != nil {
			return "", fmt.Errorf("finding the function of sub-benchmark %s: %w", m.t.Benchmark, err)
		}
		res.Files = append(res.Files, run.Files...)
		if sym, err = leafFromProfile(m.parsed[run.File], top); err != nil {
			return "", err
		}
	}
	if err := uniqueMatch(m.t.Binary, toggleArg(sym)); err != nil {
		return "", err
	}
	return sym, nil
}

// pairs runs count (ShortN, N+ShortN) pairs with one method. After the first pair, an
// N that makes processes far longer than Target (the slowdown guess was
// wrong) is lowered once, and the pair run again.
func (m *measurer) pairs(ctx context.Context, meth Method, n *int, count int, res *Result) ([]Run, error) {
	first, err := m.runPairs(ctx, meth, *n, 1, 1, res)
	if err != nil {
		return nil, err
	}
	if ipo := perOp(first, *n, "Ir"); m.o.N == 0 && m.o.MinDiff > 0 && len(ipo) == 1 && ipo[0] > 0 {
		// Now the instructions per op are known: aim N at MinDiff.
		ideal := floorN(max(1, int(math.Min(1e8, math.Ceil(float64(m.o.MinDiff)/ipo[0])))), m.o.CacheSim)
		if ideal > 2**n || ideal < *n/2 {
			res.Adjusted = fmt.Sprintf("N %d gave %.0f instructions/op: N set to %d, so the N more ops count about %d instructions", *n, ipo[0], ideal, m.o.MinDiff)
			*n = ideal
			if first, err = m.runPairs(ctx, meth, *n, 1, 1, res); err != nil {
				return nil, err
			}
		}
	}
	rest, err := m.runPairs(ctx, meth, *n, 2, count, res)
	if err != nil {
		return nil, err
	}
	return append(first, rest...), nil
}

// runPairs runs pairs from..to (1-based) concurrently, Parallel at a time,
// and returns their runs ordered (pair, N).
func (m *measurer) runPairs(ctx context.Context, meth Method, n, from, to int, res *Result) ([]Run, error) {
	var specs []procSpec
	for p := from; p <= to; p++ {
		for _, k := range []int{ShortN, n + ShortN} {
			specs = append(specs, procSpec{method: meth, n: k, pair: p, file: m.fileName(string(meth), k, p)})
		}
	}
	runs := make([]Run, len(specs))
	errs := make([]error, len(specs))
	sem := make(chan struct{}, m.o.Parallel)
	var wg sync.WaitGroup
	for i, s := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			runs[i], errs[i] = m.process(ctx, s)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, runs[i].Files...)
	}
	return runs, nil
}

type procSpec struct {
	method Method // a Method, or "discover"
	n      int
	pair   int
	file   string
}

func (m *measurer) fileName(method string, n, pair int) string {
	var b strings.Builder
	b.WriteString("callgrind.out.")
	if m.o.Label != "" {
		b.WriteString(sanitize(m.o.Label) + ".")
	}
	b.WriteString(sanitize(m.t.Benchmark))
	fmt.Fprintf(&b, ".%s.%dx", sanitize(method), n)
	if pair > 0 {
		fmt.Fprintf(&b, ".%d", pair)
	}
	return filepath.Join(m.o.OutDir, b.String())
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '=', r == '-', r == '_', r == '.':
			return r
		case r == '/':
			return '~'
		}
		return '_'
	}, s)
}

// process runs one callgrind process and reads its output file, which it
// writes under a temporary name and renames when the run succeeded.
func (m *measurer) process(ctx context.Context, s procSpec) (Run, error) {
	ctx, cancel := context.WithTimeout(ctx, m.o.Timeout)
	defer cancel()
	tmp := s.file + ".tmp"
	args := []string{"--tool=callgrind", "--callgrind-out-file=" + tmp}
	env := append(os.Environ(), m.o.Env...)
	env = append(env, "GOMAXPROCS=1", "GODEBUG="+godebug(env))
	switch s.method {
	case MethodToggle:
		args = append(args, "--collect-atstart=no", "--toggle-collect="+toggleArg(m.symbolName))
	case MethodWholeProgram:
		args = append(args, "--separate-threads=yes")
	case MethodNoGC:
		args = append(args, "--separate-threads=yes")
		env = append(env, "GOGC=off", "GOMEMLIMIT="+m.o.MemLimit)
	}
	if m.o.CacheSim && s.method != "discover" {
		args = append(args, "--cache-sim=yes", "--branch-sim=yes", "--I1="+CacheI1, "--D1="+CacheD1, "--LL="+CacheLL)
	}
	args = append(args, m.t.Binary, "-test.run", "^$", "-test.bench", BenchRegexp(m.t.Benchmark),
		"-test.benchtime", fmt.Sprintf("%dx", s.n), "-test.count", "1")
	cmd := exec.CommandContext(ctx, m.vg, args...)
	cmd.Dir = m.t.Dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	defer removeTemp(tmp)
	out := stdout.String() + stderr.String()
	if ctx.Err() == context.DeadlineExceeded {
		return Run{}, fmt.Errorf("%s: callgrind process (%dx) timed out after %s", m.t.Benchmark, s.n, m.o.Timeout)
	}
	if err != nil {
		return Run{}, fmt.Errorf("%s: valgrind --tool=callgrind %s -test.benchtime %dx failed: %v\n%s", m.t.Benchmark, filepath.Base(m.t.Binary), s.n, err, tail(out, 3000))
	}
	bl, err := benchLine(stdout.Bytes(), m.t.Benchmark)
	if err != nil {
		return Run{}, fmt.Errorf("under callgrind: %w", err)
	}
	if bl.iters != s.n {
		return Run{}, fmt.Errorf("%s: ran %d iterations under callgrind, asked for %d", m.t.Benchmark, bl.iters, s.n)
	}
	f, files, excluded, err := collectOutput(tmp, s.file)
	if err != nil {
		return Run{}, fmt.Errorf("%s: reading callgrind output: %w", m.t.Benchmark, err)
	}
	counts := map[string]int64{}
	for i, e := range f.Events {
		counts[e] = f.Totals[i]
	}
	if s.method == MethodNoGC || s.method == MethodWholeProgram {
		for name, fn := range f.Functions {
			if schedulerFunctions[name] || bookkeepingFunctions[name] || s.method == MethodNoGC && collectorSource(fn.Source) {
				for i, e := range f.Events {
					counts[e] -= fn.Self[i]
				}
				delete(f.Functions, name) // nor in the profile
			}
		}
	}
	if m.o.Progress != nil {
		m.mu.Lock()
		fmt.Fprintf(m.o.Progress, "callgrind %s %s %dx: %d Ir in %.2fs\n", m.t.Benchmark, s.method, s.n, counts["Ir"], wall.Seconds())
		m.mu.Unlock()
	}
	r := Run{Method: s.method, Pair: s.pair, N: s.n, File: s.file, Files: files, Excluded: excluded, Wall: wall, Counts: counts, NsPerOp: bl.nsPerOp}
	m.mu.Lock()
	if m.parsed == nil {
		m.parsed = map[string]*File{}
	}
	m.parsed[s.file] = f
	m.mu.Unlock()
	return r, nil
}

// collectOutput reads what one process wrote under the temporary name tmp
// (one file, or with --separate-threads one per thread, "tmp-01", ...),
// renames it to final ("final-01", ...), and returns the counts to use: the
// sum of every thread except sysmon's. sysmon, the runtime's monitor
// thread, wakes on wall-clock time (every 20 µs to 10 ms), never runs the
// benchmark, and under valgrind's slowdown does 30–70× more rounds per
// benchmark instruction than natively: its count is noise (measured: per-op
// spread 0.13% with it, 0.07% without, on a checksum loop).
func collectOutput(tmp, final string) (merged *File, files []string, excluded string, err error) {
	threads, err := filepath.Glob(tmp + "-[0-9]*")
	if err != nil {
		return nil, nil, "", err
	}
	sort.Strings(threads)
	if len(threads) == 0 {
		threads = []string{tmp}
	}
	var keep []*File
	for _, th := range threads {
		f, err := ParseFile(th)
		if err != nil {
			return nil, nil, "", err
		}
		dst := final + strings.TrimPrefix(th, tmp)
		if err := os.Rename(th, dst); err != nil {
			return nil, nil, "", err
		}
		f.Path = dst
		files = append(files, dst)
		if len(threads) > 1 && f.Functions["runtime.sysmon"] != nil {
			excluded = dst
			continue
		}
		keep = append(keep, f)
	}
	if len(keep) == 0 {
		return nil, nil, "", fmt.Errorf("%s: only the sysmon thread's profile", final)
	}
	merged, err = mergeFiles(keep)
	if err != nil {
		return nil, nil, "", err
	}
	merged.Path = final
	return merged, files, excluded, nil
}

func removeTemp(tmp string) {
	os.Remove(tmp)
	rest, _ := filepath.Glob(tmp + "-[0-9]*")
	for _, f := range rest {
		os.Remove(f)
	}
}

// schedulerFunctions are the Go scheduler's own functions (Go 1.26 names).
// The whole-program methods leave their self costs out: sysmon preempts a
// running goroutine every 10 ms of wall time, and each preemption runs
// the scheduler (findRunnable polls the network, checks timers and run
// queues, then resumes the benchmark), so under valgrind this count grows
// with the machine's load, not with the code. Measured A/A on the examples
// with them counted: per-op differences of up to 0.48% between two sides
// run a minute apart, whose own pairs agreed within 0.08%. The cost of
// benchmarks that schedule (channels, goroutine handoffs) is undercounted
// by as much; wall time measures those better.
var schedulerFunctions = map[string]bool{
	"runtime.schedule":                         true,
	"runtime.findRunnable":                     true,
	"runtime.execute":                          true,
	"runtime.goschedImpl":                      true,
	"runtime.gopreempt_m":                      true,
	"runtime.gosched_m":                        true,
	"runtime.goschedguarded_m":                 true,
	"runtime.stealWork":                        true,
	"runtime.runqsteal":                        true,
	"runtime.runqgrab":                         true,
	"runtime.runqget":                          true,
	"runtime.runqput":                          true,
	"runtime.globrunqget":                      true,
	"runtime.globrunqgetbatch":                 true,
	"runtime.globrunqput":                      true,
	"runtime.wakep":                            true,
	"runtime.pidleget":                         true,
	"runtime.pidlegetSpinning":                 true,
	"runtime.pidleput":                         true,
	"runtime.resetspinning":                    true,
	"runtime.(*m).clearAllpSnapshot":           true,
	"runtime.(*m).snapshotAllp":                true,
	"runtime.checkTimersNoP":                   true,
	"runtime.(*timers).check":                  true,
	"runtime.netpoll":                          true,
	"internal/runtime/syscall/linux.EpollWait": true,
	"runtime.handoffp":                         true,
	"runtime.startm":                           true,
	"runtime.stopm":                            true,
	"runtime.mPark":                            true,
}

// bookkeepingFunctions are runtime functions whose cost per process varies
// between identical runs by far more than it grows with the benchmark:
// the page allocator's search and summaries (how much a heap growth has
// to search depends on where earlier spans landed), memstats reads (the
// testing package's, once per timer start and stop), and stack unwinding
// (pcvalue, step: tracebacks for the profilers' bookkeeping). Measured on
// the examples, five identical 2N processes per benchmark: the
// whole-program counts spanned 101k (a hash) and 139k (a string builder)
// instructions; without these functions 32k and 50k. runtime.(*pageAlloc).find
// alone was 0 in one run and 85k in the next. Allocation itself
// (mallocgc and its callees) stays counted, but an allocating benchmark's
// heap-growth search is left out.
var bookkeepingFunctions = map[string]bool{
	"runtime.(*pageAlloc).find":                 true,
	"runtime.(*pageAlloc).update":               true,
	"runtime.(*pallocBits).summarize":           true,
	"runtime.mergeSummaries":                    true,
	"runtime.(*consistentHeapStats).unsafeRead": true,
	"runtime.readmemstats_m":                    true,
	"runtime.(*mcache).releaseAll":              true,
	"runtime.step":                              true,
	"runtime.pcvalue":                           true,
	"runtime.(*moduledata).textAddr":            true,
}

// collectorSource reports whether a runtime source file holds the
// collector's own work (marking, sweeping, the scavenger, write barrier
// buffers), which MethodNoGC leaves out. With GOGC=off the collector runs
// only when the testing package forces a cycle (runtime.GC before every
// b.N run), so none of it is the benchmark's; and how much marking that
// cycle does varies between identical processes (the mark workers'
// batching, Go 1.26's span scanning): measured on google/uuid's
// BenchmarkUUID_New, 5 pairs, scanObjectsSmall alone varied by 0.35
// instructions per op. The pacer (mgcpacer.go) stays counted: the
// allocation path calls it on every span refill.
func collectorSource(path string) bool {
	dir, file := filepath.Split(filepath.ToSlash(path))
	if !strings.HasSuffix(dir, "/runtime/") {
		return false
	}
	switch {
	case file == "mgcpacer.go":
		return false
	case strings.HasPrefix(file, "mgc") && strings.HasSuffix(file, ".go"), file == "mwbbuf.go":
		return true
	}
	return false
}

// godebug returns GODEBUG for callgrind processes: the caller's settings,
// then asyncpreemptoff=1 (callgrind crashes on the signals Go's
// asynchronous preemption sends) and memprofilerate=0 (the heap profiler
// samples at random intervals, seeded per process, which made counts of
// allocating benchmarks vary run to run). Later settings win.
func godebug(env []string) string {
	var cur string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			cur = v
		}
	}
	add := "asyncpreemptoff=1,memprofilerate=0"
	if cur == "" {
		return add
	}
	return cur + "," + add
}

type benchResult struct {
	iters   int
	nsPerOp float64
}

// benchLine finds the one result line of name in a test binary's output.
func benchLine(stdout []byte, name string) (benchResult, error) {
	rd := benchfmt.NewReader(bytes.NewReader(stdout), "output")
	var found []benchResult
	var others []string
	for rd.Scan() {
		r, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		full := "Benchmark" + string(r.Name.Full())
		if full != name {
			others = append(others, full)
			continue
		}
		ns, _ := r.Value("sec/op")
		found = append(found, benchResult{iters: r.Iters, nsPerOp: ns * 1e9})
	}
	switch {
	case len(found) == 1 && len(others) == 0:
		return found[0], nil
	case len(found) == 0 && len(others) == 0:
		return benchResult{}, fmt.Errorf("%s reported no result (does it exist? does it fail?):\n%s", name, tail(string(stdout), 2000))
	case len(found) == 0:
		return benchResult{}, fmt.Errorf("%s reported no result; the selection ran %s", name, strings.Join(others, ", "))
	default:
		return benchResult{}, fmt.Errorf("%s: selection ran %d results (%s) where one was expected", name, len(found)+len(others), strings.Join(append(others, name), ", "))
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

func pct(x float64) string {
	if math.IsInf(x, 0) {
		return "∞%"
	}
	return fmt.Sprintf("%.3g%%", 100*x)
}

// perOp returns the per-op value of one event for every pair.
func perOp(runs []Run, n int, event string) []float64 {
	byPair := map[int][2]int64{}
	var pairs []int
	for _, r := range runs {
		v := byPair[r.Pair]
		if _, seen := byPair[r.Pair]; !seen {
			pairs = append(pairs, r.Pair)
		}
		if r.N == ShortN {
			v[0] = r.Counts[event]
		} else {
			v[1] = r.Counts[event]
		}
		byPair[r.Pair] = v
	}
	sort.Ints(pairs)
	out := make([]float64, len(pairs))
	for i, p := range pairs {
		v := byPair[p]
		out[i] = float64(v[1]-v[0]) / float64(n)
	}
	return out
}

// medianPerOp is (median long count − median short count) / N. Disturbed
// processes are outliers of their own (a reused span that needed zeroing:
// 32k instructions more in one of three JSON-encoding runs; a burst of
// runtime work), so the medians of the counts drop them, where the median
// of pair differences keeps half of each disturbed pair.
func medianPerOp(runs []Run, n int, event string) float64 {
	var short, long []float64
	for _, r := range runs {
		if r.N == ShortN {
			short = append(short, float64(r.Counts[event]))
		} else {
			long = append(long, float64(r.Counts[event]))
		}
	}
	return (median(long) - median(short)) / float64(n)
}

func instrSpread(runs []Run, n int) float64 {
	s := perOp(runs, n, "Ir")
	return spread(s, median(s))
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func spread(xs []float64, center float64) float64 {
	if len(xs) == 0 {
		return math.Inf(1)
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if hi == lo {
		return 0
	}
	if center == 0 {
		return math.Inf(1)
	}
	return (hi - lo) / math.Abs(center)
}

// summarize computes the metrics, every event per op, and the profile from
// the final method's runs.
func (m *measurer) summarize(res *Result) {
	events := m.parsed[res.Runs[0].File].Events
	res.PerOp = map[string]float64{}
	samples := map[string][]float64{}
	for _, e := range events {
		samples[e] = perOp(res.Runs, res.N, e)
		res.PerOp[e] = medianPerOp(res.Runs, res.N, e)
	}
	ir := samples["Ir"]
	center := res.PerOp["Ir"]
	res.Metrics = append(res.Metrics, Metric{Unit: UnitInstructions, Value: center, Samples: ir, Spread: spread(ir, center)})
	if m.o.CacheSim {
		cyc := make([]float64, len(ir))
		for i := range cyc {
			c := map[string]float64{}
			for _, e := range events {
				c[e] = samples[e][i]
			}
			cyc[i] = EstCycles(c)
		}
		c := EstCycles(res.PerOp)
		res.Metrics = append(res.Metrics, Metric{Unit: UnitEstCycles, Value: c, Samples: cyc, Spread: spread(cyc, c)})
	}
	res.Profile = profileOf(res.Runs, res.N, m.parsed)
}
