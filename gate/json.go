package gate

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
)

// WriteJSON writes the report as indented JSON (schema SchemaVersion). JSON
// has no infinity or NaN: a number that is not finite is written as null,
// and the row's "nulls" says why, so no measurement is lost to an encoder
// error.
func WriteJSON(w io.Writer, r *Report) error {
	safe := *r
	safe.Results = make([]Row, len(r.Results))
	for i, row := range r.Results {
		safe.Results[i] = finiteRow(row)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&safe)
}

// finiteRow returns the row with every non-finite number it holds replaced:
// pointers by nil with a reason in Nulls, attribution and budget figures by
// 0 with a warning.
func finiteRow(r Row) Row {
	null := func(p **float64, field, why string) {
		if *p == nil || isFinite(**p) {
			return
		}
		if r.Nulls == nil {
			r.Nulls = map[string]string{}
		} else {
			r.Nulls = maps.Clone(r.Nulls)
		}
		r.Nulls[field] = fmt.Sprintf("%v: %s", **p, why)
		*p = nil
	}
	n := 0
	if r.Base != nil && r.Head != nil {
		n = min(r.Base.N, r.Head.N)
	}
	null(&r.Delta, "delta", "the base center is 0, so there is no ratio")
	null(&r.P, "p", "no test was possible")
	null(&r.PAdjusted, "p_adjusted", "no test was possible")
	null(&r.MDE, "mde", fmt.Sprintf("no regression, however large, is detectable with n=%d per side at the level the row faces", n))
	if b := r.Budget; b != nil && (!isFinite(b.Limit) || !isFinite(b.Headroom)) {
		c := *b
		c.Limit, c.Headroom = finiteOr0(c.Limit), finiteOr0(c.Headroom)
		r.Budget = &c
		r.Warnings = append(append([]string(nil), r.Warnings...), "budget limit or headroom not finite: written as 0")
	}
	if a := r.Attribution; a != nil {
		c := *a
		c.Functions = append([]FunctionDelta(nil), a.Functions...)
		bad := !isFinite(c.Total)
		c.Total = finiteOr0(c.Total)
		for i := range c.Functions {
			f := &c.Functions[i]
			bad = bad || !isFinite(f.Flat) || !isFinite(f.Cum) || !isFinite(f.Share)
			f.Flat, f.Cum, f.Share = finiteOr0(f.Flat), finiteOr0(f.Cum), finiteOr0(f.Share)
			if f.StagingShare != nil && !isFinite(*f.StagingShare) {
				f.StagingShare, bad = nil, true
			}
			if f.ServiceImpact != nil && !isFinite(*f.ServiceImpact) {
				f.ServiceImpact, bad = nil, true
			}
		}
		if bad {
			c.Warnings = append(append([]string(nil), c.Warnings...), "some profile figures were not finite (a zero total?): written as 0 or null")
		}
		r.Attribution = &c
	}
	return r
}

func isFinite(x float64) bool { return !math.IsInf(x, 0) && !math.IsNaN(x) }

func finiteOr0(x float64) float64 {
	if isFinite(x) {
		return x
	}
	return 0
}

// MarshalJSON writes the interval's infinite ends (too few samples for the
// level) as null.
func (c Change) MarshalJSON() ([]byte, error) {
	type change struct {
		Estimate   *float64 `json:"estimate"`
		Low        *float64 `json:"low"`
		High       *float64 `json:"high"`
		Confidence float64  `json:"confidence"`
	}
	return json.Marshal(change{finitePtr(c.Estimate), finitePtr(c.Low), finitePtr(c.High), c.Confidence})
}

// UnmarshalJSON reads what MarshalJSON wrote; a null end is unbounded.
func (c *Change) UnmarshalJSON(b []byte) error {
	var v struct {
		Estimate   *float64 `json:"estimate"`
		Low        *float64 `json:"low"`
		High       *float64 `json:"high"`
		Confidence float64  `json:"confidence"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	c.Confidence = v.Confidence
	c.Estimate, c.Low, c.High = math.NaN(), math.Inf(-1), math.Inf(1)
	if v.Estimate != nil {
		c.Estimate = *v.Estimate
	}
	if v.Low != nil {
		c.Low = *v.Low
	}
	if v.High != nil {
		c.High = *v.High
	}
	return nil
}

func finitePtr(x float64) *float64 {
	if !isFinite(x) {
		return nil
	}
	return &x
}

// MarshalJSON writes an interval end that benchmath left infinite (too few
// samples for an interval) as null, since JSON has no infinity.
func (s Stat) MarshalJSON() ([]byte, error) {
	type stat struct {
		Center float64  `json:"center"`
		Low    *float64 `json:"low"`
		High   *float64 `json:"high"`
		N      int      `json:"n"`
	}
	return json.Marshal(stat{s.Center, finitePtr(s.Low), finitePtr(s.High), s.N})
}

// UnmarshalJSON reads what MarshalJSON wrote; a null end is unbounded.
func (s *Stat) UnmarshalJSON(b []byte) error {
	var v struct {
		Center float64  `json:"center"`
		Low    *float64 `json:"low"`
		High   *float64 `json:"high"`
		N      int      `json:"n"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	s.Center, s.N = v.Center, v.N
	s.Low, s.High = math.Inf(-1), math.Inf(1)
	if v.Low != nil {
		s.Low = *v.Low
	}
	if v.High != nil {
		s.High = *v.High
	}
	return nil
}
