package pipeline

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/store"
)

// OpenModuleStore opens the baseline store of the module around dir (see
// OpenStore for spec).
func OpenModuleStore(ctx context.Context, dir, spec string) (store.Store, error) {
	moduleDir, _, err := budgets.FindModule(dir)
	if err != nil {
		return nil, err
	}
	return OpenStore(ctx, spec, moduleDir)
}

// ListBaselines is `perfslo baseline list`: the store's baselines, one a
// line on w.
func ListBaselines(st store.Store, w io.Writer) error {
	metas, err := st.List()
	if err != nil {
		return err
	}
	return WriteBaselineList(w, metas)
}

// ShowBaseline is `perfslo baseline show`: the stored baseline name
// printed on w (see WriteBaseline).
func ShowBaseline(st store.Store, name string, w io.Writer) error {
	bl, err := st.Load(name)
	if err != nil {
		return err
	}
	return WriteBaseline(w, bl)
}

// WriteText says what SaveBaseline stored.
func (s *SavedBaseline) WriteText(w io.Writer) error {
	m := s.Meta
	_, err := fmt.Fprintf(w, "saved baseline %q: %d samples of %d benchmarks at %s (%s)\n", m.Name, s.Samples, s.Benchmarks, ShortCommit(m.Commit), m.CPU)
	return err
}

// WriteBaselineList prints stored baselines, one a line.
func WriteBaselineList(w io.Writer, metas []store.Meta) error {
	if len(metas) == 0 {
		_, err := fmt.Fprintln(w, "no baselines stored; save one with 'perfslo baseline save'")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "name\tcommit\tdate\tgo\tmachine")
	for _, m := range metas {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s/%s %s\n", m.Name, ShortCommit(m.Commit), m.Date.Format("2006-01-02 15:04"), m.GoVersion, m.GOOS, m.GOARCH, m.CPU)
	}
	return tw.Flush()
}

// WriteBaseline prints a stored baseline: its metadata, then each
// benchmark's summary as benchstat would show it.
func WriteBaseline(w io.Writer, bl *store.Baseline) error {
	m := bl.Meta
	fmt.Fprintf(w, "baseline %s\ncommit:  %s\ndate:    %s\ngo:      %s %s/%s\ncpu:     %s (%d cores)\nrun:     count %d, benchtime %s, GOMAXPROCS %d, packages %s\nprofiles: %d\n\n",
		m.Name, m.Commit, m.Date.Format(time.RFC3339), m.GoVersion, m.GOOS, m.GOARCH, m.CPU, m.NumCPU, m.Count, m.Benchtime, m.GOMAXPROCS, strings.Join(m.Packages, " "), len(bl.Profiles))
	side, err := gate.ReadSide(SourceFromMeta(m), strings.NewReader(string(bl.Results)), "baseline "+m.Name)
	if err != nil {
		return err
	}
	// A one-sided report renders the samples as benchstat would.
	rep := gate.Compare(gate.NewSide(gate.Source{}), side, gate.Options{Now: time.Now().UTC()})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "package\tbenchmark\tunit\tvalue")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Package, strings.TrimPrefix(r.Benchmark, "Benchmark"), r.Unit, gate.FormatStat(r.Head, r.Unit))
	}
	return tw.Flush()
}
