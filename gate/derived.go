package gate

// One decision per measurement.
//
// Several units of a benchmark can be one measurement written twice: B/s
// from b.SetBytes is bytes/op divided by sec/op, and a per-unit time
// reported with b.ReportMetric (ns/line) is sec/op divided by a constant.
// Testing them apart would count one question as two, making the
// multiple-comparison family larger (and every threshold stricter) without
// any new evidence, and would let a reader see two "independent" rows agree.
// perfslo finds such units from the samples themselves — value·sec/op (or
// value/sec/op) is the same constant in every result of both sides — and
// lets them follow sec/op's decision, outside the family.

import "math"

// ParentUnit is the unit that derived units follow.
const ParentUnit = "sec/op"

// derivedTolerance is how far value·sec/op may drift and still be a
// constant: go test prints 3–4 significant digits of small values, so
// products of two printed numbers move by up to about 1%.
const derivedTolerance = 0.02

// derivation says how a unit follows its parent.
type derivation struct {
	// inverse is true when the unit is a constant divided by the parent
	// (B/s = bytes/op ÷ sec/op): it moves against the parent.
	inverse bool
}

// derivedUnits returns the series of base and head that are computed from
// their benchmark's sec/op.
func derivedUnits(base, head *Side) map[Key]derivation {
	out := map[Key]derivation{}
	for _, k := range unionKeys(base, head) {
		if k.Unit == ParentUnit || exactByDefault(k.Unit) {
			continue
		}
		parent := k
		parent.Unit = ParentUnit
		if d, ok := derives(k, parent, base, head); ok {
			out[k] = d
		}
	}
	return out
}

// derives reports whether unit k is a constant multiple of its parent's
// samples, or of their reciprocals, in every result on both sides.
func derives(k, parent Key, base, head *Side) (derivation, bool) {
	for _, inverse := range []bool{true, false} {
		var consts []float64
		ok := true
		parentSpread := 0.0
		for _, s := range []*Side{base, head} {
			vals, ts := s.samples[k], s.samples[parent]
			if len(vals) != len(ts) || len(vals) < 2 {
				ok = false
				break
			}
			for i := range vals {
				if !(ts[i] > 0) {
					ok = false
					break
				}
				c := vals[i] / ts[i]
				if inverse {
					c = vals[i] * ts[i]
				}
				consts = append(consts, c)
			}
			parentSpread = math.Max(parentSpread, spread(ts))
		}
		// The constant must hold tightly, and tightly compared with how
		// much the parent itself moved: a unit that barely moves beside a
		// parent that barely moves is not shown to follow it.
		if ok && len(consts) > 0 {
			if s := spread(consts); s <= derivedTolerance && s <= parentSpread/4 {
				return derivation{inverse: inverse}, true
			}
		}
	}
	return derivation{}, false
}

// spread is (max-min)/|median|, +Inf for a zero median.
func spread(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	m := math.Abs(median(xs))
	if m == 0 {
		return math.Inf(1)
	}
	return (maxOf(xs) - minOf(xs)) / m
}
