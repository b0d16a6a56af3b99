package run

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
)

// counts returns the number of samples per full benchmark name.
func counts(rs []*benchfmt.Result) map[string]int {
	m := map[string]int{}
	for _, r := range rs {
		m["Benchmark"+r.Name.String()]++
	}
	return m
}

func TestInterleaveABBA(t *testing.T) {
	_, pkgs := builtFixture(t)
	fast := pkgs["fast"]
	var progress bytes.Buffer
	out, err := Interleave(context.Background(), Plan{
		Base: []Package{fast}, Head: []Package{fast},
		Benchtime: "100x", CPU: 1, Rounds: 3, Timeout: time.Minute,
		Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Failures) > 0 {
		t.Fatalf("unexpected failures: %+v", out.Failures)
	}

	var order []string
	for _, l := range out.Load {
		order = append(order, fmt.Sprintf("%d%s", l.Round, l.Side))
	}
	if got, want := strings.Join(order, " "), "1base 1head 2head 2base 3base 3head"; got != want {
		t.Errorf("order = %s, want %s", got, want)
	}

	want := map[string]int{"BenchmarkSum": 3, "BenchmarkAlloc": 3, "BenchmarkTestdata/n=1": 3}
	for side, rs := range map[string][]*benchfmt.Result{"base": out.Base, "head": out.Head} {
		if got := counts(rs); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s samples = %v, want %v", side, got, want)
		}
		for _, r := range rs {
			if pkg := r.GetConfig("pkg"); pkg != "example.com/bench/fast" {
				t.Errorf("%s %s pkg = %q", side, r.Name, pkg)
			}
			if r.Iters != 100 {
				t.Errorf("%s %s iters = %d, want 100 (-benchtime 100x)", side, r.Name, r.Iters)
			}
			if r.Name.String() == "Alloc" {
				if v, _ := r.Value("allocs/op"); v != 1 {
					t.Errorf("BenchmarkAlloc allocs/op = %v, want 1 (-benchmem)", v)
				}
				if v, _ := r.Value("B/op"); v < 64 {
					t.Errorf("BenchmarkAlloc B/op = %v, want >= 64", v)
				}
			}
		}
	}

	// The text form reads back to the same samples, with its headers.
	for side, text := range map[string][]byte{"base": out.BaseText, "head": out.HeadText} {
		if !bytes.Contains(text, []byte("pkg: example.com/bench/fast\n")) || !bytes.Contains(text, []byte("goos: ")) {
			t.Errorf("%s text lacks headers:\n%s", side, text)
		}
		r := benchfmt.NewReader(bytes.NewReader(text), side)
		n := 0
		for r.Scan() {
			if _, ok := r.Result().(*benchfmt.Result); !ok {
				t.Errorf("%s text: unexpected record %v", side, r.Result())
			}
			n++
		}
		if n != 9 {
			t.Errorf("%s text has %d results, want 9", side, n)
		}
	}

	t.Logf("progress:\n%s", progress.String())
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	if len(lines) != 7 {
		t.Errorf("progress has %d lines, want 6 + summary:\n%s", len(lines), progress.String())
	}
	if !strings.Contains(progress.String(), "round 2/3 head example.com/bench/fast elapsed ") ||
		!strings.Contains(progress.String(), " ETA ") {
		t.Errorf("progress lacks round/side/package/ETA:\n%s", progress.String())
	}
	if len(out.Load) == 6 && out.Load[0].Measured && out.Load[0].Wall <= 0 {
		t.Errorf("load sample without wall time: %+v", out.Load[0])
	}
}

func findFailure(fs []Failure, pkg, bench string) *Failure {
	for i := range fs {
		if strings.HasSuffix(fs[i].Package, "/"+pkg) && fs[i].Benchmark == bench {
			return &fs[i]
		}
	}
	return nil
}

func TestInterleaveFailures(t *testing.T) {
	_, pkgs := builtFixture(t)
	out, err := Interleave(context.Background(), Plan{
		Head:      []Package{pkgs["fails"], pkgs["panics"]},
		Benchtime: "100x", CPU: 2, Rounds: 2, Timeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range out.Failures {
		t.Logf("%s %s %s %s:\n%s", f.Side, f.Package, f.Kind, f.Benchmark, f.Output)
		if f.Side != SideHead {
			t.Errorf("failure on side %q: %+v", f.Side, f)
		}
	}
	tests := []struct {
		pkg, bench, kind string
		output           []string
	}{
		{"fails", "BenchmarkFatal", "fail", []string{"--- FAIL: BenchmarkFatal", "boom fatal"}},
		{"fails", "BenchmarkSubFail/case=1", "fail", []string{"sub boom at N="}},
		{"panics", "BenchmarkPanic", "panic", []string{"panic: boom panic", "panics_test.go:", "not rerun in round 2 after this panic"}},
	}
	for _, tt := range tests {
		f := findFailure(out.Failures, tt.pkg, tt.bench)
		if f == nil {
			t.Errorf("no failure for %s %s in %+v", tt.pkg, tt.bench, out.Failures)
			continue
		}
		if f.Kind != tt.kind {
			t.Errorf("%s kind = %q, want %q", tt.bench, f.Kind, tt.kind)
		}
		for _, w := range tt.output {
			if !strings.Contains(f.Output, w) {
				t.Errorf("%s output lacks %q:\n%s", tt.bench, w, f.Output)
			}
		}
	}
	if len(out.Failures) != len(tests) {
		t.Errorf("got %d failures, want %d (each once, parent of a failed sub-benchmark not listed): %+v",
			len(out.Failures), len(tests), out.Failures)
	}

	// fails keeps running (its other benchmarks still give samples); panics
	// is not rerun after crashing in round 1.
	got := counts(out.Head)
	want := map[string]int{"BenchmarkOK-2": 2, "BenchmarkBefore-2": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("samples = %v, want %v", got, want)
	}
	if len(out.Base) != 0 || len(out.BaseText) != 0 {
		t.Errorf("head-only plan produced base results: %d", len(out.Base))
	}
	var order []string
	for _, l := range out.Load {
		order = append(order, fmt.Sprintf("%d%s/%s", l.Round, l.Side, filepath.Base(l.Package)))
	}
	if got, want := strings.Join(order, " "), "1head/fails 1head/panics 2head/fails"; got != want {
		t.Errorf("order = %s, want %s", got, want)
	}
}

func TestInterleaveTimeout(t *testing.T) {
	_, pkgs := builtFixture(t)
	out, err := Interleave(context.Background(), Plan{
		Head: []Package{pkgs["slow"]}, Rounds: 1, Timeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Failures) != 1 {
		t.Fatalf("failures = %+v, want one timeout", out.Failures)
	}
	f := out.Failures[0]
	if f.Kind != "timeout" || f.Benchmark != "BenchmarkSleep" || !strings.Contains(f.Output, "test timed out after 1s") || !strings.Contains(f.Output, "slow_test.go:") {
		t.Errorf("failure = %+v, want a timeout of BenchmarkSleep", f)
	}
}
