package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/perfslo/perfslo/internal/atomicfile"
)

// cell aggregates the runs of one mode × effect × variant.
type cell struct {
	runs               int
	injected, detected int
	falseRuns          int // runs with at least one control flagged
	unmeasurable       int
	seconds, confirm   float64
	otherCPU           float64
}

// writeReports rewrites results.md and power.svg from runs.jsonl and prints
// the markdown.
func writeReports(dir string, stdout io.Writer) error {
	data, err := os.ReadFile(filepath.Join(dir, "settings.json"))
	if err != nil {
		return fmt.Errorf("no results in %s yet: %w", dir, err)
	}
	var s Settings
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("%s/settings.json: %v", dir, err)
	}
	recs, err := readRecords(dir)
	if err != nil {
		return err
	}
	cells := map[[3]string]*cell{}
	// byBench counts the final variant's injected and detected rows per
	// mode × effect × benchmark.
	byBench := map[[3]string][2]int{}
	final := finalVariant(s)
	for _, r := range recs {
		for b, n := range r.Variants[final].ByBenchmark {
			k := [3]string{r.Mode, r.Effect, b}
			c := byBench[k]
			byBench[k] = [2]int{c[0] + n[0], c[1] + n[1]}
		}
		for v, sc := range r.Variants {
			k := [3]string{r.Mode, r.Effect, v}
			c := cells[k]
			if c == nil {
				c = &cell{}
				cells[k] = c
			}
			c.runs++
			c.injected += sc.Injected
			c.detected += sc.Detected
			c.unmeasurable += sc.Unmeasurable
			if sc.ControlFlags > 0 {
				c.falseRuns++
			}
			c.seconds += r.Seconds
			c.confirm += r.ConfirmSeconds
			c.otherCPU += r.OtherCPU
		}
	}
	var md bytes.Buffer
	markdown(&md, s, cells, len(recs))
	perBenchmark(&md, s, byBench)
	if err := atomicfile.WriteBytes(filepath.Join(dir, "results.md"), md.Bytes()); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, "power.svg"), plot(s, cells)); err != nil {
		return err
	}
	_, err = stdout.Write(md.Bytes())
	return err
}

// prop formats k of n with a 95% Wilson interval.
func prop(k, n int) string {
	if n == 0 {
		return "—"
	}
	lo, hi := wilson(k, n)
	return fmt.Sprintf("%d/%d %s [%s–%s]", k, n, pc(float64(k)/float64(n)), pc(lo), pc(hi))
}

