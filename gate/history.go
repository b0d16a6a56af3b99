package gate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Summary is one benchmark and unit of a baseline reduced to what a trend
// needs: the center and interval the gate would report for that side, and
// the number of samples behind them. Compacted history entries keep only
// these.
type Summary struct {
	Package   string `json:"package"`
	Benchmark string `json:"benchmark"` // the full name, with a -N suffix when it had one
	Unit      string `json:"unit"`
	// HigherIsBetter is the unit's direction (B/s), as the input declared
	// it or budgets.HigherIsBetter guesses.
	HigherIsBetter bool `json:"higher_is_better,omitempty"`
	Stat
}

// Summarize reduces every series of a side to its Summary, with the same
// assumptions the gate's rows use: B/op and allocs/op are exact while
// constant, everything else is summarised without assumptions.
func Summarize(s *Side, confidence float64) []Summary {
	if confidence == 0 {
		confidence = DefaultConfidence
	}
	th := &benchmath.Thresholds{CompareAlpha: DefaultAlpha}
	var out []Summary
	for _, k := range unionKeys(s, NewSide(Source{})) {
		vals := s.samples[k]
		if len(vals) == 0 {
			continue
		}
		a := s.units.GetAssumption(k.Unit)
		if s.units.Get(k.Unit, "assume") == nil && exactByDefault(k.Unit) {
			a = benchmath.AssumeExact
		}
		if a == benchmath.AssumeExact && !constant(vals) {
			a = benchmath.AssumeNothing
		}
		var row Row
		st := summarize(a, benchmath.NewSample(append([]float64(nil), vals...), th), confidence, &row)
		out = append(out, Summary{Package: k.Package, Benchmark: k.Full(), Unit: k.Unit, HigherIsBetter: higherIsBetter(s.units, k.Unit), Stat: *st})
	}
	return out
}

// Snapshot is one recorded baseline as a trend sees it: where and when it
// was taken, its summaries, and its raw samples while the history keeps
// them (nil once compacted).
type Snapshot struct {
	Commit    string
	Date      time.Time
	Summaries []Summary
	Side      *Side
}

// Point is one baseline of a trend.
type Point struct {
	Commit string    `json:"commit"`
	Date   time.Time `json:"date"`
	Stat
	// Headroom is the RAER headroom at this point (see Headroom), when a
	// limit applies.
	Headroom *float64 `json:"headroom,omitempty"`
}

// Trend is one benchmark and unit across the history, oldest first.
type Trend struct {
	Package        string  `json:"package"`
	Benchmark      string  `json:"benchmark"`
	Unit           string  `json:"unit"`
	HigherIsBetter bool    `json:"higher_is_better,omitempty"`
	Points         []Point `json:"points"`
	// Limit is the RAER limit that applies, its expression and config
	// position; nil without a budget for this unit.
	Limit *BudgetResult `json:"limit,omitempty"`
}

// Name is "pkg.Benchmark unit"'s short form used in headings.
func (t *Trend) Name() string { return t.Benchmark + " " + t.Unit }

// Last is the newest point.
func (t *Trend) Last() Point { return t.Points[len(t.Points)-1] }

// Trends builds a trend per benchmark and unit from snapshots (any order;
// sorted oldest first), with the limits cfg gives. Benchmarks appear in the
// newest snapshot's order, then those it no longer has.
func Trends(snaps []Snapshot, cfg *budgets.Config) []Trend {
	if cfg == nil {
		cfg = budgets.Default()
	}
	snaps = append([]Snapshot(nil), snaps...)
	sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].Date.Before(snaps[j].Date) })
	type tkey struct{ pkg, bench, unit string }
	index := map[tkey]int{}
	var out []Trend
	for i := len(snaps) - 1; i >= 0; i-- {
		for _, s := range snaps[i].Summaries {
			k := tkey{s.Package, s.Benchmark, s.Unit}
			if _, ok := index[k]; !ok {
				index[k] = len(out)
				out = append(out, Trend{Package: s.Package, Benchmark: s.Benchmark, Unit: s.Unit, HigherIsBetter: s.HigherIsBetter})
			}
		}
	}
	for _, sn := range snaps {
		for _, s := range sn.Summaries {
			t := &out[index[tkey{s.Package, s.Benchmark, s.Unit}]]
			t.Points = append(t.Points, Point{Commit: sn.Commit, Date: sn.Date, Stat: s.Stat})
		}
	}
	for i := range out {
		applyLimit(&out[i], cfg)
	}
	return out
}

