package pyroscope

import (
	"fmt"
	"strings"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/profiles"
)

// Coverage compares where a service spends CPU in staging with what the
// benchmarks exercise: it tells a team which benchmark to write next.
//
// Each staging CPU sample is attributed to its deepest application frame:
// the frame closest to the leaf whose function is not in the standard
// library (its package path's first element has no dot and is not "main").
// That is the code the team owns that did, or asked for, the work. The
// sample is exercised when that function appears anywhere in the benchmarks'
// CPU profiles. Samples with no application frame at all (the scheduler,
// GC workers, net/http's connection plumbing) are outside: no benchmark of
// the team's targets them. A closure counts as exercised when its enclosing
// function is.
type Coverage struct {
	// Samples is the estimated number of staging CPU samples.
	Samples float64 `json:"samples"`
	// Application is the share of staging CPU with an application frame.
	Application float64 `json:"application"`
	// Exercised is the share of staging CPU whose deepest application
	// frame the benchmarks exercise.
	Exercised float64 `json:"exercised"`
	// Unbenchmarked are the deepest application frames of the samples not
	// exercised, by share of all staging CPU, largest first.
	Unbenchmarked []FunctionShare `json:"unbenchmarked"`
	// Benchmarked are the exercised deepest frames, largest first.
	Benchmarked []FunctionShare `json:"benchmarked"`
}

// FunctionShare is a function's share of staging CPU.
type FunctionShare struct {
	Function string  `json:"function"`
	Share    float64 `json:"share"`
}

// ComputeCoverage computes the coverage of a staging CPU profile by the
// benchmarks' CPU profiles.
func ComputeCoverage(staging *profile.Profile, benchmarks []*profile.Profile) (*Coverage, error) {
	idx, err := cpuIndex(staging)
	if err != nil {
		return nil, fmt.Errorf("staging CPU profile: %v", err)
	}
	if len(benchmarks) == 0 {
		return nil, fmt.Errorf("no benchmark CPU profiles to compare with")
	}
	exercised := map[string]bool{}
	var stack []string
	for _, bp := range benchmarks {
		for _, s := range bp.Sample {
			stack = profiles.StackFunctions(s, stack[:0])
			for _, f := range stack {
				exercised[f] = true
			}
		}
	}

	var total, app, covered int64
	hot := map[string]int64{}
	cov := map[string]int64{}
	for _, s := range staging.Sample {
		v := s.Value[idx]
		if v == 0 {
			continue
		}
		total += v
		stack = profiles.StackFunctions(s, stack[:0])
		deepest := ""
		for _, f := range stack {
			if isApplication(f) {
				deepest = f
				break
			}
		}
		if deepest == "" {
			continue
		}
		app += v
		if exercised[deepest] || exercised[enclosing(deepest)] {
			covered += v
			cov[deepest] += v
		} else {
			hot[deepest] += v
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("%w: the staging CPU profile has no samples", ErrEmptyProfile)
	}
	c := &Coverage{
		Samples:     newTally(staging, idx).samples(),
		Application: float64(app) / float64(total),
		Exercised:   float64(covered) / float64(total),
	}
	for _, f := range ranked(hot) {
		c.Unbenchmarked = append(c.Unbenchmarked, FunctionShare{f, float64(hot[f]) / float64(total)})
	}
	for _, f := range ranked(cov) {
		c.Benchmarked = append(c.Benchmarked, FunctionShare{f, float64(cov[f]) / float64(total)})
	}
	return c, nil
}

// Summary is the one-line verdict: "benchmarks exercise 41% of staging CPU
// (62% of the 66% under application code); hot and unbenchmarked:
// main.render (12%), main.parse (5%)". It lists up to n functions of at
// least 1% each.
func (c *Coverage) Summary(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "benchmarks exercise %.0f%% of staging CPU", 100*c.Exercised)
	if c.Application > 0 {
		fmt.Fprintf(&b, " (%.0f%% of the %.0f%% under application code)", 100*c.Exercised/c.Application, 100*c.Application)
	}
	var hot []string
	for _, f := range c.Unbenchmarked {
		if len(hot) == n || f.Share < 0.01 {
			break
		}
		hot = append(hot, fmt.Sprintf("%s (%.0f%%)", f.Function, 100*f.Share))
	}
	if len(hot) > 0 {
		fmt.Fprintf(&b, "; hot and unbenchmarked: %s", strings.Join(hot, ", "))
	} else {
		b.WriteString("; no unbenchmarked application function takes 1% or more")
	}
	return b.String()
}

// enclosing strips the closure suffixes of a function name
// ("pkg.F.func1.2" → "pkg.F"): a closure runs when its enclosing function
// does, and a short benchmark profile easily misses a small closure's
// samples.
func enclosing(fn string) string {
	for {
		i := strings.LastIndexByte(fn, '.')
		if i < 0 {
			return fn
		}
		last := fn[i+1:]
		if digits(strings.TrimPrefix(last, "func")) {
			fn = fn[:i]
			continue
		}
		return fn
	}
}

func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// isApplication reports whether a function belongs to application code
// rather than the Go distribution: standard-library import paths have no
// dot in their first element ("encoding/json", "runtime"), module paths do
// ("github.com/…", "example.com/…"); package main is the application's.
func isApplication(fn string) bool {
	pkg := packageOf(fn)
	if pkg == "main" {
		return true
	}
	first, _, _ := strings.Cut(pkg, "/")
	return strings.Contains(first, ".")
}

// packageOf returns the import path of a pprof function name:
// "github.com/a/b.(*T).M" → "github.com/a/b", "main.main.func1" → "main".
// Type arguments ("F[go.shape.int]") are ignored.
func packageOf(fn string) string {
	if i := strings.IndexByte(fn, '['); i >= 0 {
		fn = fn[:i]
	}
	slash := strings.LastIndexByte(fn, '/')
	if dot := strings.IndexByte(fn[slash+1:], '.'); dot >= 0 {
		return fn[:slash+1+dot]
	}
	return fn
}
