package pipeline

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/internal/tempdir"
	"github.com/perfslo/perfslo/profiles"
	"github.com/perfslo/perfslo/profiles/pyroscope"
)

// CoverageSource is where `staging coverage` takes the benchmarks' CPU
// profiles from: the given files, or else a run of the benchmarks of the
// packages in the module at Dir.
type CoverageSource struct {
	Profiles         []string
	Dir              string
	Packages         []string
	Bench, Benchtime string
	Log              io.Writer
}

// Coverage compares the staging service's CPU profile over the window with
// the benchmarks' CPU profiles, and says how many of those there were.
func Coverage(ctx context.Context, w pyroscope.Window, selector string, src CoverageSource) (*pyroscope.Coverage, int, error) {
	staging, err := w.Fetch(ctx, pyroscope.ProfileCPU, selector)
	if err != nil {
		return nil, 0, err
	}
	var benches []*profile.Profile
	if len(src.Profiles) > 0 {
		for _, path := range src.Profiles {
			p, err := profiles.Load(path)
			if err != nil {
				return nil, 0, err
			}
			benches = append(benches, p)
		}
	} else if benches, err = BenchmarkCPUProfiles(ctx, src.Dir, src.Packages, src.Bench, src.Benchtime, src.Log); err != nil {
		return nil, 0, err
	}
	cov, err := pyroscope.ComputeCoverage(staging, benches)
	return cov, len(benches), err
}

// BenchmarkCPUProfiles builds the test binaries of the packages patterns
// name in the module at dir and runs their benchmarks once each with a CPU
// profile: what `staging coverage` compares staging with. Profiles without
// samples are left out; none at all is an error.
func BenchmarkCPUProfiles(ctx context.Context, dir string, patterns []string, bench, benchtime string, log io.Writer) ([]*profile.Profile, error) {
	work, err := tempdir.New("coverage-")
	if err != nil {
		return nil, err
	}
	defer tempdir.Remove(work)
	pkgs, err := run.Build(ctx, dir, patterns, work)
	if err != nil {
		return nil, err
	}
	paths, err := run.CPUProfiles(ctx, pkgs, run.CPUProfileOptions{Bench: bench, Benchtime: benchtime, OutDir: work, Progress: log})
	if err != nil {
		return nil, err
	}
	var out []*profile.Profile
	for _, path := range paths {
		p, err := profiles.Load(path)
		if err != nil {
			return nil, err
		}
		if len(p.Sample) > 0 {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no benchmark matching %q produced CPU samples in %s", bench, strings.Join(patterns, " "))
	}
	return out, nil
}
