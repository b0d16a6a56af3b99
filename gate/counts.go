package gate

import "encoding/json"

// The suite's verdict and counts are functions of the rows and failures,
// never stored: a report that gains rows (function budgets) or failures
// after Compare cannot disagree with them, and nobody has to remember to
// recount. MarshalJSON writes them, so the JSON report keeps its verdict,
// failed and unmeasurable fields; ReadJSON checks them against the rows.

// Failed counts rows whose verdict fails the gate.
func (r *Report) Failed() int { return r.count(Regression) + r.count(Violation) }

// Unmeasurable counts rows that could not be judged. A passing suite with
// Unmeasurable() > 0 is "pass, with rows not judged".
func (r *Report) Unmeasurable() int { return r.count(Unmeasurable) }

// Verdict is the suite's outcome: Fail when a row failed or a benchmark did
// not run (the gate never passes what it did not run), else Pass.
func (r *Report) Verdict() Verdict {
	if r.Failed() > 0 || len(r.Failures) > 0 {
		return Fail
	}
	return Pass
}

func (r *Report) count(v RowVerdict) int {
	n := 0
	for i := range r.Results {
		row := &r.Results[i]
		if row.DerivedFrom != "" && row.Verdict != Violation {
			continue // one measurement, counted once, with its parent
		}
		if row.Verdict == v {
			n++
		}
	}
	return n
}

// reportPlain is Report without its methods, for the JSON encoding.
type reportPlain Report

// reportJSON is the report as JSON: the derived fields first, as the
// schema has always had them, then the rest. The outer Schema shadows the
// embedded one.
type reportJSON struct {
	Schema       int     `json:"schema"`
	Verdict      Verdict `json:"verdict"`
	Unmeasurable int     `json:"unmeasurable"`
	Failed       int     `json:"failed"`
	*reportPlain
}

// MarshalJSON writes the report with its derived verdict and counts.
func (r Report) MarshalJSON() ([]byte, error) {
	return json.Marshal(reportJSON{Schema: r.Schema, Verdict: r.Verdict(), Unmeasurable: r.Unmeasurable(), Failed: r.Failed(), reportPlain: (*reportPlain)(&r)})
}
