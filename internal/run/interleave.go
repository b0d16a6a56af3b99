package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/perfslo/perfslo/internal/procgroup"
)

// Plan says what to run and how often.
type Plan struct {
	// Base and Head are the compiled packages of each side, paired by
	// import path. Base nil runs only the head (comparison with a stored
	// baseline).
	Base, Head []Package
	// Bench is the -test.bench regexp; "" means "." (every benchmark).
	Bench string
	// Benchtime is -test.benchtime ("100ms", "1000x"); "" leaves the
	// testing package's default.
	Benchtime string
	// CPU is both -test.cpu and GOMAXPROCS for every process of both sides:
	// some benchmarks' medians depend on GOMAXPROCS, so the sides must agree.
	// 0 leaves both unset (the machine's core count).
	CPU int
	// Rounds is the number of samples per benchmark and side. Each sample
	// is its own process running with -test.count 1.
	Rounds int
	// Timeout bounds one process; 0 means 10 minutes, as go test. It is
	// passed as -test.timeout, but the testing package does not apply that
	// to benchmarks, so the runner enforces it: a SIGQUIT (for the stack
	// dump naming the benchmark), then a kill. The Failure's Kind is
	// "timeout".
	Timeout time.Duration
	// Progress receives one line per process; nil is quiet.
	Progress io.Writer
	// Env is added to the environment of the benchmark processes, which
	// is otherwise perfslo's own without credentials (BenchmarkEnv).
	Env []string
	// Pin runs every benchmark process on one CPU (Linux, with two or
	// more CPUs allowed): no migrations, and perfslo's own work elsewhere.
	Pin bool
}

// Outcome is everything the rounds produced.
type Outcome struct {
	// Base and Head hold every sample, in execution order, each with the
	// config "pkg" set to its package's import path.
	Base, Head []*benchfmt.Result
	// BaseText and HeadText are the same results as benchfmt text with
	// their goos/goarch/pkg/cpu headers, ready to store or feed to
	// `perfslo compare`.
	BaseText, HeadText []byte
	// Failures lists what did not run cleanly. A failure recurring in later
	// rounds is listed once (per side, package, benchmark and kind).
	Failures []Failure
	// Load holds one sample per process, in execution order.
	Load    []LoadSample
	Elapsed time.Duration
	// PinnedCPU is the CPU every benchmark process ran on, or -1 when they
	// were not pinned (Pin off, one CPU allowed, or not permitted here).
	PinnedCPU int
}

// Side names, as used in Failure and LoadSample.
const (
	SideBase = "base"
	SideHead = "head"
)

// defaultTimeout matches go test's default -timeout.
const defaultTimeout = 10 * time.Minute

// quitGrace is how long a timed-out process gets to print its stack dump
// after SIGQUIT before it is killed.
const quitGrace = 3 * time.Second

// pair is one package's binaries on both sides; either may be nil.
type pair struct {
	importPath string
	side       map[string]*Package
}

// Interleave runs the plan's rounds. In round r it runs, for each package,
// the base and head binaries one after the other, base first in odd rounds
// and head first in even ones (ABBA), so slow drift of the machine hits both
// sides alike.
//
// A process that crashes (panic, timeout, abnormal exit) in round 1 is not
// run again on that side: a deterministic crash would only repeat, costing
// a timeout per round, and the failure already fails the gate. A crash in a
// later round (flaky) does not stop later rounds. Failures in b.Fatal style
// (--- FAIL) never stop a package: its other benchmarks still give results.
//
// Cancelling ctx kills the running process and its process group at once;
// Interleave then returns ctx.Err().
func Interleave(ctx context.Context, p Plan) (*Outcome, error) {
	if !p.Pin {
		out, err := interleave(ctx, p)
		if out != nil {
			out.PinnedCPU = -1
		}
		return out, err
	}
	var out *Outcome
	cpu, err := withAffinity(func() error {
		var err error
		out, err = interleave(ctx, p)
		return err
	})
	if out != nil {
		out.PinnedCPU = cpu
	}
	return out, err
}

