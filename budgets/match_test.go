package budgets

import (
	"strings"
	"testing"
)

func TestMatchBenchmark(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		yes, no []string
	}{
		{"BenchmarkSum", []string{"BenchmarkSum"}, []string{"BenchmarkSum/lines=10", "BenchmarkSumFast", "BenchmarkSu"}},
		{"Sum", []string{"BenchmarkSum"}, []string{"BenchmarkSum/lines=10", "Sum"}},
		{"BenchmarkSum/*", []string{"BenchmarkSum/lines=10", "BenchmarkSum/lines=10/cold"}, []string{"BenchmarkSum", "BenchmarkSumFast/x"}},
		{"BenchmarkSum*", []string{"BenchmarkSum", "BenchmarkSumFast", "BenchmarkSum/lines=10", "BenchmarkSumFast/a/b"}, []string{"BenchmarkSu", "BenchmarkParse"}},
		{"Sum/lines=*", []string{"BenchmarkSum/lines=10", "BenchmarkSum/lines=10/cold"}, []string{"BenchmarkSum/size=10", "BenchmarkSum"}},
		{"BenchmarkSum/lines=1?", []string{"BenchmarkSum/lines=10"}, []string{"BenchmarkSum/lines=100", "BenchmarkSum/lines=10/cold"}},
		{"Sum/lines=[0-9]*/cold", []string{"BenchmarkSum/lines=10/cold"}, []string{"BenchmarkSum/lines=10/warm", "BenchmarkSum/lines=x/cold"}},
		{"*", []string{"BenchmarkSum", "BenchmarkSum/lines=10"}, nil},
		{"*Parse*", []string{"BenchmarkParse", "BenchmarkJSONParser/x"}, []string{"BenchmarkSum"}},
	} {
		for _, name := range tc.yes {
			if !matchBenchmark(tc.pattern, name) {
				t.Errorf("%q should match %q", tc.pattern, name)
			}
		}
		for _, name := range tc.no {
			if matchBenchmark(tc.pattern, name) {
				t.Errorf("%q should not match %q", tc.pattern, name)
			}
		}
	}
}

func TestMatchPackage(t *testing.T) {
	for _, tc := range []struct {
		module, pattern string
		yes, no         []string
	}{
		{"", "", []string{"a/b", "x"}, nil},
		{"", "./sum", []string{"github.com/x/examples/sum", "sum"}, []string{"github.com/x/examples/summary", "github.com/x/sum/inner"}},
		{"github.com/x/examples", "./sum", []string{"github.com/x/examples/sum"}, []string{"github.com/y/sum", "github.com/x/examples/a/sum"}},
		{"github.com/x/examples", ".", []string{"github.com/x/examples"}, []string{"github.com/x/examples/sum"}},
		{"", ".", nil, []string{"github.com/x/examples"}},
		{"github.com/x/examples", "./internal/*", []string{"github.com/x/examples/internal/a"}, []string{"github.com/x/examples/internal/a/b", "github.com/x/examples/a"}},
		{"", "./internal/*", []string{"github.com/x/examples/internal/a"}, []string{"github.com/x/examples/a"}},
		{"", "github.com/x/examples/sum", []string{"github.com/x/examples/sum"}, []string{"github.com/x/examples/sum2"}},
		{"", "github.com/x/*/sum", []string{"github.com/x/examples/sum"}, []string{"github.com/x/a/b/sum"}},
	} {
		c := &Config{Module: tc.module}
		for _, pkg := range tc.yes {
			if !c.matchPackage(tc.pattern, pkg) {
				t.Errorf("module %q: package %q should match %q", tc.module, tc.pattern, pkg)
			}
		}
		for _, pkg := range tc.no {
			if c.matchPackage(tc.pattern, pkg) {
				t.Errorf("module %q: package %q should not match %q", tc.module, tc.pattern, pkg)
			}
		}
	}
}

const matchYAML = `version: 1
tolerance: {sec/op: 4%}
budgets:
  - benchmark: Sum/lines=1000
    package: ./sum
    tolerance: {sec/op: 1%}
  - benchmark: BenchmarkSum/*
    package: ./sum
    operation: sum
    dataset: lines
    limits: {sec/op: 10ns * lines}
    tolerance: {sec/op: 3%}
  - benchmark: BenchmarkSum/lines=5
    tolerance: {B/op: 1%}
  - benchmark: BenchmarkGone
    profile:
      cpu-share: {x: 5%}
`

func TestMatchFirstWins(t *testing.T) {
	c, err := Parse("m.yaml", []byte(matchYAML))
	if err != nil {
		t.Fatal(err)
	}
	const sum = "github.com/x/examples/sum"
	for _, tc := range []struct {
		pkg, name string
		line      int // of the matching entry, 0 for none
	}{
		{sum, "BenchmarkSum/lines=1000", 4},
		{sum, "BenchmarkSum/lines=10", 7},
		{sum, "BenchmarkSum", 0},
		{"github.com/x/examples/other", "BenchmarkSum/lines=1000", 0},
		{sum, "BenchmarkSum/lines=5", 7},
		{"other", "BenchmarkSum/lines=5", 13},
	} {
		b := c.Match(tc.pkg, tc.name)
		switch {
		case b == nil && tc.line != 0:
			t.Errorf("Match(%s, %s) = nil, want entry at line %d", tc.pkg, tc.name, tc.line)
		case b != nil && b.Line != tc.line:
			t.Errorf("Match(%s, %s) = entry at line %d, want %d", tc.pkg, tc.name, b.Line, tc.line)
		}
	}
	b := c.Match(sum, "BenchmarkSum/lines=10")
	for unit, want := range map[string]float64{"sec/op": 0.03, "ns/op": 0.03, "B/op": 0, "custom/op": 0.05} {
		if got := c.ToleranceFor(b, unit); got != want {
			t.Errorf("ToleranceFor(entry, %s) = %g, want %g", unit, got, want)
		}
	}
	if got := c.ToleranceFor(nil, "sec/op"); got != 0.04 {
		t.Errorf("project tolerance = %g, want 0.04", got)
	}

	un := c.Unmatched([]BenchmarkID{
		{Package: sum, Name: "BenchmarkSum/lines=1000"},
		{Package: sum, Name: "BenchmarkSum/lines=5"},
		{Package: sum, Name: "BenchmarkSum/lines=10"},
	})
	var got []string
	for _, e := range un {
		got = append(got, e.Error())
	}
	want := []string{
		"m.yaml:13:5: budget BenchmarkSum/lines=5 never applies: every benchmark it matches is claimed first by the entry at line 7 (BenchmarkSum/*); its limits check nothing",
		"m.yaml:15:5: budget BenchmarkGone matches no benchmark; its limits and profile budgets check nothing",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Unmatched:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
