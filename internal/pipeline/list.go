package pipeline

import (
	"context"
	"io"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/internal/tempdir"
)

// ListBenchmarks runs every benchmark of the configured packages of the
// module at dir once, to learn their full names including sub-benchmarks
// (go test -list cannot see sub-benchmarks: they exist only at run time).
func ListBenchmarks(ctx context.Context, dir string, cfg *budgets.Config, log io.Writer) ([]budgets.BenchmarkID, error) {
	work, err := tempdir.New("check-")
	if err != nil {
		return nil, err
	}
	defer tempdir.Remove(work)
	pkgs, err := run.Build(ctx, dir, cfg.Run.Packages, work)
	if err != nil {
		return nil, err
	}
	out, err := run.Interleave(ctx, run.Plan{Head: pkgs, Bench: cfg.Run.Bench, Benchtime: "1x", CPU: cfg.Run.CPU, Rounds: 1, Progress: log})
	if err != nil {
		return nil, err
	}
	return Benchmarks(SideOf(gate.Source{}, out.Head)), nil
}