func pc(f float64) string {
	s := strconv.FormatFloat(100*f, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + "%"
}

// wilson is the 95% Wilson score interval of a proportion.
func wilson(k, n int) (float64, float64) {
	const z = 1.959964
	p, nf := float64(k)/float64(n), float64(n)
	d := 1 + z*z/nf
	c := (p + z*z/(2*nf)) / d
	h := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / d
	return math.Max(0, c-h), math.Min(1, c+h)
}

func markdown(w io.Writer, s Settings, cells map[[3]string]*cell, total int) {
	final := finalVariant(s)
	fmt.Fprintf(w, "# How much can you trust a verdict? (bench/power)\n\n")
	pinned := ", processes unpinned"
	if s.Pin {
		pinned = ", each process pinned to one CPU"
	}
	fmt.Fprintf(w, "Suite: `%s` in `%s`, `-bench %s`, benchtime %s, %d samples per side, cpu %d%s; "+
		"regression injected at link time into %s; gate tolerance sec/op %s (B/op, allocs/op 0), α %g family-wise; "+
		"confirmation: %d more rounds of flagged benchmarks; stored baseline re-measured every %d repetitions. "+
		"%d gate runs on %s (%d cores).\n\n",
		strings.Join(s.Packages, " "), s.Examples, s.Bench, s.Benchtime, s.Count, s.CPU, pinned, s.Sites, pc(s.Tolerance), s.Alpha,
		s.Confirm, s.BaselineEvery, total, cpuModel(), runtime.NumCPU())

	var work []string // numeric effects > 0, ascending
	hasZero, hasAlloc := false, false
	for _, e := range s.Effects {
		switch e {
		case "0":
			hasZero = true
		case "alloc":
			hasAlloc = true
		default:
			work = append(work, e)
		}
	}
	sort.Slice(work, func(i, j int) bool { return num(work[i]) < num(work[j]) })

	fmt.Fprintf(w, "## The verdicts perfslo gives (%s)\n\n", variantName(final))
	fmt.Fprintf(w, "Detection rate: injected rows flagged, of all injected rows (the sec/op rows of the injected sites' benchmarks for time; "+
		"their allocs/op and B/op rows for +1 alloc). False alarms: gate runs in which any row that did not change was flagged. "+
		"[95%% Wilson interval].\n\n")
	fmt.Fprint(w, "| mode | runs/cell |")
	for _, e := range work {
		fmt.Fprintf(w, " detected %s |", effectLabel(e))
	}
	if hasAlloc {
		fmt.Fprint(w, " detected +1 alloc/op |")
	}
	if hasZero {
		fmt.Fprint(w, " false alarms, 0% suite |")
	}
	fmt.Fprint(w, " false alarms, all cells | gate time/run |\n|---|---|")
	for range len(work) + b2i(hasAlloc) + b2i(hasZero) + 2 {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	for _, m := range s.Modes {
		runs := 0
		var all cell
		for _, e := range s.Effects {
			if c := cells[[3]string{m, e, final}]; c != nil {
				runs = max(runs, c.runs)
				all.runs += c.runs
				all.falseRuns += c.falseRuns
				all.seconds += c.seconds
			}
		}
		fmt.Fprintf(w, "| %s | %d |", m, runs)
		for _, e := range append(append([]string(nil), work...), allocIf(hasAlloc)...) {
			c := cells[[3]string{m, e, final}]
			if c == nil {
				fmt.Fprint(w, " — |")
				continue
			}
			fmt.Fprintf(w, " %s |", prop(c.detected, c.injected))
		}
		if hasZero {
			if c := cells[[3]string{m, "0", final}]; c != nil {
				fmt.Fprintf(w, " %s |", prop(c.falseRuns, c.runs))
			} else {
				fmt.Fprint(w, " — |")
			}
		}
		secs := "—"
		if all.runs > 0 {
			secs = fmt.Sprintf("%.1fs", all.seconds/float64(all.runs))
		}
		fmt.Fprintf(w, " %s | %s |\n", prop(all.falseRuns, all.runs), secs)
	}

	fmt.Fprintf(w, "\n## Every variant: perfslo's procedure, the Holm procedure before it, benchstat's per-row test\n\n")
	fmt.Fprintln(w, "| mode | effect | runs | variant | detected | runs with a false alarm | injected rows unmeasurable | time/run (of which confirmation) | other CPU (cores) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, m := range s.Modes {
		for _, e := range s.Effects {
			for _, v := range []string{"perfslo", "before", "none"} {
				c := cells[[3]string{m, e, v}]
				if c == nil {
					continue
				}
				det := "—"
				if e != "0" {
					det = prop(c.detected, c.injected)
				}
				n := float64(c.runs)
				fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %d | %.1fs (%.1fs) | %.2f |\n", m, effectLabel(e), c.runs, variantName(v),
					det, prop(c.falseRuns, c.runs), c.unmeasurable, c.seconds/n, c.confirm/n, c.otherCPU/n)
			}
		}
	}
	fmt.Fprintf(w, "\nReproduce: `go run ./bench/power -r R` with the settings above (see `go run ./bench/power -h`); "+
		"results accumulate in runs.jsonl and a rerun resumes.\n")
}

func variantName(v string) string {
	switch v {
	case "perfslo":
		return "perfslo: screen, BH looks"
	case "before":
		return "before: Holm + one confirmation"
	case "none":
		return "no correction, first pass only (benchstat)"
	}
	return v
}

func allocIf(b bool) []string {
	if b {
		return []string{"alloc"}
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func num(e string) float64 {
	f, _ := strconv.ParseFloat(e, 64)
	return f
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// plot draws power against the injected time effect, one line per mode, for
// the final verdicts; at 0% it plots the false-alarm rate (the probability
// of flagging when nothing changed).
func plot(s Settings, cells map[[3]string]*cell) []byte {
	const W, H, left, right, top, bottom = 640.0, 400.0, 60.0, 170.0, 40.0, 50.0
	final := finalVariant(s)
	var xs []string
	for _, e := range s.Effects {
		if e != "alloc" {
			xs = append(xs, e)
		}
	}
	sort.Slice(xs, func(i, j int) bool { return num(xs[i]) < num(xs[j]) })
	xmax := 1.0
	for _, e := range xs {
		xmax = math.Max(xmax, num(e))
	}
	px := func(x float64) float64 { return left + x/xmax*(W-left-right) }
	py := func(y float64) float64 { return top + (1-y)*(H-top-bottom) }
	esc := func(t string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(t))
		return b.String()
	}
	colors := map[string]string{modeStored: "#d62728", modeSequential: "#ff7f0e", modeInterleaved: "#1f77b4"}

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", W, H, W, H)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%g" y="22" font-size="14">%s</text>`+"\n", left, esc(fmt.Sprintf("Detection rate vs injected slowdown (%s, %d samples/side, benchtime %s)", variantName(final), s.Count, s.Benchtime)))
	for _, y := range []float64{0, 0.25, 0.5, 0.75, 0.95, 1} {
		dash := ""
		if y == 0.95 {
			dash = ` stroke-dasharray="4 3"`
		}
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#ddd"%s/>`+"\n", left, py(y), W-right, py(y), dash)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, py(y)+4, pc(y))
	}
	for _, e := range xs {
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%s%%</text>`+"\n", px(num(e)), H-bottom+18, esc(e))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">injected extra work (0%%: false-alarm rate of the unchanged suite)</text>`+"\n", (left+W-right)/2, H-12)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/><line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n",
		left, top, left, H-bottom, left, H-bottom, W-right, H-bottom)
	for i, m := range s.Modes {
		var pts []string
		for _, e := range xs {
			c := cells[[3]string{m, e, final}]
			if c == nil || c.runs == 0 {
				continue
			}
			y := 0.0
			if e == "0" {
				y = float64(c.falseRuns) / float64(c.runs)
			} else if c.injected > 0 {
				y = float64(c.detected) / float64(c.injected)
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(num(e)), py(y)))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`+"\n", px(num(e)), py(y), colors[m])
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), colors[m])
		}
		ly := top + 20 + float64(i)*20
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"/><text x="%g" y="%g">%s</text>`+"\n",
			W-right+12, ly, W-right+32, ly, colors[m], W-right+38, ly+4, esc(m))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" fill="#666">dashed: 95%%</text>`+"\n", W-right+12, top+20+float64(len(s.Modes))*20+10)
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// perBenchmark writes the final variant's detection rate per benchmark:
// noise differs by an order of magnitude between a CPU-bound benchmark and
// one that allocates or makes syscalls, and so does power.
func perBenchmark(w io.Writer, s Settings, byBench map[[3]string][2]int) {
	if len(byBench) == 0 {
		return
	}
	var effects, benches []string
	seenE, seenB := map[string]bool{}, map[string]bool{}
	for k := range byBench {
		if !seenE[k[1]] {
			seenE[k[1]] = true
			effects = append(effects, k[1])
		}
		if !seenB[k[2]] {
			seenB[k[2]] = true
			benches = append(benches, k[2])
		}
	}
	sort.Slice(effects, func(i, j int) bool { return effectOrder(effects[i]) < effectOrder(effects[j]) })
	sort.Strings(benches)
	fmt.Fprintf(w, "\n## Detection per benchmark (%s)\n\n| mode | benchmark |", variantName(finalVariant(s)))
	for _, e := range effects {
		fmt.Fprintf(w, " %s |", effectLabel(e))
	}
	fmt.Fprint(w, "\n|---|---|")
	for range effects {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	for _, mode := range s.Modes {
		for _, b := range benches {
			fmt.Fprintf(w, "| %s | %s |", mode, b)
			for _, e := range effects {
				n := byBench[[3]string{mode, e, b}]
				fmt.Fprintf(w, " %s |", prop(n[1], n[0]))
			}
			fmt.Fprintln(w)
		}
	}
}

// effectOrder sorts effects: numeric work ascending, then alloc.
func effectOrder(e string) float64 {
	if e == "alloc" {
		return math.Inf(1)
	}
	return num(e)
}
