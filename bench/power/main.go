// Command power measures how far a perfslo verdict can be trusted on this
// machine: how often the gate catches a regression of known size (power),
// and how often it flags a suite where nothing changed (family-wise false
// alarms), for three ways of measuring:
//
//   - stored: a stored baseline, measured earlier in its own block (every
//     -baseline-every runs, so its age varies as a CI baseline's does), and
//     the head measured now, as `perfslo gate --baseline` does (one process
//     per sample); confirmation can re-run only the head;
//   - sequential: base then head in one job, each package's side as one
//     process with -test.count N (benchdiff / benchstat style);
//   - interleaved: perfslo's default, base and head alternating in ABBA
//     rounds of one-sample processes.
//
// Every mode takes N samples per side at the same benchtime, so the
// measurement costs the same wall-clock time; the stored mode spends half of
// it when the baseline is saved. The regression is injected at link time
// (examples/internal/inject: -X …Work=P for P% extra work, -X …Allocs=1 for
// one extra allocation per op) into sum.Sum and jsonenc.Encode only, so the
// code under test is byte-for-byte the same in base and head and the other
// benchmarks are controls. Each gate run is judged by the gate's own code
// (run.Interleave, gate.Procedure through pipeline.Decide) three ways:
// perfslo's procedure, the Holm procedure it replaced, and benchstat's
// per-row tests on the first stage.
//
// Results are appended to DIR/runs.jsonl as each gate run finishes, and
// DIR/results.md and DIR/power.svg are rewritten from all runs so far: an
// interrupted run still yields a table, and running the same command again
// resumes where it stopped. Cells are visited in a shuffled order within
// each repetition, so a noisy hour hits every cell alike.
//
//	go run ./bench/power -r 50                 # the full evaluation (make power)
//	go run ./bench/power -r 3 -out /tmp/power  # a smoke run
//	go run ./bench/power -hygiene -r 10        # run hygiene options, A/A
//	go run ./bench/power -report               # rewrite the tables from runs.jsonl
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/internal/atomicfile"
)

// knob is the import path of the regression knob in the examples module.
const knob = "github.com/perfslo/perfslo/examples/internal/inject"

// Settings fix what the results mean; a results directory holds runs of one
// Settings only (R may grow between invocations).
type Settings struct {
	Examples  string   `json:"examples"`
	Packages  []string `json:"packages"`
	Bench     string   `json:"bench"`
	Benchtime string   `json:"benchtime"`
	Count     int      `json:"count"`
	CPU       int      `json:"cpu"`
	Confirm   int      `json:"confirm"`
	// MaxTime bounds each gate run's measuring, as --max-time does.
	MaxTime       time.Duration `json:"max_time"`
	Pin           bool          `json:"pin"`
	Tolerance     float64       `json:"tolerance"`
	Alpha         float64       `json:"alpha"`
	Effects       []string      `json:"effects"`
	Modes         []string      `json:"modes"`
	Sites         string        `json:"sites"`
	BaselineEvery int           `json:"baseline_every"`
}

// The modes.
const (
	modeStored      = "stored"
	modeSequential  = "sequential"
	modeInterleaved = "interleaved"
)

var allModes = []string{modeStored, modeSequential, modeInterleaved}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := power(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "power: interrupted; run the same command again to resume")
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "power:", err)
		os.Exit(1)
	}
}

