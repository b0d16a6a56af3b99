package gate

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// MarkdownOptions shapes the markdown for where it goes: a pull request
// comment (capped, with a marker to find it again), the job summary or a file.
type MarkdownOptions struct {
	// MaxLen caps the output's length in bytes; 0 means no cap. GitHub
	// rejects comment and check-run bodies over 65,536 characters, and a
	// byte count is never smaller than a character count.
	MaxLen int
	// Marker is written first, verbatim: a hidden HTML comment such as
	// "<!-- perfslo:gate=NAME -->" that finds the comment again.
	Marker string
	// Title, when set, heads the output ("perfslo: api").
	Title string
	// TruncatedNote replaces the default line that says the output was cut.
	TruncatedNote string
	// Notes are paragraphs right after the verdict line, never dropped:
	// what a reader needs to weigh the verdict (who measured, who judged,
	// a verdict that changed). They are escaped as report text is, so
	// keep them short and few.
	Notes []string
	// Lists are titled bullet lists after what failed (the budgets a pull
	// request loosens); items are escaped and dropped from the end to fit.
	Lists []MarkdownList
}

// MarkdownList is one titled list of MarkdownOptions.Lists.
type MarkdownList struct {
	Title string
	Items []string
}

// DefaultTruncatedNote tells a reader of a capped comment where the rest is.
const DefaultTruncatedNote = "✂️ **Truncated** to fit GitHub's size limit: see the job summary or the report artifact for every row."

// Limits of the parts that would otherwise grow with the suite.
const (
	maxChartBars       = 12
	maxAttribFuncs     = 10
	maxFailureOutput   = 4000
	maxFailureLines    = 60
	footerReserveSlack = 16
)

// WriteMarkdown renders r as GitHub-flavoured markdown: the verdict first, in
// one line; what failed, with enough to act on; what was not judged; then the
// rest collapsed. With opt.MaxLen set, whole rows are dropped from the end
// (never part of a table, a <details> or a code fence) and a line says so.
func WriteMarkdown(w io.Writer, r *Report, opt MarkdownOptions) error {
	_, err := io.WriteString(w, RenderMarkdown(r, opt))
	return err
}

// RenderMarkdown is WriteMarkdown into a string.
func RenderMarkdown(r *Report, opt MarkdownOptions) string {
	if r == nil {
		r = &Report{}
	}
	m := &mdWriter{max: opt.MaxLen}
	note := opt.TruncatedNote
	if note == "" {
		note = DefaultTruncatedNote
	}
	footer := mdFooter(r)
	trunc := "\n" + note + "\n"
	m.reserve = len(footer) + len(trunc) + footerReserveSlack

	var head strings.Builder
	if opt.Marker != "" {
		head.WriteString(opt.Marker + "\n")
	}
	if opt.Title != "" {
		head.WriteString("### " + escapeText(opt.Title) + "\n\n")
	}
	head.WriteString(verdictLine(r) + "\n")
	for _, n := range opt.Notes {
		head.WriteString("\n" + escapeText(n) + "\n")
	}
	// The head is never dropped: without it the output says nothing.
	m.b.WriteString(head.String())

	// The failing rows come before the lists, which a pull request's text
	// could make long.
	sections := []mdSection{warningsSection(r), failingSection(r), failuresSection(r)}
	for _, l := range opt.Lists {
		s := mdSection{header: "\n#### " + escapeText(l.Title) + "\n\n"}
		for _, it := range l.Items {
			s.rows = append(s.rows, "- "+escapeText(it)+"\n")
		}
		sections = append(sections, s)
	}
	sections = append(sections,
		unmeasurableSection(r),
		historySection(r),
		chartSection(r),
		attributionSection(r),
		budgetSection(r),
		napkinSection(r),
		passingSection(r),
		skippedSection(r),
	)
	for _, s := range sections {
		if !m.section(s) {
			m.b.WriteString(trunc)
			break
		}
	}
	m.b.WriteString(footer)
	return m.b.String()
}

