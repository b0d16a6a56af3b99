package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/perfslo/perfslo/internal/atomicfile"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Ground-truth classes of a row of the A/B scenario.
const (
	classInjected  = "injected"  // on an injected path, measured ≥ minEffect slower
	classUntouched = "untouched" // off every injected path (or a memory row that did not move)
	classExcluded  = "excluded"  // neither: counted neither as a detection nor as a false flag
	classDerived   = "derived"   // B/s: the same samples as sec/op; reported apart
	classOther     = "other"     // a custom b.ReportMetric unit; reported apart
)

// Classification thresholds of the verification run. The machine is shared:
// a co-tenant only ever makes a process slower, so besides medians the
// verification uses lower quartiles, which contention disturbs least.
const (
	// minEffect is the smallest slowdown that counts as an injected
	// regression the gate must see (issue 11: +20% to +300%).
	minEffect = 0.20
	// shiftLimit: an off-path benchmark whose time moved by more than this
	// (the default sec/op tolerance), significantly, moved for another
	// reason (code layout); flagging it is neither right nor wrong.
	shiftLimit = 0.05
	// verifyAlpha is the U-test level an off-path shift or a memory change
	// must reach to be excluded.
	verifyAlpha = 0.05
)

// Truth is the measured ground truth of one module's A/B scenario.
type Truth struct {
	Module    string    `json:"module"`
	Spec      string    `json:"spec"`
	Rounds    int       `json:"rounds"`
	Benchtime string    `json:"benchtime"`
	Created   time.Time `json:"created"`
	Seconds   float64   `json:"seconds"`
	// SpinNs is the spin loop's cost per iteration, calibrated at setup
	// (the fastest of several runs).
	SpinNs float64 `json:"spin_ns"`
	// Load is the 1-minute load average before and after the measurement.
	Load [2]float64 `json:"loadavg"`
	Rows []TruthRow `json:"rows"`
}

// TruthRow is one benchmark and unit of the A/B scenario.
type TruthRow struct {
	Package   string `json:"package"`
	Benchmark string `json:"benchmark"`
	Unit      string `json:"unit"`
	// Spin is the injected spin iterations per op (0: off every path).
	Spin  int    `json:"spin"`
	Class string `json:"class"`
	// Base and Head are the medians; Effect is Head/Base − 1, EffectQ25 the
	// same of the lower quartiles.
	Base      float64 `json:"base_median"`
	Head      float64 `json:"head_median"`
	Effect    float64 `json:"effect"`
	EffectQ25 float64 `json:"effect_q25"`
	// Predicted is the slowdown the spin loop should cause: its calibrated
	// cost per op over the base's lower quartile (sec/op, on-path rows).
	Predicted float64 `json:"predicted,omitempty"`
	P         float64 `json:"p"`
	N         int     `json:"n"` // samples per side
	Reason    string  `json:"reason,omitempty"`
	// Samples are the raw base and head values, one per process.
	Samples [2][]float64 `json:"samples"`
}

func (r TruthRow) key() string { return rowKey(r.Package, r.Benchmark, r.Unit) }

// rowKey identifies a row across tools.
func rowKey(pkg, bench, unit string) string { return pkg + "\x00" + bench + "\x00" + unit }

// canonicalName turns a tool's benchmark name into benchfmt's form: no
// "Benchmark" prefix, no GOMAXPROCS suffix.
func canonicalName(name string) string {
	base, parts := benchfmt.Name(strings.TrimPrefix(name, "Benchmark")).Parts()
	var b strings.Builder
	b.Write(base)
	for _, p := range parts {
		if len(p) > 0 && p[0] == '-' {
			continue // GOMAXPROCS, always last
		}
		b.Write(p)
	}
	return b.String()
}

// unitClass sorts units into the decision units (time and memory, counted),
// B/s (derived from sec/op) and custom metrics.
func unitClass(unit string) string {
	switch unit {
	case "sec/op", "B/op", "allocs/op":
		return ""
	case "B/s":
		return classDerived
	}
	return classOther
}

