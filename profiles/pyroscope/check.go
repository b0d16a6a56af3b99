package pyroscope

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/profiles"
)

// Units of staging rows.
const (
	UnitCPUShare        = "cpu-share"
	UnitAllocsPerSecond = "allocs/s"
)

// StagingPackage is the Package of every row a staging check produces; the
// row's Benchmark is the service name and its Function the budget's pattern.
const StagingPackage = "staging"

// CheckInput is a staging check's evidence: the service's merged profiles
// over a window, and where they came from.
type CheckInput struct {
	Service string
	// Selector is the extra label selector the profiles were fetched with.
	Selector string
	// Window is the length of the query window, End its end.
	Window time.Duration
	End    time.Time
	// CPU is the merged CPU profile; required when a budget limits cpu-share.
	CPU *profile.Profile
	// Allocs is the merged alloc_objects profile; required when a budget
	// limits allocs/s.
	Allocs *profile.Profile
	// AllocSeconds is how many seconds of the service's life Allocs covers
	// (see Client.Coverage); allocations per second divide by it.
	AllocSeconds float64
}

// NeedsCPU reports whether any staging budget limits a CPU share.
func NeedsCPU(s *budgets.Staging) bool {
	for _, b := range s.Budgets {
		if b.CPUShare > 0 {
			return true
		}
	}
	return false
}

// NeedsAllocs reports whether any staging budget limits allocations per second.
func NeedsAllocs(s *budgets.Staging) bool {
	for _, b := range s.Budgets {
		if b.AllocsPerSecond > 0 {
			return true
		}
	}
	return false
}

// Check judges cfg's staging budgets on a live profile and returns the
// report the gate's renderers print: one row per budget and limit.
//
// A CPU share is the fraction of CPU samples with a function matching the
// budget's pattern anywhere on the stack (a Go regexp matched anywhere in the
// full function name, as pprof's -focus). It is judged with its 95% Wilson
// interval over the number of samples: violated when the low end is over the
// limit; a center over the limit inside the interval is a warning. Under 50
// samples the row is unmeasurable. Allocations per second are the matching
// samples' alloc_objects (cum) divided by AllocSeconds; heap profiles are
// sampled estimates with no interval, so they are judged on the estimate.
func Check(cfg *budgets.Config, in CheckInput) (*gate.Report, error) {
	if cfg == nil || cfg.Staging == nil || len(cfg.Staging.Budgets) == 0 {
		return nil, fmt.Errorf("%s: no staging budgets (add a staging: section with budgets)", configName(cfg))
	}
	st := cfg.Staging
	var cpu, allocs *tally
	if NeedsCPU(st) {
		if in.CPU == nil {
			return nil, errors.New("a staging budget limits cpu-share but no CPU profile was given")
		}
		idx, err := cpuIndex(in.CPU)
		if err != nil {
			return nil, fmt.Errorf("staging CPU profile: %v", err)
		}
		cpu = newTally(in.CPU, idx)
	}
	if NeedsAllocs(st) {
		if in.Allocs == nil {
			return nil, errors.New("a staging budget limits allocs/s but no allocation profile was given")
		}
		idx, err := valueIndex(in.Allocs, [2]string{"alloc_objects", "count"})
		if err != nil {
			return nil, fmt.Errorf("staging allocation profile: %v", err)
		}
		allocs = newTally(in.Allocs, idx)
	}

	r := &gate.Report{
		Schema: gate.SchemaVersion,
		Base:   gate.Source{Label: "budgets in " + configName(cfg)},
		Head: gate.Source{
			Label:  stagingLabel(in.Service, in.Selector, in.Window),
			Commit: selectorLabel(in.Selector, TagCommit),
		},
		Settings: gate.Settings{Confidence: confidence, Config: cfg.File},
		Created:  in.End,
	}
	for _, b := range st.Budgets {
		re, err := regexp.Compile(b.Function)
		if err != nil {
			return nil, fmt.Errorf("%s: staging budget function %q: not a Go regexp: %v", location(cfg, b), b.Function, err)
		}
		if b.CPUShare > 0 {
			r.Results = append(r.Results, cpuRow(cfg, in, b, re, cpu))
		}
		if b.AllocsPerSecond > 0 {
			r.Results = append(r.Results, allocRow(cfg, in, b, re, allocs))
		}
	}
	return r, nil
}

