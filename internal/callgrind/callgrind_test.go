package callgrind

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests build testdata/benchmod (a real module with real benchmarks)
// with `go test -c` and run it under the real valgrind.

const (
	baseVariant = `package benchmod

var stride uint64 = 1

func injected([]byte) uint64 { return 0 }
`
	// injectVariant adds work to Checksum: a second FNV pass over the first
	// 3% of the block, in a function of its own that Diff must name.
	injectVariant = `package benchmod

var stride uint64 = 1

//go:noinline
func injected(data []byte) uint64 {
	h := uint64(1469598103934665603)
	for _, c := range data[:len(data)*3/100] {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
`
	// strideVariant walks the array 4099 elements (32 KiB) at a time: the
	// same instructions, a cache miss on nearly every read.
	strideVariant = `package benchmod

var stride uint64 = 4099

func injected([]byte) uint64 { return 0 }
`
)

func needValgrind(t *testing.T) {
	t.Helper()
	if _, _, err := Check(context.Background(), ""); err != nil {
		if errors.Is(err, ErrNoValgrind) {
			t.Skipf("skipping: %v", err)
		}
		t.Fatal(err)
	}
}

// buildVariant copies the benchmark module into a temporary directory with
// the given variant.go and builds its test binary.
func buildVariant(t *testing.T, variant string) Target {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"go.mod", "work.go", "work_test.go"} {
		data, err := os.ReadFile(filepath.Join("testdata", "benchmod", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "variant.go"), []byte(variant), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "benchmod.test")
	cmd := exec.Command("go", "test", "-c", "-o", bin, ".")
	cmd.Dir = dir
	env, warnings := BuildEnv(context.Background(), dir)
	if len(warnings) > 0 {
		t.Fatalf("BuildEnv: %v", warnings)
	}
	cmd.Env = append(append(os.Environ(), "GOWORK=off", "GOFLAGS="), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	return Target{Binary: bin, Dir: dir}
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testOptions(t *testing.T) Options {
	return Options{OutDir: t.TempDir(), Target: 200 * time.Millisecond, Progress: logWriter{t}}
}

func with(t Target, bench string) Target {
	t.Benchmark = bench
	return t
}

func metric(t *testing.T, r *Result, unit string) Metric {
	t.Helper()
	m, ok := r.Metric(unit)
	if !ok {
		t.Fatalf("%s: no %s metric", r.Benchmark, unit)
	}
	return m
}

// checkDeterminism asserts what Measure promises about one result: counts
// within MaxSpread on the first pairs, or a Statistical result with more
// pairs. And what was measured here: toggled counts are exact but for
// disturbed processes, a minority, so most samples agree with the value
// within 0.2%; whole-process counts carry the runtime's symmetric noise,
// 0.3–1.3% spread over five pairs on this VM under load, so every sample
// is within 2%.
func checkDeterminism(t *testing.T, r *Result, o Options) Metric {
	t.Helper()
	o = o.withDefaults()
	ir := metric(t, r, UnitInstructions)
	t.Logf("%s (%s %s, N=%d): %.1f instructions/op, samples %v, spread %s, statistical %v",
		r.Benchmark, r.Method, r.Symbol, r.N, ir.Value, ir.Samples, pct(ir.Spread), r.Statistical)
	switch {
	case !r.Statistical && (len(ir.Samples) != o.Pairs || ir.Spread > o.MaxSpread):
		t.Errorf("%s: not statistical, but %d samples spread %s", r.Benchmark, len(ir.Samples), pct(ir.Spread))
	case r.Statistical && len(ir.Samples) != o.MaxPairs:
		t.Errorf("%s: statistical with %d samples, want %d", r.Benchmark, len(ir.Samples), o.MaxPairs)
	}
	close := 0
	for _, x := range ir.Samples {
		if math.Abs(x-ir.Value) <= 0.002*ir.Value {
			close++
		}
		if math.Abs(x-ir.Value) > 0.02*ir.Value {
			t.Errorf("%s: sample %.1f more than 2%% from %.1f", r.Benchmark, x, ir.Value)
		}
	}
	if r.Method == MethodToggle && 2*close <= len(ir.Samples) {
		t.Errorf("%s: only %d of %d toggled samples within 0.2%% of %.1f", r.Benchmark, close, len(ir.Samples), ir.Value)
	}
	if len(r.Runs) != 2*len(ir.Samples) {
		t.Errorf("%s: %d runs for %d samples", r.Benchmark, len(r.Runs), len(ir.Samples))
	}
	for _, f := range r.Files {
		if _, err := ParseFile(f); err != nil {
			t.Errorf("kept file: %v", err)
		}
	}
	// FNV-1a over 4096 bytes: a load, xor, multiply and the loop's
	// increment, compare and branch per byte.
	if ir.Value < 4*4096 || ir.Value > 12*4096 {
		t.Errorf("%s: %.0f instructions/op for FNV over 4096 bytes, want 4–12 per byte", r.Benchmark, ir.Value)
	}
	return ir
}

func TestCountsAreDeterministic(t *testing.T) {
	needValgrind(t)
	base := buildVariant(t, baseVariant)

	// The default method, N from the native calibration.
	o := testOptions(t)
	def, err := Measure(context.Background(), with(base, "BenchmarkChecksum"), o)
	if err != nil {
		t.Fatal(err)
	}
	if def.Method != MethodNoGC || def.NativeNsPerOp <= 0 || def.N < 1 || def.Symbol != "" {
		t.Errorf("default: method %s, native %v ns/op, N %d, symbol %q", def.Method, def.NativeNsPerOp, def.N, def.Symbol)
	}
	a := checkDeterminism(t, def, o).Value

	// Counted inside the benchmark function only; for the sub-benchmark
	// that is the closure b.Run ran, found by a profile of one run.
	o.Method = MethodToggle
	o.N = 200
	top, err := Measure(context.Background(), with(base, "BenchmarkChecksum"), o)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := Measure(context.Background(), with(base, "BenchmarkChecksumSizes/size=4096"), o)
	if err != nil {
		t.Fatal(err)
	}
	if top.Symbol != "example.com/benchmod.BenchmarkChecksum" {
		t.Errorf("top-level symbol %q", top.Symbol)
	}
	if sub.Symbol != "example.com/benchmod.BenchmarkChecksumSizes.func1" {
		t.Errorf("sub-benchmark symbol %q, want the b.Run closure", sub.Symbol)
	}
	// The same checksum of the same 4096 bytes, counted three ways (the
	// whole process and a b.N loop, the toggle and a b.N loop, the toggle
	// and b.Loop in a sub-benchmark): the same count per op, within the
	// whole-process count's noise (its medians of five pairs were 0.3%
	// apart on this VM under load).
	for _, r := range []*Result{top, sub} {
		if b := checkDeterminism(t, r, o).Value; math.Abs(a-b)/a > 0.005 {
			t.Errorf("%s (%s) %.1f instructions/op, %s (%s) %.1f: %s apart", def.Benchmark, def.Method, a, r.Benchmark, r.Method, b, pct(math.Abs(a-b)/a))
		}
	}
}

func TestInjectedWorkIsSeenAndNamed(t *testing.T) {
	needValgrind(t)
	base := with(buildVariant(t, baseVariant), "BenchmarkChecksum")
	head := with(buildVariant(t, injectVariant), "BenchmarkChecksum")
	p, err := MeasurePair(context.Background(), base, head, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	b, h := metric(t, p.Base, UnitInstructions), metric(t, p.Head, UnitInstructions)
	delta := h.Value/b.Value - 1
	t.Logf("base %.1f (spread %s), head %.1f (spread %s): %+.2f%%", b.Value, pct(b.Spread), h.Value, pct(h.Spread), 100*delta)
	if p.Base.N != p.Head.N || p.Base.Method != p.Head.Method {
		t.Errorf("sides counted differently: N %d/%d, %s/%s", p.Base.N, p.Head.N, p.Base.Method, p.Head.Method)
	}
	// 3% more bytes hashed, in a loop of the same shape.
	if delta < 0.02 || delta > 0.04 {
		t.Errorf("injected +3%% work measured %+.2f%%", 100*delta)
	}
	d := Diff(p.Base.Profile, p.Head.Profile, 5)
	for _, x := range d {
		t.Logf("  %-45s %10.1f → %10.1f  %+9.1f", x.Function, x.Base, x.Head, x.Delta)
	}
	if len(d) == 0 || d[0].Function != "example.com/benchmod.injected" {
		t.Fatalf("top of the diff is not the injected function: %+v", d)
	}
	if d[0].Base != 0 || d[0].Delta < 0.8*(h.Value-b.Value) {
		t.Errorf("injected: %.1f → %.1f per op, the benchmark grew by %.1f", d[0].Base, d[0].Head, h.Value-b.Value)
	}
}

func TestCacheMissesMoveEstCyclesNotInstructions(t *testing.T) {
	needValgrind(t)
	base := with(buildVariant(t, baseVariant), "BenchmarkWalk")
	head := with(buildVariant(t, strideVariant), "BenchmarkWalk")
	o := testOptions(t)
	o.CacheSim = true
	p, err := MeasurePair(context.Background(), base, head, o)
	if err != nil {
		t.Fatal(err)
	}
	bi, hi := metric(t, p.Base, UnitInstructions), metric(t, p.Head, UnitInstructions)
	bc, hc := metric(t, p.Base, UnitEstCycles), metric(t, p.Head, UnitEstCycles)
	t.Logf("instructions/op %.1f → %.1f (spreads %s, %s); est-cycles/op %.1f → %.1f; D1mr/op %.1f → %.1f, DLmr/op %.1f → %.1f",
		bi.Value, hi.Value, pct(bi.Spread), pct(hi.Spread), bc.Value, hc.Value,
		p.Base.PerOp["D1mr"], p.Head.PerOp["D1mr"], p.Base.PerOp["DLmr"], p.Head.PerOp["DLmr"])
	noise := 2*math.Max(bi.Spread, hi.Spread) + 0.001
	if d := math.Abs(hi.Value/bi.Value - 1); d > noise {
		t.Errorf("instructions/op moved %s with the stride, more than the noise %s", pct(d), pct(noise))
	}
	if hc.Value < 1.5*bc.Value {
		t.Errorf("est-cycles/op %.0f → %.0f: the cache misses of a 32 KiB stride over 16 MiB do not show", bc.Value, hc.Value)
	}
	if p.Head.PerOp["DLmr"] < 4*p.Base.PerOp["DLmr"] {
		t.Errorf("last-level read misses per op %.0f → %.0f, want several times more", p.Base.PerOp["DLmr"], p.Head.PerOp["DLmr"])
	}
}

func TestNondeterministicCountsBecomeStatistical(t *testing.T) {
	needValgrind(t)
	base := buildVariant(t, baseVariant)
	o := testOptions(t)
	o.N = 100
	o.MaxPairs = 3
	// Allocation with the collector on: when GC cycles start depends on
	// wall time. A bound no real count meets makes the fallback certain.
	o.Method = MethodWholeProgram
	o.MaxSpread = 1e-12
	r, err := Measure(context.Background(), with(base, "BenchmarkBuild"), o)
	if err != nil {
		t.Fatal(err)
	}
	ir := metric(t, r, UnitInstructions)
	t.Logf("%s (%s): %.1f instructions/op, samples %v, spread %s; warnings %q", r.Benchmark, r.Method, ir.Value, ir.Samples, pct(ir.Spread), r.Warnings)
	if !r.Statistical || len(ir.Samples) != 3 || len(r.Runs) != 6 {
		t.Fatalf("statistical %v, %d samples, %d runs; want true, 3, 6", r.Statistical, len(ir.Samples), len(r.Runs))
	}
	if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "statistically") {
		t.Errorf("warnings %q do not say to compare statistically", r.Warnings)
	}
	// Three processes at each length (ShortN and N+ShortN): the value is
	// the difference of the middle counts.
	var short, long []int64
	for _, run := range r.Runs {
		if run.N == ShortN {
			short = append(short, run.Counts["Ir"])
		} else {
			long = append(long, run.Counts["Ir"])
		}
	}
	slices.Sort(short)
	slices.Sort(long)
	if want := float64(long[1]-short[1]) / float64(r.N); ir.Value != want {
		t.Errorf("value %v, want (median %v − median %v)/N = %v", ir.Value, long, short, want)
	}
}

func TestMissingValgrind(t *testing.T) {
	o := Options{OutDir: t.TempDir(), Valgrind: filepath.Join(t.TempDir(), "valgrind")}
	_, err := Measure(context.Background(), Target{Binary: "x.test", Benchmark: "BenchmarkX"}, o)
	if !errors.Is(err, ErrNoValgrind) {
		t.Fatalf("err = %v, want ErrNoValgrind", err)
	}
	if !strings.Contains(err.Error(), "apt-get install") {
		t.Errorf("error %q does not say how to install valgrind", err)
	}
}

func TestUnknownBenchmark(t *testing.T) {
	needValgrind(t)
	base := buildVariant(t, baseVariant)
	o := testOptions(t)
	o.N = 10
	_, err := Measure(context.Background(), with(base, "BenchmarkNope"), o)
	if err == nil || !strings.Contains(err.Error(), "BenchmarkNope reported no result") {
		t.Errorf("err = %v", err)
	}
	o.Method = MethodToggle
	_, err = Measure(context.Background(), with(base, "BenchmarkNope"), o)
	if err == nil || !strings.Contains(err.Error(), "no function example.com/benchmod.BenchmarkNope") {
		t.Errorf("toggle: err = %v", err)
	}
}

// TestParseAgreesWithCallgrindAnnotate reads a real output file and checks
// the per-function self costs against valgrind's own annotator.
func TestParseAgreesWithCallgrindAnnotate(t *testing.T) {
	needValgrind(t)
	annotate, err := exec.LookPath("callgrind_annotate")
	if err != nil {
		t.Skip("callgrind_annotate not installed")
	}
	base := buildVariant(t, baseVariant)
	o := testOptions(t)
	o.N = 50
	o.CacheSim = true
	r, err := Measure(context.Background(), with(base, "BenchmarkChecksum"), o)
	if err != nil {
		t.Fatal(err)
	}
	// The benchmark's thread: the profile that has the benchmark function.
	var f *File
	var file string
	for _, th := range r.Runs[1].Files {
		g, err := ParseFile(th)
		if err != nil {
			t.Fatal(err)
		}
		if g.Functions["example.com/benchmod.Checksum"] != nil {
			f, file = g, th
		}
	}
	if f == nil {
		t.Fatalf("no thread profile of %v has the benchmark", r.Runs[1].Files)
	}
	out, err := exec.Command(annotate, "--threshold=100", file).Output()
	if err != nil {
		t.Fatalf("%s: %v", annotate, err)
	}
	// callgrind_annotate lists a function once per source file its code
	// comes from (inlined code has the callee's file), so sum its lines.
	annotated := map[string]int64{}
	for _, line := range strings.Split(string(out), "\n") {
		// "1,234 (12.3%)  2,345 (..) ...  file.go:pkg.Func [obj]"
		fields := strings.Fields(line)
		if n := len(fields); n > 0 && strings.HasPrefix(fields[n-1], "[") {
			fields = fields[:n-1]
		}
		if len(fields) < 3 || !strings.Contains(fields[len(fields)-1], ":example.com/benchmod.") {
			continue
		}
		loc := fields[len(fields)-1]
		ir, err := strconv.ParseInt(strings.ReplaceAll(fields[0], ",", ""), 10, 64)
		if err != nil {
			t.Fatalf("callgrind_annotate line %q: %v", line, err)
		}
		annotated[loc[strings.LastIndexByte(loc, ':')+1:]] += ir
	}
	checked := 0
	for name, ir := range annotated {
		fn := f.Functions[name]
		if fn == nil {
			t.Errorf("callgrind_annotate lists %s, Parse does not", name)
			continue
		}
		if got := fn.Self[f.EventIndex("Ir")]; got != ir {
			t.Errorf("%s: self Ir %d, callgrind_annotate %d", name, got, ir)
		}
		checked++
	}
	t.Logf("%d functions agree with callgrind_annotate: %v", checked, annotated)
	if checked == 0 {
		t.Fatalf("no benchmod function in callgrind_annotate's output:\n%s", out)
	}
}
