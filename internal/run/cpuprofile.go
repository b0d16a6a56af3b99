package run

import (
	"github.com/perfslo/perfslo/internal/procgroup"

	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// CPUProfileOptions says how to run benchmarks once each with a CPU
// profile (what `staging coverage` compares with staging).
type CPUProfileOptions struct {
	// Bench is the -test.bench regexp, Benchtime -test.benchtime.
	Bench, Benchtime string
	// OutDir receives one profile per package.
	OutDir string
	// Timeout bounds one process; 0 means 10 minutes, as go test.
	Timeout time.Duration
	// Progress receives one line per package; nil is quiet.
	Progress io.Writer
}

// CPUProfiles runs the matching benchmarks of each package once, in the
// package's directory (as go test does), with a CPU profile, under the same
// watchdog and process group as the timing rounds. It returns the profiles
// written, in package order; a package where no benchmark matched writes
// none. A process that fails is an error carrying its output.
func CPUProfiles(ctx context.Context, pkgs []Package, o CPUProfileOptions) ([]string, error) {
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	var out []string
	for i, pkg := range pkgs {
		path := filepath.Join(o.OutDir, fmt.Sprintf("cpu%d.pprof", i))
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "profiling benchmarks of %s\n", pkg.ImportPath)
		}
		cmd := exec.CommandContext(ctx, pkg.Binary, "-test.run=^$", "-test.bench="+o.Bench,
			"-test.benchtime="+o.Benchtime, "-test.count=1", "-test.cpuprofile="+path)
		cmd.Dir = pkg.Dir
		cmd.Env = BenchmarkEnv()
		procgroup.Own(cmd)
		cmd.WaitDelay = time.Second
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("run: starting test binary for %s: %w", pkg.ImportPath, err)
		}
		waitErr, timedOut := waitWatched(cmd, o.Timeout)
		procgroup.Kill(cmd)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if timedOut {
			waitErr = fmt.Errorf("timed out after %s: %w", o.Timeout, waitErr)
		}
		if waitErr != nil {
			return nil, fmt.Errorf("benchmarks of %s failed: %v\n%s%s", pkg.ImportPath, waitErr, stdout.Bytes(), stderr.String())
		}
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			continue // no benchmark matched
		}
		out = append(out, path)
	}
	return out, nil
}
