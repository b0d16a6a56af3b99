package main

import (
	"context"
	"fmt"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/pipeline"
)

func init() {
	register(command{name: "calibrate", summary: "measure this machine's noise (A/A rounds) and the smallest regression the gate can see", run: runCalibrate})
}

func runCalibrate(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("calibrate", "calibrate [--config perfslo.yaml] [--count N] [--benchtime D[,D...]] [--rounds R] [-o .perfslo/calibration.json]", env.stderr)
	config := fs.String("config", "", "budgets `file` (default: perfslo.yaml in the module, if any)")
	rounds := fs.Int("rounds", 0, "A/A rounds, each one process per side and package (default: 2 × count, at least 10)")
	power := fs.Float64("power", gate.DefaultPower, "probability of detection the minimum detectable effect is quoted at")
	outPath := fs.String("o", "", "save to `file` (default "+pipeline.CalibrationFile+" in the module; - for none)")
	rf := registerRunFlags(fs)
	stats := registerStatsFlags(fs)
	if err := parseNone(fs, args); err != nil {
		return gate.ExitUndecided, err
	}
	if *power <= 0 || *power >= 1 {
		return gate.ExitUndecided, fmt.Errorf("--power %g: want a probability between 0 and 1, such as 0.8", *power)
	}
	moduleDir, cfg, err := loadRunConfig(env, *config, rf)
	if err != nil {
		return gate.ExitUndecided, err
	}
	cal, warnings, err := pipeline.Calibrate(ctx, pipeline.CalibratePlan{
		ModuleDir: moduleDir, Config: cfg, Rounds: *rounds, Power: *power, Options: stats.options(cfg),
		Timeout: rf.timeout, Pin: !rf.noPin, Log: env.stderr,
	})
	if err != nil {
		return gate.ExitUndecided, err
	}
	gate.WriteCalibration(env.stdout, cal)
	for _, w := range warnings {
		fmt.Fprintln(env.stderr, "perfslo: warning:", w)
	}
	if *outPath == "-" {
		return gate.ExitPass, nil
	}
	path, err := pipeline.SaveCalibration(moduleDir, resolve(env, *outPath), cal)
	if err != nil {
		return gate.ExitUndecided, err
	}
	fmt.Fprintf(env.stderr, "perfslo: saved %s; gate warns when a benchmark cannot see its tolerance\n", path)
	return gate.ExitPass, nil
}