// applyLimit sets a trend's limit and each point's headroom.
func applyLimit(t *Trend, cfg *budgets.Config) {
	id := budgets.ParseBenchmarkID(t.Package, t.Benchmark, 0)
	entry := cfg.Match(id.Package, id.Name)
	if entry == nil {
		return
	}
	lim, ok := entry.Limits[t.Unit]
	if !ok {
		return
	}
	limit, err := lim.Eval(id.Name)
	if err != nil || !isFinite(limit) {
		return
	}
	b := &BudgetResult{Limit: limit, Expr: lim.Source, Kind: "max", Operation: entry.Operation, Dataset: entry.Dataset}
	if cfg.File != "" {
		b.Config = fmt.Sprintf("%s:%d:%d", cfg.File, lim.Line, lim.Column)
	}
	if t.HigherIsBetter {
		b.Kind = "min"
	}
	for i := range t.Points {
		p := &t.Points[i]
		var h float64
		if t.HigherIsBetter {
			h = Headroom(p.Center-limit, limit)
		} else {
			h = Headroom(limit-p.Center, limit)
		}
		p.Headroom = &h
	}
	b.Headroom = *t.Last().Headroom
	t.Limit = b
}

// CreepBase picks the snapshot creep compares the newest one with: the one
// `commits` entries back, or the newest at least `days` days older, the
// older of the two when both are set. ok is false when the history is too
// short for either.
func CreepBase(snaps []Snapshot, c budgets.Creep) (int, bool) {
	if len(snaps) < 2 {
		return 0, false
	}
	head := len(snaps) - 1
	best := -1
	if c.Commits > 0 && head-c.Commits >= 0 {
		best = head - c.Commits
	}
	if c.Days > 0 {
		cut := snaps[head].Date.Add(-time.Duration(c.Days) * 24 * time.Hour)
		for i := head - 1; i >= 0; i-- {
			if !snaps[i].Date.After(cut) {
				if best < 0 || i < best {
					best = i
				}
				break
			}
		}
	}
	return best, best >= 0
}

// CreepConfig is cfg with the creep tolerances in force: a unit the creep
// section names uses that tolerance everywhere (budget entries' own
// tolerances for it included), the others keep the project's.
func CreepConfig(cfg *budgets.Config, c budgets.Creep) *budgets.Config {
	if cfg == nil {
		cfg = budgets.Default()
	}
	out := *cfg
	out.Tolerance = map[string]float64{}
	for u, v := range cfg.Tolerance {
		out.Tolerance[u] = v
	}
	for u, v := range c.Tolerance {
		out.Tolerance[u] = v
	}
	out.Budgets = make([]budgets.Budget, len(cfg.Budgets))
	for i, b := range cfg.Budgets {
		tol := map[string]float64{}
		for u, v := range b.Tolerance {
			if _, overridden := c.Tolerance[u]; !overridden {
				tol[u] = v
			}
		}
		b.Tolerance = tol
		out.Budgets[i] = b
	}
	return &out
}

