package gate

import (
	"fmt"
	"math"
	"strings"
)

// HistoryNote is what the default branch's history adds to a gate report:
// the head judged against the baseline Back entries ago (creep), the burn
// of each budget, and the trends behind both, for the charts.
type HistoryNote struct {
	// Back is how many baselines before the head the creep base is; Base
	// is that baseline.
	Back int    `json:"back"`
	Base Source `json:"base"`
	// Creep holds the rows that creep past the creep tolerance.
	Creep []Row `json:"creep,omitempty"`
	// Burn is each budget's burn over the newest baselines and the head.
	Burn []Burn `json:"burn,omitempty"`
	// Trends are the series of the rows that regressed or creep, ending
	// with the head.
	Trends []Trend `json:"trends,omitempty"`
	// Warnings say why part of the history could not be used.
	Warnings []string `json:"warnings,omitempty"`
}

// maxTrendCharts bounds the charts in one comment: each is a few hundred
// bytes, and a comment has a size limit.
const maxTrendCharts = 6

// historySection shows creep findings, the burn of budgets (and what this
// change burns), and a trend chart per regressed or creeping row.
func historySection(r *Report) mdSection {
	h := r.History
	burnRows := prBurnRows(r)
	if h == nil && len(burnRows) == 0 {
		return mdSection{}
	}
	s := mdSection{header: "\n#### History\n\n"}
	if h != nil {
		for _, w := range h.Warnings {
			s.rows = append(s.rows, "- ⚠️ "+escapeText(w)+"\n")
		}
		if len(h.Creep) > 0 {
			s.rows = append(s.rows, fmt.Sprintf("\n**Creep** since %s (%d baselines back): each step may have passed its own pull request, together they do not.\n\n| benchmark | unit | then | now | change | tolerance |\n|---|---|---|---|---|---|\n",
				escapeText(sideText(h.Base)), h.Back))
			for i := range h.Creep {
				c := &h.Creep[i]
				s.rows = append(s.rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n", escapeCell(rowName(c, multiPackage(r))), escapeCell(c.Unit),
					statCell(c.Base, c.Unit), statCell(c.Head, c.Unit), escapeCell(FormatDelta(c)), pct(c.Tolerance)))
			}
			s.rows = append(s.rows, "\n")
		}
		for _, b := range h.Burn {
			if b.Level != "" || (b.Left != nil && *b.Left < 10) {
				mark := "🔥 "
				if b.Level == "fail" {
					mark = "❌ "
				}
				s.rows = append(s.rows, "- "+mark+escapeText(b.Sentence())+"\n")
			}
		}
	}
	s.rows = append(s.rows, burnRows...)
	if h != nil {
		for i := range h.Trends {
			if i == maxTrendCharts {
				s.rows = append(s.rows, fmt.Sprintf("\n(%d more trends in the JSON report)\n", len(h.Trends)-maxTrendCharts))
				break
			}
			s.rows = append(s.rows, TrendChart(&h.Trends[i]))
		}
	}
	return s
}

// prBurnRows says how much of each budget's remaining headroom this change
// burns: the base's headroom against the head's.
func prBurnRows(r *Report) []string {
	var out []string
	for i := range r.Results {
		row := &r.Results[i]
		b := row.Budget
		if b == nil || row.Base == nil || row.Head == nil {
			continue
		}
		before := Headroom(b.Limit-row.Base.Center, b.Limit)
		if row.HigherIsBetter {
			before = Headroom(row.Base.Center-b.Limit, b.Limit)
		}
		if before <= 0 || b.Headroom >= before || !row.Significant {
			continue
		}
		what := "burns " + pct((before-b.Headroom)/before) + " of"
		if b.Headroom <= 0 {
			what = "exhausts"
		}
		out = append(out, fmt.Sprintf("- This change %s %s's remaining %s budget (headroom %s → %s).\n",
			what, escapeText(rowName(row, false)), escapeText(row.Unit), pct(before), pct(b.Headroom)))
	}
	return out
}

// TrendChart is a Mermaid xychart of a trend: the center per baseline and,
// when a budget applies, the RAER limit as a second line.
func TrendChart(t *Trend) string {
	if len(t.Points) == 0 {
		return ""
	}
	top := 0.0
	for _, p := range t.Points {
		top = math.Max(top, math.Abs(p.Center))
	}
	if t.Limit != nil {
		top = math.Max(top, math.Abs(t.Limit.Limit))
	}
	scale, prefix := DisplayScale(top)
	var xs, ys, lim []string
	for _, p := range t.Points {
		label := p.Commit
		if len(label) > 7 {
			label = label[:7]
		}
		if label == "" {
			label = p.Date.Format("01-02")
		}
		xs = append(xs, `"`+label+`"`)
		ys = append(ys, fmt.Sprintf("%.4g", p.Center/scale))
		if t.Limit != nil {
			lim = append(lim, fmt.Sprintf("%.4g", t.Limit.Limit/scale))
		}
	}
	var b strings.Builder
	name := strings.NewReplacer(`"`, "'", "\n", " ").Replace(strings.TrimPrefix(t.Benchmark, "Benchmark"))
	fmt.Fprintf(&b, "\n```mermaid\nxychart-beta\n    title \"%s %s (%s%s)\"\n    x-axis [%s]\n    y-axis \"%s%s\"\n    line [%s]\n",
		name, t.Unit, prefix, BaseUnit(t.Unit), strings.Join(xs, ", "), prefix, BaseUnit(t.Unit), strings.Join(ys, ", "))
	if len(lim) > 0 {
		fmt.Fprintf(&b, "    line [%s]\n", strings.Join(lim, ", "))
	}
	b.WriteString("```\n")
	if t.Limit != nil {
		fmt.Fprintf(&b, "<sub>%s: the second line is the RAER limit %s.</sub>\n", escapeText(t.Benchmark), escapeText(t.Limit.Expr))
	}
	return b.String()
}

// DisplayScale picks an SI prefix so the largest value reads below 1000:
// charts show "µs", not "0.000035".
func DisplayScale(top float64) (float64, string) {
	for _, s := range []struct {
		f float64
		p string
	}{{1e-9, "n"}, {1e-6, "µ"}, {1e-3, "m"}, {1, ""}, {1e3, "k"}, {1e6, "M"}, {1e9, "G"}} {
		if top < s.f*1000 {
			return s.f, s.p
		}
	}
	return 1e12, "T"
}

// BaseUnit is a unit as an axis names it: "s" for sec/op, "s/line" for
// sec/line, "B" for B/op.
func BaseUnit(unit string) string {
	if per, ok := strings.CutPrefix(unit, "sec/"); ok && per != "op" {
		return "s/" + per
	}
	if u, ok := strings.CutSuffix(unit, "/op"); ok {
		if u == "sec" {
			return "s"
		}
		return u
	}
	return unit
}

// napkinSection lists each benchmark next to its physical floor; broken
// (implausibly fast) ones are open, the rest collapsed.
func napkinSection(r *Report) mdSection {
	if len(r.Napkin) == 0 {
		return mdSection{}
	}
	s := mdSection{header: "\n<details><summary>Napkin math: benchmarks next to this machine's floors</summary>\n\n", closer: "\n</details>\n"}
	for _, n := range r.Napkin {
		mark := ""
		if n.Implausible {
			mark = "❌ "
		}
		s.rows = append(s.rows, "- "+mark+escapeText(n.Line())+"\n")
	}
	return s
}
