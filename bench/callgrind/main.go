// Command callgrind measures what instruction counting costs in wall time:
// the same benchmarks, A/A (base and head are one build), once the way the
// gate times them natively at its default settings (count 10 interleaved
// one-sample processes per side, -test.benchtime 100ms, -test.cpu 1,
// -test.benchmem) and once counted under callgrind by internal/callgrind
// (MeasurePair: N from a native calibration, two (N, 2N) pairs per side,
// more when the counts are not deterministic). It prints per benchmark the
// instructions/op (and est-cycles/op with -cachesim), the spread between
// pairs, whether the counts were statistical, and the A/A delta, then the
// wall times and their ratio (the goal for the gate: ≤ 1.5×).
//
//	go run ./bench/callgrind                      # the examples module
//	go run ./bench/callgrind -cachesim            # with est-cycles/op
//	go run ./bench/callgrind -dir /path/to/module -packages ./... -bench 'Encode|Decode'
//
// The callgrind output files are kept in -out (default a temporary
// directory, printed).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/perfslo/perfslo/internal/callgrind"
	"github.com/perfslo/perfslo/internal/run"
	"golang.org/x/perf/benchfmt"
)

func main() {
	dir := flag.String("dir", "examples", "module directory")
	pkgs := flag.String("packages", "./...", "package patterns, comma-separated")
	bench := flag.String("bench", ".", "benchmarks to include (regexp on the full name)")
	count := flag.Int("count", 10, "native: processes per side")
	benchtime := flag.String("benchtime", "100ms", "native: -test.benchtime")
	cacheSim := flag.Bool("cachesim", false, "callgrind: simulate caches and branches (est-cycles/op)")
	parallel := flag.Int("parallel", runtime.NumCPU(), "callgrind: processes at once")
	target := flag.Duration("target", 0, "callgrind: Options.Target (0: the package default)")
	out := flag.String("out", "", "directory for callgrind output files (default: a temporary one)")
	maxSpread := flag.Float64("maxspread", 0, "callgrind: Options.MaxSpread (0: the package default, 0.001)")
	maxPairs := flag.Int("maxpairs", 0, "callgrind: Options.MaxPairs (0: the package default, 5)")
	method := flag.String("method", "", "callgrind: Options.Method (\"\": the default; toggle; whole-program)")
	flag.Parse()
	o := callgrind.Options{OutDir: *out, CacheSim: *cacheSim, Parallel: *parallel, Target: *target,
		MaxSpread: *maxSpread, MaxPairs: *maxPairs, Method: callgrind.Method(*method)}
	if err := mainErr(*dir, strings.Split(*pkgs, ","), *bench, *count, *benchtime, o); err != nil {
		fmt.Fprintln(os.Stderr, "callgrind bench:", err)
		os.Exit(1)
	}
}

type benchmark struct {
	pkg  run.Package
	name string
}

