package main

import (
	"flag"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

// runFlags are the run settings that override perfslo.yaml's run section,
// and how each benchmark process runs.
type runFlags struct {
	override budgets.Run // Packages is filled from packages when applied
	packages string
	timeout  time.Duration
	noPin    bool
}

func registerRunFlags(fs *flag.FlagSet) *runFlags {
	f := &runFlags{}
	fs.StringVar(&f.packages, "packages", "", "package `patterns`, comma-separated (default: the config's, else ./...)")
	fs.StringVar(&f.override.Bench, "bench", "", "benchmark `regexp` (default: the config's, else .)")
	fs.StringVar(&f.override.Benchtime, "benchtime", "", "per-sample benchtime, a duration or Nx (default: the config's, else 100ms)")
	fs.IntVar(&f.override.Count, "count", 0, "samples per benchmark and side, each from its own process (default: the config's, else 10)")
	fs.IntVar(&f.override.CPU, "cpu", 0, "GOMAXPROCS and -test.cpu for both sides (default: the config's, else 1)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Minute, "limit per test process")
	fs.StringVar(&f.override.Measure, "measure", "", "what to measure: time, instructions (instructions/op and est-cycles/op under valgrind's callgrind; deterministic) or auto (default: run.measure, else time)")
	fs.BoolVar(&f.noPin, "no-pin", false, "let benchmark processes run on any CPU (by default each runs on one CPU, which halves process-to-process noise on Linux)")
	return f
}

// narrowed is true when the flags narrowed the configured selection.
func (f *runFlags) narrowed() bool { return f.override.Bench != "" || f.packages != "" }

// statsFlags are the statistical knobs shared by gate, compare and
// calibrate.
type statsFlags struct{ gate.Options }

func registerStatsFlags(fs *flag.FlagSet) *statsFlags {
	s := &statsFlags{}
	fs.Float64Var(&s.Alpha, "alpha", gate.DefaultAlpha, "family-wise significance level")
	fs.StringVar(&s.Correction, "correction", gate.CorrectionBH, "multiple-comparison correction: bh (Benjamini–Hochberg), holm, or none (benchstat's per-row tests)")
	return s
}

func (s *statsFlags) options(cfg *budgets.Config) gate.Options {
	return gate.Options{Config: cfg, Alpha: s.Alpha, Correction: s.Correction, Now: time.Now().UTC()}
}

// validate rejects settings the statistics cannot use.
func (s *statsFlags) validate() error { return s.options(nil).Validate() }
