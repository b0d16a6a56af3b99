package gate

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func mdF64(v float64) *float64 { return &v }

// mdSources are the sides of a typical interleaved run.
func mdSources() (Source, Source) {
	date := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	base := Source{Label: "base", Ref: "origin/main", Commit: "4f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
		Machine: Machine{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", CPU: "AMD EPYC 7763 64-Core Processor"}, Date: &date}
	head := Source{Label: "head", Ref: "HEAD", Commit: "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807",
		Machine: Machine{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", CPU: "AMD EPYC 7763 64-Core Processor"}}
	return base, head
}

func mdSettings() Settings {
	return Settings{Alpha: 0.05, Confidence: 0.95, Correction: "holm", Tests: 6, Count: 10,
		Benchtime: "100ms", CPU: 1, Interleaved: true, Config: "perfslo.yaml"}
}

func mdPassingReport() *Report {
	base, head := mdSources()
	return &Report{
		Schema: SchemaVersion, Base: base, Head: head, Settings: mdSettings(),
		Results: []Row{
			{Benchmark: "BenchmarkSum/lines=1000", Package: "example.com/sum", Unit: "sec/op",
				Base: &Stat{Center: 8.1e-6, Low: 8.0e-6, High: 8.3e-6, N: 10}, Head: &Stat{Center: 8.15e-6, Low: 8.0e-6, High: 8.4e-6, N: 10},
				Delta: mdF64(0.0062), P: mdF64(0.43), PAdjusted: mdF64(1), Tolerance: 0.05, Assumption: "nothing", Verdict: RowPass,
				Budget: &BudgetResult{Limit: 10e-6, Expr: "10ns * lines", Kind: "max", Headroom: 0.185,
					Operation: "sum the integers of a file, one per line", Dataset: "lines=N random 8-digit integers", Config: "perfslo.yaml:12:5"}},
			{Benchmark: "BenchmarkSum/lines=1000", Package: "example.com/sum", Unit: "allocs/op",
				Base: &Stat{Center: 3, Low: 3, High: 3, N: 10}, Head: &Stat{Center: 0, Low: 0, High: 0, N: 10},
				Delta: mdF64(-1), P: mdF64(0), Significant: true, Assumption: "exact", Verdict: Improvement,
				Budget: &BudgetResult{Limit: 0, Expr: "0", Kind: "max", Headroom: 0, Operation: "sum the integers of a file, one per line", Dataset: "lines=N random 8-digit integers"}},
			{Benchmark: "BenchmarkParse", Package: "example.com/sum", Unit: "B/op",
				Base: &Stat{Center: 4096, Low: 4096, High: 4096, N: 10}, Head: &Stat{Center: 4096, Low: 4096, High: 4096, N: 10},
				Delta: mdF64(0), P: mdF64(1), Assumption: "exact", Verdict: RowPass},
		},
	}
}

func mdFailingReport() *Report {
	base, head := mdSources()
	head.CPU = "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz"
	return &Report{
		Schema: SchemaVersion, Base: base, Head: head, Settings: mdSettings(),
		Warnings: []string{"base and head ran on different CPUs: <compare with care>"},
		Results: []Row{
			{Benchmark: "BenchmarkSum/lines=1000", Package: "example.com/sum", Unit: "sec/op",
				Base: &Stat{Center: 8.1e-6, Low: 8.0e-6, High: 8.3e-6, N: 10}, Head: &Stat{Center: 9.72e-6, Low: 9.6e-6, High: 9.9e-6, N: 10},
				Delta: mdF64(0.2), P: mdF64(0.000183), PAdjusted: mdF64(0.0011), Significant: true, Tolerance: 0.03, Assumption: "nothing",
				Verdict: Regression, Reasons: []string{"+20.00% > tolerance 3%"},
				Budget: &BudgetResult{Limit: 10e-6, Expr: "10ns * lines", Kind: "max", Headroom: 0.028,
					Operation: "sum the integers of a file, one per line", Dataset: "lines=N random 8-digit integers", Config: "perfslo.yaml:12:5"},
				Source: &Location{File: "sum/sum_test.go", Line: 21},
				Attribution: &Attribution{Unit: "ns/op", Total: 1620, Command: "go tool pprof -http=: -diff_base base.cpu.pprof head.cpu.pprof",
					DiffProfile: ".perfslo/profiles/BenchmarkSum_lines=1000.diff.pprof",
					Functions: []FunctionDelta{
						{Function: "strconv.ParseInt", Flat: 1100, Cum: 1150, Share: 0.68, StagingShare: mdF64(0.12), ServiceImpact: mdF64(0.027)},
						{Function: "bufio.(*Scanner).Scan", Flat: 400, Cum: 520, Share: 0.25},
						{Function: "example.com/sum.Sum[...]", Flat: 120, Cum: 1620, Share: 0.07},
					},
					Labels: []LabelDelta{
						{Key: "phase", Value: "parse", Total: 1500, Share: 0.93, Top: "strconv.ParseInt"},
						{Key: "phase", Value: "", Total: 120, Share: 0.07, Top: "runtime.mallocgc"},
					}}},
			{Benchmark: "BenchmarkSum/lines=1000", Package: "example.com/sum", Unit: "B/op",
				Base: &Stat{Center: 4096, Low: 4096, High: 4096, N: 10}, Head: &Stat{Center: 16384, Low: 16384, High: 16384, N: 10},
				Delta: mdF64(3), P: mdF64(0), Significant: true, Assumption: "exact", Verdict: Violation,
				Reasons: []string{"16.00Ki over the limit 10.38Ki"},
				Budget: &BudgetResult{Limit: 10640, Expr: "10KiB + 0.4 * lines", Kind: "max", Headroom: -0.54,
					Operation: "sum the integers of a file, one per line", Dataset: "lines=N random 8-digit integers", Config: "perfslo.yaml:14:7"}},
			{Benchmark: "BenchmarkTable|pipe<b>", Package: "example.com/other", Unit: "sec/op",
				Base: &Stat{Center: 1.2e-3, Low: 0.6e-3, High: 2.9e-3, N: 4}, Head: &Stat{Center: 1.3e-3, Low: 0.5e-3, High: 3.1e-3, N: 4},
				Delta: mdF64(0.083), P: mdF64(0.69), Assumption: "nothing", Verdict: Unmeasurable,
				Reasons: []string{"too few samples (n=4) for α=0.05"}, Warnings: []string{"±140% noise"}},
			{Benchmark: "BenchmarkParse", Package: "example.com/sum", Unit: "sec/op",
				Base: &Stat{Center: 2.5e-7, Low: 2.4e-7, High: 2.6e-7, N: 10}, Head: &Stat{Center: 2.0e-7, Low: 1.9e-7, High: 2.1e-7, N: 10},
				Delta: mdF64(-0.2), P: mdF64(0.000183), PAdjusted: mdF64(0.0009), Significant: true, Assumption: "nothing", Verdict: Improvement},
		},
		Failures: []Failure{{Package: "example.com/broken", Side: "head", Kind: "build",
			Output: "# example.com/broken [example.com/broken.test]\n./broken_test.go:9:2: undefined: sum.Summ\n```not a fence end"}},
	}
}

func TestMarkdownGolden(t *testing.T) {
	cases := []struct {
		name string
		r    *Report
		opt  MarkdownOptions
	}{
		{"passing", mdPassingReport(), MarkdownOptions{}},
		{"failing", mdFailingReport(), MarkdownOptions{Marker: "<!-- perfslo:gate=api -->", Title: "perfslo: api"}},
		{"empty", &Report{Schema: SchemaVersion, Base: Source{Label: "base"}, Head: Source{Label: "head"}}, MarkdownOptions{}},
		{"history", mdHistoryReport(t), MarkdownOptions{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteMarkdown(&b, c.r, c.opt); err != nil {
				t.Fatal(err)
			}
			got := b.String()
			checkMarkdownStructure(t, got)
			path := filepath.Join("testdata", "markdown", c.name+".md")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./gate -run Markdown -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file; run with -update and review the diff.\ngot:\n%s", path, got)
			}
		})
	}
}

// TestMarkdownContent pins what a reader must find, independent of layout.
func TestMarkdownContent(t *testing.T) {
	got := RenderMarkdown(mdFailingReport(), MarkdownOptions{Marker: "<!-- perfslo:gate=api -->"})
	for _, want := range []string{
		"<!-- perfslo:gate=api -->\n❌ **Fail**",                       // marker, then the verdict first
		"1 regression, 1 budget violation, 1 failure, 1 unmeasurable", // counts
		"≤ 10.00µ (3% headroom)",                                      // gate.FormatHeadroom
		"BenchmarkTable\\|pipe&lt;b&gt;",                              // | and HTML escaped
		"```mermaid\nxychart-beta",                                    // the chart
		"strconv.ParseInt",                                            // attribution
		"| phase=parse | +1.500µs | 93% | strconv.ParseInt |",         // attribution by pprof label
		"go tool pprof -http=: -diff_base base.cpu.pprof head.cpu.pprof",
		"12.0%",                        // staging share
		"undefined: sum.Summ",          // failure output
		"4f2a9c1d8e7b", "9e8d7c6b5a4f", // SHAs
		"count=10", "benchtime=100ms", "α=0.05", "holm", // settings
		"linux/amd64", "go1.26.8",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if strings.Contains(got, "<b>") {
		t.Error("markdown passes raw HTML from a benchmark name through")
	}
	if i, j := strings.Index(got, "#### Failing"), strings.Index(got, "<details><summary>1 passing"); i < 0 || j < 0 || i > j {
		t.Errorf("failing rows must come before the collapsed passing ones (failing at %d, passing at %d)", i, j)
	}
}

func TestMarkdownChartCapped(t *testing.T) {
	r := mdBigReport(40, 40)
	got := RenderMarkdown(r, MarkdownOptions{})
	m := regexp.MustCompile(`(?m)^    bar \[(.*)\]$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatal("no bar series in the chart")
	}
	if n := len(strings.Split(m[1], ",")); n != maxChartBars {
		t.Errorf("chart has %d bars, want %d", n, maxChartBars)
	}
}

// mdBigReport has n benchmarks, the first failing ones regressed.
func mdBigReport(n, failing int) *Report {
	base, head := mdSources()
	r := &Report{Schema: SchemaVersion, Base: base, Head: head, Settings: mdSettings()}
	for i := 0; i < n; i++ {
		row := Row{Benchmark: fmt.Sprintf("BenchmarkHandler/route=/api/v1/resource%03d/items/{id}/details", i),
			Package: fmt.Sprintf("example.com/service/internal/handlers/group%02d", i%7), Unit: "sec/op",
			Base:  &Stat{Center: 1e-6 * float64(i+1), Low: 0.98e-6 * float64(i+1), High: 1.02e-6 * float64(i+1), N: 10},
			Head:  &Stat{Center: 1.01e-6 * float64(i+1), Low: 0.99e-6 * float64(i+1), High: 1.03e-6 * float64(i+1), N: 10},
			Delta: mdF64(0.01), P: mdF64(0.3), Assumption: "nothing", Verdict: RowPass,
			Budget: &BudgetResult{Limit: 2e-6 * float64(i+1), Expr: "2µs * n", Kind: "max", Headroom: 0.49,
				Operation: "serve one request for a resource's details", Dataset: "n items per resource, synthetic fixture"}}
		if i < failing {
			row.Verdict = Regression
			row.Significant = true
			row.Delta = mdF64(0.1 + float64(i)/100)
			row.P = mdF64(0.0002)
			row.Reasons = []string{"significant and over the 5% tolerance"}
			row.Attribution = &Attribution{Unit: "ns/op", Total: 100, Command: "go tool pprof -http=: -diff_base a.pprof b.pprof",
				Functions: []FunctionDelta{{Function: "encoding/json.(*decodeState).object", Flat: 80, Cum: 90, Share: 0.8}}}
		}
		r.Results = append(r.Results, row)
	}
	return r
}

func TestMarkdownCap(t *testing.T) {
	const limit = 65536
	r := mdBigReport(200, 150)
	full := RenderMarkdown(r, MarkdownOptions{})
	if len(full) <= limit {
		t.Fatalf("the 200-benchmark report is only %d bytes uncapped: the test would not exercise the cap", len(full))
	}
	got := RenderMarkdown(r, MarkdownOptions{MaxLen: limit, Marker: "<!-- perfslo:gate=default -->"})
	if len(got) > limit {
		t.Fatalf("capped markdown is %d bytes, over %d", len(got), limit)
	}
	if len(got) < limit/2 {
		t.Errorf("capped markdown is %d bytes: the cap wastes most of the room", len(got))
	}
	if !strings.Contains(got, DefaultTruncatedNote) {
		t.Error("capped markdown lacks the truncation line")
	}
	if !strings.HasPrefix(got, "<!-- perfslo:gate=default -->\n❌ **Fail**: 150 regressions") {
		t.Errorf("capped markdown does not start with the marker and verdict: %.100q", got)
	}
	if !strings.Contains(got, "\n---\n<sub>base: base") {
		t.Error("capped markdown lost its footer")
	}
	checkMarkdownStructure(t, got)

	// A custom note, and small caps that cut inside each kind of section.
	for _, max := range []int{1500, 3000, 5000, 9000, 20000} {
		got := RenderMarkdown(r, MarkdownOptions{MaxLen: max, TruncatedNote: "cut: see the artifact"})
		if len(got) > max {
			t.Errorf("MaxLen %d: got %d bytes", max, len(got))
		}
		if !strings.Contains(got, "cut: see the artifact") {
			t.Errorf("MaxLen %d: no truncation note", max)
		}
		checkMarkdownStructure(t, got)
	}
	if got := RenderMarkdown(mdPassingReport(), MarkdownOptions{MaxLen: limit}); strings.Contains(got, DefaultTruncatedNote) {
		t.Error("a small report under the cap says it was truncated")
	}
}

// checkMarkdownStructure asserts that every table row has its header's
// column count, code fences and <details> are closed.
func checkMarkdownStructure(t *testing.T, md string) {
	t.Helper()
	if n, m := strings.Count(md, "<details>"), strings.Count(md, "</details>"); n != m {
		t.Errorf("%d <details> but %d </details>", n, m)
	}
	var fence string
	cols := -1
	unescapedPipes := regexp.MustCompile(`(^|[^\\])\|`)
	for i, line := range strings.Split(md, "\n") {
		if fence != "" {
			if line == fence {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(line, "```") {
			fence = strings.TrimRight(line, "abcdefghijklmnopqrstuvwxyz")
			continue
		}
		if !strings.HasPrefix(line, "|") {
			cols = -1
			continue
		}
		n := len(unescapedPipes.FindAllString(line, -1))
		if strings.HasPrefix(line, "||") {
			n++
		}
		if cols < 0 {
			cols = n
		} else if n != cols {
			t.Errorf("line %d has %d cells, its table %d: %q", i+1, n-1, cols-1, line)
		}
	}
	if fence != "" {
		t.Errorf("code fence %q not closed", fence)
	}
}