func power(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("power", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var s Settings
	r := fs.Int("r", 50, "gate runs per cell (mode × effect)")
	out := fs.String("out", "bench/power/results", "results `dir` (created; resumed when it holds runs of the same settings)")
	fs.StringVar(&s.Examples, "examples", "examples", "the examples module `dir`")
	packages := fs.String("packages", "./sum,./jsonenc,./digest", "package `patterns` of the suite, comma-separated")
	fs.StringVar(&s.Bench, "bench", ".", "-test.bench `regexp` of the suite")
	fs.StringVar(&s.Benchtime, "benchtime", "20ms", "per-sample benchtime")
	fs.IntVar(&s.Count, "count", 10, "samples per side")
	fs.IntVar(&s.CPU, "cpu", 1, "GOMAXPROCS and -test.cpu of every benchmark process (0: unset)")
	fs.IntVar(&s.Confirm, "confirm", 1, "1: confirmation looks as the gate takes them; 0: decide on the first stage alone")
	fs.DurationVar(&s.MaxTime, "max-time", 3*time.Minute, "measuring budget of each gate run (the gate's --max-time)")
	fs.BoolVar(&s.Pin, "pin", true, "run benchmark processes on one CPU, as the gate does by default")
	tol := fs.String("tolerance", "1%", "sec/op regression tolerance of the gate (B/op and allocs/op: 0)")
	fs.Float64Var(&s.Alpha, "alpha", 0.05, "family-wise significance level")
	effects := fs.String("effects", "0,2,5,10,alloc", "injected effects: percent of extra work, or alloc (+1 allocation per op)")
	modes := fs.String("modes", strings.Join(allModes, ","), "modes: stored, sequential, interleaved")
	fs.StringVar(&s.Sites, "sites", "sum,jsonenc,digest", "inject sites (sum: BenchmarkSum/*, jsonenc: BenchmarkEncode, digest: BenchmarkHash)")
	fs.IntVar(&s.BaselineEvery, "baseline-every", 5, "stored mode: measure a new baseline every `K` repetitions")
	fresh := fs.Bool("fresh", false, "discard earlier results in -out instead of resuming")
	reportOnly := fs.Bool("report", false, "only rewrite results.md and power.svg from runs.jsonl")
	hygiene := fs.Bool("hygiene", false, "measure run hygiene options (A/A noise) instead of power")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	s.Packages = budgets.SplitList(*packages)
	s.Effects = budgets.SplitList(*effects)
	s.Modes = budgets.SplitList(*modes)
	t, err := parsePercent(*tol)
	if err != nil {
		return fmt.Errorf("-tolerance %q: %v", *tol, err)
	}
	s.Tolerance = t
	if err := s.validate(); err != nil {
		return err
	}
	if *r < 1 {
		return fmt.Errorf("-r %d: want at least one run per cell", *r)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if *reportOnly {
		return writeReports(*out, stdout)
	}
	if *hygiene {
		return runHygiene(ctx, s, *r, *out, stdout, stderr)
	}
	if err := prepare(*out, s, *fresh); err != nil {
		return err
	}
	h, err := newHarness(ctx, s, *out, stderr)
	if err != nil {
		return err
	}
	defer h.close()
	if err := h.loop(ctx, *r); err != nil {
		return err
	}
	return writeReports(*out, stdout)
}

func (s *Settings) validate() error {
	for _, m := range s.Modes {
		if !contains(allModes, m) {
			return fmt.Errorf("-modes: unknown mode %q (want stored, sequential, interleaved)", m)
		}
	}
	for _, e := range s.Effects {
		if e == "alloc" {
			continue
		}
		if p, err := strconv.ParseFloat(e, 64); err != nil || p < 0 {
			return fmt.Errorf("-effects: %q is neither a percentage nor alloc", e)
		}
	}
	if len(s.Modes) == 0 || len(s.Effects) == 0 {
		return errors.New("-modes and -effects must name at least one each")
	}
	if s.Count < 4 {
		return fmt.Errorf("-count %d: the U-test needs 4 samples per side to reach α=0.05 at all", s.Count)
	}
	if s.BaselineEvery < 1 {
		return fmt.Errorf("-baseline-every %d: want at least 1", s.BaselineEvery)
	}
	return nil
}

// prepare checks that -out holds runs of these settings, or starts it.
func prepare(dir string, s Settings, fresh bool) error {
	path := filepath.Join(dir, "settings.json")
	if fresh {
		for _, f := range []string{"settings.json", "runs.jsonl", "results.md", "power.svg"} {
			_ = os.Remove(filepath.Join(dir, f))
		}
		old, _ := filepath.Glob(filepath.Join(dir, "baseline-*.txt"))
		for _, f := range old {
			_ = os.Remove(f)
		}
	}
	data, err := os.ReadFile(path)
	if err == nil {
		var old Settings
		if err := json.Unmarshal(data, &old); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if !reflect.DeepEqual(old, s) {
			return fmt.Errorf("%s holds runs made with other settings (%s); use another -out, the same flags, or -fresh", dir, string(data))
		}
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	data, err = json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(data, '\n'))
}

func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || v < 0 {
		return 0, errors.New("want a percentage such as 1%")
	}
	return v / 100, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// effectLabel is how tables name an effect.
func effectLabel(e string) string {
	if e == "alloc" {
		return "+1 alloc/op"
	}
	return "+" + e + "% time"
}

func since(t time.Time) float64 { return time.Since(t).Seconds() }
