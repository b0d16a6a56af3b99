package gate

import (
	"reflect"
	"strings"
	"testing"
)

func TestPackageLabels(t *testing.T) {
	rows := []Row{{Package: "example.com/a/parse"}, {Package: "example.com/b/parse"}, {Package: "example.com/a/lex"}, {Package: "example.com/a/parse"}}
	want := map[string]string{"example.com/a/parse": "a/parse", "example.com/b/parse": "b/parse", "example.com/a/lex": "lex"}
	if got := packageLabels(rows); !reflect.DeepEqual(got, want) {
		t.Fatalf("labels %v, want %v", got, want)
	}
}

// TestSkippedNeverPass: a report that skipped every package says so, exits
// 0 (nothing the change touches was benchmarked) and counts no row as
// passed; with rows, the skipped count follows the verdict.
func TestSkippedNeverPass(t *testing.T) {
	r := &Report{Schema: SchemaVersion, Skipped: []Skipped{{"m/a", "unaffected: no changed file in it or in its dependencies"}, {"m/b", "in shard 2/2"}}, Selection: "1 changed file(s) affect 0 of 2 package(s)"}
	code, why, err := r.Exit(FailOnUnmeasurable)
	if err != nil || code != ExitPass || !strings.Contains(why, "nothing to gate") {
		t.Fatalf("exit %d %q %v", code, why, err)
	}
	if h := Headline(r); !strings.Contains(h, "nothing to gate") || strings.Contains(h, "passed") {
		t.Fatalf("headline %q", h)
	}
	md := RenderMarkdown(r, MarkdownOptions{})
	for _, want := range []string{"nothing to gate", "2 package(s) skipped", "`m/b`: in shard 2/2"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	r.Results = []Row{{Package: "m/c", Benchmark: "BenchmarkX", Unit: "sec/op", Verdict: RowPass}}
	if h := Headline(r); !strings.Contains(h, "1 passed; 2 package(s) skipped, not judged") {
		t.Fatalf("headline %q", h)
	}
}
