package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"golang.org/x/perf/benchfmt"

	"github.com/perfslo/perfslo/internal/procgroup"
)

// Profiling rounds are separate processes from the timing rounds: a CPU
// profile's signal handler and, above all, recording every allocation
// (-test.memprofilerate=1 makes malloc several times slower) would leak into
// the timing samples. The gate runs them after the timing rounds, only for
// the benchmarks it needs to explain.

// ProfileOptions says how to profile one benchmark.
type ProfileOptions struct {
	// OutDir receives the profiles; it is created if missing.
	OutDir string
	// Prefix starts the file names (PREFIX.cpu.pb.gz, PREFIX.mem.pb.gz,
	// PREFIX.mem2.pb.gz); "" derives one from the benchmark's name.
	Prefix string

	// Iters is b.N of the CPU profile run (-test.benchtime=Nx): a fixed
	// count, so the profile holds a known number of iterations. Give base
	// and head the same Iters. 0 derives it from SecPerOp and Duration.
	Iters int64
	// SecPerOp is the benchmark's time per op from the timing rounds; 0
	// runs a short calibration process (-test.benchtime=100ms) to learn it.
	SecPerOp float64
	// Duration is the target length of the CPU profile: pprof samples at
	// 100 Hz, so the default 1s gives about 100 samples.
	Duration time.Duration

	// Mem enables the allocation profiles: two runs with
	// -test.memprofilerate=1, of MemIters and 2 iterations, whose
	// difference (profiles.Subtract) is exact per op.
	Mem bool
	// MemIters is b.N of the long allocation run; 0 sizes it to take about
	// MemDuration from the CPU run's sec/op and allocs/op.
	MemIters int64
	// MemDuration bounds the long allocation run (default 250ms).
	MemDuration time.Duration
	// NoCPU skips the CPU profile (then Iters or SecPerOp sizes MemIters).
	NoCPU bool

	// CPU, Timeout and Env mean what they mean in Plan; use the timing
	// rounds' values.
	CPU     int
	Timeout time.Duration
	Env     []string
}

// ProfileRun is what profiling one benchmark produced. Results are the
// benchmark's own result line of the process that wrote each profile: its
// Iters is the b.N that makes the profile per op.
type ProfileRun struct {
	Package, Benchmark string

	CPUProfile string
	CPUResult  *benchfmt.Result

	// MemProfile ran MemResult.Iters iterations, MemShortProfile ran
	// MemShortResult.Iters (2); subtract the short from the long.
	MemProfile, MemShortProfile string
	MemResult, MemShortResult   *benchfmt.Result

	// Elapsed is the wall time of every process this run started.
	Elapsed time.Duration
}

// Defaults for ProfileOptions.
const (
	DefaultProfileDuration = time.Second
	DefaultMemDuration     = 250 * time.Millisecond
	// memShortIters is the short allocation run's b.N. With
	// -test.benchtime=2x a b.Loop benchmark runs 2 iterations and a b.N one
	// runs 1+2, against N and 1+N in the long run: the difference is N−2
	// iterations for both.
	memShortIters = 2
	// allocRecordCost is roughly what recording one allocation with its
	// stack costs at -test.memprofilerate=1 (measured: ~1µs on this
	// project's CI machines; doubled for deeper stacks).
	allocRecordCost = 2e-6
)

// BenchRegexp returns the -test.bench pattern that selects exactly one
// benchmark: each level of "BenchmarkSum/lines=1000" anchored and quoted,
// "^BenchmarkSum$/^lines=1000$". The "Benchmark" prefix is optional.
func BenchRegexp(name string) string {
	if !strings.HasPrefix(name, "Benchmark") {
		name = "Benchmark" + name
	}
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// Profile runs one benchmark of pkg alone, in processes of its own: a CPU
// profile over a fixed number of iterations, and with opts.Mem two
// allocation profiles with every allocation recorded. benchmark is the
// benchmark's full name ("BenchmarkSum/lines=1000"); a "-N" suffix equal to
// opts.CPU is ignored. A benchmark that fails, panics, times out or prints
// no result is an error carrying its output.
func Profile(ctx context.Context, pkg Package, benchmark string, opts ProfileOptions) (*ProfileRun, error) {
	benchmark = budgets.ParseBenchmarkID(pkg.ImportPath, benchmark, opts.CPU).Name
	if !strings.HasPrefix(benchmark, "Benchmark") {
		benchmark = "Benchmark" + benchmark
	}
	if opts.Duration <= 0 {
		opts.Duration = DefaultProfileDuration
	}
	if opts.MemDuration <= 0 {
		opts.MemDuration = DefaultMemDuration
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.Prefix == "" {
		opts.Prefix = FileName(benchmark)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("run: profile directory: %w", err)
	}
	pr := &profiler{pkg: pkg, bench: benchmark, opts: opts}
	out := &ProfileRun{Package: pkg.ImportPath, Benchmark: benchmark}
	defer func() { out.Elapsed = pr.elapsed }()

	iters := opts.Iters
	if iters <= 0 {
		spo := opts.SecPerOp
		if spo <= 0 {
			res, err := pr.run(ctx, "calibrate", []string{"-test.benchtime", "100ms"})
			if err != nil {
				return out, err
			}
			spo = secPerOp(res)
		}
		iters = itersFor(opts.Duration, spo)
	}

	allocs := 0.0
	spo := opts.SecPerOp
	if !opts.NoCPU {
		path := filepath.Join(opts.OutDir, opts.Prefix+".cpu.pb.gz")
		res, err := pr.run(ctx, "cpu", []string{"-test.benchtime", fmt.Sprintf("%dx", iters), "-test.cpuprofile", path})
		if err != nil {
			return out, err
		}
		out.CPUProfile, out.CPUResult = path, res
		spo, allocs = secPerOp(res), valueOf(res, "allocs/op")
	}
	if !opts.Mem {
		return out, nil
	}
	memIters := opts.MemIters
	if memIters <= 0 {
		if spo <= 0 {
			spo = opts.Duration.Seconds() / float64(iters)
		}
		memIters = min(iters, itersFor(opts.MemDuration, spo+allocs*allocRecordCost))
	}
	memIters = max(memIters, 3*memShortIters) // leave iterations after the subtraction
	for _, m := range []struct {
		iters int64
		path  *string
		res   **benchfmt.Result
		name  string
	}{
		{memIters, &out.MemProfile, &out.MemResult, "mem"},
		{memShortIters, &out.MemShortProfile, &out.MemShortResult, "mem2"},
	} {
		path := filepath.Join(opts.OutDir, opts.Prefix+"."+m.name+".pb.gz")
		res, err := pr.run(ctx, m.name, []string{"-test.benchtime", fmt.Sprintf("%dx", m.iters),
			"-test.memprofile", path, "-test.memprofilerate", "1"})
		if err != nil {
			return out, err
		}
		*m.path, *m.res = path, res
	}
	return out, nil
}

// FileName turns a benchmark name into a file name: "BenchmarkSum/lines=1000"
// becomes "BenchmarkSum_lines=1000".
func FileName(benchmark string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '=', r == '-', r == '.', r == '_':
			return r
		}
		return '_'
	}, benchmark)
}