func cpuRow(cfg *budgets.Config, in CheckInput, b budgets.StagingBudget, re *regexp.Regexp, t *tally) gate.Row {
	row := baseRow(cfg, in, b, UnitCPUShare, b.CPUShare, fmt.Sprintf("%g%%", 100*b.CPUShare))
	v, fns := t.matching(re)
	n := t.samples()
	p := 0.0
	if t.total > 0 {
		p = float64(v) / float64(t.total)
	}
	low, high := profiles.Wilson(p, n)
	row.Head = &gate.Stat{Center: p, Low: low, High: high, N: int(n + 0.5)}
	row.Budget.Headroom = (b.CPUShare - p) / b.CPUShare

	what := fmt.Sprintf("%s takes %.1f%% of %s's CPU (95%% interval %.1f–%.1f%%, %.0f samples); budget ≤ %g%%",
		b.Function, 100*p, in.Service, 100*low, 100*high, n, 100*b.CPUShare)
	switch {
	case n < minCPUSamples:
		row.Verdict = gate.Unmeasurable
		row.Reasons = append(row.Reasons, fmt.Sprintf("only %.0f CPU samples (under %d, about %.1f s of CPU): too few to judge a share", n, minCPUSamples, n/agentHz))
	case low > b.CPUShare:
		row.Verdict = gate.Violation
		row.Reasons = append(row.Reasons, what+": over the budget even at the interval's low end")
	default:
		row.Verdict = gate.RowPass
		row.Reasons = append(row.Reasons, what)
		if p > b.CPUShare {
			row.Warnings = append(row.Warnings, "over the budget, but inside the sampling interval: not yet a confident violation")
		}
	}
	if len(fns) == 0 {
		row.Warnings = append(row.Warnings, fmt.Sprintf("%q matches no function in the profile: check the pattern", b.Function))
	} else {
		row.Reasons = append(row.Reasons, "top: "+topList(fns, t, 3))
	}
	return row
}

func allocRow(cfg *budgets.Config, in CheckInput, b budgets.StagingBudget, re *regexp.Regexp, t *tally) gate.Row {
	row := baseRow(cfg, in, b, UnitAllocsPerSecond, b.AllocsPerSecond, fmt.Sprintf("%g", b.AllocsPerSecond))
	if in.AllocSeconds <= 0 {
		row.Verdict = gate.Unmeasurable
		row.Reasons = append(row.Reasons, "the allocation profile covers no known time span: cannot compute a rate")
		return row
	}
	v, fns := t.matching(re)
	rate := float64(v) / in.AllocSeconds
	row.Head = &gate.Stat{Center: rate, Low: rate, High: rate, N: 1}
	row.Budget.Headroom = (b.AllocsPerSecond - rate) / b.AllocsPerSecond
	what := fmt.Sprintf("%s allocates ≈ %.4g objects/s in %s (sampled heap profile over %.0f s); budget ≤ %g/s",
		b.Function, rate, in.Service, in.AllocSeconds, b.AllocsPerSecond)
	if rate > b.AllocsPerSecond {
		row.Verdict = gate.Violation
	} else {
		row.Verdict = gate.RowPass
	}
	row.Reasons = append(row.Reasons, what)
	if len(fns) == 0 {
		row.Warnings = append(row.Warnings, fmt.Sprintf("%q matches no function in the profile: check the pattern", b.Function))
	} else {
		row.Reasons = append(row.Reasons, "top: "+topList(fns, t, 3))
	}
	return row
}

func baseRow(cfg *budgets.Config, in CheckInput, b budgets.StagingBudget, unit string, limit float64, expr string) gate.Row {
	return gate.Row{
		Benchmark: in.Service,
		Package:   StagingPackage,
		Unit:      unit,
		Function:  b.Function,
		Budget: &gate.BudgetResult{
			Limit:  limit,
			Expr:   expr,
			Kind:   "max",
			Config: location(cfg, b),
		},
	}
}

// topList renders the biggest matching functions with their shares:
// "encoding/json.Marshal 21.3%, encoding/json.(*encodeState).marshal 20.9%".
func topList(fns []string, t *tally, n int) string {
	var parts []string
	for i, f := range fns {
		if i == n {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.1f%%", f, 100*t.share(f)))
	}
	return strings.Join(parts, ", ")
}

func configName(cfg *budgets.Config) string {
	if cfg == nil || cfg.File == "" {
		return "perfslo.yaml"
	}
	return cfg.File
}

func location(cfg *budgets.Config, b budgets.StagingBudget) string {
	if b.Line == 0 {
		return configName(cfg)
	}
	return fmt.Sprintf("%s:%d:%d", configName(cfg), b.Line, b.Column)
}

// stagingLabel names the staging side in reports:
// `staging demo-service {commit="abc"}, last 1h`.
func stagingLabel(service, selector string, window time.Duration) string {
	s := "staging " + service
	if sel := strings.TrimSpace(selector); sel != "" && sel != "{}" {
		s += " " + sel
	}
	if window > 0 {
		s += ", last " + ShortDuration(window)
	}
	return s
}

var labelRE = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"`)

// selectorLabel returns the value an equality matcher in selector gives
// label, or "".
func selectorLabel(selector, label string) string {
	for _, m := range labelRE.FindAllStringSubmatch(selector, -1) {
		if m[1] == label {
			return m[2]
		}
	}
	return ""
}

// ShortDuration renders a query window as people write it: 1h0m0s as "1h",
// 90m as "1h30m".
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
