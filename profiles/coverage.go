package profiles

import (
	"fmt"

	"github.com/perfslo/perfslo/gate"
)

// CoverageWarning compares the profiles' change (a's Total) with the timing
// rounds' change of the row, and says so when they disagree by more than a
// quarter: the profiles then explain only part of the regression (CPU
// profiles see CPU time, not waiting; memory profiles see Go's 16-byte
// tiny-allocator blocks, not the tiny objects in them, which allocs/op
// counts), or the profiling runs did not reproduce it. "" when they agree
// or the unit has no profile counterpart.
func CoverageWarning(r *gate.Row, a *gate.Attribution) string {
	if r.Base == nil || r.Head == nil {
		return ""
	}
	want := r.Head.Center - r.Base.Center
	scale := 1.0
	switch r.Unit {
	case "sec/op":
		scale = 1e9 // attributions are in ns/op
	case "B/op", "allocs/op":
	default:
		return ""
	}
	want *= scale
	if want == 0 {
		return ""
	}
	ratio := a.Total / want
	if ratio >= 0.75 && ratio <= 1.25 {
		return ""
	}
	return fmt.Sprintf("the profiles account for %.0f%% of the measured change (%s of %s %s)",
		100*ratio, gate.FormatValue(a.Total, a.Unit), gate.FormatValue(want, a.Unit), a.Unit)
}
