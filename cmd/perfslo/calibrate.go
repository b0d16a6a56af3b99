package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/atomicfile"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/internal/store"
)

func init() {
	register(command{name: "calibrate", summary: "measure this machine's noise (A/A rounds) and the smallest regression the gate can see", run: runCalibrate})
}

// calibrationFile is where calibrate saves and the gate looks, relative to
// the module root.
const calibrationFile = ".perfslo/calibration.json"

// calibrationSchema versions the calibration file.
const calibrationSchema = 1

// calibrationMaxAge is how long a calibration is trusted: machines, kernels
// and neighbours change; a month-old noise figure is a guess.
const calibrationMaxAge = 30 * 24 * time.Hour

// defaultPower is the probability of detection the MDE is quoted at.
const defaultPower = 0.8

// maxRecommendedCount bounds the count calibrate searches for.
const maxRecommendedCount = 200

// calibration is the saved result of `perfslo calibrate`: this machine's
// noise per benchmark, measured A/A (the same binary as base and head).
type calibration struct {
	Schema  int       `json:"schema"`
	Created time.Time `json:"created"`
	// Machine the noise was measured on; another machine's noise says
	// nothing about this one's.
	GoVersion string `json:"go_version"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPUModel  string `json:"cpu_model"`
	NumCPU    int    `json:"num_cpu"`
	// Settings the MDE is quoted at.
	Count  int     `json:"count"`
	CPU    int     `json:"cpu"`
	Rounds int     `json:"rounds"`
	Alpha  float64 `json:"alpha"`
	Power  float64 `json:"power"`
	// Tests is the size of the Holm family (statistical rows of a gate run):
	// a lone regression is tested at Alpha/Tests.
	Tests      int               `json:"tests"`
	Config     string            `json:"config,omitempty"`
	Benchmarks []calibratedNoise `json:"benchmarks"`
}

// calibratedNoise is one benchmark × unit × benchtime.
type calibratedNoise struct {
	Package   string `json:"package"`
	Benchmark string `json:"benchmark"`
	Unit      string `json:"unit"`
	Benchtime string `json:"benchtime"`
	// N is the number of A/A samples (both sides).
	N      int     `json:"n"`
	Center float64 `json:"center"`
	// CV is the robust relative noise, 1.4826·MAD/median of all samples.
	CV float64 `json:"cv"`
	// Interval is benchstat's ± (largest distance of the interval ends from
	// the median, relative) of one side at Rounds samples.
	Interval *float64 `json:"interval"` // nil: too few samples for an interval
	// AADelta and AAP are the A/A comparison: the same binary against
	// itself; a significant difference here is this machine lying.
	AADelta float64 `json:"aa_delta"`
	AAP     float64 `json:"aa_p"`
	// MDE is the smallest shift detected with Power at Count, Alpha/Tests.
	MDE       *float64 `json:"mde"` // nil: no effect is detectable at Count
	Tolerance float64  `json:"tolerance"`
	// NeedCount is the smallest count whose MDE is within Tolerance; 0 when
	// none up to 200 is.
	NeedCount int `json:"need_count"`
}

func runCalibrate(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("calibrate", "calibrate [--config perfslo.yaml] [--count N] [--benchtime D[,D...]] [--rounds R] [-o .perfslo/calibration.json]", env.stderr)
	config := fs.String("config", "", "budgets `file` (default: perfslo.yaml in the module, if any)")
	rounds := fs.Int("rounds", 0, "A/A rounds, each one process per side and package (default: 2 × count, at least 10)")
	power := fs.Float64("power", defaultPower, "probability of detection the minimum detectable effect is quoted at")
	outPath := fs.String("o", "", "save to `file` (default "+calibrationFile+" in the module; - for none)")
	rf := registerRunFlags(fs)
	stats := registerStatsFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUndecided, err
	}
	if len(pos) > 0 {
		return exitUndecided, fmt.Errorf("unexpected argument %q", pos[0])
	}
	if *power <= 0 || *power >= 1 {
		return exitUndecided, fmt.Errorf("--power %g: want a probability between 0 and 1, such as 0.8", *power)
	}
	moduleDir, cfg, err := loadRunConfig(env, *config, rf)
	if err != nil {
		return exitUndecided, err
	}
	benchtimes := splitList(cfg.Run.Benchtime)
	if len(benchtimes) == 0 {
		benchtimes = []string{""}
	}
	r := *rounds
	if r == 0 {
		r = max(2*cfg.Run.Count, 10)
	}
	if r < 3 {
		return exitUndecided, fmt.Errorf("--rounds %d: need at least 3 A/A rounds to estimate noise", r)
	}

	work, err := os.MkdirTemp("", "perfslo-calibrate-")
	if err != nil {
		return exitUndecided, err
	}
	defer os.RemoveAll(work)
	fmt.Fprintf(env.stderr, "perfslo: building %s in %s\n", strings.Join(cfg.Run.Packages, " "), moduleDir)
	pkgs, err := run.Build(ctx, moduleDir, cfg.Run.Packages, filepath.Join(work, "bin"))
	if err != nil {
		return exitUndecided, fmt.Errorf("building: %w", err)
	}

	m := store.CurrentMachine(ctx)
	opt := stats.options(cfg)
	cal := &calibration{
		Schema: calibrationSchema, Created: time.Now().UTC(),
		GoVersion: m.GoVersion, GOOS: m.GOOS, GOARCH: m.GOARCH, CPUModel: m.CPU, NumCPU: m.NumCPU,
		Count: cfg.Run.Count, CPU: cfg.Run.CPU, Rounds: r, Alpha: opt.Alpha, Power: *power, Config: cfg.File,
	}
	var warnings []string
	for _, bt := range benchtimes {
		fmt.Fprintf(env.stderr, "perfslo: %d A/A rounds (the same binary as base and head) at benchtime %s\n", r, orDefault(bt, "default"))
		out, err := run.Interleave(ctx, run.Plan{
			Base: pkgs, Head: pkgs, Bench: cfg.Run.Bench, Benchtime: bt, CPU: cfg.Run.CPU,
			Rounds: r, Timeout: *rf.timeout, Progress: env.stderr, Pin: !*rf.noPin,
		})
		if err != nil {
			return exitUndecided, err
		}
		for _, f := range out.Failures {
			warnings = append(warnings, fmt.Sprintf("%s %s %s failed (%s): not calibrated", f.Package, f.Benchmark, f.Side, f.Kind))
		}
		for _, w := range out.LoadWarnings(runtime.NumCPU()) {
			warnings = append(warnings, "benchtime "+orDefault(bt, "default")+": "+w+" — the noise measured includes it")
		}
		a, b := sideOf(gate.Source{Label: "A"}, out.Base), sideOf(gate.Source{Label: "A'"}, out.Head)
		cal.Benchmarks = append(cal.Benchmarks, calibrate(a, b, bt, cfg, opt, cal)...)
	}
	if len(cal.Benchmarks) == 0 {
		return exitUndecided, errors.New("no benchmark produced timing samples to calibrate")
	}

	writeCalibration(env.stdout, cal)
	for _, w := range warnings {
		fmt.Fprintln(env.stderr, "perfslo: warning:", w)
	}
	if *outPath != "-" {
		path := filepath.Join(moduleDir, calibrationFile)
		if *outPath != "" {
			path = resolve(env, *outPath)
		}
		data, err := json.MarshalIndent(cal, "", "  ")
		if err != nil {
			return exitUndecided, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return exitUndecided, err
		}
		if err := atomicfile.WriteBytes(path, append(data, '\n')); err != nil {
			return exitUndecided, fmt.Errorf("saving the calibration: %w", err)
		}
		fmt.Fprintf(env.stderr, "perfslo: saved %s; gate warns when a benchmark cannot see its tolerance\n", path)
	}
	return exitPass, nil
}

// calibrate turns one benchtime's A/A sides into noise rows. Only units the
// gate tests statistically are calibrated: exact units see any change.
func calibrate(a, b *gate.Side, benchtime string, cfg *budgets.Config, opt gate.Options, cal *calibration) []calibratedNoise {
	rep := gate.Compare(a, b, opt)
	cal.Tests = max(cal.Tests, rep.Settings.Tests)
	alpha := opt.Alpha / float64(max(rep.Settings.Tests, 1))
	var out []calibratedNoise
	for _, row := range rep.Results {
		if row.Assumption != "nothing" || row.Base == nil || row.Head == nil {
			continue
		}
		var samples []float64
		for _, k := range a.Keys() {
			// The row's name carries a -N suffix only when several
			// GOMAXPROCS values ran; a prefix test would also pool
			// Sum/lines=1000 into Sum/lines=10000.
			name := k.Benchmark
			if row.Benchmark != name && k.Procs != 0 {
				name = fmt.Sprintf("%s-%d", k.Benchmark, k.Procs)
			}
			if k.Package == row.Package && k.Unit == row.Unit && name == row.Benchmark {
				samples = append(append(samples, a.Samples(k)...), b.Samples(k)...)
			}
		}
		cv := gate.RobustCV(samples)
		c := calibratedNoise{
			Package: row.Package, Benchmark: row.Benchmark, Unit: row.Unit, Benchtime: benchtime,
			N: len(samples), Center: row.Base.Center, CV: cv,
			Interval:  finite(math.Max(spreadOf(row.Base), spreadOf(row.Head))),
			MDE:       finite(gate.MinimumDetectableEffect(cfg.Run.Count, cv, alpha, cal.Power)),
			Tolerance: row.Tolerance,
		}
		if row.Delta != nil {
			c.AADelta = *row.Delta
		}
		if row.P != nil {
			c.AAP = *row.P
		}
		if row.Tolerance > 0 {
			c.NeedCount = gate.SamplesFor(row.Tolerance, cv, alpha, cal.Power, maxRecommendedCount)
		}
		out = append(out, c)
	}
	return out
}

// finite is f for JSON, which has no infinity: nil stands for it.
func finite(f float64) *float64 {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil
	}
	return &f
}

// infinite reads finite's encoding back.
func infinite(f *float64) float64 {
	if f == nil {
		return math.Inf(1)
	}
	return *f
}

// spreadOf is benchstat's ± of a side, relative.
func spreadOf(s *gate.Stat) float64 {
	if s == nil || s.Center == 0 || math.IsInf(s.Low, 0) || math.IsInf(s.High, 0) {
		return math.Inf(1)
	}
	return math.Max(s.High/s.Center-1, 1-s.Low/s.Center)
}

// writeCalibration prints the table and the recommendation.
func writeCalibration(w io.Writer, cal *calibration) {
	fmt.Fprintf(w, "A/A calibration on %s (%d cores, %s/%s, %s): %d rounds per side, cpu %d\n",
		orDefault(cal.CPUModel, "unknown CPU"), cal.NumCPU, cal.GOOS, cal.GOARCH, cal.GoVersion, cal.Rounds, cal.CPU)
	fmt.Fprintf(w, "MDE: the smallest regression seen with %.0f%% power at count %d, α %g/%d (Holm over %d tests, one regression)\n\n",
		100*cal.Power, cal.Count, cal.Alpha, max(cal.Tests, 1), cal.Tests)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tunit\tbenchtime\tnoise (CV)\t± interval\tA/A Δ\tA/A p\tMDE\ttolerance\tcount needed\t")
	for _, c := range cal.Benchmarks {
		need := "—"
		switch {
		case c.Tolerance <= 0:
		case c.NeedCount == 0:
			need = fmt.Sprintf("> %d", maxRecommendedCount)
		default:
			need = fmt.Sprint(c.NeedCount)
			if c.NeedCount <= cal.Count {
				need += " ✓"
			}
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t±%s\t%+.1f%%\t%.2f\t%s\t%s\t%s\t\n",
			shortPkg(c.Package), c.Benchmark, c.Unit, orDefault(c.Benchtime, "default"), pctText(c.CV), pctText(infinite(c.Interval)),
			100*c.AADelta, c.AAP, pctText(infinite(c.MDE)), pctText(c.Tolerance), need)
	}
	tw.Flush()

	// One recommendation per benchtime: the count every tolerance needs.
	byBT := map[string][]calibratedNoise{}
	var order []string
	for _, c := range cal.Benchmarks {
		if _, ok := byBT[c.Benchtime]; !ok {
			order = append(order, c.Benchtime)
		}
		byBT[c.Benchtime] = append(byBT[c.Benchtime], c)
	}
	fmt.Fprintln(w)
	for _, bt := range order {
		need, blind := 0, []string{}
		for _, c := range byBT[bt] {
			if c.Tolerance <= 0 {
				continue
			}
			if c.NeedCount == 0 {
				blind = append(blind, c.Benchmark+" "+c.Unit)
				continue
			}
			need = max(need, c.NeedCount)
		}
		line := fmt.Sprintf("benchtime %s: count %d sees every tolerance", orDefault(bt, "default"), need)
		switch {
		case need <= cal.Count:
			line += fmt.Sprintf(" (configured %d is enough)", cal.Count)
		default:
			line += fmt.Sprintf(" (configured %d is not: raise it, or quiet the machine)", cal.Count)
		}
		if len(blind) > 0 {
			line += fmt.Sprintf("; no count up to %d sees the tolerance of %s", maxRecommendedCount, strings.Join(blind, ", "))
		}
		fmt.Fprintln(w, line)
	}
}

func pctText(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "∞"
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", 100*f), ".0") + "%"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// shortPkg is the last element of an import path, as tables show it.
func shortPkg(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// calibrationWarnings reads the module's saved calibration, if any, and says
// which rows of a passing report could not have seen a regression of their
// tolerance on this machine: "BenchmarkX cannot see a 5% regression here
// (MDE 9% ...)". A calibration from another machine, with another GOMAXPROCS,
// or older than 30 days is ignored, with a note saying so. No calibration,
// no warnings: the gate's own unmeasurable check still applies.
func calibrationWarnings(moduleDir string, rep *gate.Report) []string {
	path := filepath.Join(moduleDir, calibrationFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return []string{fmt.Sprintf("calibration %s ignored: %v", path, err)}
	}
	cal, err := parseCalibration(path, data)
	if err != nil {
		return []string{fmt.Sprintf("calibration ignored: %v", err)}
	}
	if why := cal.unusable(store.CurrentMachine(context.Background()), rep.Settings, time.Now()); why != "" {
		return []string{fmt.Sprintf("calibration %s ignored: %s; run perfslo calibrate again", path, why)}
	}
	return cal.warnings(rep, path)
}

// parseCalibration decodes a calibration file, with line:column positions
// in its errors.
func parseCalibration(path string, data []byte) (*calibration, error) {
	var cal calibration
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cal); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		off := int64(-1)
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
		}
		if off >= 0 {
			line, col := lineCol(data, off)
			return nil, fmt.Errorf("%s:%d:%d: %v (expected the JSON perfslo calibrate writes)", path, line, col, err)
		}
		return nil, fmt.Errorf("%s: %v (expected the JSON perfslo calibrate writes)", path, err)
	}
	if cal.Schema != calibrationSchema {
		return nil, fmt.Errorf("%s: schema %d, this perfslo reads %d", path, cal.Schema, calibrationSchema)
	}
	return &cal, nil
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// unusable says why a calibration does not describe this run, or "".
func (c *calibration) unusable(here store.Meta, s gate.Settings, now time.Time) string {
	var diffs []string
	diff := func(what, then, nowv string) {
		if then != "" && nowv != "" && then != nowv {
			diffs = append(diffs, fmt.Sprintf("%s %s, now %s", what, then, nowv))
		}
	}
	diff("measured on CPU", c.CPUModel, here.CPU)
	diff("on", c.GOOS+"/"+c.GOARCH, here.GOOS+"/"+here.GOARCH)
	if c.NumCPU > 0 && here.NumCPU > 0 && c.NumCPU != here.NumCPU {
		diffs = append(diffs, fmt.Sprintf("measured with %d cores, now %d", c.NumCPU, here.NumCPU))
	}
	if c.CPU > 0 && s.CPU > 0 && c.CPU != s.CPU {
		diffs = append(diffs, fmt.Sprintf("measured at cpu %d, this run uses cpu %d (GOMAXPROCS changes the noise)", c.CPU, s.CPU))
	}
	if age := now.Sub(c.Created); age > calibrationMaxAge {
		diffs = append(diffs, fmt.Sprintf("measured %d days ago (older than %d days)", int(age.Hours()/24), int(calibrationMaxAge.Hours()/24)))
	}
	return strings.Join(diffs, "; ")
}

// warnings lists the rows that passed but could not have seen a regression
// of their tolerance, judged by the calibrated noise at this run's count.
func (c *calibration) warnings(rep *gate.Report, path string) []string {
	noise := map[string]calibratedNoise{}
	for _, n := range c.Benchmarks {
		k := n.Package + "\x00" + n.Benchmark + "\x00" + n.Unit
		// Prefer the benchtime this run used; else any.
		if old, ok := noise[k]; ok && old.Benchtime == rep.Settings.Benchtime {
			continue
		}
		noise[k] = n
	}
	tests := max(rep.Settings.Tests, 1)
	alpha := rep.Settings.Alpha / float64(tests)
	var out []string
	uncovered := 0
	for _, row := range rep.Results {
		if row.Assumption != "nothing" || row.Tolerance <= 0 || row.Base == nil || row.Head == nil || row.Function != "" {
			continue
		}
		if row.Verdict != gate.RowPass && row.Verdict != gate.Improvement {
			continue // flagged or already unmeasurable: said elsewhere
		}
		n, ok := noise[row.Package+"\x00"+row.Benchmark+"\x00"+row.Unit]
		if !ok {
			uncovered++
			continue
		}
		count := min(row.Base.N, row.Head.N)
		mde := gate.MinimumDetectableEffect(count, n.CV, alpha, c.Power)
		if mde <= row.Tolerance {
			continue
		}
		w := fmt.Sprintf("%s %s cannot see a %s %s regression here (MDE %s at count %d, α %g with Holm over %d tests, %.0f%% power; noise %s CV",
			shortPkg(row.Package), row.Benchmark, pctText(row.Tolerance), row.Unit, pctText(mde), count, rep.Settings.Alpha, tests, 100*c.Power, pctText(n.CV))
		if n.Benchtime != "" && rep.Settings.Benchtime != "" && n.Benchtime != rep.Settings.Benchtime {
			w += fmt.Sprintf(" at benchtime %s, this run %s", n.Benchtime, rep.Settings.Benchtime)
		}
		w += fmt.Sprintf(", calibrated %s)", c.Created.Format("2006-01-02"))
		if need := gate.SamplesFor(row.Tolerance, n.CV, alpha, c.Power, maxRecommendedCount); need > 0 {
			w += fmt.Sprintf(": raise --count to %d, or quiet the machine", need)
		} else {
			w += fmt.Sprintf(": no count up to %d reaches it; raise the tolerance, lengthen benchtime or quiet the machine", maxRecommendedCount)
		}
		out = append(out, w)
	}
	if uncovered > 0 {
		out = append(out, fmt.Sprintf("calibration %s does not cover %d timed row(s) of this run; run perfslo calibrate again to check them", path, uncovered))
	}
	return out
}