// loadOrMeasureTruth reads dir/truth-<module>.json if it was measured for
// this spec and these verification settings; otherwise it measures it.
func loadOrMeasureTruth(ctx context.Context, tc *toolchain, dir, work string, p *prepared, rounds int, benchtime string, log io.Writer) (*Truth, error) {
	file := filepath.Join(dir, "truth-"+p.m.Name+".json")
	if data, err := os.ReadFile(file); err == nil {
		var t Truth
		if err := json.Unmarshal(data, &t); err != nil {
			return nil, fmt.Errorf("%s: %v (delete it to measure again)", file, err)
		}
		if t.Spec == p.m.specHash() && t.Rounds == rounds && t.Benchtime == benchtime {
			fmt.Fprintf(log, "reallibs: %s: ground truth from %s (measured %s)\n", p.m.Name, file, t.Created.Format(time.RFC3339))
			t.reclassify(p.m)
			return &t, nil
		}
		fmt.Fprintf(log, "reallibs: %s: %s is for other injections or verification settings; measuring again\n", p.m.Name, file)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	t, err := measureTruth(ctx, tc, work, p, rounds, benchtime, log)
	if err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(file, append(data, '\n')); err != nil {
		return nil, err
	}
	return t, nil
}

// measureTruth runs the A/B scenario's base and head test binaries
// interleaved (ABBA, one sample per process, GOMAXPROCS=1), longer than a
// gate run, and classifies every row from what it measured and from the
// injections' on-path lists.
func measureTruth(ctx context.Context, tc *toolchain, work string, p *prepared, rounds int, benchtime string, log io.Writer) (*Truth, error) {
	start := time.Now()
	load0 := loadavg()
	spinNs, err := tc.calibrateSpin(ctx, work)
	if err != nil {
		return nil, err
	}
	s := p.scens[scenAB]
	bins := filepath.Join(work, p.m.Name+"-truth")
	base, err := tc.buildTests(ctx, s.base, p.m, filepath.Join(bins, "base"))
	if err != nil {
		return nil, err
	}
	head, err := tc.buildTests(ctx, s.repo, p.m, filepath.Join(bins, "head"))
	if err != nil {
		return nil, err
	}
	args := []string{"-test.run", "^$", "-test.bench", p.m.Bench, "-test.count", "1",
		"-test.benchtime", benchtime, "-test.cpu", "1", "-test.benchmem"}
	samples := map[string]*[2][]float64{} // key → base, head
	var order []string
	for i := 0; i < rounds; i++ {
		sides := []int{0, 1}
		if i%2 == 1 {
			sides = []int{1, 0}
		}
		for _, side := range sides {
			bin, tree := base, s.base
			if side == 1 {
				bin, tree = head, s.repo
			}
			for _, dir := range p.m.Packages {
				var out bytes.Buffer
				if err := tc.runBench(ctx, bin[dir], filepath.Join(tree, dir), args, []string{"GOMAXPROCS=1"}, &out); err != nil {
					return nil, fmt.Errorf("ground truth of %s: %v", p.m.Name, err)
				}
				r := benchfmt.NewReader(&out, bin[dir])
				for r.Scan() {
					res, ok := r.Result().(*benchfmt.Result)
					if !ok {
						continue
					}
					name := canonicalName(res.Name.String())
					for _, v := range res.Values {
						k := rowKey(p.m.importPath(dir), name, v.Unit)
						if samples[k] == nil {
							samples[k] = &[2][]float64{}
							order = append(order, k)
						}
						samples[k][side] = append(samples[k][side], v.Value)
					}
				}
				if err := r.Err(); err != nil {
					return nil, err
				}
			}
		}
		fmt.Fprintf(log, "reallibs: %s: ground truth round %d/%d (%s)\n", p.m.Name, i+1, rounds, time.Since(start).Round(time.Second))
	}
	t := &Truth{Module: p.m.Name, Spec: p.m.specHash(), Rounds: rounds, Benchtime: benchtime,
		Created: time.Now().UTC(), SpinNs: spinNs, Load: [2]float64{load0, loadavg()}}
	for _, k := range order {
		parts := strings.Split(k, "\x00")
		t.Rows = append(t.Rows, classify(p.m, spinNs, parts[0], parts[1], parts[2], samples[k][0], samples[k][1]))
	}
	sort.SliceStable(t.Rows, func(i, j int) bool { return t.Rows[i].Package < t.Rows[j].Package })
	t.Seconds = time.Since(start).Seconds()
	return t, nil
}

// classify decides a row's ground truth from its verification samples.
//
// An on-path time row is injected when the slowdown predicted from the code
// (spin cost × calls per op over the base's lower quartile) and the measured
// one (of medians) both reach minEffect: noise then cannot promote a row
// whose path barely changed. Any disagreement excludes the row. An off-path
// time row is untouched unless it slowed by more than shiftLimit in medians
// and in lower quartiles, significantly (then excluded: a side effect such
// as code layout, which flagging is neither right nor wrong). Memory rows are untouched unless they grew: the spin loop
// allocates nothing, and a flag on a row that did not grow is false.
func classify(m Module, spinNs float64, pkg, bench, unit string, base, head []float64) TruthRow {
	row := TruthRow{Package: pkg, Benchmark: bench, Unit: unit, Spin: m.onPath(bench),
		N: min(len(base), len(head)), Samples: [2][]float64{base, head}}
	if len(base) == 0 || len(head) == 0 {
		row.Class, row.Reason = classExcluded, "measured on one side only"
		return row
	}
	th := &benchmath.DefaultThresholds
	sb, sh := benchmath.NewSample(base, th), benchmath.NewSample(head, th)
	row.Base, row.Head = quantile(base, 0.5), quantile(head, 0.5)
	row.P = benchmath.AssumeNothing.Compare(sb, sh).P
	row.Effect = ratio(row.Head, row.Base)
	row.EffectQ25 = ratio(quantile(head, 0.25), quantile(base, 0.25))
	sig := row.P < verifyAlpha
	switch c := unitClass(unit); {
	case c != "":
		row.Class = c
	case unit == "sec/op" && row.Spin > 0:
		if q := quantile(base, 0.25); q > 0 {
			row.Predicted = float64(row.Spin) * spinNs * 1e-9 / q
		}
		if row.Predicted >= minEffect && row.Effect >= minEffect {
			row.Class = classInjected
		} else {
			row.Class = classExcluded
			row.Reason = fmt.Sprintf("on an injected path: predicted %+.0f%%, measured %+.0f%%; not both ≥ %.0f%%",
				100*row.Predicted, 100*row.Effect, 100*minEffect)
		}
	case unit == "sec/op":
		if sig && row.Effect > shiftLimit && row.EffectQ25 > shiftLimit {
			row.Class = classExcluded
			row.Reason = fmt.Sprintf("off every injected path, yet %+.0f%% (medians), %+.0f%% (lower quartiles), p=%.2g: layout or another side effect",
				100*row.Effect, 100*row.EffectQ25, row.P)
		} else {
			row.Class = classUntouched
		}
	default: // B/op, allocs/op
		switch {
		case row.Head > row.Base && (sig || constant(base) && constant(head)):
			row.Class = classExcluded
			row.Reason = fmt.Sprintf("grew %+.1f%% (p=%.2g) though the spin loop allocates nothing: the edit changed inlining or escape analysis", 100*row.Effect, row.P)
		case row.Head < row.Base && sig:
			row.Class = classUntouched
			row.Reason = fmt.Sprintf("shrank %+.1f%% (p=%.2g): the edit changed inlining or escape analysis; a regression flag here is false", 100*row.Effect, row.P)
		default:
			row.Class = classUntouched
		}
	}
	return row
}

// ratio is a/b − 1, with 0/0 = 0 and x/0 = +100% (a row that appears).
func ratio(a, b float64) float64 {
	switch {
	case b != 0:
		return a/b - 1
	case a != 0:
		return 1
	}
	return 0
}

// quantile is the q-quantile of xs (linear interpolation), 0 for none.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	ys := append([]float64(nil), xs...)
	sort.Float64s(ys)
	pos := q * float64(len(ys)-1)
	i := int(pos)
	if i+1 >= len(ys) {
		return ys[len(ys)-1]
	}
	return ys[i] + (pos-float64(i))*(ys[i+1]-ys[i])
}