func interleave(ctx context.Context, p Plan) (*Outcome, error) {
	// A base without a head is a change that deleted packages: they run,
	// so that the report can say they are gone.
	if len(p.Head) == 0 && len(p.Base) == 0 {
		return nil, errors.New("run: no packages to benchmark")
	}
	if p.Rounds < 1 {
		return nil, fmt.Errorf("run: rounds must be at least 1, got %d", p.Rounds)
	}
	if p.Bench == "" {
		p.Bench = "."
	}
	if p.Timeout <= 0 {
		p.Timeout = defaultTimeout
	}
	pairs := pairUp(p.Base, p.Head)
	total := 0
	for _, pr := range pairs {
		total += len(pr.side) * p.Rounds
	}

	start := time.Now()
	out := &Outcome{}
	var texts [2]bytes.Buffer
	writers := map[string]*benchfmt.Writer{
		SideBase: benchfmt.NewWriter(&texts[0]),
		SideHead: benchfmt.NewWriter(&texts[1]),
	}
	seen := map[Failure]bool{} // failures already listed, keyed without their output
	crashed := map[string]bool{}
	done := 0

	for round := 1; round <= p.Rounds; round++ {
		order := []string{SideBase, SideHead}
		if round%2 == 0 {
			order = []string{SideHead, SideBase}
		}
		for _, pr := range pairs {
			for _, side := range order {
				pkg := pr.side[side]
				if pkg == nil {
					continue
				}
				key := side + "\x00" + pkg.ImportPath
				if crashed[key] {
					total--
					continue
				}
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				progress(p.Progress, round, p.Rounds, side, pkg.ImportPath, time.Since(start), done, total)
				records, failures, load, err := runOnce(ctx, p, side, round, *pkg)
				if err != nil {
					return nil, err
				}
				done++
				out.Load = append(out.Load, load)
				for _, rec := range records {
					if err := writers[side].Write(rec); err != nil {
						return nil, fmt.Errorf("run: writing results: %w", err)
					}
					if res, ok := rec.(*benchfmt.Result); ok {
						if side == SideBase {
							out.Base = append(out.Base, res)
						} else {
							out.Head = append(out.Head, res)
						}
					}
				}
				for _, f := range failures {
					k := f
					k.Output = ""
					if _, dup := seen[k]; dup {
						continue
					}
					if round == 1 && p.Rounds > 1 && f.Kind != "fail" && f.Kind != "output" {
						crashed[key] = true
						later := "round 2"
						if p.Rounds > 2 {
							later = fmt.Sprintf("rounds 2–%d", p.Rounds)
						}
						f.Output += fmt.Sprintf("\n[perfslo: %s of %s not rerun in %s after this %s in round 1]",
							side, pkg.ImportPath, later, f.Kind)
					}
					seen[k] = true
					out.Failures = append(out.Failures, f)
				}
			}
		}
	}
	out.BaseText = texts[0].Bytes()
	out.HeadText = texts[1].Bytes()
	out.Elapsed = time.Since(start)
	if p.Progress != nil {
		fmt.Fprintf(p.Progress, "ran %d processes in %s\n", done, out.Elapsed.Round(time.Second))
	}
	return out, nil
}

// pairUp pairs packages by import path: head order first, then packages
// only the base has (removed packages still get measured, to say so).
func pairUp(base, head []Package) []pair {
	var pairs []pair
	index := map[string]int{}
	add := func(side string, pkgs []Package) {
		for i := range pkgs {
			ip := pkgs[i].ImportPath
			j, ok := index[ip]
			if !ok {
				j = len(pairs)
				index[ip] = j
				pairs = append(pairs, pair{importPath: ip, side: map[string]*Package{}})
			}
			pairs[j].side[side] = &pkgs[i]
		}
	}
	add(SideHead, head)
	add(SideBase, base)
	return pairs
}

func progress(w io.Writer, round, rounds int, side, pkg string, elapsed time.Duration, done, total int) {
	if w == nil {
		return
	}
	eta := "?"
	if done > 0 {
		eta = (elapsed / time.Duration(done) * time.Duration(total-done)).Round(time.Second).String()
	}
	fmt.Fprintf(w, "round %d/%d %s %s elapsed %s ETA %s\n", round, rounds, side, pkg, elapsed.Round(time.Second), eta)
}

// runOnce runs one test binary once. Its error is for the run as a whole
// (cancellation, a binary that cannot start); everything the benchmark
// itself does wrong is a Failure.
func runOnce(ctx context.Context, p Plan, side string, round int, pkg Package) ([]benchfmt.Record, []Failure, LoadSample, error) {
	args := []string{"-test.run", "^$", "-test.bench", p.Bench, "-test.benchmem", "-test.count", "1",
		"-test.timeout", p.Timeout.String()}
	if p.Benchtime != "" {
		args = append(args, "-test.benchtime", p.Benchtime)
	}
	procs := runtime.NumCPU()
	env := BenchmarkEnv(p.Env...)
	if p.CPU > 0 {
		procs = p.CPU
		args = append(args, "-test.cpu", strconv.Itoa(p.CPU))
		// Last, so it wins over Env: both sides must agree.
		env = append(env, "GOMAXPROCS="+strconv.Itoa(p.CPU))
	}

	cmd := exec.CommandContext(ctx, pkg.Binary, args...)
	cmd.Dir = pkg.Dir
	cmd.Env = env
	procgroup.Own(cmd)
	cmd.WaitDelay = time.Second
	stdout, stderr := newOutputBuffers()
	cmd.Stdout, cmd.Stderr = stdout, stderr

	before, ok := readCPUTimes()
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, nil, LoadSample{}, fmt.Errorf("run: starting %s test binary for %s: %w", side, pkg.ImportPath, err)
	}
	waitErr, timedOut := waitWatched(cmd, p.Timeout)
	wall := time.Since(t0)
	after, ok2 := readCPUTimes()
	procgroup.Kill(cmd)
	if err := ctx.Err(); err != nil {
		return nil, nil, LoadSample{}, err
	}
	var child time.Duration
	if cmd.ProcessState != nil {
		child = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	load := loadBetween(before, after, ok && ok2, wall, child)
	load.Round, load.Side, load.Package = round, side, pkg.ImportPath

	records, failures := analyze(processOutput{
		side: side, pkg: pkg.ImportPath, procs: procs,
		stdout: stdout.Bytes(), stderr: stderr.Bytes(),
		waitErr: waitErr, timedOut: timedOut, timeout: p.Timeout,
		fileName: fmt.Sprintf("%s round %d %s", side, round, pkg.ImportPath),
	})
	failures = append(failures, cutFailures(side, pkg.ImportPath, stdout, stderr)...)
	return records, failures, load, nil
}

func numCPU() int { return runtime.NumCPU() }
