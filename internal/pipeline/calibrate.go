package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/atomicfile"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/internal/store"
	"github.com/perfslo/perfslo/internal/tempdir"
)

// CalibratePlan is one `perfslo calibrate`: A/A rounds (the same binary as
// base and head) at each of the config's benchtimes (comma-separated).
type CalibratePlan struct {
	ModuleDir string
	Config    *budgets.Config
	// Rounds is the number of A/A rounds per benchtime (0: twice the
	// count, at least 10), Power the probability of detection the MDE is
	// quoted at.
	Rounds int
	Power  float64
	// Options are the statistical settings (alpha, correction, clock).
	Options gate.Options
	Timeout time.Duration
	Pin     bool
	// Log receives progress; nil is quiet.
	Log io.Writer
}

// Calibrate measures the machine's noise and returns the calibration, and
// warnings about the rounds (failed benchmarks, a loaded host).
func Calibrate(ctx context.Context, p CalibratePlan) (*gate.Calibration, []string, error) {
	log := p.Log
	if log == nil {
		log = io.Discard
	}
	cfg := p.Config
	if p.Rounds == 0 {
		p.Rounds = max(2*cfg.Run.Count, 10)
	}
	if p.Rounds < 3 {
		return nil, nil, fmt.Errorf("--rounds %d: need at least 3 A/A rounds to estimate noise", p.Rounds)
	}
	benchtimes := budgets.SplitList(cfg.Run.Benchtime)
	if len(benchtimes) == 0 {
		benchtimes = []string{""}
	}
	work, err := tempdir.New("calibrate-")
	if err != nil {
		return nil, nil, err
	}
	defer tempdir.Remove(work)
	fmt.Fprintf(log, "perfslo: building %s in %s\n", strings.Join(cfg.Run.Packages, " "), p.ModuleDir)
	pkgs, err := run.Build(ctx, p.ModuleDir, cfg.Run.Packages, filepath.Join(work, "bin"))
	if err != nil {
		return nil, nil, fmt.Errorf("building: %w", err)
	}
	opt := p.Options
	opt.Config = cfg
	cal := &gate.Calibration{
		Schema: gate.CalibrationSchema, Created: time.Now().UTC(), Machine: store.CurrentMachine(ctx),
		Count: cfg.Run.Count, CPU: cfg.Run.CPU, Rounds: p.Rounds, Alpha: opt.Alpha, Power: p.Power, Config: cfg.File,
	}
	var warnings []string
	for _, bt := range benchtimes {
		name := bt
		if name == "" {
			name = "default"
		}
		fmt.Fprintf(log, "perfslo: %d A/A rounds (the same binary as base and head) at benchtime %s\n", p.Rounds, name)
		out, err := run.Interleave(ctx, run.Plan{
			Base: pkgs, Head: pkgs, Bench: cfg.Run.Bench, Benchtime: bt, CPU: cfg.Run.CPU,
			Rounds: p.Rounds, Timeout: p.Timeout, Progress: log, Pin: p.Pin,
		})
		if err != nil {
			return nil, nil, err
		}
		for _, f := range out.Failures {
			warnings = append(warnings, fmt.Sprintf("%s %s %s failed (%s): not calibrated", f.Package, f.Benchmark, f.Side, f.Kind))
		}
		for _, w := range out.LoadWarnings(runtime.NumCPU()) {
			warnings = append(warnings, "benchtime "+name+": "+w+" — the noise measured includes it")
		}
		cal.Calibrate(SideOf(gate.Source{Label: "A"}, out.Base), SideOf(gate.Source{Label: "A'"}, out.Head), bt, opt)
	}
	if len(cal.Benchmarks) == 0 {
		return nil, nil, errors.New("no benchmark produced timing samples to calibrate")
	}
	return cal, warnings, nil
}

// SaveCalibration writes cal to path ("" is CalibrationFile in moduleDir,
// where the gate looks) atomically, creating its directory, and returns
// the path it wrote.
func SaveCalibration(moduleDir, path string, cal *gate.Calibration) (string, error) {
	if path == "" {
		path = filepath.Join(moduleDir, CalibrationFile)
	}
	data, err := json.MarshalIndent(cal, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	if err := atomicfile.WriteBytes(path, append(data, '\n')); err != nil {
		return "", fmt.Errorf("saving the calibration: %w", err)
	}
	return path, nil
}
