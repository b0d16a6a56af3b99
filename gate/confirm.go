package gate

// Confirmation: a flagged row must be flagged twice.
//
// The procedure (two independent stages, Holm in each):
//
//  1. Stage 1 is the ordinary comparison: every row of the suite, the
//     statistical ones corrected with Holm at alpha over the whole family.
//     Rows whose verdict is Regression or Violation are the candidates.
//  2. Stage 2 re-measures only the candidates' benchmarks, in fresh
//     interleaved processes, and compares those new samples alone (the first
//     pass's samples are not pooled in), with Holm at alpha over the family
//     of candidate rows. A candidate keeps its verdict only if stage 2
//     flags it too: a regression must again be significant, in the bad
//     direction and beyond its tolerance; a violation must again have its
//     whole interval past the limit. Otherwise it is withdrawn (pass, or
//     unmeasurable when stage 2 could not see).
//
// The false-alarm arithmetic. Under the null hypothesis for a row (no
// change), stage 1 flags it with probability at most alpha. Stage 2's
// samples come from new processes, independent of stage 1's, so given that
// stage 1 flagged it, stage 2 flags it again with probability at most alpha:
// at most alpha² per row (0.0025 at alpha = 0.05). For the whole suite: Holm
// keeps the probability that stage 1 flags any true-null row at alpha; given
// the candidate set S that stage 1 chose, Holm over S in stage 2 keeps the
// probability that stage 2 flags any true-null row of S at alpha; so the
// family-wise false-alarm rate is at most alpha² as well. The price is
// power: a real change must be seen twice, so the power is the product of the
// stages' powers (0.95 × 0.95 ≈ 0.90 if each alone had 0.95), which the extra
// rounds buy back by being spent only on the few rows that need them.
// Budget violations use one-sided intervals at the configured confidence
// instead of tests: (1-confidence)/2 per stage, its square for both.
//
// With a stored baseline only the head can be re-run. Stage 2 then compares
// new head samples with the same stored base samples, so the stages are not
// independent: a base sample that was unusually fast or slow (or measured on
// a machine in another state) fools both. The bound is then alpha per row,
// not alpha². Confirmation still rejects a noisy head pass, and it is fully
// independent for budget violations, which judge the head alone. Rows say
// which case applied.

import (
	"fmt"
	"math"
	"strings"

	"github.com/perfslo/perfslo/budgets"
)

// Candidate is a benchmark that stage 2 must re-measure: its Name is what
// -test.bench must select, and Procs is 0 (every GOMAXPROCS value of it is
// re-measured).
type Candidate = budgets.BenchmarkID

// Stage2 is the confirmation sample.
type Stage2 struct {
	// Base and Head hold the samples of the re-measured benchmarks. Base nil
	// means a stored baseline: only the head was re-run, and stage 2 reuses
	// the first pass's base samples.
	Base, Head *Side
	// Rounds is the number of interleaved rounds stage 2 ran, for the
	// reasons the rows give.
	Rounds int
}

// flagged reports whether a row is a candidate for confirmation.
func flagged(r *Row) bool { return r.Verdict == Regression || r.Verdict == Violation }

// rowKeys returns the key of each of the report's first rows, as Compare
// made them from base and head, or nil when the report does not match the
// sides (rows were reordered or the report came from elsewhere).
func rowKeys(rep *Report, base, head *Side) []Key {
	keys := unionKeys(base, head)
	if len(rep.Results) < len(keys) {
		return nil
	}
	for i, k := range keys {
		r := &rep.Results[i]
		if r.Package != k.Package || r.Unit != k.Unit || !strings.HasPrefix(r.Benchmark, k.Name) {
			return nil
		}
	}
	return keys
}

