package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

func init() {
	register(command{name: "compare", summary: "judge two existing go test -bench outputs (no running)", run: runCompare})
}

func runCompare(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("compare", "compare OLD.txt NEW.txt [--config perfslo.yaml] [--json F] [--markdown F]", env.stderr)
	var out reportOutputs
	out.register(fs)
	config := fs.String("config", "", "budgets `file` (default: perfslo.yaml in the current directory, if any)")
	stats := registerStatsFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUndecided, err
	}
	if len(pos) != 2 {
		fs.Usage()
		return exitUndecided, fmt.Errorf("want two files, OLD and NEW; got %d argument(s)", len(pos))
	}
	cfg, err := loadConfig(env, *config, env.dir)
	if err != nil {
		return exitUndecided, err
	}
	base, err := readSideFile(env, pos[0])
	if err != nil {
		return exitUndecided, err
	}
	head, err := readSideFile(env, pos[1])
	if err != nil {
		return exitUndecided, err
	}
	opt := stats.options(cfg)
	opt.Settings.Config = cfg.File
	rep := gate.Compare(base, head, opt)
	for _, e := range cfg.Unmatched(sideBenchmarks(head)) {
		rep.Warnings = append(rep.Warnings, e.Error())
	}
	return out.emit(env, rep)
}

func readSideFile(env *environment, path string) (*gate.Side, error) {
	f, err := os.Open(resolve(env, path))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src := gate.Source{Label: filepath.Base(path)}
	if st, err := f.Stat(); err == nil {
		t := st.ModTime()
		src.Date = &t
	}
	return gate.ReadSide(src, f, path)
}

// sideBenchmarks lists the benchmarks a side holds, for budget matching.
func sideBenchmarks(s *gate.Side) []budgets.BenchmarkID {
	seen := map[budgets.BenchmarkID]bool{}
	var ids []budgets.BenchmarkID
	for _, k := range s.Keys() {
		id := budgets.BenchmarkID{Package: k.Package, Name: k.Benchmark}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// statsFlags are the statistical knobs shared by gate and compare.
type statsFlags struct {
	alpha      *float64
	correction *string
}

func registerStatsFlags(fs interface {
	Float64(string, float64, string) *float64
	String(string, string, string) *string
}) statsFlags {
	return statsFlags{
		alpha:      fs.Float64("alpha", gate.DefaultAlpha, "family-wise significance level"),
		correction: fs.String("correction", gate.CorrectionHolm, "multiple-comparison correction: holm, or none (benchstat's per-row tests)"),
	}
}

func (s statsFlags) options(cfg *budgets.Config) gate.Options {
	return gate.Options{Config: cfg, Alpha: *s.alpha, Correction: *s.correction, Now: time.Now().UTC()}
}