// itersFor is how many iterations of spo seconds fill d, at least 1.
func itersFor(d time.Duration, spo float64) int64 {
	if spo <= 0 {
		return 1
	}
	n := d.Seconds() / spo
	if n < 1 {
		return 1
	}
	if n > 1e9 {
		return 1e9
	}
	return int64(n)
}

func secPerOp(r *benchfmt.Result) float64 {
	if v := valueOf(r, "sec/op"); v > 0 {
		return v
	}
	return valueOf(r, "ns/op") * 1e-9
}

func valueOf(r *benchfmt.Result, unit string) float64 {
	for _, v := range r.Values {
		if v.Unit == unit || v.OrigUnit == unit {
			if v.Unit == unit {
				return v.Value
			}
			return v.OrigValue
		}
	}
	return 0
}

// profiler runs one benchmark's profiling processes.
type profiler struct {
	pkg     Package
	bench   string
	opts    ProfileOptions
	elapsed time.Duration
}

// run runs the benchmark once with extra flags and returns its result line.
func (p *profiler) run(ctx context.Context, what string, extra []string) (*benchfmt.Result, error) {
	args := []string{"-test.run", "^$", "-test.bench", BenchRegexp(p.bench), "-test.benchmem",
		"-test.count", "1", "-test.timeout", p.opts.Timeout.String()}
	args = append(args, extra...)
	procs := numCPU()
	env := BenchmarkEnv(p.opts.Env...)
	if p.opts.CPU > 0 {
		procs = p.opts.CPU
		args = append(args, "-test.cpu", strconv.Itoa(p.opts.CPU))
		env = append(env, "GOMAXPROCS="+strconv.Itoa(p.opts.CPU))
	}
	cmd := exec.CommandContext(ctx, p.pkg.Binary, args...)
	cmd.Dir = p.pkg.Dir
	cmd.Env = env
	procgroup.Own(cmd)
	cmd.WaitDelay = time.Second
	stdout, stderr := newOutputBuffers()
	cmd.Stdout, cmd.Stderr = stdout, stderr

	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run: starting test binary for %s: %w", p.pkg.ImportPath, err)
	}
	waitErr, timedOut := waitWatched(cmd, p.opts.Timeout)
	procgroup.Kill(cmd)
	p.elapsed += time.Since(t0)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	records, failures := analyze(processOutput{
		side: "profile", pkg: p.pkg.ImportPath, procs: procs,
		stdout: stdout.Bytes(), stderr: stderr.Bytes(),
		waitErr: waitErr, timedOut: timedOut, timeout: p.opts.Timeout,
		fileName: fmt.Sprintf("%s profile (%s) of %s", what, p.bench, p.pkg.ImportPath),
	})
	if len(failures) > 0 {
		f := failures[0]
		return nil, fmt.Errorf("run: %s profile of %s in %s: %s:\n%s", what, p.bench, p.pkg.ImportPath, f.Kind, strings.TrimRight(f.Output, "\n"))
	}
	var found *benchfmt.Result
	for _, rec := range records {
		if res, ok := rec.(*benchfmt.Result); ok {
			if found != nil {
				return nil, fmt.Errorf("run: %s profile of %s in %s: the pattern %s selected more than one benchmark (%s, %s)",
					what, p.bench, p.pkg.ImportPath, BenchRegexp(p.bench), found.Name, res.Name)
			}
			found = res
		}
	}
	if found == nil {
		if cut := cutFailures("profile", p.pkg.ImportPath, stdout, stderr); len(cut) > 0 {
			return nil, fmt.Errorf("run: %s profile of %s in %s: no result line in what was kept of its output: %s", what, p.bench, p.pkg.ImportPath, cut[0].Output)
		}
		return nil, fmt.Errorf("run: %s profile of %s in %s: %w\n%s", what, p.bench, p.pkg.ImportPath, ErrNoBenchmark, tail(stdout.String(), maxFailureOutput))
	}
	return found, nil
}

// ErrNoBenchmark reports that the benchmark to profile printed no result:
// it does not exist in that build (a benchmark added or removed between base
// and head) or it skipped itself.
var ErrNoBenchmark = errors.New("no such benchmark in this build, or it printed no result")