func mainErr(dir string, patterns []string, bench string, count int, benchtime string, o callgrind.Options) error {
	ctx := context.Background()
	re, err := regexp.Compile(bench)
	if err != nil {
		return err
	}
	if _, version, err := callgrind.Check(ctx, ""); err != nil {
		return err
	} else {
		fmt.Printf("%s, %s, %d CPUs, load %s\n", version, runtime.Version(), runtime.NumCPU(), loadavg())
	}
	binDir, err := os.MkdirTemp("", "callgrind-bench-bin")
	if err != nil {
		return err
	}
	defer os.RemoveAll(binDir)
	if o.OutDir == "" {
		if o.OutDir, err = os.MkdirTemp("", "callgrind-bench-out"); err != nil {
			return err
		}
	}
	t0 := time.Now()
	pkgs, err := run.Build(ctx, dir, patterns, binDir)
	if err != nil {
		return err
	}
	fmt.Printf("built %d test binaries in %.1fs\n", len(pkgs), time.Since(t0).Seconds())

	// The full names, sub-benchmarks included, from one quick run.
	var benches []benchmark
	sel := map[string][]string{}
	for _, p := range pkgs {
		names, err := list(ctx, p)
		if err != nil {
			return err
		}
		for _, n := range names {
			if re.MatchString(n) {
				benches = append(benches, benchmark{p, n})
				sel[p.Binary] = append(sel[p.Binary], n)
			}
		}
	}
	if len(benches) == 0 {
		return fmt.Errorf("no benchmark matches %q", bench)
	}

	// Native, as the gate times them: count processes per side, each one
	// sample of each of a package's benchmarks.
	t0 = time.Now()
	for range 2 * count { // both sides are the same build
		for _, p := range pkgs {
			for _, expr := range run.SelectBenchmarks(sel[p.Binary]) {
				cmd := exec.CommandContext(ctx, p.Binary, "-test.run", "^$", "-test.bench", expr,
					"-test.benchtime", benchtime, "-test.count", "1", "-test.cpu", "1", "-test.benchmem")
				cmd.Dir = p.Dir
				if b, err := cmd.CombinedOutput(); err != nil {
					return fmt.Errorf("%s: %v\n%s", p.ImportPath, err, b)
				}
			}
		}
	}
	native := time.Since(t0)
	fmt.Printf("native: %d benchmarks, %d processes per side, -test.benchtime %s: %.1fs\n\n", len(benches), count, benchtime, native.Seconds())

	fmt.Printf("%-40s %12s %8s %5s %7s %6s %14s %8s\n", "benchmark", "instr/op", "spread", "stat", "A/A", "N", "est-cycles/op", "wall")
	t0 = time.Now()
	statistical := 0
	for _, b := range benches {
		bt := time.Now()
		tg := callgrind.Target{Binary: b.pkg.Binary, Dir: b.pkg.Dir, Benchmark: b.name, ImportPath: b.pkg.ImportPath}
		p, err := callgrind.MeasurePair(ctx, tg, tg, o)
		if err != nil {
			return err
		}
		bi, _ := p.Base.Metric(callgrind.UnitInstructions)
		hi, _ := p.Head.Metric(callgrind.UnitInstructions)
		cyc := "-"
		if c, ok := p.Head.Metric(callgrind.UnitEstCycles); ok {
			cyc = fmt.Sprintf("%.0f", c.Value)
		}
		if p.Base.Statistical {
			statistical++
		}
		fmt.Printf("%-40s %12.1f %7.3f%% %5v %+6.3f%% %6d %14s %7.1fs\n", short(b), hi.Value, 100*max(bi.Spread, hi.Spread),
			p.Base.Statistical, 100*(hi.Value/bi.Value-1), p.Base.N, cyc, time.Since(bt).Seconds())
	}
	instr := time.Since(t0)
	fmt.Printf("\ncallgrind: %.1fs (%d of %d rows statistical); native: %.1fs; ratio %.2f×\n",
		instr.Seconds(), statistical, len(benches), native.Seconds(), instr.Seconds()/native.Seconds())
	fmt.Printf("load %s; output files in %s\n", loadavg(), o.OutDir)
	return nil
}

// list returns the full names of a package's benchmarks from a run at
// -test.benchtime 1x.
func list(ctx context.Context, p run.Package) ([]string, error) {
	cmd := exec.CommandContext(ctx, p.Binary, "-test.run", "^$", "-test.bench", ".", "-test.benchtime", "1x", "-test.cpu", "1")
	cmd.Dir = p.Dir
	stdout, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: listing benchmarks: %v", p.ImportPath, err)
	}
	var names []string
	rd := benchfmt.NewReader(bytes.NewReader(stdout), p.ImportPath)
	for rd.Scan() {
		if r, ok := rd.Result().(*benchfmt.Result); ok {
			names = append(names, "Benchmark"+string(r.Name.Full()))
		}
	}
	return names, nil
}

func short(b benchmark) string {
	return filepath.Base(b.pkg.ImportPath) + "." + strings.TrimPrefix(b.name, "Benchmark")
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
