package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

// runFlags are the run settings that override perfslo.yaml's run section.
type runFlags struct {
	packages, bench, benchtime, measure *string
	count, cpu                          *int
	timeout                             *time.Duration
	noPin                               *bool
}

func registerRunFlags(fs *flag.FlagSet) runFlags {
	return runFlags{
		packages:  fs.String("packages", "", "package `patterns`, comma-separated (default: the config's, else ./...)"),
		bench:     fs.String("bench", "", "benchmark `regexp` (default: the config's, else .)"),
		benchtime: fs.String("benchtime", "", "per-sample benchtime, a duration or Nx (default: the config's, else 100ms)"),
		count:     fs.Int("count", 0, "samples per benchmark and side, each from its own process (default: the config's, else 10)"),
		cpu:       fs.Int("cpu", 0, "GOMAXPROCS and -test.cpu for both sides (default: the config's, else 1)"),
		timeout:   fs.Duration("timeout", 10*time.Minute, "limit per test process"),
		measure:   fs.String("measure", "", "what to measure: time, instructions (instructions/op and est-cycles/op under valgrind's callgrind; deterministic) or auto (default: run.measure, else time)"),
		noPin:     fs.Bool("no-pin", false, "let benchmark processes run on any CPU (by default each runs on one CPU, which halves process-to-process noise on Linux)"),
	}
}

// apply overrides the config's run settings with the flags that were set.
func (f runFlags) apply(r *budgets.Run) {
	r.Override(budgets.Run{Packages: splitList(*f.packages), Bench: *f.bench, Benchtime: *f.benchtime, Count: *f.count, CPU: *f.cpu, Measure: *f.measure})
}

func (f runFlags) validate(r budgets.Run) error {
	if r.Count < 2 {
		return fmt.Errorf("--count %d: need at least 2 samples per side for any statistics (6 or more to detect a change at α=0.05)", r.Count)
	}
	if r.CPU < 1 {
		return fmt.Errorf("--cpu %d: need at least 1", r.CPU)
	}
	return r.CheckFlags()
}

// statsFlags are the statistical knobs shared by gate, compare and
// calibrate.
type statsFlags struct {
	alpha      *float64
	correction *string
}

func registerStatsFlags(fs *flag.FlagSet) statsFlags {
	return statsFlags{
		alpha:      fs.Float64("alpha", gate.DefaultAlpha, "family-wise significance level"),
		correction: fs.String("correction", gate.CorrectionBH, "multiple-comparison correction: bh (Benjamini–Hochberg), holm, or none (benchstat's per-row tests)"),
	}
}

func (s statsFlags) options(cfg *budgets.Config) gate.Options {
	return gate.Options{Config: cfg, Alpha: *s.alpha, Correction: *s.correction, Now: time.Now().UTC()}
}

// validate rejects settings the statistics cannot use.
func (s statsFlags) validate() error { return s.options(nil).Validate() }

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
