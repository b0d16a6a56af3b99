package gate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/perfslo/perfslo/budgets"
)

// Candidate is a benchmark that a look must re-measure: its Name is what
// -test.bench must select, and Procs is 0 (every GOMAXPROCS value of it is
// re-measured).
type Candidate = budgets.BenchmarkID

// Look asks for fresh interleaved rounds of some benchmarks.
type Look struct {
	// Index numbers the confirmation looks from 1; 0 is a top-up of the
	// first stage (a one-stage procedure whose family needs more samples).
	Index int
	// Benchmarks are the benchmarks to re-measure, each once, in report order.
	Benchmarks []Candidate
	// Rounds is how many interleaved rounds the look wants. MinRounds is
	// the fewest with which its candidates can still reach significance:
	// a caller short of time may run fewer than Rounds, never fewer than
	// MinRounds (then it calls Stop instead).
	Rounds, MinRounds int
	// Alpha is the level this look's candidates are tested at.
	Alpha float64
	// Candidates is the number of rows the look tests.
	Candidates int
}

// Procedure is the gate's sequential decision over a suite: a first stage
// that settles what it can and screens the rest, then looks of fresh
// rounds for the rows still open, until each is decided or the caller stops.
// The package doc states the procedure and its false-alarm bound.
//
// Use: NewProcedure with the first stage's samples; then, while Next
// returns a look, measure it and Add its samples (or Stop); then Report.
// A Procedure is pure: it never measures anything itself.
type Procedure struct {
	opt        Options
	base, head *Side // every sample so far, pooled
	// owned says base and head are the procedure's own copies (made at the
	// first pooling): until then they are the caller's, only read.
	owned   bool
	stored  bool  // the base cannot be re-run (a stored baseline)
	looks   int   // confirmation looks taken
	rounds  []int // rounds of the first stage and of each look or top-up
	state   map[Key]*rowState
	last    *measured // the pooled samples of the open rows, measured
	lastAll bool      // last holds every row (nothing was decided before it)
	pending *Look
	stopped string
	tests   int // the first stage's family size
}

// rowState is where one row's decision stands.
type rowState struct {
	verdict RowVerdict // "" while the row is open
	// candidate: the screen found a possible regression that the next
	// look tests; violation: the head looked confidently over its budget.
	candidate, violation bool
	notes                []string
}

// NewProcedure starts the procedure on the first stage's samples. base
// and head are not modified. Options.Looks < 0 means DefaultLooks.
func NewProcedure(base, head *Side, opt Options) *Procedure {
	opt.defaults()
	if opt.Looks < 0 {
		opt.Looks = DefaultLooks
	}
	// The caller's sides are only read until the first look pools into
	// them; copying them here cost a copy of every sample on the one-stage
	// path (compare), which never pools.
	p := &Procedure{opt: opt, base: base, head: head, state: map[Key]*rowState{}}
	p.rounds = []int{maxSamples(head)}
	p.classify()
	p.tests = len(p.last.family)
	return p
}

// Next returns the look the procedure needs next, or false when every row
// is decided, the looks are spent, or Stop was called.
func (p *Procedure) Next() (Look, bool) {
	if p.stopped != "" {
		return Look{}, false
	}
	if p.pending != nil {
		return *p.pending, true
	}
	var look Look
	if p.opt.Looks == 0 {
		// One stage: more samples only when the family cannot reach
		// significance at all with those it has.
		need := MinSamples(smallestThreshold(p.opt.Alpha, len(p.last.family), p.opt.Correction))
		have := minSamples(p.last.family)
		if len(p.last.family) == 0 || have >= need || len(p.rounds) > 1 {
			return Look{}, false
		}
		look = Look{Index: 0, Rounds: need - have, MinRounds: need - have, Alpha: p.opt.Alpha}
		look.Benchmarks = p.openBenchmarks(false)
	} else {
		if p.looks >= p.opt.Looks {
			return Look{}, false
		}
		j := p.looks + 1
		alpha := p.lookAlpha(j)
		cands := p.candidateRows()
		minRounds := MinSamples(smallestThreshold(alpha, max(1, cands), p.opt.Correction))
		if p.countedCandidates() {
			// Exact counts need no U-test: two fresh runs per side
			// measure their spread again, and that is the confirmation.
			minRounds = 2
		}
		look = Look{Index: j, Alpha: alpha, Candidates: cands, MinRounds: minRounds}
		look.Rounds = max(minRounds, p.rounds[0]<<(j-1))
		if p.onlyExactCountsOpen() {
			// Fresh runs' ranges confirm exact counts, not more samples:
			// another benchmark that took five runs in the first stage
			// (the first stage's largest n) is no reason to take five.
			look.Rounds = minRounds
		}
		look.Benchmarks = p.openBenchmarks(true)
	}
	if len(look.Benchmarks) == 0 {
		return Look{}, false
	}
	p.pending = &look
	return look, true
}

