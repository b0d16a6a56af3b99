// Command leak measures whether profiling leaks into timing samples (issue
// 4, done-means 3). It alternates three kinds of gate-like runs over the same
// test binaries, each a set of interleaved timing rounds, one process per
// sample:
//
//   - plain: timing rounds only (perfslo gate --no-profiles);
//   - profiled: timing rounds, then the profiling step perfslo runs for
//     a regressed benchmark (run.Profile: CPU profile plus two allocation
//     profiles at -test.memprofilerate=1, every benchmark), before the next
//     run's timing rounds;
//   - naive: timing rounds whose own processes record every allocation
//     (GODEBUG=memprofilerate=1), what profiling inside the timing rounds
//     would do. It shows that the comparison can see a leak.
//
// It writes plain.txt, profiled.txt and naive.txt (benchfmt) to -out, for
// benchstat.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/perfslo/perfslo/internal/run"
	"golang.org/x/perf/benchfmt"
)

func main() {
	examples := flag.String("examples", "examples", "the examples module")
	packages := flag.String("packages", "./strbuild,./mapbuild", "package patterns, comma-separated")
	bench := flag.String("bench", ".", "benchmark regexp")
	benchtime := flag.String("benchtime", "100ms", "timing benchtime")
	rounds := flag.Int("rounds", 4, "timing rounds per run")
	reps := flag.Int("reps", 3, "runs of each kind, alternated")
	out := flag.String("out", ".", "directory for the results")
	flag.Parse()
	log.SetFlags(0)
	ctx := context.Background()

	bin, err := os.MkdirTemp("", "perfslo-leak-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(bin)
	pkgs, err := run.Build(ctx, *examples, strings.Split(*packages, ","), bin)
	if err != nil {
		log.Fatal(err)
	}
	kinds := []string{"plain", "profiled", "naive"}
	texts := map[string][]byte{}
	for rep := 0; rep < *reps; rep++ {
		for i := range kinds {
			kind := kinds[(i+rep)%len(kinds)] // rotate, so no kind always follows another
			plan := run.Plan{Head: pkgs, Bench: *bench, Benchtime: *benchtime, CPU: 1, Rounds: *rounds}
			if kind == "naive" {
				plan.Env = []string{"GODEBUG=memprofilerate=1"}
			}
			o, err := run.Interleave(ctx, plan)
			if err != nil {
				log.Fatal(err)
			}
			if len(o.Failures) > 0 {
				log.Fatalf("%s: %s %s: %s", kind, o.Failures[0].Package, o.Failures[0].Kind, o.Failures[0].Output)
			}
			texts[kind] = append(texts[kind], o.HeadText...)
			log.Printf("rep %d %s: %d samples in %s", rep+1, kind, len(o.Head), o.Elapsed)
			if kind == "profiled" {
				if err := profileAll(ctx, pkgs, o.Head, filepath.Join(bin, "profiles")); err != nil {
					log.Fatal(err)
				}
			}
		}
	}
	for _, k := range kinds {
		if err := os.WriteFile(filepath.Join(*out, k+".txt"), texts[k], 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// profileAll runs perfslo's profiling step for every benchmark of a run.
func profileAll(ctx context.Context, pkgs []run.Package, results []*benchfmt.Result, dir string) error {
	seen := map[string]bool{}
	for _, r := range results {
		pkg, name := r.GetConfig("pkg"), "Benchmark"+r.Name.String()
		if seen[pkg+name] {
			continue
		}
		seen[pkg+name] = true
		var spo float64
		for _, v := range r.Values {
			if v.Unit == "sec/op" {
				spo = v.Value
			}
		}
		for _, p := range pkgs {
			if p.ImportPath != pkg {
				continue
			}
			pr, err := run.Profile(ctx, p, name, run.ProfileOptions{OutDir: dir, SecPerOp: spo, Mem: true, CPU: 1})
			if err != nil {
				return err
			}
			log.Printf("  profiled %s in %s", name, pr.Elapsed)
		}
	}
	if len(seen) == 0 {
		return fmt.Errorf("no benchmarks to profile")
	}
	return nil
}