// mdSection is a unit of output: a header, rows, and a closer that must
// follow the last row written. Rows are the truncation points.
type mdSection struct {
	header string
	rows   []string
	closer string
}

type mdWriter struct {
	b       strings.Builder
	max     int
	reserve int
}

// section writes s, or as much of it as fits in whole rows; it reports
// whether everything fitted.
func (m *mdWriter) section(s mdSection) bool {
	if len(s.rows) == 0 {
		return true
	}
	fits := func(n int) bool {
		return m.max <= 0 || m.b.Len()+n+len(s.closer)+m.reserve <= m.max
	}
	if !fits(len(s.header) + len(s.rows[0])) {
		return false
	}
	m.b.WriteString(s.header)
	for _, row := range s.rows {
		if !fits(len(row)) {
			m.b.WriteString(s.closer)
			return false
		}
		m.b.WriteString(row)
	}
	m.b.WriteString(s.closer)
	return true
}

// counts tallies rows by verdict.
type counts map[RowVerdict]int

func countRows(r *Report) counts {
	c := counts{}
	for i := range r.Results {
		c[r.Results[i].Verdict]++
	}
	return c
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// verdictLine is the first thing a reader sees: the outcome and the counts.
func verdictLine(r *Report) string {
	c := countRows(r)
	var parts []string
	add := func(n int, one, many string) {
		if n > 0 {
			parts = append(parts, plural(n, one, many))
		}
	}
	add(c[Regression], "regression", "regressions")
	add(c[Violation], "budget violation", "budget violations")
	add(len(r.Failures), "failure", "failures")
	add(c[Unmeasurable], "unmeasurable", "unmeasurable")
	add(c[Improvement], "improvement", "improvements")
	add(c[RowPass], "passed", "passed")
	add(c[Added], "added", "added")
	add(c[Removed], "removed", "removed")

	icon, word := "✅", "**Pass**"
	switch {
	case r.Verdict() == Fail:
		icon, word = "❌", "**Fail**"
	case c[Unmeasurable] > 0 || r.Unmeasurable() > 0:
		icon, word = "⚠️", "**Pass, with rows not judged**"
	case r.nothingToGate():
		return "✅ **Pass**: nothing to gate; " + escapeText(skippedText(r)) + "."
	case len(r.Results) == 0:
		icon, word = "⚠️", "**Nothing compared**"
	}
	if sk := skippedText(r); sk != "" {
		parts = append(parts, escapeText(sk))
	}
	if len(parts) == 0 {
		return icon + " " + word + ": no benchmark results."
	}
	if names := VanishedNames(r); names != "" {
		parts = append(parts, escapeText(names))
	}
	return icon + " " + word + ": " + strings.Join(parts, ", ") + "."
}

func warningsSection(r *Report) mdSection {
	s := mdSection{header: "\n", closer: ""}
	for _, w := range r.Warnings {
		s.rows = append(s.rows, "> ⚠️ "+escapeText(w)+"\n")
	}
	return s
}

// multiPackage says whether rows need their package to be told apart.
func multiPackage(r *Report) bool {
	for i := range r.Results {
		if r.Results[i].Package != r.Results[0].Package {
			return true
		}
	}
	return false
}

// rowName is a row's name as a table cell.
func rowName(r *Row, withPkg bool) string {
	name := r.Benchmark
	if withPkg && r.Package != "" {
		name = r.Package + " " + name
	}
	if r.Function != "" {
		name += " → " + r.Function
	}
	return escapeCell(name)
}

func statCell(s *Stat, unit string) string {
	if s == nil {
		return "—"
	}
	return escapeCell(FormatStat(s, unit))
}

func budgetCell(r *Row) string {
	if r.Budget == nil {
		return ""
	}
	return escapeCell(FormatHeadroom(r.Budget, r.Unit))
}

func why(r *Row) string {
	var all []string
	all = append(all, r.Reasons...)
	for _, w := range r.Warnings {
		all = append(all, "⚠️ "+w)
	}
	if r.Attribution != nil && r.Attribution.LikelyLayout {
		all = append(all, "no changed code on this path — likely layout")
	}
	return escapeCell(strings.Join(all, "; "))
}

func pCell(r *Row) string {
	p := FormatP(r)
	if r.PAdjusted != nil && r.P != nil && *r.PAdjusted != *r.P {
		p += fmt.Sprintf(" (adj %.3f)", *r.PAdjusted)
	}
	return escapeCell(p)
}

func verdictCell(v RowVerdict) string {
	switch v {
	case Regression:
		return "🔺 regression"
	case Violation:
		return "⛔ violation"
	case Improvement:
		return "🟢 improvement"
	case Unmeasurable:
		return "❔ unmeasurable"
	case Added:
		return "➕ added"
	case Removed:
		return "➖ removed"
	}
	return "pass"
}

func failingSection(r *Report) mdSection {
	pkg := multiPackage(r)
	s := mdSection{
		header: "\n#### Failing\n\n| Benchmark | Unit | Base | Head | Δ | p | Budget | Verdict | Why |\n|---|---|--:|--:|--:|---|---|---|---|\n",
	}
	for i := range r.Results {
		row := &r.Results[i]
		if row.Verdict != Regression && row.Verdict != Violation {
			continue
		}
		s.rows = append(s.rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			rowName(row, pkg), escapeCell(row.Unit), statCell(row.Base, row.Unit), statCell(row.Head, row.Unit),
			escapeCell(FormatDelta(row)), pCell(row), budgetCell(row), verdictCell(row.Verdict), why(row)))
	}
	return s
}

func unmeasurableSection(r *Report) mdSection {
	pkg := multiPackage(r)
	s := mdSection{
		header: "\n#### Not judged\n\n| Benchmark | Unit | Base | Head | Why |\n|---|---|--:|--:|---|\n",
	}
	for i := range r.Results {
		row := &r.Results[i]
		if row.Verdict != Unmeasurable {
			continue
		}
		s.rows = append(s.rows, fmt.Sprintf("| %s | %s | %s | %s | %s |\n",
			rowName(row, pkg), escapeCell(row.Unit), statCell(row.Base, row.Unit), statCell(row.Head, row.Unit), why(row)))
	}
	return s
}

func passingSection(r *Report) mdSection {
	pkg := multiPackage(r)
	c := countRows(r)
	n := c[RowPass] + c[Improvement] + c[Added] + c[Removed]
	var what []string
	if k := c[RowPass]; k > 0 {
		what = append(what, plural(k, "pass", "pass"))
	}
	if k := c[Improvement]; k > 0 {
		what = append(what, plural(k, "improved", "improved"))
	}
	if k := c[Added] + c[Removed]; k > 0 {
		what = append(what, plural(k, "added or removed", "added or removed"))
	}
	s := mdSection{
		header: fmt.Sprintf("\n<details><summary>%s: %s</summary>\n\n| Benchmark | Unit | Base | Head | Δ | p | Budget | Verdict |\n|---|---|--:|--:|--:|---|---|---|\n",
			plural(n, "passing row", "passing rows"), strings.Join(what, ", ")),
		closer: "\n</details>\n",
	}
	for i := range r.Results {
		row := &r.Results[i]
		switch row.Verdict {
		case RowPass, Improvement, Added, Removed:
		default:
			continue
		}
		s.rows = append(s.rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			rowName(row, pkg), escapeCell(row.Unit), statCell(row.Base, row.Unit), statCell(row.Head, row.Unit),
			escapeCell(FormatDelta(row)), pCell(row), budgetCell(row), verdictCell(row.Verdict)))
	}
	return s
}

