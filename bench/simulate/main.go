// Command simulate measures the gate's decision procedure on resampled real
// benchmark samples: how often it fails a suite in which nothing changed
// (the suite-wise false-alarm rate) and how often it flags a regression of a
// given size (power), next to the procedure perfslo used before
// (Holm over the suite, one confirmation at α).
//
// Each pool is benchfmt text of A/A measurements of one module — many
// one-sample processes of the same code, as the gate takes them (`perfslo
// gate` saves both sides' raw samples; both sides of an A/A run are one
// pool). A simulated suite draws every sample of a side by choosing one real
// result of that benchmark at random (with replacement), all its units
// together, so the real noise — bimodal timings, correlated B/s and sec/op,
// allocation counts that vary — is what the procedure sees. Every look the
// procedure asks for is answered with fresh draws. An effect multiplies the
// head's time-like units of the chosen benchmarks by 1+e (and divides B/s).
//
//	go run ./bench/simulate -suites 2000 pools/*.txt
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/profiles"
	"golang.org/x/perf/benchfmt"
)

func main() {
	suites := flag.Int("suites", 2000, "simulated suites per pool and procedure, under no change")
	powerSuites := flag.Int("power-suites", 300, "simulated suites per effect size")
	count := flag.Int("count", 6, "first-stage samples per side")
	effects := flag.String("effects", "0.02,0.05,0.1,0.2,0.5,1,3", "effect sizes for the power table (fractions)")
	injected := flag.Int("injected", 3, "benchmarks regressed in each power suite")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "", "also write the markdown tables to this file")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the simulation to `file`")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: simulate [flags] POOL.txt...")
		os.Exit(2)
	}
	var pools []*pool
	for _, f := range flag.Args() {
		p, err := readPool(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "simulate:", err)
			os.Exit(1)
		}
		pools = append(pools, p)
	}
	var effs []float64
	for _, s := range strings.Split(*effects, ",") {
		var e float64
		if _, err := fmt.Sscan(s, &e); err != nil {
			fmt.Fprintf(os.Stderr, "simulate: -effects %q: %v\n", s, err)
			os.Exit(2)
		}
		effs = append(effs, e)
	}
	rng := rand.New(rand.NewPCG(*seed, 0x5eed))
	var md strings.Builder
	fmt.Fprintf(&md, "Resampled from real A/A samples; first stage %d samples per side; %s.\n\n", *count, time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintln(&md, "| pool | benchmarks | rows in the family | procedure | suites | suites failed (false alarms) | rate [95% CI] | mean looks | mean extra rounds |")
	fmt.Fprintln(&md, "|---|---|---|---|---|---|---|---|---|")
	for _, p := range pools {
		for _, proc := range procedures {
			st := p.run(rng, proc, *count, *suites, 0, nil)
			lo, hi := profiles.Wilson(float64(st.failed)/float64(st.suites), float64(st.suites))
			fmt.Fprintf(&md, "| %s | %d | %d | %s | %d | %d | %.2f%% [%.2f%%, %.2f%%] | %.2f | %.1f |\n",
				p.name, len(p.names), st.family, proc.name, st.suites, st.failed, 100*float64(st.failed)/float64(st.suites), 100*lo, 100*hi,
				float64(st.looks)/float64(st.suites), float64(st.extraRounds)/float64(st.suites))
			fmt.Fprint(os.Stderr, ".")
		}
	}
	fmt.Fprintf(&md, "\nPower: share of regressed sec/op rows flagged (%d benchmarks regressed per suite, %d suites per cell); false flags: untouched rows flagged.\n\n", *injected, *powerSuites)
	fmt.Fprint(&md, "| pool | procedure |")
	for _, e := range effs {
		fmt.Fprintf(&md, " +%g%% |", 100*e)
	}
	fmt.Fprint(&md, " false flags |\n|---|---|")
	for range effs {
		fmt.Fprint(&md, "---|")
	}
	fmt.Fprintln(&md, "---|")
	for _, p := range pools {
		for _, proc := range procedures {
			fmt.Fprintf(&md, "| %s | %s |", p.name, proc.name)
			falseFlags := 0
			for _, e := range effs {
				st := p.run(rng, proc, *count, *powerSuites, e, func(r *rand.Rand) map[string]bool { return p.choose(r, *injected) })
				fmt.Fprintf(&md, " %.0f%% |", 100*float64(st.detected)/float64(max(1, st.injectedRows)))
				falseFlags += st.falseFlags
				fmt.Fprint(os.Stderr, ".")
			}
			fmt.Fprintf(&md, " %d |\n", falseFlags)
		}
	}
	fmt.Fprintln(os.Stderr)
	fmt.Print(md.String())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(md.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "simulate:", err)
			os.Exit(1)
		}
	}
}

// procedure is a decision procedure to simulate.
type procedure struct {
	name string
	opt  gate.Options
}

