// Command reallibs is the evidence harness for perfslo's gate on real code:
// it copies real third-party modules from the module proxy into temporary
// git repositories, commits a no-op (A/A) or its own injected regressions
// (A/B: a spin loop at the top of chosen functions, +20% to +300% on the
// benchmarks that call them, the others untouched) on top, and runs, side by
// side on the same scenarios,
//
//   - perfslo: `perfslo gate --base HEAD~1 --packages … --count 6
//     --benchtime 50ms --json … --markdown …` through its command line only,
//     so it judges any perfslo binary (-perfslo PATH, or $PERFSLO);
//   - benchstat: the naive workflow used today: base and head test binaries
//     run sequentially with -test.count 6, benchstat, and a row flagged when
//     p < 0.05 and the change is beyond tolerance in the bad direction (5%
//     for sec/op, any growth for B/op and allocs/op).
//
// The ground truth of the A/B scenario is measured once per module at setup
// (truth.go): a longer interleaved run of base and head classifies each row
// as injected (on an injected path and ≥ 20% slower), untouched, or excluded
// (on a path but < 20%, or off every path yet shifted), and results.md lists
// it.
//
// Every run is appended to DIR/runs.jsonl as it finishes, its raw outputs
// (perfslo's JSON, markdown and stderr; the naive workflow's benchfmt files
// and benchstat CSV) are kept under DIR/raw, and DIR/results.md is rewritten:
// an interrupted evaluation still yields its tables, and the same command
// resumes it. Cells are visited in a shuffled order within each repetition,
// so a noisy hour hits every cell alike.
//
//	go run ./bench/reallibs -r 8                        # the evaluation (make reallibs)
//	go run ./bench/reallibs -r 1 -modules uuid -out /tmp/rl  # a smoke run
//	go run ./bench/reallibs -perfslo /path/to/perfslo -out DIR2 # another binary
//	go run ./bench/reallibs -report                     # rewrite results.md from runs.jsonl
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/perfslo/perfslo/internal/atomicfile"
)

