package profiles

import (
	"fmt"

	"github.com/perfslo/perfslo/gate"
)

// LayoutWarning is the warning MarkLikelyLayout adds, as the design words it.
const LayoutWarning = "no changed code on this path — likely layout"

// MarkLikelyLayout sets a.LikelyLayout when the functions that got more
// expensive sit on no call path that touches a changed function: editing one
// function moves others in the binary and can shift their timings by 5–25%
// (alignment), which is real but not the code's fault. It needs the Delta
// the attribution came from and the unit it explains. With changes nil (the
// diff is unknown) or changes outside functions, it says nothing.
func MarkLikelyLayout(a *gate.Attribution, d *Delta, unit string, changes *Changes) error {
	if a == nil || changes == nil || len(changes.Outside) > 0 {
		return nil
	}
	m, err := metricFor(unit)
	if err != nil {
		return err
	}
	idx, err := sampleIndex(d.Profile, d.HeadName, m.sampleType)
	if err != nil {
		return err
	}
	top := map[string]bool{}
	for _, f := range a.Functions {
		if f.Flat*a.Total > 0 {
			top[f.Function] = true
		}
	}
	if len(top) == 0 {
		return nil
	}
	var stack []string
	for _, s := range d.Profile.Sample {
		if s.Value[idx] == 0 {
			continue
		}
		stack = StackFunctions(s, stack[:0])
		if len(stack) == 0 || !top[stack[0]] {
			continue
		}
		for _, name := range stack {
			for _, fn := range changes.Functions {
				if matchFunction(name, fn) {
					return nil // a changed function is on the path
				}
			}
		}
	}
	a.LikelyLayout = true
	a.Warnings = append(a.Warnings, fmt.Sprintf("%s: none of the %d changed functions is on a call path of the functions that got more expensive", LayoutWarning, len(changes.Functions)))
	return nil
}