var procedures = []procedure{
	{"perfslo now: screen, BH looks at α/2^j", gate.Options{Looks: -1}},
	{"before: Holm over the suite, one confirmation", gate.Options{Correction: gate.CorrectionHolm, Screen: gate.ScreenCorrected, Spending: gate.SpendNone, Looks: 1}},
}

// pool is one module's real results, by benchmark.
type pool struct {
	name    string
	names   []string                      // benchmark names, sorted
	results map[string][]*benchfmt.Result // by name
}

func readPool(path string) (*pool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := &pool{name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), results: map[string][]*benchfmt.Result{}}
	rd := benchfmt.NewReader(f, path)
	for rd.Scan() {
		switch r := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, r
		case *benchfmt.Result:
			key := r.GetConfig("pkg") + " " + r.Name.String()
			if _, ok := p.results[key]; !ok {
				p.names = append(p.names, key)
			}
			p.results[key] = append(p.results[key], r.Clone())
		}
	}
	if err := rd.Err(); err != nil && err != io.EOF {
		return nil, err
	}
	if len(p.names) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results", path)
	}
	sort.Strings(p.names)
	return p, nil
}

// choose picks k benchmarks at random.
func (p *pool) choose(r *rand.Rand, k int) map[string]bool {
	out := map[string]bool{}
	for _, i := range r.Perm(len(p.names))[:min(k, len(p.names))] {
		out[p.names[i]] = true
	}
	return out
}

// draw returns a side of n resampled results of each wanted benchmark,
// the chosen ones slowed by effect.
func (p *pool) draw(r *rand.Rand, label string, n int, want map[string]bool, slowed map[string]bool, effect float64) *gate.Side {
	s := gate.NewSide(gate.Source{Label: label})
	for _, name := range p.names {
		if want != nil && !want[name] {
			continue
		}
		rs := p.results[name]
		for range n {
			res := rs[r.IntN(len(rs))].Clone()
			// Drawing with replacement repeats values, and the exact
			// U-test with ties is very slow; real timings rarely tie. A
			// jitter of a part in 10⁹ breaks the ties and nothing else.
			jitter := 1 + 1e-9*(r.Float64()-0.5)
			for i := range res.Values {
				v := &res.Values[i]
				timeLike := strings.HasPrefix(v.Unit, "sec/") || v.Unit == "B/s"
				if !timeLike {
					continue
				}
				v.Value *= jitter
				if slowed[name] && effect != 0 {
					if v.Unit == "B/s" {
						v.Value /= 1 + effect
					} else {
						v.Value *= 1 + effect
					}
				}
			}
			s.Add(res)
		}
	}
	return s
}

type stats struct {
	suites, failed, looks, extraRounds int
	family                             int
	detected, injectedRows, falseFlags int
}

// run simulates suites of the pool under one procedure.
func (p *pool) run(r *rand.Rand, proc procedure, count, suites int, effect float64, choose func(*rand.Rand) map[string]bool) stats {
	var st stats
	for range suites {
		var slowed map[string]bool
		if choose != nil {
			slowed = choose(r)
		}
		pr := gate.NewProcedure(p.draw(r, "base", count, nil, nil, 0), p.draw(r, "head", count, nil, slowed, effect), proc.opt)
		for {
			look, ok := pr.Next()
			if !ok {
				break
			}
			want := map[string]bool{}
			for _, c := range look.Benchmarks {
				for _, name := range p.names {
					if strings.HasPrefix(name, c.Package+" ") && benchName(name) == c.Name {
						want[name] = true
					}
				}
			}
			pr.Add(p.draw(r, "base", look.Rounds, want, nil, 0), p.draw(r, "head", look.Rounds, want, slowed, effect))
			st.extraRounds += look.Rounds
		}
		rep := pr.Report()
		st.suites++
		st.looks += rep.Settings.Looks
		st.family = rep.Settings.Tests
		if rep.Failed() > 0 {
			st.failed++
		}
		for _, row := range rep.Results {
			if row.Unit != "sec/op" {
				continue
			}
			key := row.Package + " " + strings.TrimPrefix(row.Benchmark, "Benchmark")
			hit := false
			for name := range slowed {
				if benchKey(name) == key {
					hit = true
				}
			}
			switch {
			case hit:
				st.injectedRows++
				if row.Verdict == gate.Regression {
					st.detected++
				}
			case row.Verdict == gate.Regression:
				st.falseFlags++
			}
		}
	}
	return st
}

// benchName turns a pool key "pkg Name-8" into the gate's "BenchmarkName".
func benchName(key string) string {
	_, name, _ := strings.Cut(key, " ")
	if i := strings.LastIndex(name, "-"); i > 0 && strings.Trim(name[i+1:], "0123456789") == "" {
		name = name[:i]
	}
	return "Benchmark" + name
}

// benchKey is a pool key without its procs suffix, to match report rows.
func benchKey(key string) string {
	pkg, _, _ := strings.Cut(key, " ")
	return pkg + " " + strings.TrimPrefix(benchName(key), "Benchmark")
}