// Stop ends the procedure before the look Next asked for: the rows still
// open stay undecided, and why says why (a time budget ran out).
func (p *Procedure) Stop(why string) {
	p.stopped = why
	p.pending = nil
}

// Add gives the procedure the pending look's samples. base is nil when the
// base cannot be re-run (a stored baseline): the look then compares fresh
// head samples with the stored ones, and says so.
func (p *Procedure) Add(base, head *Side) {
	look := p.pending
	if look == nil {
		return
	}
	p.pending = nil
	if base == nil {
		p.stored = true
	}
	p.rounds = append(p.rounds, maxSamples(head))
	if look.Index > 0 {
		p.looks = look.Index
		p.confirm(*look, base, head)
	}
	if !p.owned {
		p.base, p.head, p.owned = clone(p.base), clone(p.head), true
	}
	if base != nil {
		p.base.merge(base)
	}
	p.head.merge(head)
	p.classify()
}

// lookAlpha is the level of look j.
func (p *Procedure) lookAlpha(j int) float64 {
	if p.opt.Spending == SpendNone {
		return p.opt.Alpha
	}
	return p.opt.Alpha / math.Ldexp(1, j)
}

func (p *Procedure) stateOf(k Key) *rowState {
	st := p.state[k]
	if st == nil {
		st = &rowState{}
		p.state[k] = st
	}
	return st
}

// candidateRows counts the rows the next look tests.
func (p *Procedure) candidateRows() int {
	n := 0
	for _, st := range p.state {
		if st.verdict == "" && (st.candidate || st.violation) {
			n++
		}
	}
	return n
}

// countedCandidates reports whether every candidate of the next look is a
// counted row judged as exact counts (gate.CountedUnit), and there is one.
func (p *Procedure) countedCandidates() bool {
	all, some := p.openExactCounts(func(st *rowState) bool { return st.candidate || st.violation })
	return all && some
}

// onlyExactCountsOpen reports whether every row still open is a counted
// row judged as exact counts.
func (p *Procedure) onlyExactCountsOpen() bool {
	all, _ := p.openExactCounts(func(*rowState) bool { return true })
	return all
}

// openExactCounts reports, over the open rows that pick selects, whether
// every one is a counted row judged as exact counts, and whether there
// is any.
func (p *Procedure) openExactCounts(pick func(*rowState) bool) (all, some bool) {
	for i, k := range p.last.keys {
		st := p.state[k]
		if st == nil || st.verdict != "" || !pick(st) {
			continue
		}
		some = true
		if r := &p.last.rows[i]; !CountedUnit(r.Unit) || r.Assumption != "exact" {
			return false, true
		}
	}
	return true, some
}

