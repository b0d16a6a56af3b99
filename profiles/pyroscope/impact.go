package pyroscope

import (
	"errors"
	"fmt"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/profiles"
)

// Impact estimates what a benchmark regression would cost the service in
// staging, and fills StagingShare and ServiceImpact of a's functions.
//
// The estimate, stated once: let s be function f's share of the service's
// staging CPU (cum: samples with f anywhere on the stack, counted once), and
// r the relative change of f's cost per op in the benchmark, callees
// included: r = cum_head(f)/cum_base(f) − 1, read from the comparison's base
// and head profiles (d.Base, d.Head, both per the same number of ops). If the
// change carries over to production per call, and staging's call mix stays,
// the service's CPU changes by s·r of its current total:
// "+8% in regexp.(*Regexp).doExecute, 14% of staging CPU → ≈ +1.1% service CPU".
//
// Caveats the numbers carry: the functions of one attribution nest (a
// caller's cum includes its callee's), so their impacts overlap and must not
// be added up; a function absent from staging gets a share of 0 and an
// impact of 0; a function new in the head (no base cost) has a share but no
// relative change, so its ServiceImpact stays nil. Only CPU attributions
// (a.Unit "ns/op") have a staging CPU counterpart; others are left alone.
func Impact(a *gate.Attribution, d *profiles.Delta, staging *profile.Profile) error {
	if a == nil || len(a.Functions) == 0 {
		return nil
	}
	if a.Unit != "ns/op" {
		return nil
	}
	if d == nil || d.Base == nil || d.Head == nil {
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
	hi, err := cpuIndex(d.Head)
	if err != nil {
		return fmt.Errorf("head benchmark profile %s: %v", d.HeadName, err)
	}
	st := newTally(staging, si)
	if st.total == 0 {
		return fmt.Errorf("%w: the staging CPU profile has no samples", ErrEmptyProfile)
	}
	bt, ht := newTally(d.Base, bi), newTally(d.Head, hi)
	for i := range a.Functions {
		fd := &a.Functions[i]
		s := st.share(fd.Function)
		fd.StagingShare = &s
		base, head := bt.cum[fd.Function], ht.cum[fd.Function]
		if base <= 0 {
			continue
		}
		impact := s * (float64(head)/float64(base) - 1)
		fd.ServiceImpact = &impact
	}
	return nil
}

// RelativeChange returns r for a function of an attribution, as Impact
// computes it, so a renderer can print "+8% in f"; ok is false when the
// function has no base cost.
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
