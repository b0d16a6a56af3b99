package pyroscope

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/profiles"
)

// Impact estimates what a benchmark regression would cost the service in
// staging, and fills StagingShare and ServiceImpact of a's functions.
//
// The estimate, stated once. Let B be the benchmark's base cost per op, ΔC_f
// function f's cum change per op (a's Cum), and S the share of staging CPU
// spent in the code the benchmark runs: staging samples with any
// application function of the benchmark's base or head profile on the stack
// (test functions excluded; see PathShare). If the operation keeps its
// share of staging CPU and each call changes as it did in the benchmark,
// f's change moves the service's CPU by
//
//	ServiceImpact_f = ΔC_f / B × S
//
// e.g. "+8% of the op's cost in regexp.(*Regexp).doExecute; the benchmarked
// path is 14% of staging CPU → ≈ +1.1% service CPU". Scaling by the path's
// share rather than by f's own staging share keeps the estimate sound for
// functions the whole service shares: runtime.nanotime may be 2% of staging
// CPU, but only its calls on the regressed path get slower. StagingShare_f
// is f's own cum share of staging CPU, for context; a function new in the
// head has one of 0.
//
// Caveats: the listed functions nest (a caller's cum includes its
// callee's), so their impacts overlap and must not be added up; the whole
// change's impact is a.Total / B × S, which Impact states in a.Warnings
// with S and B so a reader can check the arithmetic. Only CPU attributions
// (a.Unit "ns/op") have a staging CPU counterpart; others are left alone.
func Impact(a *gate.Attribution, d *profiles.Delta, staging *profile.Profile) error {
	if a == nil || len(a.Functions) == 0 || a.Unit != "ns/op" {
		return nil
	}
	if d == nil || d.Base == nil || d.Head == nil || d.Ops <= 0 {
		return errors.New("impact: no base and head benchmark profiles")
	}
	if staging == nil {
		return errors.New("impact: no staging CPU profile")
	}
	si, err := cpuIndex(staging)
	if err != nil {
		return fmt.Errorf("staging CPU profile: %v", err)
	}
	bi, err := cpuIndex(d.Base)
	if err != nil {
		return fmt.Errorf("base benchmark profile %s: %v", d.BaseName, err)
	}
	st := newTally(staging, si)
	if st.total == 0 {
		return fmt.Errorf("%w: the staging CPU profile has no samples", ErrEmptyProfile)
	}
	perOp := float64(newTally(d.Base, bi).total) / float64(d.Ops)
	if perOp <= 0 {
		return fmt.Errorf("impact: the base profile %s has no CPU samples", d.BaseName)
	}
	path, err := PathShare(staging, d.Base, d.Head)
	if err != nil {
		return err
	}
	for i := range a.Functions {
		fd := &a.Functions[i]
		s := st.share(fd.Function)
		impact := fd.Cum / perOp * path
		fd.StagingShare = &s
		fd.ServiceImpact = &impact
	}
	a.Warnings = append(a.Warnings, fmt.Sprintf(
		"staging impact: the code this benchmark runs takes %.1f%% of staging CPU; a function's impact is its cum change per op ÷ the base cost per op (%s) × %.1f%%; the whole change ≈ %+.2f%% service CPU (nested functions' impacts overlap: do not add them)",
		100*path, gate.FormatValue(perOp*1e-9, "sec/op")+"s", 100*path, 100*a.Total/perOp*path))
	return nil
}

// PathShare is the share of a staging CPU profile spent in the code that
// benchmark profiles run: the fraction of staging samples with at least one
// application function (see Coverage) of the benchmark profiles on the
// stack. Test functions (Benchmark…, Test…, and their closures) are not
// the code under test and do not count.
func PathShare(staging *profile.Profile, benchmarks ...*profile.Profile) (float64, error) {
	si, err := cpuIndex(staging)
	if err != nil {
		return 0, fmt.Errorf("staging CPU profile: %v", err)
	}
	code := map[string]bool{}
	var stack []string
	for _, bp := range benchmarks {
		for _, s := range bp.Sample {
			stack = profiles.StackFunctions(s, stack[:0])
			for _, f := range stack {
				if isApplication(f) && !isTestFunction(f) {
					code[f] = true
				}
			}
		}
	}
	var total, on int64
	for _, s := range staging.Sample {
		v := s.Value[si]
		total += v
		stack = profiles.StackFunctions(s, stack[:0])
		for _, f := range stack {
			if code[f] {
				on += v
				break
			}
		}
	}
	if total == 0 {
		return 0, fmt.Errorf("%w: the staging CPU profile has no samples", ErrEmptyProfile)
	}
	return float64(on) / float64(total), nil
}

// isTestFunction reports whether fn is a test, benchmark, fuzz or example
// function of a _test.go file, or a closure inside one.
func isTestFunction(fn string) bool {
	fn = enclosing(fn)
	name := fn[len(packageOf(fn)):]
	name = strings.TrimPrefix(name, ".")
	for _, p := range []string{"Benchmark", "Test", "Fuzz", "Example"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// RelativeChange returns a function's relative change of cost per op, callees
// included (cum_head/cum_base − 1), from a comparison's base and head
// profiles, for wording such as "+8% in f"; ok is false when the function
// has no base cost.
func RelativeChange(d *profiles.Delta, function string) (r float64, ok bool) {
	if d == nil || d.Base == nil || d.Head == nil {
		return 0, false
	}
	bi, err1 := cpuIndex(d.Base)
	hi, err2 := cpuIndex(d.Head)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	base, head := newTally(d.Base, bi).cum[function], newTally(d.Head, hi).cum[function]
	if base <= 0 {
		return 0, false
	}
	return float64(head)/float64(base) - 1, true
}
