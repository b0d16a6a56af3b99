package github

import (
	"strings"
	"testing"

	"github.com/perfslo/perfslo/gate"
)

// TestNeutralTitleSaysWhy: a suite with undecided rows and no failure is a
// neutral check whose title gives the reason, not a bare count.
func TestNeutralTitleSaysWhy(t *testing.T) {
	rep := &gate.Report{Results: []gate.Row{
		{Benchmark: "BenchmarkA", Unit: "sec/op", Verdict: gate.RowPass},
		{Benchmark: "BenchmarkB", Unit: "sec/op", Verdict: gate.Unmeasurable, Reasons: []string{"undecided: the change's 95% interval [-12%, +19%] reaches beyond the 5% tolerance"}},
	}}
	if c := Conclusion(rep); c != "neutral" {
		t.Fatalf("conclusion %q, want neutral", c)
	}
	got := checkTitle(rep)
	for _, want := range []string{"Undecided, nothing failed", "1 not judged", "too noisy"} {
		if !strings.Contains(got, want) {
			t.Errorf("title %q lacks %q", got, want)
		}
	}
	rep.Results[1].Reasons = []string{"too few samples for the family: with n=3 per side …"}
	if got := checkTitle(rep); !strings.Contains(got, "too few samples") {
		t.Errorf("title %q lacks the few-samples reason", got)
	}
	rep.Results[1].Verdict = gate.RowPass
	if got := checkTitle(rep); strings.Contains(got, "Undecided") {
		t.Errorf("a decided suite's title %q says undecided", got)
	}
}