// openBenchmarks lists the benchmarks with rows still open, in report
// order. With confirming set, a look also re-measures the candidates.
func (p *Procedure) openBenchmarks(confirming bool) []Candidate {
	var out []Candidate
	seen := map[Candidate]bool{}
	for i, k := range p.last.keys {
		st := p.state[k]
		r := &p.last.rows[i]
		if st == nil || st.verdict != "" || r.DerivedFrom != "" || r.Base == nil || r.Head == nil {
			continue
		}
		if !confirming && r.Assumption == "exact" {
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

// classify decides, on the pooled samples, every row still open: added and
// removed rows, unchanged exact counts, improvements, rows confidently
// within tolerance; and screens the rest for the next look. With no looks
// (a one-stage procedure) it flags regressions and violations itself.
func (p *Procedure) classify() {
	// Decided rows are final: measure only the open ones (and the sec/op
	// their derived units follow).
	open := map[Key]bool{}
	for _, s := range []*Side{p.base, p.head} {
		for _, k := range s.keys {
			if st := p.state[k]; st == nil || st.verdict == "" {
				open[k] = true
				parent := k
				parent.Unit = ParentUnit
				open[parent] = true
			}
		}
	}
	// Whether the subset is every row (a decided sec/op measured for its
	// derived units counts): then this measurement serves Report too.
	all := true
	for _, s := range []*Side{p.base, p.head} {
		for _, k := range s.keys {
			all = all && open[k]
		}
	}
	b, h := p.base, p.head
	if !all {
		b, h = subset(b, open), subset(h, open)
	}
	m := measure(b, h, p.opt)
	p.last, p.lastAll = m, all
	oneStage := p.opt.Looks == 0
	for i, k := range m.keys {
		st := p.stateOf(k)
		r := &m.rows[i]
		if st.verdict != "" {
			continue
		}
		entry := setTolerance(r, p.opt.Config, k)
		if r.DerivedFrom != "" {
			// Its change is its parent's decision; its budget is its own.
			if _, budget, msg := judgeBudget(r, entry, p.opt.Config.File); budget == confidentlyOver {
				if oneStage {
					st.verdict = Violation
					st.notes = append(st.notes, msg)
				}
				st.violation = true
			} else {
				st.violation = false
			}
			continue
		}
		switch {
		case r.Base == nil:
			st.verdict = Added
			st.notes = append(st.notes, "new in head: nothing to compare with")
			continue
		case r.Head == nil:
			st.verdict = Removed
			st.notes = append(st.notes, "missing in head")
			continue
		}
		_, budget, budgetMsg := judgeBudget(r, entry, p.opt.Config.File)
		st.candidate, st.violation = false, false
		sig := r.Significant
		screened := sig
		if r.Assumption != "exact" && !oneStage && p.opt.Screen == ScreenRaw {
			screened = r.P != nil && *r.P < p.opt.Alpha
		}
		if oneStage {
			if sig && badChange(r) {
				st.verdict = Regression
				st.notes = append(st.notes, fmt.Sprintf("%s is significant and beyond the %s tolerance", evidence(r, p.opt.Correction), pct(r.Tolerance)))
			}
			if budget == confidentlyOver {
				st.verdict = Violation
				st.notes = append(st.notes, budgetMsg)
			}
			if st.verdict != "" {
				continue
			}
		} else {
			st.violation = budget == confidentlyOver
			st.candidate = screened && badChange(r)
			if st.candidate || st.violation {
				continue
			}
		}
		switch {
		case sig && !worse(r) && (!CountedUnit(r.Unit) || beyond(r)):
			// A count that dropped by less than its tolerance is real but
			// no news: it passes, as a small rise would.
			st.verdict = Improvement
			st.notes = append(st.notes, fmt.Sprintf("significantly better (%s)", evidence(r, p.opt.Correction)))
		case r.Assumption == "exact":
			// Unchanged, or changed within its tolerance.
			st.verdict = RowPass
			if r.Significant {
				st.notes = append(st.notes, fmt.Sprintf("%s is within the %s tolerance", changeText(r), pct(r.Tolerance)))
			}
		case sig:
			st.verdict = RowPass
			st.notes = append(st.notes, fmt.Sprintf("%s is significant but within the %s tolerance", evidence(r, p.opt.Correction), pct(r.Tolerance)))
		case equivalent(r):
			st.verdict = RowPass
			st.notes = append(st.notes, fmt.Sprintf("the change's %.0f%% interval %s is within the %s tolerance", 100*r.Change.Confidence, intervalText(r.Change), pct(r.Tolerance)))
		case r.Tolerance == 0 && minSamples([]*Row{r}) >= MinSamples(smallestThreshold(p.opt.Alpha, len(m.family), p.opt.Correction)):
			// No margin to be within: a count that varies can only be
			// judged by its test.
			st.verdict = RowPass
			st.notes = append(st.notes, fmt.Sprintf("no significant change (%s); with a 0 tolerance only a significant increase fails", evidence(r, p.opt.Correction)))
		}
	}
}

// confirm tests the look's candidates on the look's own samples: fresh
// processes, independent of the samples that screened them.
func (p *Procedure) confirm(look Look, base, head *Side) {
	keep := map[Key]bool{}
	for k, st := range p.state {
		if st.verdict == "" && (st.candidate || st.violation) {
			keep[k] = true
		}
	}
	b := base
	if b == nil {
		b = p.base
	}
	lookOpt := p.opt
	lookOpt.Alpha = look.Alpha
	m := measure(subset(b, keep), subset(head, keep), lookOpt)
	// The family is the screened regressions alone: rows re-measured for
	// a budget only, or carried along, ask no question of the test.
	m.family = m.family[:0]
	for i, k := range m.keys {
		if r := &m.rows[i]; p.state[k].candidate && r.P != nil && r.Assumption != "exact" {
			m.family = append(m.family, r)
		}
	}
	adjust(m.family, p.opt.Correction)
	for _, r := range m.family {
		r.Significant = *r.PAdjusted < look.Alpha
	}
	more := fmt.Sprintf("look %d, %d fresh interleaved rounds", look.Index, maxSamples(head))
	caveat := ""
	if base == nil {
		more = fmt.Sprintf("look %d, %d fresh rounds of the head", look.Index, maxSamples(head))
		caveat = " (only the head could be re-run: the stored baseline's samples are reused, so this guards against a noisy head, not against a baseline measured in other conditions)"
	}
	family := fmt.Sprintf("%s over %d candidate(s) at α=%.3g", correctionName(p.opt.Correction), len(m.family), look.Alpha)
	for k := range keep {
		st := p.state[k]
		i, ok := m.at(k)
		if !ok || m.rows[i].Base == nil || m.rows[i].Head == nil {
			st.notes = append(st.notes, fmt.Sprintf("not re-measured at %s: the rounds produced no samples of it", more))
			continue
		}
		r := &m.rows[i]
		entry := setTolerance(r, p.opt.Config, k)
		_, budget, budgetMsg := judgeBudget(r, entry, p.opt.Config.File)
		sig := r.Significant && (r.Assumption == "exact" || r.PAdjusted != nil)
		switch {
		case st.violation && budget == confidentlyOver:
			st.verdict = Violation
			st.notes = append(st.notes, fmt.Sprintf("confirmed at %s: %s", more, budgetMsg))
		case st.candidate && sig && badChange(r):
			st.verdict = Regression
			// An exact row is in no test's family: its fresh counts'
			// ranges, not a corrected p, confirm it.
			why := "significant (" + family + ")"
			if r.Assumption == "exact" {
				why = "the fresh counts' ranges apart"
			}
			st.notes = append(st.notes, fmt.Sprintf("screened, then confirmed at %s: %s, %s and beyond the %s tolerance%s", more, evidence(r, p.opt.Correction), why, pct(r.Tolerance), caveat))
		case st.violation:
			st.notes = append(st.notes, fmt.Sprintf("looked over its budget, not confirmed at %s: measured %s [%s, %s]", more, FormatValue(r.Head.Center, r.Unit), FormatValue(r.Head.Low, r.Unit), FormatValue(r.Head.High, r.Unit)))
		default:
			st.notes = append(st.notes, fmt.Sprintf("screened as a possible regression, not confirmed at %s: %s", more, evidence(r, p.opt.Correction)))
		}
	}
}

// Report returns the verdicts so far: rows still open are undecided
// (unmeasurable), each with the true reason.
func (p *Procedure) Report() *Report { return p.report(false) }

// report builds the report; with consume (a procedure used once, as
// Compare does) it writes the rows into the last measurement's own array
// instead of a copy: on a large input the copy was the peak of compare's
// memory. The procedure cannot be used after that.
func (p *Procedure) report(consume bool) *Report {
	m := p.last
	if !p.lastAll {
		m = measure(p.base, p.head, p.opt)
	}
	results := make([]Row, 0, len(m.keys))
	if consume {
		// Row i is read before it is written: the append below writes
		// index len(results) == i.
		results = m.rows[:0]
		p.last, p.lastAll = nil, false
		// The rows no longer need the samples: let them go while the
		// report's text is made (a caller that still holds the sides
		// keeps them, which is no worse).
		p.base, p.head = NewSide(p.base.Source), NewSide(p.head.Source)
	}
	rep := &Report{
		Schema:   SchemaVersion,
		Base:     p.base.Source,
		Head:     p.head.Source,
		Settings: p.opt.Settings,
		Created:  p.opt.Now,
	}
	s := &rep.Settings
	s.Alpha, s.Confidence, s.Correction = p.opt.Alpha, p.opt.Confidence, p.opt.Correction
	s.Tests, s.Looks, s.Rounds = p.tests, p.looks, append([]int(nil), p.rounds...)
	s.Procedure = p.describe()
	verdicts := map[Key]RowVerdict{}
	for i, k := range m.keys {
		row := m.rows[i]
		entry := setTolerance(&row, p.opt.Config, k)
		st := p.stateOf(k)
		row.Reasons = append(append([]string(nil), row.Reasons...), st.notes...)
		if row.DerivedFrom == "" {
			p.finish(&row, st, m.noise[i])
		}
		if b, state, msg := judgeBudget(&row, entry, p.opt.Config.File); b != nil || state == budgetError {
			row.Budget = b
			switch {
			case state == budgetError:
				row.Verdict = Unmeasurable
				row.Reasons = append(row.Reasons, msg)
			case state == overInterval || (state == confidentlyOver && row.Verdict != Violation):
				row.Warnings = append(row.Warnings, strings.Replace(msg, "RAER budget", "the head is over its RAER budget", 1))
			}
		}
		verdicts[k] = row.Verdict
		results = append(results, row)
	}
	rep.Results = results
	// Derived units follow their parent's decision.
	for i, k := range m.keys {
		row := &rep.Results[i]
		if row.DerivedFrom == "" {
			continue
		}
		parent := k
		parent.Unit = ParentUnit
		v := verdicts[parent]
		switch st := p.stateOf(k); {
		case st.verdict == Violation:
			row.Verdict = Violation
		case row.Verdict != Unmeasurable:
			row.Verdict = v
		}
		pi, _ := m.at(parent)
		row.Significant = rep.Results[pi].Significant
		how := "a constant times"
		if m.derived[k].inverse {
			how = "a constant divided by"
		}
		row.Reasons = append(row.Reasons, fmt.Sprintf("%s is %s sec/op in every sample: one measurement, decided with sec/op (%s)", row.Unit, how, v))
	}
	if p.stopped != "" {
		rep.Warnings = append(rep.Warnings, p.stopped)
	}
	return rep
}

// finish sets a row's verdict, significance and MDE from its state.
func (p *Procedure) finish(row *Row, st *rowState, noise float64) {
	row.Verdict = st.verdict
	if row.Assumption != "exact" && row.Base != nil && row.Head != nil {
		n := min(row.Base.N, row.Head.N)
		if mde := MinimumDetectableEffect(n, noise, p.detectAlpha(), MDEPower); !math.IsNaN(mde) {
			row.MDE = &mde
		}
	}
	switch st.verdict {
	case Regression, Improvement:
		row.Significant = true
	case "":
		row.Verdict = Unmeasurable
		if st.candidate {
			row.Reasons = append(row.Reasons, fmt.Sprintf("screened as a possible regression (%s) with no look left to confirm it", evidence(row, p.opt.Correction)))
		}
		row.Reasons = append(row.Reasons, p.undecided(row, noise))
	}
}

// detectAlpha is the level a lone regression faces: the first look's, or
// the whole family's first threshold in a one-stage procedure.
func (p *Procedure) detectAlpha() float64 {
	if p.opt.Looks == 0 {
		return smallestThreshold(p.opt.Alpha, max(1, p.tests), p.opt.Correction)
	}
	return p.lookAlpha(1) // LoneAlpha with the default spending
}

// undecided says why a row could not be decided, and the smallest
// regression it could have seen.
func (p *Procedure) undecided(r *Row, noise float64) string {
	n := min(r.Base.N, r.Head.N)
	alpha := p.detectAlpha()
	family := ""
	if p.opt.Looks == 0 && p.tests > 1 && p.opt.Correction != CorrectionNone {
		family = fmt.Sprintf(" (%s over %d rows)", correctionName(p.opt.Correction), p.tests)
	}
	if minP(n) >= alpha {
		return fmt.Sprintf("too few samples for the family: with n=%d per side the smallest p a U-test can give is %.2g, not below the %.2g needed%s; count %d would reach it",
			n, minP(n), alpha, family, MinSamples(alpha))
	}
	if r.Change == nil || math.IsInf(r.Change.Low, 0) || math.IsInf(r.Change.High, 0) {
		return fmt.Sprintf("too few samples for a %.0f%% interval of the change at n=%d per side", 100*p.opt.Confidence, n)
	}
	could := ""
	if mde := MinimumDetectableEffect(n, noise, alpha, MDEPower); isFinite(mde) {
		could = fmt.Sprintf("; could detect ≥ %s", pct(mde))
	}
	return fmt.Sprintf("undecided: the change's %.0f%% interval %s reaches beyond the %s tolerance (noise %s robust CV at n=%d per side)%s",
		100*r.Change.Confidence, intervalText(r.Change), pct(r.Tolerance), pct(noise), n, could)
}

// describe states the procedure in the report's settings.
func (p *Procedure) describe() string {
	c := correctionName(p.opt.Correction)
	if p.opt.Looks == 0 {
		return fmt.Sprintf("one stage: %s over %d rows at α=%g", c, p.tests, p.opt.Alpha)
	}
	screen := "p<α"
	if p.opt.Screen == ScreenCorrected {
		screen = c + " over the family"
	}
	levels := make([]string, 0, p.opt.Looks)
	for j := 1; j <= p.opt.Looks; j++ {
		levels = append(levels, fmt.Sprintf("%.3g", p.lookAlpha(j)))
	}
	return fmt.Sprintf("screen at %s, confirm on fresh rounds: up to %d looks, %s per look at α=%s", screen, p.opt.Looks, c, strings.Join(levels, ", "))
}

// clone copies a side so that pooling never changes the caller's.
func clone(s *Side) *Side {
	keep := map[Key]bool{}
	for _, k := range s.keys {
		keep[k] = true
	}
	return subset(s, keep)
}

// merge adds other's samples to s.
func (s *Side) merge(other *Side) {
	s.AddUnits(other.units)
	for _, k := range other.keys {
		if _, seen := s.samples[k]; !seen {
			s.keys = append(s.keys, k)
		}
		s.samples[k] = append(s.samples[k], other.samples[k]...)
	}
}

// subset returns a side holding only the given series of s. It shares
// their samples with s instead of copying them: on a large input the
// copies (one per clone, one per look) were most of compare's peak memory,
// twice benchstat's. Sharing is safe because samples are never changed in
// place, only appended to (merge, Add), and the shared slices are clipped
// to their length, so an append to either side reallocates instead of
// writing into the other's array.
func subset(s *Side, keys map[Key]bool) *Side {
	out := NewSide(s.Source)
	out.AddUnits(s.units)
	for _, k := range s.keys {
		if !keys[k] {
			continue
		}
		out.keys = append(out.keys, k)
		out.samples[k] = slices.Clip(s.samples[k])
	}
	return out
}

// maxSamples is the largest number of samples of any series: the rounds a
// side was measured with.
func maxSamples(s *Side) int {
	n := 0
	for _, v := range s.samples {
		n = max(n, len(v))
	}
	return n
}

// minSamples is the fewest samples per side among rows.
func minSamples(rows []*Row) int {
	n := math.MaxInt
	for _, r := range rows {
		if r.Base != nil && r.Head != nil {
			n = min(n, r.Base.N, r.Head.N)
		}
	}
	if n == math.MaxInt {
		return 0
	}
	return n
}
