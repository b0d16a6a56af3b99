// Command size measures the git baseline store after many recorded
// baselines, with and without compaction: it records -n baselines of the
// examples into a fresh repository's history per mode and prints the tip
// tree's size, the repository's packed size after gc, and the size of a
// fresh clone of the branch (what CI downloads).
//
// The baselines are synthesized from one real run of the examples'
// benchmarks (go test -bench, -count 10): each record perturbs every time
// value by a seeded ±2% (normal) noise and a slow drift, so every record
// is different, as real runs are; bytes and allocations stay as measured.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/gitref"
	"github.com/perfslo/perfslo/internal/pipeline"
	"github.com/perfslo/perfslo/internal/recorded"
	"github.com/perfslo/perfslo/internal/store"
)

func main() {
	n := flag.Int("n", 1000, "baselines to record per mode")
	samples := flag.String("samples", "", "a real go test -bench output of the examples (default: run them once and save it as bench/history/examples-run.txt)")
	flag.Parse()
	if err := run(*n, *samples); err != nil {
		fmt.Fprintln(os.Stderr, "size:", err)
		os.Exit(1)
	}
}

func run(n int, samples string) error {
	base, err := realRun(samples)
	if err != nil {
		return err
	}
	fmt.Printf("real run: %d benchmark lines, %d bytes of benchfmt per baseline\n", strings.Count(base, "\nBenchmark"), len(base))
	for _, mode := range []struct {
		name string
		pol  budgets.History
	}{
		{"without compaction (keep 1000, raw 1000)", budgets.History{Keep: n, Raw: n}},
		{"with compaction (keep 1000, raw 30: the default)", budgets.History{Keep: budgets.DefaultHistoryKeep, Raw: budgets.DefaultHistoryRaw}},
	} {
		if err := measure(mode.name, mode.pol, n, base); err != nil {
			return err
		}
	}
	return nil
}

// realRun returns a real benchmark run of the examples.
func realRun(path string) (string, error) {
	if path != "" {
		data, err := os.ReadFile(path)
		return string(data), err
	}
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "10", "-benchtime", "100ms", "-cpu", "1", "./...")
	cmd.Dir = "examples"
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", err
	}
	return string(out), os.WriteFile(filepath.Join("bench", "history", "examples-run.txt"), out, 0o644)
}

func measure(name string, pol budgets.History, n int, base string) error {
	dir, err := os.MkdirTemp("", "perfslo-size-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := recorded.Repo(dir, 1, start); err != nil {
		return err
	}
	g := &store.GitBranch{Repo: dir}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	t0 := time.Now()
	squashes := 0
	for i := range n {
		drift := 1 + 0.1*math.Sin(float64(i)/50)
		res := perturb(base, rng, drift)
		m := store.Meta{Name: "main", Commit: fmt.Sprintf("%040x", i+1), Date: start.Add(time.Duration(i) * 8 * time.Hour), Count: 10, Benchtime: "100ms"}
		r, err := g.Record(m, []byte(res), pol)
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		if r.Squashed {
			squashes++
		}
	}
	took := time.Since(t0)
	entries, err := g.History()
	if err != nil {
		return err
	}
	raw := 0
	for _, e := range entries {
		if e.Raw() {
			raw++
		}
	}
	// Reading it back: perfslo history's and report's cost at this size.
	cfg, err := budgets.Load(filepath.Join("examples", "perfslo.yaml"))
	if err != nil {
		return err
	}
	t1 := time.Now()
	v, err := pipeline.LoadHistory(g, cfg, "", gate.Options{})
	if err != nil {
		return err
	}
	loaded := time.Since(t1)
	site := dir + "-site"
	defer os.RemoveAll(site)
	t2 := time.Now()
	rows, err := pipeline.WriteDashboard(site, v, "")
	if err != nil {
		return err
	}
	written := time.Since(t2)
	siteBytes, _ := dirBytes(site)
	tip, err := tipBytes(dir)
	if err != nil {
		return err
	}
	commits, _ := git(dir, "rev-list", "--count", store.DefaultGitBranch)
	// The reflog would keep what the squashes dropped reachable.
	if _, err := git(dir, "reflog", "expire", "--expire=now", "--all"); err != nil {
		return err
	}
	if _, err := git(dir, "gc", "-q", "--prune=now"); err != nil {
		return err
	}
	packed, err := dirBytes(filepath.Join(dir, ".git", "objects"))
	if err != nil {
		return err
	}
	clone := dir + "-clone"
	defer os.RemoveAll(clone)
	if _, err := git(dir, "clone", "-q", "--bare", "--single-branch", "--branch", store.DefaultGitBranch, "file://"+dir, clone); err != nil {
		return err
	}
	cloned, err := dirBytes(filepath.Join(clone, "objects"))
	if err != nil {
		return err
	}
	fmt.Printf("\n%s\n  recorded %d baselines in %s (%.0f ms each), %d squashes\n  history: %d entries, %d with samples, %d summaries; branch has %s commit(s)\n  tip tree: %s   objects after gc: %s   fresh clone of the branch: %s\n",
		name, n, took.Round(time.Second), float64(took.Milliseconds())/float64(n), squashes, len(entries), raw, len(entries)-raw, strings.TrimSpace(commits), mib(tip), mib(packed), mib(cloned))
	fmt.Printf("  perfslo history's load and judgement: %s; dashboard of %d benchmarks: %s, %s\n", loaded.Round(time.Millisecond), len(rows), written.Round(time.Millisecond), mib(siteBytes))
	return nil
}

// perturb multiplies each time value by drift and a seeded normal noise
// of 2%.
func perturb(out string, rng *rand.Rand, drift float64) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(out, "\n") {
		if !strings.HasPrefix(line, "Benchmark") {
			b.WriteString(line)
			continue
		}
		f := strings.Fields(line)
		for j := 2; j+1 < len(f); j += 2 {
			if strings.HasPrefix(f[j+1], "ns/") {
				if v, err := strconv.ParseFloat(f[j], 64); err == nil {
					f[j] = strconv.FormatFloat(v*drift*(1+0.02*rng.NormFloat64()), 'f', 2, 64)
				}
			}
		}
		b.WriteString(strings.Join(f, "\t") + "\n")
	}
	return b.String()
}

func tipBytes(dir string) (int64, error) {
	out, err := git(dir, "ls-tree", "-r", "-l", store.DefaultGitBranch)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 {
			if n, err := strconv.ParseInt(f[3], 10, 64); err == nil {
				total += n
			}
		}
	}
	return total, nil
}

func dirBytes(dir string) (int64, error) {
	var total int64
	err := filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			total += info.Size()
		}
		return err
	})
	return total, err
}

func git(dir string, args ...string) (string, error) {
	return gitref.Command{Dir: dir, Args: args}.Output(context.Background())
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }
