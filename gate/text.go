package gate

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText renders the report for a terminal: one aligned table per package
// in benchstat's notation, a verdict column, then the reasons behind every row
// that is not a plain pass.
func WriteText(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "perfslo: %s\n", Headline(r))
	fmt.Fprintf(ew, "base: %s\nhead: %s\n", describeSource(r.Base), describeSource(r.Head))

	for _, group := range byPackage(r.Results) {
		fmt.Fprintf(ew, "\npkg: %s\n", dash(r.Results[group[0]].Package))
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "benchmark\tunit\tbase\thead\tdelta\tchange (CI)\tbudget\tverdict")
		for _, i := range group {
			row := &r.Results[i]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				shortName(*row), row.Unit, FormatStat(row.Base, row.Unit), FormatStat(row.Head, row.Unit),
				deltaCell(*row), FormatChange(row), FormatHeadroom(row.Budget, row.Unit), textVerdict(row.Verdict))
		}
		tw.Flush()
	}

	// Notes are written as they are made, not collected: on a large input
	// every row may have one.
	noted := false
	label := packageLabels(r.Results)
	shown := map[string]string{} // diff profile → the row that showed it
	for _, row := range r.Results {
		if row.Verdict == RowPass && len(row.Warnings) == 0 && row.Attribution == nil {
			continue
		}
		if !noted {
			fmt.Fprintln(ew)
			noted = true
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s (%s): %s", shortName(row), row.Unit, label[row.Package], row.Verdict)
		for _, why := range row.Reasons {
			fmt.Fprintf(&b, "\n    %s", why)
		}
		for _, warn := range row.Warnings {
			fmt.Fprintf(&b, "\n    warning: %s", warn)
		}
		if a := row.Attribution; a != nil {
			// sec/op and a per-line rate share one CPU profile: show it once.
			if first, dup := shown[a.DiffProfile]; dup && a.DiffProfile != "" {
				fmt.Fprintf(&b, "\n    profile: as for %s above", first)
			} else {
				shown[a.DiffProfile] = shortName(row) + " " + row.Unit
				writeAttributionText(&b, a)
			}
		}
		b.WriteByte('\n')
		io.WriteString(ew, b.String())
	}
	for _, f := range r.Failures {
		name := f.Package
		if f.Benchmark != "" {
			name += " " + f.Benchmark
		}
		fmt.Fprintf(ew, "\nFAILED (%s, %s side): %s\n%s\n", f.Kind, f.Side, name, indent(strings.TrimRight(f.Output, "\n"), "    "))
	}
	if r.Selection != "" {
		fmt.Fprintf(ew, "\nselection: %s\n", r.Selection)
	}
	// A large repository skips hundreds: the first few here, all in JSON.
	for i, sk := range r.Skipped {
		if i == maxSkippedText {
			fmt.Fprintf(ew, "skipped: … and %d more (the JSON report lists them all)\n", len(r.Skipped)-i)
			break
		}
		fmt.Fprintf(ew, "skipped: %s: %s\n", sk.Package, sk.Reason)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(ew, "\nwarning: %s", warn)
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(ew)
	}
	fmt.Fprintf(ew, "\n%s\n", StatsNote(r))
	return ew.err
}

func writeAttributionText(b *strings.Builder, a *Attribution) {
	counted := CountedUnit(a.Unit)
	if counted {
		// callgrind's per-function costs are self counts: exact, no cum.
		fmt.Fprintf(b, "\n    function diff (callgrind): %s in total, base → head; by function (self, share of the total):", SignedPerOp(a.Total, a.Unit))
	} else {
		fmt.Fprintf(b, "\n    profile: %s per op in total, base → head; where it went (cum, flat, share of the total):", SignedPerOp(a.Total, a.Unit))
	}
	for _, f := range a.Functions {
		if counted {
			fmt.Fprintf(b, "\n      %24s %6.1f%%  %s", SignedPerOp(f.Flat, a.Unit), 100*f.Share, f.Function)
			continue
		}
		fmt.Fprintf(b, "\n      %10s %10s %6.1f%%  %s", SignedPerOp(f.Cum, a.Unit), SignedPerOp(f.Flat, a.Unit), 100*f.Share, f.Function)
		if f.StagingShare != nil {
			fmt.Fprintf(b, "  (%.1f%% of staging CPU", 100**f.StagingShare)
			if f.ServiceImpact != nil {
				fmt.Fprintf(b, " → ≈ %+.2f%% service CPU", 100**f.ServiceImpact)
			}
			b.WriteString(")")
		}
	}
	for _, l := range a.Labels {
		fmt.Fprintf(b, "\n      label %s=%s: %s (%.1f%%)", l.Key, dash(l.Value), SignedPerOp(l.Total, a.Unit), 100*l.Share)
		if l.Top != "" {
			fmt.Fprintf(b, ", mostly %s", l.Top)
		}
	}
	if a.LikelyLayout {
		b.WriteString("\n    no changed code on this path — likely code layout/alignment")
	}
	for _, w := range a.Warnings {
		fmt.Fprintf(b, "\n    warning: %s", w)
	}
	if a.DiffProfile != "" {
		fmt.Fprintf(b, "\n    diff profile: %s", a.DiffProfile)
	}
	if a.Command != "" {
		fmt.Fprintf(b, "\n    open: %s", a.Command)
	}
}

// Headline is the one-line verdict: "PASS — 24 rows: 20 pass, 4 improved".
func Headline(r *Report) string {
	counts := map[RowVerdict]int{}
	for _, row := range r.Results {
		counts[row.Verdict]++
	}
	var parts []string
	for _, v := range []struct {
		verdict      RowVerdict
		one, several string
	}{
		{Regression, "regression", "regressions"},
		{Violation, "budget violation", "budget violations"},
		{Unmeasurable, "unmeasurable", "unmeasurable"},
		{Improvement, "improvement", "improvements"},
		{RowPass, "passed", "passed"},
		{Added, "added", "added"},
		{Removed, "removed", "removed"},
	} {
		switch n := counts[v.verdict]; n {
		case 0:
		case 1:
			parts = append(parts, "1 "+v.one)
		default:
			parts = append(parts, fmt.Sprintf("%d %s", n, v.several))
		}
	}
	if n := len(r.Failures); n > 0 {
		parts = append([]string{fmt.Sprintf("%d benchmark failure(s)", n)}, parts...)
	}
	word := "PASS"
	switch {
	case r.Verdict() == Fail:
		word = "FAIL"
	case r.Unmeasurable() > 0:
		word = "UNDECIDED"
	}
	if len(parts) == 0 {
		if r.nothingToGate() {
			return "PASS — nothing to gate; " + skippedText(r)
		}
		return word + " — no results"
	}
	line := fmt.Sprintf("%s — %d rows: %s", word, len(r.Results), strings.Join(parts, ", "))
	if names := VanishedNames(r); names != "" {
		line += "; " + names
	}
	if sk := skippedText(r); sk != "" {
		line += "; " + sk
	}
	return line
}

// VanishedNames names what the head no longer ran ("removed: BenchmarkA,
// BenchmarkB; no results from pkg"), "" when nothing vanished: a verdict
// that fails for it must say what.
func VanishedNames(r *Report) string {
	var removed, empty []string
	for _, f := range r.Failures {
		switch f.Kind {
		case FailureRemoved:
			removed = append(removed, strings.TrimPrefix(f.Benchmark, "Benchmark"))
		case FailureNoResults:
			empty = append(empty, f.Package)
		}
	}
	var parts []string
	if len(removed) > 0 {
		parts = append(parts, "removed: "+strings.Join(firstOf(removed, 5), ", "))
	}
	if len(empty) > 0 {
		parts = append(parts, "no results from "+strings.Join(firstOf(empty, 3), ", "))
	}
	return strings.Join(parts, "; ")
}

func firstOf(xs []string, n int) []string {
	if len(xs) > n {
		return append(xs[:n:n], fmt.Sprintf("… %d more", len(xs)-n))
	}
	return xs
}