// budgetSection states every RAER budget's headroom: the operation, the
// dataset it holds for, the limit and how close the head is.
func budgetSection(r *Report) mdSection {
	pkg := multiPackage(r)
	s := mdSection{
		header: "\n#### RAER budgets\n\n| Operation | Dataset | Benchmark | Unit | Head | Limit | Headroom |\n|---|---|---|---|--:|---|--:|\n",
	}
	for i := range r.Results {
		row := &r.Results[i]
		b := row.Budget
		if b == nil {
			continue
		}
		limit := FormatValue(b.Limit, row.Unit)
		if b.Expr != "" {
			limit += " (" + b.Expr + ")"
		}
		if b.Kind == "min" {
			limit = "≥ " + limit
		} else {
			limit = "≤ " + limit
		}
		head := "—"
		if row.Head != nil {
			head = escapeCell(FormatValue(row.Head.Center, row.Unit))
		}
		room := fmt.Sprintf("%.0f%%", 100*b.Headroom)
		if b.Headroom < 0 {
			room = fmt.Sprintf("⛔ %.0f%% over", -100*b.Headroom)
		}
		s.rows = append(s.rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |\n",
			escapeCell(b.Operation), escapeCell(b.Dataset), rowName(row, pkg), escapeCell(row.Unit), head, escapeCell(limit), room))
	}
	return s
}

// failuresSection shows what did not run, with the tail of its output: the
// end of a build log or a panic is where the cause is.
func failuresSection(r *Report) mdSection {
	s := mdSection{header: "\n#### Did not run\n"}
	for _, f := range r.Failures {
		name := f.Package
		if f.Benchmark != "" {
			name += " " + f.Benchmark
		}
		out := tail(f.Output, maxFailureLines, maxFailureOutput)
		fence := codeFence(out)
		s.rows = append(s.rows, fmt.Sprintf("\n**%s** (%s, %s side)\n\n%s\n%s\n%s\n",
			escapeText(name), escapeText(f.Kind), escapeText(f.Side), fence, out, fence))
	}
	return s
}

// chartSection draws the significant deltas, largest first, so the size of
// a change is seen before it is read.
func chartSection(r *Report) mdSection {
	type bar struct {
		label string
		delta float64
	}
	var bars []bar
	for i := range r.Results {
		row := &r.Results[i]
		if !row.Significant || row.Delta == nil || math.IsNaN(*row.Delta) || math.IsInf(*row.Delta, 0) {
			continue
		}
		bars = append(bars, bar{chartLabel(row), 100 * *row.Delta})
	}
	if len(bars) == 0 {
		return mdSection{}
	}
	sort.SliceStable(bars, func(i, j int) bool { return math.Abs(bars[i].delta) > math.Abs(bars[j].delta) })
	more := ""
	if len(bars) > maxChartBars {
		more = fmt.Sprintf(" (largest %d of %d)", maxChartBars, len(bars))
		bars = bars[:maxChartBars]
	}
	var labels, values []string
	for _, b := range bars {
		labels = append(labels, `"`+b.label+`"`)
		values = append(values, fmt.Sprintf("%.2f", b.delta))
	}
	chart := fmt.Sprintf("\n```mermaid\nxychart-beta\n    title \"Significant changes, %% head vs base%s\"\n    x-axis [%s]\n    y-axis \"delta %%\"\n    bar [%s]\n```\n",
		more, strings.Join(labels, ", "), strings.Join(values, ", "))
	return mdSection{rows: []string{chart}}
}

// chartLabel is a short bar label Mermaid can quote.
func chartLabel(r *Row) string {
	name := strings.TrimPrefix(r.Benchmark, "Benchmark")
	if r.Function != "" {
		name += " " + r.Function
	}
	name += " " + r.Unit
	name = strings.NewReplacer(`"`, "'", "\n", " ", "\\", "/", "`", "'").Replace(name)
	if rs := []rune(name); len(rs) > 32 {
		name = string(rs[:31]) + "…"
	}
	return name
}

