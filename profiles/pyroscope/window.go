package pyroscope

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

// Window is a service's profiles on a server over the last Since: what
// every staging command and the gate's impact estimate query.
type Window struct {
	// Server overrides $PYROSCOPE_SERVER_ADDRESS when set.
	Server  string
	Service string
	Since   time.Duration
	// Timeout bounds each request to the server.
	Timeout time.Duration
	// Getenv reads the server address and credentials (os.Getenv).
	Getenv func(string) string
}

// Client builds the query client from the window and the environment.
func (w Window) Client() (*Client, error) {
	getenv := w.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	cfg := ClientConfigFromEnv(getenv)
	if w.Server != "" {
		cfg.Server = w.Server
	}
	cfg.Timeout = w.Timeout
	return NewClient(cfg)
}

// Query is the window ending now, for one profile type and label selector.
func (w Window) Query(profileType, selector string) (Query, error) {
	if w.Since <= 0 {
		return Query{}, fmt.Errorf("--since %v: want a positive duration", w.Since)
	}
	end := time.Now()
	return Query{
		Service: w.Service, ProfileType: profileType, Selector: selector,
		Start: end.Add(-w.Since), End: end,
	}, nil
}

// Fetch is the service's merged profile of one type over the window.
func (w Window) Fetch(ctx context.Context, profileType, selector string) (*profile.Profile, error) {
	c, err := w.Client()
	if err != nil {
		return nil, err
	}
	q, err := w.Query(profileType, selector)
	if err != nil {
		return nil, err
	}
	return c.Profile(ctx, q)
}

// CheckWindow fetches the profiles cfg's staging budgets need over the
// window (CPU, allocations and the span they cover) and judges them. The
// service defaults to cfg's staging.service.
func CheckWindow(ctx context.Context, w Window, cfg *budgets.Config, selector string) (*gate.Report, error) {
	if cfg.Staging == nil || len(cfg.Staging.Budgets) == 0 {
		return nil, fmt.Errorf("%s: no staging budgets: add a staging: section with service and budgets", cfg.File)
	}
	if w.Service == "" {
		w.Service = cfg.Staging.Service
	}
	c, err := w.Client()
	if err != nil {
		return nil, err
	}
	in := CheckInput{Service: w.Service, Selector: selector, Window: w.Since}
	if NeedsCPU(cfg.Staging) {
		q, err := w.Query(ProfileCPU, selector)
		if err != nil {
			return nil, err
		}
		in.End = q.End
		if in.CPU, err = c.Profile(ctx, q); err != nil {
			return nil, err
		}
	}
	if NeedsAllocs(cfg.Staging) {
		q, err := w.Query(ProfileAllocObjects, selector)
		if err != nil {
			return nil, err
		}
		in.End = q.End
		if in.Allocs, err = c.Profile(ctx, q); err != nil {
			return nil, err
		}
		span, err := c.Span(ctx, q)
		if err != nil {
			return nil, err
		}
		in.AllocSeconds = span.Seconds()
	}
	return Check(cfg, in)
}

// WriteText prints the coverage for people: the summary, a table of up to
// top unbenchmarked and benchmarked functions, and how it was counted.
// service, since and benchmarks (the number of benchmark profiles) say what
// was compared.
func (c *Coverage) WriteText(w io.Writer, top int, service string, since time.Duration, benchmarks int) error {
	fmt.Fprintln(w, c.Summary(top))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nshare of staging CPU\tbenchmarked\tdeepest application function\n")
	rows := 0
	for _, f := range c.Unbenchmarked {
		if rows == top {
			break
		}
		fmt.Fprintf(tw, "%.1f%%\tno\t%s\n", 100*f.Share, f.Function)
		rows++
	}
	for i, f := range c.Benchmarked {
		if i == top {
			break
		}
		fmt.Fprintf(tw, "%.1f%%\tyes\t%s\n", 100*f.Share, f.Function)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%.0f staging CPU samples of %s over the last %v; %d benchmark profile(s). A sample counts for the deepest\nnon-standard-library function on its stack; it is benchmarked when that function appears in a benchmark's CPU profile.\n",
		c.Samples, service, ShortDuration(since), benchmarks)
	return err
}

// CompareWindow compares the service's CPU profile for the base selector
// with the head's over the window, listing the top largest changes.
func CompareWindow(ctx context.Context, w Window, base, head string, top int) (*Comparison, error) {
	c, err := w.Client()
	if err != nil {
		return nil, err
	}
	var sides [2]*profile.Profile
	for i, sel := range []string{base, head} {
		q, err := w.Query(ProfileCPU, sel)
		if err != nil {
			return nil, err
		}
		if sides[i], err = c.Profile(ctx, q); err != nil {
			return nil, err
		}
	}
	return Compare(sides[0], sides[1], top)
}

// PGO says what PGOWindow wrote.
type PGO struct {
	// Stacks is the profile's sample count, CPU the time it holds.
	Stacks int
	CPU    time.Duration
	// Service and Since are the window the profile covers.
	Service string
	Since   time.Duration
}

// PGOWindow writes the service's merged CPU profile over the window, for
// the label selector, to path for go build -pgo (see WritePGO).
func PGOWindow(ctx context.Context, w Window, selector, path string) (*PGO, error) {
	p, err := w.Fetch(ctx, ProfileCPU, selector)
	if err != nil {
		return nil, err
	}
	cpu, err := WritePGO(path, p)
	if err != nil {
		return nil, err
	}
	return &PGO{Stacks: len(p.Sample), CPU: cpu, Service: w.Service, Since: w.Since}, nil
}

// WriteText says what was written to name (the path as the user gave it)
// and how to build with it.
func (g *PGO) WriteText(w io.Writer, name string) error {
	_, err := fmt.Fprintf(w, "wrote %s: %d stacks, %.1f s of CPU of %s over the last %v\nbuild with: go build -pgo=%s\n",
		name, g.Stacks, g.CPU.Seconds(), g.Service, ShortDuration(g.Since), name)
	return err
}