// Candidates returns the benchmarks whose rows stage 1 flagged (regressions
// and budget violations), each once, in report order. base and head are the
// sides the report was compared from.
func Candidates(rep *Report, base, head *Side) []Candidate {
	keys := rowKeys(rep, base, head)
	var out []Candidate
	seen := map[Candidate]bool{}
	for i, k := range keys {
		if !flagged(&rep.Results[i]) {
			continue
		}
		c := Candidate{Package: k.Package, Name: k.Name}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// subset returns a side holding only the given series of s.
func subset(s *Side, keys map[Key]bool) *Side {
	out := NewSide(s.Source)
	out.AddUnits(s.units)
	for _, k := range s.keys {
		if !keys[k] {
			continue
		}
		out.keys = append(out.keys, k)
		out.samples[k] = append([]float64(nil), s.samples[k]...)
		out.iters[k] = append([]int(nil), s.iters[k]...)
	}
	return out
}

// Confirm applies stage 2 to the report of stage 1 and returns the final
// report; first is not modified. base and head are stage 1's sides, opt the
// options stage 1 used. Rows stage 1 did not flag keep their verdicts:
// stage 2 confirms or withdraws flags, it never raises new ones (that would
// be a third test with its own false alarms).
func Confirm(first *Report, base, head *Side, second Stage2, opt Options) *Report {
	opt.defaults()
	final := *first
	final.Results = append([]Row(nil), first.Results...)
	keys := rowKeys(first, base, head)
	if keys == nil {
		final.Warnings = append(append([]string(nil), first.Warnings...),
			"confirmation skipped: the report's rows do not match the first pass's samples")
		return &final
	}

	// The candidate rows, and their series in stage 2.
	cand := map[Key]bool{}
	for i, k := range keys {
		if flagged(&first.Results[i]) {
			cand[k] = true
		}
	}
	if len(cand) == 0 || second.Head == nil {
		return &final
	}
	stored := second.Base == nil
	b2 := base
	if !stored {
		b2 = second.Base
	}
	// Only the candidates' rows form stage 2's family: re-measured
	// benchmarks carry other units too, and testing them would only make
	// Holm stricter without any question being asked of them.
	keep := map[Key]bool{}
	for k := range cand {
		if len(b2.samples[k]) > 0 && len(second.Head.samples[k]) > 0 {
			keep[k] = true
		}
	}
	s2b, s2h := subset(b2, keep), subset(second.Head, keep)
	rep2 := Compare(s2b, s2h, opt)
	keys2 := unionKeys(s2b, s2h)
	byKey := map[Key]*Row{}
	for i, k := range keys2 {
		byKey[k] = &rep2.Results[i]
	}

	for i, k := range keys {
		if !cand[k] {
			continue
		}
		r := &final.Results[i]
		r.Reasons = append([]string(nil), r.Reasons...)
		r2 := byKey[k]
		if r2 == nil {
			r.Reasons = append(r.Reasons, "not re-measured: the confirmation rounds produced no samples of it, so the first pass's verdict stands")
			continue
		}
		confirmRow(r, r2, second.Rounds, stored, rep2.Settings.Tests, opt)
	}
	return &final
}

// confirmRow decides one candidate from its stage-2 row.
func confirmRow(r, r2 *Row, rounds int, stored bool, family int, opt Options) {
	wasViolation := r.Verdict == Violation
	wasRegression := r.Significant && r.Base != nil && r.Head != nil && worse(r) &&
		(r.Delta == nil || math.Abs(*r.Delta) > r.Tolerance)
	violation := wasViolation && r2.Verdict == Violation
	regression := wasRegression && r2.Significant && worse(r2) &&
		(r2.Delta == nil || math.Abs(*r2.Delta) > r.Tolerance)

	more := fmt.Sprintf("%d more interleaved rounds", rounds)
	if stored {
		more = fmt.Sprintf("%d more rounds of the head", rounds)
	}
	evidence := stage2Evidence(r2, family, opt)
	caveat := ""
	if stored && !violation {
		caveat = " (only the head could be re-run: the stored baseline's samples are reused, so this guards against a noisy head pass, not against a baseline measured in other conditions)"
	}
	switch {
	case violation:
		r.Verdict = Violation
		r.Reasons = append(r.Reasons, fmt.Sprintf("confirmed with %s: %s", more, budgetEvidence(r2)))
	case regression:
		r.Verdict = Regression
		r.Reasons = append(r.Reasons, fmt.Sprintf("confirmed with %s: %s%s", more, evidence, caveat))
	default:
		what := evidence
		if wasViolation {
			what = budgetEvidence(r2)
		}
		r.Significant = false
		r.Verdict = RowPass
		if r2.Verdict == Unmeasurable {
			r.Verdict = Unmeasurable
		}
		msg := fmt.Sprintf("not confirmed by %s: %s; the first pass's flag is withdrawn", more, what)
		if r2.Verdict == Unmeasurable && len(r2.Reasons) > 0 {
			msg += " and the re-measurement could not judge it (" + r2.Reasons[len(r2.Reasons)-1] + ")"
		}
		r.Reasons = append(r.Reasons, msg+caveat)
	}
}

// stage2Evidence states the re-measured change: delta, p and the family.
func stage2Evidence(r2 *Row, family int, opt Options) string {
	var b strings.Builder
	b.WriteString(changeText(r2))
	if r2.Assumption == "exact" {
		if r2.Significant {
			b.WriteString(" (exact)")
		} else {
			b.WriteString(" (exact, unchanged)")
		}
		return b.String()
	}
	if r2.P != nil {
		fmt.Fprintf(&b, ", p=%.2g", *r2.P)
		if r2.PAdjusted != nil && family > 1 && opt.Correction == CorrectionHolm {
			fmt.Fprintf(&b, " (Holm over %d re-measured rows: %.2g)", family, *r2.PAdjusted)
		}
	}
	fmt.Fprintf(&b, ", n=%d+%d", r2.Base.N, r2.Head.N)
	return b.String()
}

// budgetEvidence states the re-measured head against its limit.
func budgetEvidence(r2 *Row) string {
	h := r2.Head
	s := fmt.Sprintf("measured %s [%s, %s]", FormatValue(h.Center, r2.Unit), FormatValue(h.Low, r2.Unit), FormatValue(h.High, r2.Unit))
	if r2.Budget != nil {
		s += fmt.Sprintf(", limit %s", FormatValue(r2.Budget.Limit, r2.Unit))
	}
	return s
}