// attributionSection gives each row with profile evidence a collapsed block:
// the functions that moved, and the pprof command to look for oneself.
func attributionSection(r *Report) mdSection {
	s := mdSection{}
	pkg := multiPackage(r)
	for i := range r.Results {
		row := &r.Results[i]
		a := row.Attribution
		if a == nil {
			continue
		}
		var b strings.Builder
		name := row.Benchmark
		if pkg {
			name = row.Package + " " + name
		}
		title, per := "Profile", " per op"
		if CountedUnit(a.Unit) {
			title, per = "Function diff (callgrind, self counts)", ""
		}
		fmt.Fprintf(&b, "\n<details><summary>%s of %s (%s): %s%s</summary>\n\n",
			title, escapeHTML(name), escapeHTML(row.Unit), escapeHTML(signedValue(a.Total, a.Unit)), per)
		if a.LikelyLayout {
			b.WriteString("No changed code on this path: the shift is likely code layout or alignment.\n\n")
		}
		staging := false
		for _, f := range a.Functions {
			if f.StagingShare != nil || f.ServiceImpact != nil {
				staging = true
			}
		}
		if len(a.Functions) > 0 {
			b.WriteString("| Function | Flat Δ/op | Cum Δ/op | Share |")
			if staging {
				b.WriteString(" Staging share | Service impact |")
			}
			b.WriteString("\n|---|--:|--:|--:|")
			if staging {
				b.WriteString("--:|--:|")
			}
			b.WriteString("\n")
			fs := a.Functions
			if len(fs) > maxAttribFuncs {
				fs = fs[:maxAttribFuncs]
			}
			for _, f := range fs {
				fmt.Fprintf(&b, "| %s | %s | %s | %.0f%% |", escapeCell(f.Function),
					escapeCell(signedValue(f.Flat, a.Unit)), escapeCell(signedValue(f.Cum, a.Unit)), 100*f.Share)
				if staging {
					fmt.Fprintf(&b, " %s | %s |", optPercent(f.StagingShare, false), optPercent(f.ServiceImpact, true))
				}
				b.WriteString("\n")
			}
			if n := len(a.Functions) - len(fs); n > 0 {
				fmt.Fprintf(&b, "\n%s not shown.\n", plural(n, "more function", "more functions"))
			}
		}
		if len(a.Labels) > 0 {
			b.WriteString("\n| Label | Δ/op | Share | Top function |\n|---|--:|--:|---|\n")
			ls := a.Labels
			if len(ls) > maxAttribFuncs {
				ls = ls[:maxAttribFuncs]
			}
			for _, l := range ls {
				v := l.Value
				if v == "" {
					v = "(none)"
				}
				fmt.Fprintf(&b, "| %s | %s | %.0f%% | %s |\n", escapeCell(l.Key+"="+v),
					escapeCell(signedValue(l.Total, a.Unit)), 100*l.Share, escapeCell(l.Top))
			}
		}
		for _, w := range a.Warnings {
			b.WriteString("\n> ⚠️ " + escapeText(w) + "\n")
		}
		if a.Command != "" {
			fence := codeFence(a.Command)
			fmt.Fprintf(&b, "\n%ssh\n%s\n%s\n", fence, a.Command, fence)
		}
		b.WriteString("\n</details>\n")
		s.rows = append(s.rows, b.String())
	}
	return s
}

// signedValue renders a per-op profile delta with its unit: "+1.620µs",
// "-4.000KiB", "+12.00 allocs".
func signedValue(v float64, unit string) string {
	sign := "+"
	if v < 0 {
		sign, v = "-", -v
	}
	switch unit {
	case "ns/op":
		return sign + FormatValue(v*1e-9, "sec/op") + "s"
	case "B/op":
		return sign + FormatValue(v, "B/op") + "B"
	case "allocs/op":
		return sign + FormatValue(v, "allocs/op") + " allocs"
	}
	return sign + FormatValue(v, unit) + " " + strings.TrimSuffix(unit, "/op")
}

func optPercent(p *float64, signed bool) string {
	if p == nil {
		return "—"
	}
	if signed {
		return fmt.Sprintf("%+.2f%%", 100**p)
	}
	return fmt.Sprintf("%.1f%%", 100**p)
}