func constant(xs []float64) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return true
}

// calibrateSpin measures the spin loop's cost per iteration on this
// machine: the fastest of five runs of 10,000 iterations, so that a busy
// co-tenant does not inflate it.
func (tc *toolchain) calibrateSpin(ctx context.Context, work string) (float64, error) {
	dir := filepath.Join(work, "spincal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	files := map[string]string{
		"go.mod":       "module spincal\n\ngo 1.22\n",
		spinFile:       fmt.Sprintf(spinSource, "spincal"),
		"spin_test.go": "package spincal\n\nimport \"testing\"\n\nfunc BenchmarkSpin(b *testing.B) {\n\tfor i := 0; i < b.N; i++ {\n\t\tperfsloSpin(10000)\n\t}\n}\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return 0, err
		}
	}
	out, err := tc.run(ctx, dir, true, "go", "test", "-run", "^$", "-bench", ".", "-benchtime", "100ms", "-count", "5", "-cpu", "1")
	if err != nil {
		return 0, err
	}
	best := 0.0
	r := benchfmt.NewReader(bytes.NewReader(out), "spin")
	for r.Scan() {
		if res, ok := r.Result().(*benchfmt.Result); ok {
			if v, ok := res.Value("sec/op"); ok && (best == 0 || v < best) {
				best = v
			}
		}
	}
	if best == 0 {
		return 0, fmt.Errorf("spin calibration printed no result:\n%s", out)
	}
	return best * 1e9 / 10000, nil
}

