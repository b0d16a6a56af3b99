package budgets

import (
	"strings"
	"testing"
)

const looseBase = `version: 1
run:
  packages: [./...]
  count: 10
tolerance:
  sec/op: 5%
budgets:
  - benchmark: BenchmarkSum/lines=*
    package: ./sum
    operation: sum
    dataset: lines=N
    limits:
      sec/op: 10ns * lines
      B/op: 10KiB
      allocs/op: 0
    tolerance: {sec/op: 3%}
    profile:
      cpu-share: {"regexp.*": 5%}
  - benchmark: BenchmarkCopy
    operation: copy
    dataset: 1 MiB
    limits:
      MB/s: 100MB/s
staging:
  service: demo
  budgets:
    - function: encoding/json.*
      cpu-share: 10%
`

// TestLoosened edits the base config one way at a time and checks what is
// listed: every loosening named once, nothing for a tightening or a
// rewrite that means the same.
func TestLoosened(t *testing.T) {
	cases := []struct {
		name     string
		old, new string // replaced in looseBase for the head
		want     []string
	}{
		{"same", "", "", nil},
		{"project tolerance raised", "  sec/op: 5%\nbudgets", "  sec/op: 50%\nbudgets", []string{"tolerance sec/op: 5% → 50%"}},
		{"project tolerance lowered", "  sec/op: 5%\nbudgets", "  sec/op: 1%\nbudgets", nil},
		{"default tolerance raised", "tolerance:\n", "tolerance:\n  allocs/op: 10%\n", []string{"tolerance allocs/op: 0% → 10%"}},
		{"project tolerance dropped to the default", "tolerance:\n  sec/op: 5%\n", "", nil},
		{"entry tolerance raised", "{sec/op: 3%}", "{sec/op: 30%}", []string{"budget BenchmarkSum/lines=* (package ./sum) at head.yaml:8: tolerance sec/op 3% → 30%"}},
		{"entry tolerance removed", "    tolerance: {sec/op: 3%}\n", "", []string{"tolerance sec/op 3% → 5%"}},
		{"limit larger", "10ns * lines", "20ns * lines", []string{"sec/op limit 10ns × lines → 20ns × lines (larger at lines=1)"}},
		{"limit smaller", "10ns * lines", "5ns * lines", nil},
		{"limit same value in other words", "10ns * lines", "0.01us * lines", nil},
		{"limit larger for small inputs", "10ns * lines", "1us + 9ns * lines", []string{"(larger at lines=1)"}},
		{"limit larger only for huge inputs", "10ns * lines", "1ns * lines * log2(lines)", []string{"(larger at lines=10000)"}},
		{"constant limit larger", "B/op: 10KiB", "B/op: 11KiB", []string{"B/op limit 10KiB → 11KiB (larger)"}},
		{"limit removed", "      allocs/op: 0\n", "", []string{"allocs/op limit removed (was 0)"}},
		{"minimum lowered", "MB/s: 100MB/s", "MB/s: 50MB/s", []string{"budget BenchmarkCopy at head.yaml:19: B/s limit 100MB/s → 50MB/s (smaller)"}},
		{"minimum raised", "MB/s: 100MB/s", "MB/s: 200MB/s", nil},
		{"entry removed", "  - benchmark: BenchmarkCopy\n    operation: copy\n    dataset: 1 MiB\n    limits:\n      MB/s: 100MB/s\n", "", []string{"budget BenchmarkCopy at base.yaml:19: removed (it checked B/s ≤ 100MB/s)"}},
		{"entry's package changed", "    package: ./sum\n", "    package: ./other\n", []string{"budget BenchmarkSum/lines=* (package ./sum) at base.yaml:8: removed (it checked sec/op ≤ 10ns × lines, B/op ≤ 10KiB, allocs/op ≤ 0, function budgets)"}},
		{"pattern spelled without the prefix", "benchmark: BenchmarkCopy", "benchmark: Copy", nil},
		{"function budget raised", `{"regexp.*": 5%}`, `{"regexp.*": 50%}`, []string{"cpu-share budget of functions matching regexp.*: 5% → 50%"}},
		{"function budget removed", "    profile:\n      cpu-share: {\"regexp.*\": 5%}\n", "", []string{"cpu-share budget of functions matching regexp.* removed (was 5%)"}},
		{"shadowing entry added first", "budgets:\n", "budgets:\n  - benchmark: \"*\"\n    operation: all\n    dataset: any\n    limits: {sec/op: 1s}\n", []string{
			"budget BenchmarkSum/lines=* (package ./sum) at head.yaml:12: the new entry budget * at head.yaml:8 comes first and takes its benchmarks",
			"budget BenchmarkCopy at head.yaml:23: the new entry budget * at head.yaml:8 comes first",
		}},
		{"unrelated entry added first", "budgets:\n", "budgets:\n  - benchmark: BenchmarkOther\n    operation: other\n    dataset: any\n    limits: {sec/op: 1s}\n", nil},
		{"package narrowed", "[./...]", "[./cmd]", []string{"run.packages: ./... is no longer measured (now ./cmd)"}},
		{"bench narrowed", "  count: 10\n", "  count: 10\n  bench: Copy\n", []string{`run.bench: "." → "Copy"`}},
		{"fewer samples", "count: 10", "count: 4", []string{"run.count: 10 → 4 samples per side"}},
		{"staging budget raised", "cpu-share: 10%\n", "cpu-share: 20%\n", []string{"staging budget of functions matching encoding/json.*: cpu-share 10% → 20%"}},
	}
	base, err := Parse("base.yaml", []byte(looseBase))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := looseBase
			if c.old != "" {
				if !strings.Contains(src, c.old) {
					t.Fatalf("the base config has no %q", c.old)
				}
				src = strings.Replace(src, c.old, c.new, 1)
			}
			head, err := Parse("head.yaml", []byte(src))
			if err != nil {
				t.Fatalf("head config: %v\n%s", err, src)
			}
			got := Loosened(base, head)
			if len(got) != len(c.want) {
				t.Fatalf("got %d loosening(s), want %d:\n%s", len(got), len(c.want), strings.Join(got, "\n"))
			}
			for i, w := range c.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("loosening %d: %q does not say %q", i, got[i], w)
				}
			}
		})
	}
}

// TestLoosenedDefaults: no perfslo.yaml on either side is the defaults; a
// pull request that deletes the file drops every budget.
func TestLoosenedDefaults(t *testing.T) {
	base, err := Parse("base.yaml", []byte(looseBase))
	if err != nil {
		t.Fatal(err)
	}
	if got := Loosened(nil, nil); len(got) != 0 {
		t.Errorf("defaults against defaults: %q", got)
	}
	joined := strings.Join(Loosened(base, nil), "\n")
	for _, want := range []string{"BenchmarkSum/lines=* (package ./sum) at base.yaml:8: removed", "BenchmarkCopy at base.yaml:19: removed", "staging budget of functions matching encoding/json.* removed"} {
		if !strings.Contains(joined, want) {
			t.Errorf("deleting perfslo.yaml: no %q in\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "tolerance sec/op") {
		t.Errorf("the project's 5%% equals the default 5%%, yet it is listed:\n%s", joined)
	}
	if got := Loosened(nil, base); len(got) != 0 {
		t.Errorf("adding budgets loosens nothing, got %q", got)
	}
}
