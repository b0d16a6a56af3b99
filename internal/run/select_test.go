package run

import (
	"context"
	"reflect"
	"sort"
	"testing"
)

func TestSelectBenchmarksPatterns(t *testing.T) {
	cases := []struct {
		names []string
		want  []string
	}{
		{[]string{"BenchmarkA"}, []string{"^(BenchmarkA)$"}},
		{[]string{"BenchmarkSum/lines=1000", "BenchmarkSum/lines=10000"}, []string{"^(BenchmarkSum)$/^(lines=1000|lines=10000)$"}},
		{[]string{"BenchmarkEncode", "BenchmarkSum/lines=1000"}, []string{"^(BenchmarkEncode)$", "^(BenchmarkSum)$/^(lines=1000)$"}},
		{[]string{"BenchmarkX/a.b+c"}, []string{`^(BenchmarkX)$/^(a\.b\+c)$`}},
	}
	for _, c := range cases {
		if got := SelectBenchmarks(c.names); !reflect.DeepEqual(got, c.want) {
			t.Errorf("SelectBenchmarks(%q) = %q, want %q", c.names, got, c.want)
		}
	}
}

// TestSelectBenchmarksRuns checks the patterns against the testing
// package's real matcher: a top-level benchmark and a sub-benchmark of
// another, and nothing else.
func TestSelectBenchmarksRuns(t *testing.T) {
	_, pkgs := builtFixture(t)
	fast := pkgs["fast"]
	got := map[string]bool{}
	for _, re := range SelectBenchmarks([]string{"BenchmarkSum", "BenchmarkTestdata/n=1"}) {
		out, err := Interleave(context.Background(), Plan{Head: []Package{fast}, Bench: re, Benchtime: "1x", CPU: 1, Rounds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Failures) > 0 {
			t.Fatalf("failures: %+v", out.Failures)
		}
		for _, r := range out.Head {
			got[r.Name.String()] = true
		}
	}
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{"Sum", "Testdata/n=1"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("ran %q, want %q", names, want)
	}
}
