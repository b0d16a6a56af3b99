package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/atomicfile"
	"github.com/perfslo/perfslo/internal/pipeline"
	"github.com/perfslo/perfslo/internal/run"
	"golang.org/x/perf/benchfmt"
)

// harness holds the built binaries and the results so far.
type harness struct {
	s      Settings
	dir    string // results
	work   string // binaries
	log    io.Writer
	base   []run.Package
	heads  map[string][]run.Package // by effect
	config *budgets.Config
	done   map[string]bool // iter/mode/effect already recorded
	// The stored baseline of the current block, as benchfmt text.
	baseline      []byte
	baselineBlock int
	baselineTime  time.Time
}

// Record is one gate run.
type Record struct {
	Iter   int    `json:"iter"`
	Mode   string `json:"mode"`
	Effect string `json:"effect"`
	// Seconds is the gate's own measuring time for this run, confirmation
	// included (builds excluded: they are the same in every mode).
	Seconds        float64 `json:"seconds"`
	ConfirmSeconds float64 `json:"confirm_seconds"`
	// BaselineAge is how old the stored baseline was (stored mode).
	BaselineAge float64 `json:"baseline_age,omitempty"`
	// OtherCPU is the mean CPU (cores) other processes used meanwhile.
	OtherCPU float64 `json:"other_cpu"`
	// Variants: "perfslo" (the gate's procedure), "before" (the Holm
	// procedure it replaced), "none" (benchstat's per-row tests).
	Variants map[string]Score `json:"variants"`
}

// Score is one verdict variant of a gate run.
type Score struct {
	// Injected rows carry the regression; Detected of them were flagged.
	Injected int `json:"injected"`
	Detected int `json:"detected"`
	// ControlFlags counts flagged rows where nothing changed: false alarms.
	ControlFlags int `json:"control_flags"`
	Unmeasurable int `json:"unmeasurable"`
	// ByBenchmark counts injected and detected rows per benchmark, since
	// noise, and so power, differs from one benchmark to the next.
	ByBenchmark map[string][2]int `json:"by_benchmark,omitempty"`
	// Flagged names the flagged rows, for post-mortems.
	Flagged []string `json:"flagged,omitempty"`
	// Varied names the injected rows of an exact unit (B/op, allocs/op)
	// whose samples varied, so that they were compared statistically.
	Varied []string `json:"varied,omitempty"`
	// LookSeconds is the time the variant's confirmation looks took.
	LookSeconds float64 `json:"look_seconds,omitempty"`
}

func newHarness(ctx context.Context, s Settings, dir string, log io.Writer) (*harness, error) {
	cfg, err := harnessConfig(s)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "perfslo-power-")
	if err != nil {
		return nil, err
	}
	h := &harness{s: s, dir: dir, work: work, log: log, heads: map[string][]run.Package{}, config: cfg, done: map[string]bool{}}
	recs, err := readRecords(dir)
	if err != nil {
		h.close()
		return nil, err
	}
	for _, r := range recs {
		h.done[doneKey(r.Iter, r.Mode, r.Effect)] = true
	}
	if len(recs) > 0 {
		fmt.Fprintf(log, "power: resuming: %d gate runs already in %s\n", len(recs), dir)
	}

	fmt.Fprintf(log, "power: building base and %d head variants of %s\n", len(s.Effects), strings.Join(s.Packages, " "))
	if h.base, err = run.Build(ctx, s.Examples, s.Packages, filepath.Join(work, "base")); err != nil {
		h.close()
		return nil, fmt.Errorf("building base: %w", err)
	}
	for _, e := range s.Effects {
		x := []string{"-X " + knob + ".Sites=" + s.Sites}
		if e == "alloc" {
			x = append(x, "-X "+knob+".Allocs=1")
		} else {
			x = append(x, "-X "+knob+".Work="+e)
		}
		pkgs, err := run.BuildWith(ctx, run.BuildOptions{Dir: s.Examples, Patterns: s.Packages,
			OutDir: filepath.Join(work, "head-"+e), Flags: []string{"-ldflags=" + strings.Join(x, " ")}})
		if err != nil {
			h.close()
			return nil, fmt.Errorf("building head %s: %w", effectLabel(e), err)
		}
		h.heads[e] = pkgs
	}
	return h, nil
}

// harnessConfig is the gate configuration of every run: no budgets (the
// harness judges comparisons), the sec/op tolerance of the settings.
func harnessConfig(s Settings) (*budgets.Config, error) {
	return budgets.Parse("power-harness.yaml", fmt.Appendf(nil,
		"version: 1\ntolerance:\n  sec/op: %g%%\n  B/op: 0\n  allocs/op: 0\n", 100*s.Tolerance))
}