// StatsNote states how the verdict was reached, for the reader to judge it.
func StatsNote(r *Report) string {
	s := r.Settings
	if s.Alpha == 0 {
		// No comparison was made (a staging check judges one profile):
		// only intervals over profile samples stand behind the verdicts.
		return fmt.Sprintf("Statistics: shares of profile samples with %.0f%% Wilson intervals; a budget fails when the whole interval is past it.", 100*s.Confidence)
	}
	corr := "no multiple-comparison correction"
	// As the markdown footer: a run whose rows were all decided without a
	// test (exact counts, constant B/op) does not claim a correction "over
	// 0 tests".
	over := ""
	if s.Tests > 0 {
		over = fmt.Sprintf(" over %d tests", s.Tests)
	}
	switch s.Correction {
	case CorrectionHolm:
		corr = "Holm–Bonferroni" + over
	case CorrectionBH:
		corr = "Benjamini–Hochberg" + over
	}
	note := fmt.Sprintf("Statistics: median ± %.0f%% CI, Mann-Whitney U at α=%g, %s; change (CI): Hodges–Lehmann with its %.0f%% interval; B/op and allocs/op exact while constant.", 100*s.Confidence, s.Alpha, corr, 100*s.Confidence)
	if s.Procedure != "" && s.Looks > 0 || len(s.Rounds) > 1 {
		note += fmt.Sprintf("\nProcedure: %s; %d look(s) taken, rounds %s.", s.Procedure, s.Looks, intsText(s.Rounds))
	} else if s.Procedure != "" && strings.HasPrefix(s.Procedure, "screen") {
		note += fmt.Sprintf("\nProcedure: %s; no look was needed.", s.Procedure)
	}
	if s.Count > 0 {
		mode := "sequential"
		if s.Interleaved {
			mode = "interleaved"
		}
		if s.Pinned {
			mode += ", pinned to one CPU"
		}
		note += fmt.Sprintf("\nRun: %d samples per side, %s, benchtime %s, cpu %d.", s.Count, mode, s.Benchtime, s.CPU)
	}
	if s.Measure != "" && s.Measure != "time" {
		note += "\nMeasure: " + s.Measure + "."
		for _, n := range s.MeasureNotes {
			note += "\n  " + n
		}
	}
	return note
}

func describeSource(s Source) string {
	parts := []string{dash(s.Label)}
	if s.Commit != "" && s.Commit != s.Label {
		parts = append(parts, shortSHA(s.Commit))
	}
	if s.GoVersion != "" {
		parts = append(parts, s.GoVersion)
	}
	if s.GOOS != "" {
		parts = append(parts, s.GOOS+"/"+s.GOARCH)
	}
	if s.CPU != "" {
		parts = append(parts, s.CPU)
	}
	if s.Date != nil {
		parts = append(parts, s.Date.UTC().Format("2006-01-02 15:04 MST"))
	}
	return strings.Join(parts, " · ")
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func intsText(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, "+")
}

// FormatChange renders a statistical row's change interval,
// "[+29.1%, +30.9%]"; "" for exact rows and rows without one.
func FormatChange(r *Row) string {
	if r.Change == nil || r.Assumption == "exact" {
		return ""
	}
	return intervalText(r.Change)
}

func deltaCell(r Row) string {
	d := FormatDelta(&r)
	if p := FormatP(&r); p != "" {
		return d + " (" + p + ")"
	}
	return d
}

func textVerdict(v RowVerdict) string {
	switch v {
	case Regression, Violation:
		return strings.ToUpper(string(v))
	}
	return string(v)
}

// shortName drops the "Benchmark" prefix, as benchstat does.
func shortName(r Row) string {
	n := strings.TrimPrefix(r.Benchmark, "Benchmark")
	if r.Function != "" {
		n += " [" + r.Function + "]"
	}
	return n
}

// byPackage groups the rows' indices by package, in first-seen order
// (indices, not copies of the rows: a Row is large, and a report may have
// hundreds of thousands).
func byPackage(rows []Row) [][]int {
	var groups [][]int
	idx := map[string]int{}
	for j, r := range rows {
		i, ok := idx[r.Package]
		if !ok {
			i = len(groups)
			idx[r.Package] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], j)
	}
	return groups
}

func lastElem(pkg string) string {
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		return pkg[i+1:]
	}
	return dash(pkg)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// errWriter keeps the first write error so renderers can write freely and
// report it once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, nil
}