// reclassify classifies the stored samples again, so that a truth file
// measured earlier follows the current rules.
func (t *Truth) reclassify(m Module) {
	for i, r := range t.Rows {
		t.Rows[i] = classify(m, t.SpinNs, r.Package, r.Benchmark, r.Unit, r.Samples[0], r.Samples[1])
	}
}

// aaTruth is the A/A scenario's ground truth: the same rows, all untouched
// (head and base are the same tree).
func aaTruth(t *Truth) map[string]TruthRow {
	out := map[string]TruthRow{}
	for _, r := range t.Rows {
		r.Spin = 0
		r.Reason = ""
		if unitClass(r.Unit) == "" {
			r.Class = classUntouched
		}
		out[r.key()] = r
	}
	return out
}

// abTruth indexes the A/B ground truth by row.
func abTruth(t *Truth) map[string]TruthRow {
	out := map[string]TruthRow{}
	for _, r := range t.Rows {
		out[r.key()] = r
	}
	return out
}

// buildTests builds one test binary per package of m from tree into outDir.
func (tc *toolchain) buildTests(ctx context.Context, tree string, m Module, outDir string) (map[string]string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	bins := map[string]string{}
	for i, dir := range m.Packages {
		bin := filepath.Join(outDir, fmt.Sprintf("pkg%d.test", i))
		if _, err := tc.run(ctx, tree, true, "go", "test", "-c", "-o", bin, m.packageArgs()[i]); err != nil {
			return nil, err
		}
		bins[dir] = bin
	}
	return bins, nil
}

// runBench runs a test binary in its package directory (benchmarks read
// testdata relative to it), appending its benchmark output to out.
func (tc *toolchain) runBench(ctx context.Context, bin, dir string, args, env []string, out io.Writer) error {
	stdout, err := tc.runEnv(ctx, dir, env, bin, args...)
	if _, werr := out.Write(stdout); werr != nil {
		return werr
	}
	return err
}