func (h *harness) close() { os.RemoveAll(h.work) }

func doneKey(iter int, mode, effect string) string {
	return fmt.Sprintf("%d/%s/%s", iter, mode, effect)
}

// loop runs repetitions 1..r of every cell, skipping recorded ones.
func (h *harness) loop(ctx context.Context, r int) error {
	type cell struct{ mode, effect string }
	var cells []cell
	for _, m := range h.s.Modes {
		for _, e := range h.s.Effects {
			cells = append(cells, cell{m, e})
		}
	}
	start := time.Now()
	ran, total := 0, 0
	for iter := 1; iter <= r; iter++ {
		for _, c := range cells {
			if !h.done[doneKey(iter, c.mode, c.effect)] {
				total++
			}
		}
	}
	for iter := 1; iter <= r; iter++ {
		order := append([]cell(nil), cells...)
		rng := rand.New(rand.NewPCG(uint64(iter), 42))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, c := range order {
			if h.done[doneKey(iter, c.mode, c.effect)] {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			rec, err := h.gateRun(ctx, iter, c.mode, c.effect)
			if err != nil {
				return fmt.Errorf("run %d, %s, %s: %w", iter, c.mode, effectLabel(c.effect), err)
			}
			if err := appendRecord(h.dir, rec); err != nil {
				return err
			}
			h.done[doneKey(iter, c.mode, c.effect)] = true
			ran++
			eta := time.Duration(float64(time.Since(start)) / float64(ran) * float64(total-ran)).Round(time.Second)
			final := rec.Variants[finalVariant(h.s)]
			fmt.Fprintf(h.log, "[%d/%d] rep %d %-11s %-12s detected %d/%d, false flags %d, %.1fs (ETA %s)\n",
				ran, total, iter, c.mode, effectLabel(c.effect), final.Detected, final.Injected, final.ControlFlags, rec.Seconds, eta)
			if ran%len(cells) == 0 {
				if err := writeReports(h.dir, io.Discard); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// finalVariant is the verdict perfslo gives with these settings.
func finalVariant(s Settings) string {
	return "perfslo"
}

// gateRun measures and judges one gate run of a mode and effect.
func (h *harness) gateRun(ctx context.Context, iter int, mode, effect string) (*Record, error) {
	rec := &Record{Iter: iter, Mode: mode, Effect: effect, Variants: map[string]Score{}}
	head := h.heads[effect]
	var base, hd *gate.Side
	var loads []run.LoadSample
	t0 := time.Now()
	switch mode {
	case modeInterleaved:
		out, err := h.interleave(ctx, h.base, head, h.s.Count, h.s.Bench)
		if err != nil {
			return nil, err
		}
		base, hd = sideOf("base", out.Base), sideOf("head", out.Head)
		loads = out.Load
	case modeSequential:
		b, err := h.sequential(ctx, h.base, h.s.Count, h.s.Bench)
		if err != nil {
			return nil, err
		}
		x, err := h.sequential(ctx, head, h.s.Count, h.s.Bench)
		if err != nil {
			return nil, err
		}
		base, hd = sideOf("base", b), sideOf("head", x)
	case modeStored:
		if err := h.ensureBaseline(ctx, iter); err != nil {
			return nil, err
		}
		rec.BaselineAge = time.Since(h.baselineTime).Seconds()
		t0 = time.Now()
		var err error
		if base, err = gate.ReadSide(gate.Source{Label: "baseline"}, bytes.NewReader(h.baseline), "baseline"); err != nil {
			return nil, err
		}
		out, err := h.interleave(ctx, nil, head, h.s.Count, h.s.Bench)
		if err != nil {
			return nil, err
		}
		hd = sideOf("head", out.Head)
		loads = out.Load
	}
	// Three verdicts from the same first stage: perfslo's procedure and
	// the one it replaced each take their own confirmation looks; benchstat's
	// per-row tests decide on the first stage alone.
	rec.Variants["none"] = h.score(gate.Compare(base, hd, gate.Options{Config: h.config, Alpha: h.s.Alpha, Correction: gate.CorrectionNone}), effect)
	firstStage := since(t0)
	for name, opt := range map[string]gate.Options{
		"perfslo": {Config: h.config, Alpha: h.s.Alpha, Looks: -1},
		"before":  {Config: h.config, Alpha: h.s.Alpha, Correction: gate.CorrectionHolm, Screen: gate.ScreenCorrected, Spending: gate.SpendNone, Looks: 1},
	} {
		if h.s.Confirm == 0 {
			opt.Looks = 0
		}
		t1 := time.Now()
		rep, l2, err := h.decide(ctx, mode, head, base, hd, opt, time.Duration(firstStage*float64(time.Second)))
		if err != nil {
			return nil, err
		}
		loads = append(loads, l2...)
		sc := h.score(rep, effect)
		sc.LookSeconds = since(t1)
		rec.Variants[name] = sc
		if name == "perfslo" {
			rec.ConfirmSeconds = sc.LookSeconds
		}
	}
	rec.Seconds = since(t0)
	rec.OtherCPU = meanOther(loads)
	return rec, nil
}

// decide runs a decision procedure on the first stage, re-measuring the
// way the mode measures (pipeline.Decide, with the harness's measuring).
func (h *harness) decide(ctx context.Context, mode string, head []run.Package, base, hd *gate.Side, opt gate.Options, firstStage time.Duration) (*gate.Report, []run.LoadSample, error) {
	plan := run.Plan{Base: h.base, Head: head, Rounds: h.s.Count}
	if mode == modeStored {
		plan.Base = nil
	}
	var loads []run.LoadSample
	measure := func(ctx context.Context, p run.Plan) (*run.Outcome, error) {
		if mode != modeSequential {
			out, err := h.interleave(ctx, p.Base, p.Head, p.Rounds, p.Bench)
			if out != nil {
				loads = append(loads, out.Load...)
			}
			return out, err
		}
		b, err := h.sequential(ctx, p.Base, p.Rounds, p.Bench)
		if err != nil {
			return nil, err
		}
		x, err := h.sequential(ctx, p.Head, p.Rounds, p.Bench)
		return &run.Outcome{Base: b, Head: x}, err
	}
	in := pipeline.DecideInput{Plan: plan, Base: base, Head: hd, Options: opt, Measure: measure,
		Started: time.Now().Add(-firstStage), FirstStage: firstStage, MaxTime: h.s.MaxTime}
	rep, _, err := pipeline.Decide(ctx, in)
	return rep, loads, err
}

// ensureBaseline measures the stored baseline at the start of each block of
// BaselineEvery repetitions, in a block of its own (head-only rounds of the
// base binary), as `perfslo baseline save` would.
func (h *harness) ensureBaseline(ctx context.Context, iter int) error {
	block := (iter - 1) / h.s.BaselineEvery
	if h.baseline != nil && h.baselineBlock == block {
		return nil
	}
	path := filepath.Join(h.dir, fmt.Sprintf("baseline-%03d.txt", block))
	if data, err := os.ReadFile(path); err == nil {
		if st, err := os.Stat(path); err == nil {
			h.baseline, h.baselineBlock, h.baselineTime = data, block, st.ModTime()
			return nil
		}
	}
	fmt.Fprintf(h.log, "power: measuring the stored baseline for repetitions %d–%d\n", block*h.s.BaselineEvery+1, (block+1)*h.s.BaselineEvery)
	out, err := h.interleave(ctx, nil, h.base, h.s.Count, h.s.Bench)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, out.HeadText); err != nil {
		return err
	}
	h.baseline, h.baselineBlock, h.baselineTime = out.HeadText, block, time.Now()
	return nil
}

// interleave runs the gate's runner; base nil runs the head alone.
func (h *harness) interleave(ctx context.Context, base, head []run.Package, rounds int, bench string) (*run.Outcome, error) {
	out, err := run.Interleave(ctx, run.Plan{Base: base, Head: head, Bench: bench, Benchtime: h.s.Benchtime, CPU: h.s.CPU, Rounds: rounds, Pin: h.s.Pin})
	if err != nil {
		return nil, err
	}
	if len(out.Failures) > 0 {
		f := out.Failures[0]
		return nil, fmt.Errorf("%s %s %s failed (%s):\n%s", f.Side, f.Package, f.Benchmark, f.Kind, f.Output)
	}
	return out, nil
}

// sequential runs each package's binary once with -test.count count: all
// samples of a side from one process, as `go test -count N` takes them.
func (h *harness) sequential(ctx context.Context, pkgs []run.Package, count int, bench string) ([]*benchfmt.Result, error) {
	var all []*benchfmt.Result
	for _, p := range pkgs {
		args := []string{"-test.run", "^$", "-test.bench", bench, "-test.benchmem", "-test.count", strconv.Itoa(count),
			"-test.benchtime", h.s.Benchtime}
		cmd := exec.CommandContext(ctx, p.Binary, args...)
		cmd.Dir = p.Dir
		cmd.Env = os.Environ()
		if h.s.CPU > 0 {
			cmd.Args = append(cmd.Args, "-test.cpu", strconv.Itoa(h.s.CPU))
			cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(h.s.CPU))
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("%s -test.count %d: %v\n%s%s", p.ImportPath, count, err, stdout, stderr.Bytes())
		}
		rd := benchfmt.NewReader(bufio.NewReader(bytes.NewReader(stdout)), p.ImportPath)
		for rd.Scan() {
			if res, ok := rd.Result().(*benchfmt.Result); ok {
				res = res.Clone()
				res.SetConfig("pkg", p.ImportPath)
				all = append(all, res)
			}
		}
		if err := rd.Err(); err != nil {
			return nil, err
		}
	}
	return all, nil
}

func sideOf(label string, rs []*benchfmt.Result) *gate.Side {
	return pipeline.SideOf(gate.Source{Label: label}, rs)
}

func meanOther(ls []run.LoadSample) float64 {
	var sum, wall float64
	for _, l := range ls {
		if l.Measured {
			sum += l.OtherCPU * l.Wall.Seconds()
			wall += l.Wall.Seconds()
		}
	}
	if wall == 0 {
		return 0
	}
	return sum / wall
}

// injected reports whether a benchmark carries the knob under these sites.
func (h *harness) injected(pkg, bench string) bool {
	on := func(site string) bool {
		return h.s.Sites == "" || contains(budgets.SplitList(h.s.Sites), site)
	}
	switch {
	case strings.HasSuffix(pkg, "/sum") && strings.HasPrefix(bench, "BenchmarkSum"):
		return on("sum")
	case strings.HasSuffix(pkg, "/jsonenc") && (bench == "BenchmarkEncode" || strings.HasPrefix(bench, "BenchmarkEncode-")):
		return on("jsonenc")
	case strings.HasSuffix(pkg, "/digest") && (bench == "BenchmarkHash" || strings.HasPrefix(bench, "BenchmarkHash-")):
		return on("digest")
	}
	return false
}

// score classifies a report's rows. With extra work, the injected
// benchmarks' sec/op rows must be flagged; their other time-derived units
// (ns/line, B/s) count neither way. With an extra allocation, their allocs/op
// and B/op rows must be flagged; their time rows (an allocation costs a
// little time too) count neither way. Every other row is a control: a flag
// there is a false alarm.
func (h *harness) score(rep *gate.Report, effect string) Score {
	var s Score
	for _, r := range rep.Results {
		flagged := r.Verdict == gate.Regression || r.Verdict == gate.Violation
		inj := effect != "0" && h.injected(r.Package, r.Benchmark)
		target, neutral := false, false
		if inj {
			if effect == "alloc" {
				target = r.Unit == "allocs/op" || r.Unit == "B/op"
				neutral = !target
			} else {
				target = r.Unit == "sec/op"
				neutral = !target && r.Unit != "allocs/op" && r.Unit != "B/op"
			}
		}
		switch {
		case target:
			s.Injected++
			if s.ByBenchmark == nil {
				s.ByBenchmark = map[string][2]int{}
			}
			b := s.ByBenchmark[r.Benchmark]
			b[0]++
			if flagged {
				s.Detected++
				b[1]++
			}
			s.ByBenchmark[r.Benchmark] = b
			if r.Verdict == gate.Unmeasurable {
				s.Unmeasurable++
			}
			if effect == "alloc" && r.Assumption != "exact" {
				s.Varied = append(s.Varied, fmt.Sprintf("%s %s", r.Benchmark, r.Unit))
			}
		case neutral:
		case flagged:
			s.ControlFlags++
		}
		if flagged {
			s.Flagged = append(s.Flagged, fmt.Sprintf("%s %s %s", r.Benchmark, r.Unit, gate.FormatDelta(&r)))
		}
	}
	return s
}

func readRecords(dir string) ([]Record, error) {
	path := filepath.Join(dir, "runs.jsonl")
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// A run killed mid-write leaves a partial last line: cut it off, so
	// the next append starts a clean line; that gate run is done again.
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		data = data[:i+1]
		if err := os.Truncate(path, int64(len(data))); err != nil {
			return nil, err
		}
	}
	var out []Record
	for n, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func appendRecord(dir string, r *Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, "runs.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