// Settings fix what the results mean; a results directory holds runs of one
// Settings only (R may grow between invocations).
type Settings struct {
	Modules         []string `json:"modules"` // name@version#spec
	Count           int      `json:"count"`
	Benchtime       string   `json:"benchtime"`
	GateArgs        []string `json:"gate_args"`
	PerfsloSHA256   string   `json:"perfslo_sha256"`
	PerfsloVersion  string   `json:"perfslo_version"`
	Tolerance       float64  `json:"naive_tolerance"`
	Alpha           float64  `json:"naive_alpha"`
	VerifyRounds    int      `json:"verify_rounds"`
	VerifyBenchtime string   `json:"verify_benchtime"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := reallibs(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "reallibs: interrupted; run the same command again to resume")
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "reallibs:", err)
		os.Exit(1)
	}
}

func reallibs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reallibs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	r := fs.Int("r", 8, "runs per cell (module × scenario × tool)")
	out := fs.String("out", "bench/reallibs/results", "results `dir` (created; resumed when it holds runs of the same settings)")
	perfslo := fs.String("perfslo", "", "the perfslo `binary` under test (default $PERFSLO, else bin/perfslo)")
	benchstat := fs.String("benchstat", "", "benchstat `binary` (default: built from the golang.org/x/perf version in go.mod)")
	mods := fs.String("modules", "all", "modules to evaluate, comma-separated: "+moduleNames())
	count := fs.Int("count", 6, "samples per benchmark and side, both tools")
	benchtime := fs.String("benchtime", "50ms", "per-sample benchtime, both tools")
	gateArgs := fs.String("gate-args", "", "extra flags for `perfslo gate`, space-separated (e.g. \"--no-profiles\")")
	tol := fs.Float64("tolerance", 0.05, "the naive rule's sec/op tolerance (B/op, allocs/op: any growth)")
	alpha := fs.Float64("alpha", 0.05, "the naive rule's per-row significance level")
	verifyRounds := fs.Int("verify-rounds", 10, "ground truth: processes per side")
	verifyBenchtime := fs.String("verify-benchtime", "100ms", "ground truth: -test.benchtime per process")
	timeout := fs.Duration("timeout", 30*time.Minute, "limit per tool run (a run over it is recorded as a crash)")
	work := fs.String("work", "", "`dir` for the module copies and binaries (default: a new temporary dir, removed at the end)")
	fresh := fs.Bool("fresh", false, "discard earlier results in -out instead of resuming")
	setupOnly := fs.Bool("setup-only", false, "stop after setup and the ground truth (to check the injections)")
	reportOnly := fs.Bool("report", false, "only rewrite results.md from runs.jsonl and the ground truth files")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *r < 1 || *count < 2 || *verifyRounds < 4 {
		return fmt.Errorf("want -r ≥ 1, -count ≥ 2 and -verify-rounds ≥ 4 (have %d, %d, %d)", *r, *count, *verifyRounds)
	}
	selected, err := selectModules(*mods)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(*out, "raw"), 0o755); err != nil {
		return err
	}
	if *reportOnly {
		return rewriteReport(*out, selected, stdout)
	}

	bin, err := resolvePerfslo(*perfslo)
	if err != nil {
		return err
	}
	sum, version, err := identify(ctx, bin)
	if err != nil {
		return err
	}
	s := Settings{Count: *count, Benchtime: *benchtime, GateArgs: strings.Fields(*gateArgs),
		PerfsloSHA256: sum, PerfsloVersion: version, Tolerance: *tol, Alpha: *alpha,
		VerifyRounds: *verifyRounds, VerifyBenchtime: *verifyBenchtime}
	if s.GateArgs == nil {
		s.GateArgs = []string{}
	}
	for _, m := range selected {
		s.Modules = append(s.Modules, m.Name+"@"+m.Version+"#"+m.specHash())
	}
	if err := prepareOut(*out, s, *fresh); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "reallibs: perfslo %s (%s, sha256 %s…)\n", bin, version, sum[:12])

	runsFile := filepath.Join(*out, "runs.jsonl")
	done := map[string]bool{}
	old, err := readRuns(runsFile)
	if err != nil {
		return err
	}
	for _, x := range old {
		done[runID(cell{x.Module, x.Scenario, x.Tool}, x.Rep)] = true
	}
	var cells []cell
	for _, m := range selected {
		for _, sc := range scenarios {
			for _, t := range tools {
				cells = append(cells, cell{m.Name, sc, t})
			}
		}
	}
	if doneCount(cells, *r, done) == *r*len(cells) && !*setupOnly {
		fmt.Fprintf(stderr, "reallibs: %s already holds all %d runs (raise -r for more)\n", *out, *r*len(cells))
		return rewriteReport(*out, selected, stdout)
	}

	tc, err := newToolchain(ctx)
	if err != nil {
		return err
	}
	wdir := *work
	if wdir == "" {
		wdir, err = os.MkdirTemp("", "perfslo-reallibs-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(wdir)
	} else if err := os.MkdirAll(wdir, 0o755); err != nil {
		return err
	}
	wdir, err = filepath.Abs(wdir)
	if err != nil {
		return err
	}
	bs := *benchstat
	if bs == "" {
		bs = filepath.Join(wdir, "benchstat")
		// The user's own environment: -mod=mod would let the build edit
		// perfslo's go.mod.
		if _, err := tc.execIn(ctx, ".", os.Environ(), "go", "build", "-o", bs, "golang.org/x/perf/cmd/benchstat"); err != nil {
			return fmt.Errorf("building benchstat (run from the perfslo module, or pass -benchstat): %v", err)
		}
	}
	absOut, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	rn := &runner{tc: tc, perfslo: bin, benchstat: bs, raw: filepath.Join(absOut, "raw"), work: wdir,
		count: *count, benchtime: *benchtime, gateArgs: s.GateArgs, tolerance: *tol, alpha: *alpha, timeout: *timeout}

	preps := map[string]*prepared{}
	truths := map[string]*Truth{}
	for _, m := range selected {
		p, err := tc.prepare(ctx, wdir, m, stderr)
		if err != nil {
			return err
		}
		preps[m.Name] = p
		t, err := loadOrMeasureTruth(ctx, tc, *out, wdir, p, *verifyRounds, *verifyBenchtime, stderr)
		if err != nil {
			return err
		}
		truths[m.Name] = t
	}
	if err := writeReport(*out, selected, truths, s); err != nil {
		return err
	}
	if *setupOnly {
		for _, m := range selected {
			writeTruth(stdout, m, truths[m.Name])
		}
		return nil
	}

	total, n := *r*len(cells), doneCount(cells, *r, done)
	start := time.Now()
	ran := 0
	for rep := 1; rep <= *r; rep++ {
		order := append([]cell(nil), cells...)
		rng := rand.New(rand.NewPCG(uint64(rep), 11))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, c := range order {
			id := runID(c, rep)
			if done[id] {
				continue
			}
			p := preps[c.module]
			run := Run{Module: c.module, Scenario: c.scenario, Tool: c.tool, Rep: rep, Start: time.Now().UTC(), Raw: id}
			run.Load[0] = loadavg()
			var err error
			if c.tool == toolPerfslo {
				err = rn.runPerfslo(ctx, p, p.scens[c.scenario], &run)
			} else {
				err = rn.runBenchstat(ctx, p, p.scens[c.scenario], &run)
			}
			if err != nil {
				return err
			}
			run.Load[1] = loadavg()
			if err := appendRun(runsFile, run); err != nil {
				return err
			}
			n++
			ran++
			eta := time.Duration(float64(time.Since(start)) / float64(ran) * float64(total-n)).Round(time.Second)
			fmt.Fprintf(stderr, "reallibs: %d/%d %s rep %d: %s (ETA %s)\n", n, total, c, rep, oneLine(run), eta)
			if err := rewriteReport(*out, selected, io.Discard); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(stderr, "reallibs: %d run(s) this time in %s; results in %s\n", ran, time.Since(start).Round(time.Second), filepath.Join(*out, "results.md"))
	return rewriteReport(*out, selected, stdout)
}

// doneCount counts the runs of cells up to rep r that are already done.
func doneCount(cells []cell, r int, done map[string]bool) int {
	n := 0
	for rep := 1; rep <= r; rep++ {
		for _, c := range cells {
			if done[runID(c, rep)] {
				n++
			}
		}
	}
	return n
}

func moduleNames() string {
	var names []string
	for _, m := range modules {
		names = append(names, m.Name)
	}
	return strings.Join(names, ", ")
}

// resolvePerfslo finds the binary under test: the flag, $PERFSLO, bin/perfslo.
func resolvePerfslo(flagValue string) (string, error) {
	p := flagValue
	if p == "" {
		p = os.Getenv("PERFSLO")
	}
	if p == "" {
		p = filepath.Join("bin", "perfslo")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("perfslo binary: %v (build it: go build -o bin/perfslo ./cmd/perfslo, or pass -perfslo PATH)", err)
	}
	return abs, nil
}

// identify returns the binary's sha256 and what `perfslo version` prints:
// results of two binaries must not mix.
func identify(ctx context.Context, bin string) (string, string, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(data)
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return "", "", fmt.Errorf("%s version: %v", bin, err)
	}
	return hex.EncodeToString(sum[:]), strings.TrimSpace(string(out)), nil
}

// prepareOut checks that dir holds runs of these settings, or starts it.
func prepareOut(dir string, s Settings, fresh bool) error {
	path := filepath.Join(dir, "settings.json")
	if fresh {
		for _, f := range []string{"settings.json", "runs.jsonl", "results.md"} {
			_ = os.Remove(filepath.Join(dir, f))
		}
		_ = os.RemoveAll(filepath.Join(dir, "raw"))
		if err := os.MkdirAll(filepath.Join(dir, "raw"), 0o755); err != nil {
			return err
		}
	}
	data, err := os.ReadFile(path)
	if err == nil {
		var old Settings
		if err := json.Unmarshal(data, &old); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if !reflect.DeepEqual(old, s) {
			now, _ := json.Marshal(s)
			return fmt.Errorf("%s holds runs made with other settings or another perfslo binary\n  then: %s\n  now:  %s\nuse another -out, the same flags and binary, or -fresh", dir, strings.TrimSpace(string(data)), now)
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

func runID(c cell, rep int) string {
	return fmt.Sprintf("%s-%s-%s-r%d", c.module, c.scenario, c.tool, rep)
}

// appendRun appends one run to runs.jsonl in a single write.
func appendRun(path string, r Run) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// counts are the run's flagged and undecided rows of the counted units.
func (r Run) counts() (flags, undecided int) {
	for _, o := range r.Rows {
		if unitClass(o.Unit) != "" {
			continue
		}
		switch o.Outcome {
		case outFlag:
			flags++
		case outUndecided:
			undecided++
		}
	}
	return flags, undecided
}

// oneLine is a run's progress line.
func oneLine(r Run) string {
	flags, und := r.counts()
	s := fmt.Sprintf("exit %d, %.0f s, %d rows, %d flagged, %d undecided", r.Exit, r.Wall, len(r.Rows), flags, und)
	if r.Crash {
		s += ", CRASH: " + r.Error
	}
	return s
}

// rewriteReport rewrites results.md from the settings, the ground truth
// files and runs.jsonl, and prints the tables to w.
func rewriteReport(dir string, mods []Module, w io.Writer) error {
	var s Settings
	data, err := os.ReadFile(filepath.Join(dir, "settings.json"))
	if err != nil {
		return fmt.Errorf("no results in %s yet: %v", dir, err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	truths := map[string]*Truth{}
	for _, m := range mods {
		data, err := os.ReadFile(filepath.Join(dir, "truth-"+m.Name+".json"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		var t Truth
		if err := json.Unmarshal(data, &t); err != nil {
			return fmt.Errorf("truth-%s.json: %v", m.Name, err)
		}
		t.reclassify(m)
		truths[m.Name] = &t
	}
	if err := writeReport(dir, mods, truths, s); err != nil {
		return err
	}
	runs, err := readRuns(filepath.Join(dir, "runs.jsonl"))
	if err != nil {
		return err
	}
	writeTables(w, mods, truths, runs)
	return nil
}

// writeReport writes results.md.
func writeReport(dir string, mods []Module, truths map[string]*Truth, s Settings) error {
	runs, err := readRuns(filepath.Join(dir, "runs.jsonl"))
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, "results.md"), func(w io.Writer) error {
		fmt.Fprintf(w, "# perfslo vs naive benchstat on real libraries\n\n")
		fmt.Fprintf(w, "Written by `go run ./bench/reallibs` (make reallibs) on %s, %d CPUs, %s; %d run(s) so far.\n\n",
			time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version(), len(runs))
		fmt.Fprintf(w, "- perfslo: `%s` (sha256 %.12s…): `perfslo gate --base HEAD~1 --packages … --count %d --benchtime %s --json … --markdown …` %s\n",
			s.PerfsloVersion, s.PerfsloSHA256, s.Count, s.Benchtime, strings.Join(s.GateArgs, " "))
		fmt.Fprintf(w, "- benchstat (naive): base then head test binaries, each `-test.count %d -test.benchtime %s -test.benchmem` (GOMAXPROCS default), `benchstat -format csv`; a row is flagged when p < %g and it grew by more than %.0f%% (sec/op) or at all (B/op, allocs/op).\n",
			s.Count, s.Benchtime, s.Alpha, 100*s.Tolerance)
		fmt.Fprintln(w, "- Rows are benchmark × unit over sec/op, B/op and allocs/op; B/s and custom units are left out of the counts. Detections: injected rows flagged / (injected rows × runs). False flags: untouched rows flagged / (untouched rows × runs). Undecided: rows perfslo did not judge (unmeasurable). Crash: no report (an error exit, a panic, or a timeout). Wall time includes building.")
		fmt.Fprintln(w, "\n## Results")
		writeTables(w, mods, truths, runs)
		fmt.Fprintln(w, "\n## Ground truth")
		for _, m := range mods {
			if t := truths[m.Name]; t != nil {
				writeTruth(w, m, t)
			}
		}
		writeRunList(w, runs)
		return nil
	})
}
