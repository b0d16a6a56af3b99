package gate

import (
	"encoding/json"
	"io"
	"math"
)

// WriteJSON writes the report as indented JSON (schema SchemaVersion).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
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
	finite := func(x float64) *float64 {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil
		}
		return &x
	}
	return json.Marshal(stat{s.Center, finite(s.Low), finite(s.High), s.N})
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