// mdFooter says what was compared with what, where, and how: without it a
// verdict cannot be judged.
func mdFooter(r *Report) string {
	var parts []string
	parts = append(parts, "base: "+sideText(r.Base), "head: "+sideText(r.Head))
	mb, mh := machine(r.Base), machine(r.Head)
	switch {
	case mb == mh && mh != "":
		parts = append(parts, "machine: "+mh)
	case mb != "" || mh != "":
		parts = append(parts, "machines: base "+orDash(mb)+", head "+orDash(mh))
	}
	st := r.Settings
	var set []string
	if st.Count > 0 {
		set = append(set, fmt.Sprintf("count=%d", st.Count))
	}
	if st.Benchtime != "" {
		set = append(set, "benchtime="+st.Benchtime)
	}
	if st.CPU > 0 {
		set = append(set, fmt.Sprintf("cpu=%d", st.CPU))
	}
	if st.Interleaved {
		set = append(set, "interleaved")
	}
	if st.Alpha > 0 {
		set = append(set, fmt.Sprintf("α=%g", st.Alpha))
	}
	if st.Correction != "" {
		c := st.Correction
		if st.Tests > 0 {
			c += fmt.Sprintf(" over %d tests", st.Tests)
		}
		set = append(set, c)
	}
	if st.Config != "" {
		set = append(set, "config "+st.Config)
	}
	if len(set) > 0 {
		parts = append(parts, "settings: "+strings.Join(set, ", "))
	}
	if st.Measure != "" && st.Measure != "time" {
		// Counted rows need their caveats where they are read: the CPU
		// valgrind presents, the est-cycles formula, GOGC=off.
		parts = append(parts, "measure: "+st.Measure+". "+strings.Join(st.MeasureNotes, " "))
	}
	return "\n---\n<sub>" + escapeHTML(strings.Join(parts, " · ")) + " · perfslo</sub>\n"
}

func sideText(s Source) string {
	t := s.Label
	if s.Ref != "" && s.Ref != s.Label {
		t += " (" + s.Ref + ")"
	}
	if s.Commit != "" {
		c := s.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		t += " @ " + c
	}
	if s.Date != nil {
		t += ", measured " + s.Date.UTC().Format("2006-01-02 15:04 UTC")
	}
	return orDash(t)
}

func machine(s Source) string {
	var p []string
	if s.CPU != "" {
		p = append(p, s.CPU)
	}
	if s.GOOS != "" || s.GOARCH != "" {
		p = append(p, s.GOOS+"/"+s.GOARCH)
	}
	if s.GoVersion != "" {
		p = append(p, s.GoVersion)
	}
	return strings.Join(p, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// escapeHTML makes s safe inside HTML (a <summary>, a <sub>).
func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "\n", " ").Replace(s)
}

// escapeText makes s literal in markdown prose: HTML is neutralised and
// markdown punctuation backslash-escaped, so a benchmark named
// "Benchmark_x/a*b" is not turned into emphasis.
var mdEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "|", `\|`, "~", `\~`, "#", `\#`,
	"\r", "", "\n", " ",
)

func escapeText(s string) string { return mdEscaper.Replace(s) }

// EscapeMarkdown makes s literal in markdown prose, as the renderer does
// with every name and message of a report: for text placed around it.
func EscapeMarkdown(s string) string { return escapeText(s) }

// escapeCell makes s one table cell: escapeText, which also escapes "|".
func escapeCell(s string) string { return escapeText(s) }

// codeFence returns a backtick fence longer than any run of backticks in s,
// so the content cannot close it.
func codeFence(s string) string {
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			if run > longest {
				longest = run
			}
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// tail keeps the last lines and bytes of s.
func tail(s string, lines, bytes int) string {
	s = strings.TrimRight(s, "\n")
	cut := false
	if ls := strings.Split(s, "\n"); len(ls) > lines {
		s = strings.Join(ls[len(ls)-lines:], "\n")
		cut = true
	}
	if len(s) > bytes {
		s = s[len(s)-bytes:]
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
		cut = true
	}
	if cut {
		s = "…\n" + s
	}
	return s
}