// Creep judges the head snapshot against an older one with the gate's own
// statistics (Compare: the U-test, the correction over the suite, the
// tolerance rule) under the creep tolerances. Both need raw samples; a
// compacted base is judged on its summaries alone (see creepOnSummaries).
// The report's regressions are the creep findings.
func Creep(base, head Snapshot, cfg *budgets.Config, c budgets.Creep, opt Options) *Report {
	// A per-unit time (sec/line) is one decision with sec/op: it follows
	// sec/op's creep tolerance unless the section names it.
	if tol, ok := c.Tolerance["sec/op"]; ok {
		extra := map[string]float64{}
		for _, s := range head.Summaries {
			if _, named := c.Tolerance[s.Unit]; !named && strings.HasPrefix(s.Unit, "sec/") {
				extra[s.Unit] = tol
			}
		}
		for u, v := range c.Tolerance {
			extra[u] = v
		}
		c.Tolerance = extra
	}
	opt.Config = CreepConfig(cfg, c)
	if base.Side != nil && head.Side != nil {
		b, h := clone(base.Side), clone(head.Side)
		b.Source = Source{Label: "creep base", Commit: base.Commit, Date: timePtr(base.Date)}
		h.Source = Source{Label: "head", Commit: head.Commit, Date: timePtr(head.Date)}
		return Compare(b, h, opt)
	}
	return creepOnSummaries(base, head, opt)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// creepOnSummaries judges a compacted base: a row creeps when the two
// intervals do not overlap and the centers differ by more than the
// tolerance. That is coarser than the U-test and says so in each row.
func creepOnSummaries(base, head Snapshot, opt Options) *Report {
	opt.defaults()
	rep := &Report{Schema: SchemaVersion, Base: Source{Label: "creep base (summary)", Commit: base.Commit}, Head: Source{Label: "head", Commit: head.Commit}, Created: opt.Now}
	old := map[[3]string]Summary{}
	for _, s := range base.Summaries {
		old[[3]string{s.Package, s.Benchmark, s.Unit}] = s
	}
	for _, s := range head.Summaries {
		o, ok := old[[3]string{s.Package, s.Benchmark, s.Unit}]
		if !ok {
			continue
		}
		id := budgets.ParseBenchmarkID(s.Package, s.Benchmark, 0)
		row := Row{Benchmark: s.Benchmark, Package: s.Package, Unit: s.Unit, HigherIsBetter: s.HigherIsBetter, Assumption: "summary"}
		ob, hs := o.Stat, s.Stat
		row.Base, row.Head = &ob, &hs
		if ob.Center != 0 {
			d := hs.Center/ob.Center - 1
			row.Delta = &d
		}
		setTolerance(&row, opt.Config, Key{BenchmarkID: id, Unit: s.Unit})
		apart := hs.Low > ob.High || hs.High < ob.Low
		row.Significant = apart
		row.Verdict = RowPass
		if apart && badChange(&row) {
			row.Verdict = Regression
			row.Reasons = append(row.Reasons, fmt.Sprintf("%s since %s, beyond the creep tolerance %s", FormatDelta(&row), shortSHA(base.Commit), pct(row.Tolerance)))
		}
		row.Warnings = append(row.Warnings, "the creep base is a compacted summary: judged by non-overlapping intervals, not a U-test")
		rep.Results = append(rep.Results, row)
	}
	return rep
}

// Burn is one budgeted benchmark's efficiency error budget over a window
// of baselines: the RAER limit's headroom is the budget, and every
// baseline that moves toward the limit burns part of it.
type Burn struct {
	Package   string `json:"package"`
	Benchmark string `json:"benchmark"`
	Unit      string `json:"unit"`
	// Window is the number of baselines measured over.
	Window int `json:"window"`
	// First and Last are the headroom at the window's ends, as fractions
	// of the limit.
	First float64 `json:"first"`
	Last  float64 `json:"last"`
	// Consumed is the share of the window's first headroom used up since.
	Consumed float64 `json:"consumed"`
	// Rate is the headroom burnt per baseline, as a fraction of the limit
	// (least-squares slope over the window; > 0 is burning).
	Rate float64 `json:"rate"`
	// Left estimates how many more baselines (releases) at this rate
	// exhaust the budget; nil when not burning.
	Left *float64 `json:"left,omitempty"`
	// Level is "", "warn" or "fail" under the burn thresholds.
	Level string `json:"level,omitempty"`
}

// BurnRates measures the burn of every budgeted trend over the newest
// b.Window points. Trends without a limit, or shorter than two points,
// have none.
func BurnRates(trends []Trend, b budgets.Burn) []Burn {
	window := b.Window
	if window < 2 {
		window = budgets.DefaultBurnWindow
	}
	var out []Burn
	for _, t := range trends {
		if t.Limit == nil || len(t.Points) < 2 {
			continue
		}
		pts := t.Points
		if len(pts) > window {
			pts = pts[len(pts)-window:]
		}
		hs := make([]float64, len(pts))
		for i, p := range pts {
			hs[i] = *p.Headroom
		}
		br := Burn{Package: t.Package, Benchmark: t.Benchmark, Unit: t.Unit, Window: len(pts), First: hs[0], Last: hs[len(hs)-1]}
		if br.First > 0 {
			br.Consumed = (br.First - br.Last) / br.First
		}
		br.Rate = -slope(hs)
		if br.Rate > 0 {
			left := math.Max(0, br.Last) / br.Rate
			br.Left = &left
		}
		switch {
		case b.Fail > 0 && br.Rate >= b.Fail:
			br.Level = "fail"
		case b.Warn > 0 && br.Rate >= b.Warn:
			br.Level = "warn"
		}
		out = append(out, br)
	}
	return out
}

// slope is the least-squares slope of ys over 0, 1, 2, ...
func slope(ys []float64) float64 {
	n := float64(len(ys))
	var sx, sy, sxx, sxy float64
	for i, y := range ys {
		x := float64(i)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}

// Sentence is the burn's line for humans: "at this pace BenchmarkX
// exhausts its sec/op budget in about 4 releases".
func (b Burn) Sentence() string {
	head := fmt.Sprintf("%s %s: headroom %s → %s over %d baselines (%s of it used)", b.Benchmark, b.Unit, pct(b.First), pct(b.Last), b.Window, pct(b.Consumed))
	switch {
	case b.Last <= 0:
		return head + fmt.Sprintf("; the budget is exhausted (burning %s of the limit per baseline)", pct(b.Rate))
	case b.Left == nil:
		return head + "; not burning"
	}
	return head + fmt.Sprintf("; burning %s of the limit per baseline: at this pace %s exhausts its %s budget in about %s", pct(b.Rate), b.Benchmark, b.Unit, plural(int(math.Ceil(*b.Left)), "release", "releases"))
}

// SideFromResults reads benchfmt text into a Side; name is for errors.
func SideFromResults(data []byte, name string) (*Side, error) {
	s := NewSide(Source{})
	rd := benchfmt.NewReader(bytes.NewReader(data), name)
	for rd.Scan() {
		if r, ok := rd.Result().(*benchfmt.Result); ok {
			s.Add(r)
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s.AddUnits(rd.Units())
	return s, nil
}

// Summary and Point embed Stat, whose JSON methods would otherwise be
// promoted and write the Stat alone: these write every field, the Stat
// under "stat".

type summaryJSON struct {
	Package        string `json:"package"`
	Benchmark      string `json:"benchmark"`
	Unit           string `json:"unit"`
	HigherIsBetter bool   `json:"higher_is_better,omitempty"`
	Stat           Stat   `json:"stat"`
}

// MarshalJSON writes the summary with its Stat under "stat".
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(summaryJSON{s.Package, s.Benchmark, s.Unit, s.HigherIsBetter, s.Stat})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *Summary) UnmarshalJSON(b []byte) error {
	var v summaryJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Summary{Package: v.Package, Benchmark: v.Benchmark, Unit: v.Unit, HigherIsBetter: v.HigherIsBetter, Stat: v.Stat}
	return nil
}

type pointJSON struct {
	Commit   string    `json:"commit"`
	Date     time.Time `json:"date"`
	Stat     Stat      `json:"stat"`
	Headroom *float64  `json:"headroom,omitempty"`
}

// MarshalJSON writes the point with its Stat under "stat".
func (p Point) MarshalJSON() ([]byte, error) {
	return json.Marshal(pointJSON{p.Commit, p.Date, p.Stat, p.Headroom})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (p *Point) UnmarshalJSON(b []byte) error {
	var v pointJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Point{Commit: v.Commit, Date: v.Date, Stat: v.Stat, Headroom: v.Headroom}
	return nil
}

// FormatSummaries writes summaries compactly, one series a line under a
// "pkg:" line per package, numbers to six significant digits (a summary
// is for trends, not for tests):
//
//	pkg: example.com/sum
//	BenchmarkSum/lines=1000 sec/op 3.4812e-05 3.3701e-05 3.5901e-05 10
//
// A unit that is better higher is marked "+" after its name. Infinite
// interval ends (too few samples) are written as -inf and +inf.
func FormatSummaries(sums []Summary) string {
	var b strings.Builder
	pkg := "\x00"
	for _, s := range sums {
		if s.Package != pkg {
			pkg = s.Package
			fmt.Fprintf(&b, "pkg: %s\n", pkg)
		}
		unit := s.Unit
		if s.HigherIsBetter {
			unit += "+"
		}
		fmt.Fprintf(&b, "%s %s %s %s %s %d\n", s.Benchmark, unit, num6(s.Center), num6(s.Low), num6(s.High), s.N)
	}
	return b.String()
}

func num6(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// ParseSummaries reads what FormatSummaries wrote; where names the text in
// errors, which give its line.
func ParseSummaries(text, where string) ([]Summary, error) {
	var out []Summary
	pkg := ""
	for i, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = p
			continue
		}
		f := strings.Fields(line)
		bad := func(why string) error {
			return fmt.Errorf("%s:%d: %s (want \"BenchmarkName unit center low high n\")", where, i+1, why)
		}
		if len(f) != 6 {
			return nil, bad(fmt.Sprintf("%d fields", len(f)))
		}
		var v [3]float64
		for j := range v {
			x, err := strconv.ParseFloat(f[2+j], 64)
			if err != nil {
				return nil, bad(fmt.Sprintf("%q is not a number", f[2+j]))
			}
			v[j] = x
		}
		n, err := strconv.Atoi(f[5])
		if err != nil {
			return nil, bad(fmt.Sprintf("%q is not a count", f[5]))
		}
		unit, higher := strings.CutSuffix(f[1], "+")
		out = append(out, Summary{Package: pkg, Benchmark: f[0], Unit: unit, HigherIsBetter: higher, Stat: Stat{Center: v[0], Low: v[1], High: v[2], N: n}})
	}
	return out, nil
}
