package github

import (
	"strings"
	"testing"
	"unicode"

	"github.com/perfslo/perfslo/gate"
)

// commandLines returns the lines of out that GitHub's runner would read as
// workflow commands: "::" first after white space, or "##[" anywhere.
func commandLines(out string) []string {
	var cmds []string
	for _, line := range strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
			cmds = append(cmds, line)
		}
	}
	return cmds
}

// TestNoWorkflowCommandInjection: a report from a pull request's artifact
// names benchmarks and carries output its author chose. Printed by the
// commenting job, none of it may become a workflow command.
func TestNoWorkflowCommandInjection(t *testing.T) {
	const inject = "\n::error file=go.mod,line=1::forged by the pull request\n  ::add-mask::x\n##[warning]old form"
	r := failingReport(0)
	// Rows without a source location are named in a warning on stderr.
	// A name cannot hold a line break (ParseReport refuses it, see
	// TestStrictReport), but the old command form works mid-line.
	r.Results = append(r.Results, gate.Row{Benchmark: "BenchmarkEvil/##[error]forged ::error::x", Package: "example.com/demo/sum", Unit: "sec/op",
		Verdict: gate.Regression, Significant: true, Base: &gate.Stat{Center: 1, Low: 1, High: 1, N: 10}, Head: &gate.Stat{Center: 2, Low: 2, High: 2, N: 10}})
	r.Failures = append(r.Failures, gate.Failure{Package: "example.com/demo/sum", Benchmark: "BenchmarkCrash", Kind: "panic", Side: "head",
		Output: "panic: boom" + inject + "\n\t::stop-commands::abc"})

	h := newHarness(t, "pull_request", pullRequestOpened(t))
	stdout, stderr, err := h.run(RunConfig{ReportPath: h.writeReport(r), NoComment: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "BenchmarkEvil/#%23[error]forged :%3Aerror:%3Ax") {
		t.Errorf("the warning does not name the row, escaped:\n%s", stderr)
	}
	md, _, err := h.run(RunConfig{ReportPath: h.writeReport(r), MarkdownOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md, "forged by the pull request") {
		t.Errorf("the markdown lost the failure's output:\n%s", md)
	}
	for where, out := range map[string]string{"stdout": stdout, "stderr": stderr, "--markdown-only": md} {
		if cmds := commandLines(out); len(cmds) > 0 {
			t.Errorf("%s has lines the runner reads as workflow commands: %q", where, cmds)
		}
	}
}

func TestEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"50% of\r\nrows":            "50%25 of%0D%0Arows",
		"a::b ##[x] \x1b[31m\u2028": "a:%3Ab #%23[x] %1B[31m%u2028",
		"BenchmarkX/n=1-8\ttab":     "BenchmarkX/n=1-8\ttab",
	} {
		if got := LogSafe(in); got != want {
			t.Errorf("LogSafe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := EscapeData("100%\nok:,"); got != "100%25%0Aok:," {
		t.Errorf("EscapeData = %q", got)
	}
	if got := EscapeProperty("a:b,c%\n"); got != "a%3Ab%2Cc%25%0A" {
		t.Errorf("EscapeProperty = %q", got)
	}
}
