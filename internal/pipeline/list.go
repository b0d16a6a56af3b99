package pipeline

import (
	"context"
	"fmt"
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

// CheckPatterns is `perfslo check`'s second half: it lists the module's
// benchmarks (see ListBenchmarks) and says which budget patterns match
// none, each as a warning on log, then the counts on w.
func CheckPatterns(ctx context.Context, dir string, cfg *budgets.Config, w, log io.Writer) error {
	ids, err := ListBenchmarks(ctx, dir, cfg, log)
	if err != nil {
		return fmt.Errorf("listing benchmarks: %w", err)
	}
	unmatched := cfg.Unmatched(ids)
	for _, e := range unmatched {
		fmt.Fprintf(log, "warning: %v\n", e)
	}
	_, err = fmt.Fprintf(w, "\n%d benchmarks found; %d budget pattern(s) match none.\n", len(ids), len(unmatched))
	return err
}
