package gate

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"golang.org/x/perf/benchfmt"
)

// fuzzConfig has a budget of every kind the gate evaluates on samples: an
// expression over a sub-benchmark parameter, a throughput floor, exact
// counts, and per-entry tolerances.
const fuzzConfig = `version: 1
tolerance: {sec/op: 5%, B/op: 0, allocs/op: 0}
budgets:
  - benchmark: BenchmarkSum/lines=*
    operation: sum
    dataset: lines
    limits: {sec/op: 30µs + 60ns * lines, B/op: 65KiB, allocs/op: 4}
    tolerance: {sec/op: 3%}
  - benchmark: BenchmarkEncode*
    operation: encode
    dataset: one
    limits: {sec/op: 1.5µs, B/s: 300MB/s}
  - benchmark: BenchmarkNonExact
    operation: size
    dataset: text
    limits: {text-bytes/op: 100}
`

// benchfmtSeeds are real go test -bench outputs: benchstat's own test data
// (golang.org/x/perf cmd/benchstat/testdata, cut to a few KiB) and samples of
// this repository's examples.
func benchfmtSeeds(f *testing.F) [][]byte {
	files, err := filepath.Glob("testdata/benchfmt/*.txt")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata/benchfmt: %v", err)
	}
	var seeds [][]byte
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	return append(seeds,
		[]byte("BenchmarkNaN-8 100 NaN ns/op\nBenchmarkNaN-8 100 NaN ns/op\n"),
		[]byte("BenchmarkInf-8 100 +Inf ns/op 3 B/op\nBenchmarkInf-8 100 -Inf ns/op 3 B/op\n"),
		[]byte("BenchmarkX-8 100 -5 ns/op\nBenchmarkX-8 100 0 ns/op\n"),
		[]byte("BenchmarkX-8 100 12 ns/op\nBenchmarkX-8 100 12 ms/op\nBenchmarkX-8 100 12 sec/op\n"),
		[]byte("BenchmarkX-8 100"),
		nil)
}

// hangGuard fails the whole fuzz worker (a crash the fuzzer records with
// its input) when one input takes longer than any honest one could: Go's
// fuzzer has no per-input timeout of its own.
func hangGuard(d time.Duration) (stop func() bool) {
	return time.AfterFunc(d, func() { panic(fmt.Sprintf("one fuzz input ran for over %v: a hang", d)) }).Stop
}

// FuzzGate: benchfmt text from anywhere goes through the gate's whole pure
// path (ReadSide, the procedure with looks, Compare, every renderer and the
// JSON reader) without a panic or a hang; every error names its file; a
// value that is not a finite number is a located error, never a sample.
func FuzzGate(f *testing.F) {
	cfg, err := budgets.Parse("perfslo.yaml", []byte(fuzzConfig))
	if err != nil {
		f.Fatal(err)
	}
	seeds := benchfmtSeeds(f)
	for i, s := range seeds {
		f.Add(s, seeds[(i+1)%len(seeds)], uint8(i))
		f.Add(s, s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, a, b []byte, mode uint8) {
		defer hangGuard(fuzzHang)()
		base, errA := readFuzzSide(t, "base.txt", a)
		head, errB := readFuzzSide(t, "head.txt", b)
		if errA != nil || errB != nil {
			return
		}
		if err := SameUnits(base, head); err != nil {
			if !strings.HasPrefix(err.Error(), "head.txt") {
				t.Fatalf("SameUnits error does not name the head's file: %v", err)
			}
		}
		opt := Options{Config: cfg, Now: time.Unix(0, 0).UTC()}
		if mode&1 != 0 {
			opt.Config = nil // the defaults
		}
		opt.Correction = Corrections[int(mode>>1)%len(Corrections)]
		opt.Looks = int(mode>>3) % 3
		p := NewProcedure(base, head, opt)
		for i := 0; i < 4; i++ {
			look, ok := p.Next()
			if !ok {
				break
			}
			if look.Rounds < look.MinRounds || len(look.Benchmarks) == 0 {
				t.Fatalf("look %+v: fewer rounds than its minimum, or nothing to measure", look)
			}
			if mode&0x80 != 0 && i == 1 {
				p.Stop("fuzz: out of time")
				break
			}
			p.Add(head, base) // any fresh samples will do
		}
		checkReport(t, p.Report())
		checkReport(t, Compare(base, head, opt))
	})
}

// readFuzzSide is ReadSide with the checks every input must pass.
func readFuzzSide(t *testing.T, name string, data []byte) (*Side, error) {
	side, err := ReadSide(Source{Label: name}, bytes.NewReader(data), name)
	nonFinite := nonFiniteLines(name, data)
	if err == nil {
		if len(nonFinite) > 0 {
			t.Fatalf("%s: values that are not finite numbers at %v were accepted", name, nonFinite)
		}
		for _, k := range side.Keys() {
			for _, v := range side.Samples(k) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s: %v kept as a sample of %v", name, v, k)
				}
			}
		}
		return side, nil
	}
	msg := err.Error()
	for _, line := range strings.Split(msg, "\n") {
		if !strings.HasPrefix(line, name+":") {
			t.Fatalf("error line %q does not start with the file's name %s:", line, name)
		}
	}
	if len(nonFinite) > 0 && !strings.Contains(msg, nonFinite[0]+": ") && !strings.Contains(msg, "more like these") {
		t.Fatalf("the non-finite value at %s is not named in the error:\n%s", nonFinite[0], msg)
	}
	return nil, err
}

// nonFiniteLines are the "file:line" places of results benchfmt parses
// with a value that is not a finite number.
func nonFiniteLines(name string, data []byte) []string {
	rd := benchfmt.NewReader(bytes.NewReader(data), name)
	var at []string
	for rd.Scan() {
		r, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		for _, v := range r.Values {
			if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
				_, line := r.Pos()
				at = append(at, fmt.Sprintf("%s:%d", name, line))
				break
			}
		}
	}
	return at
}

// checkReport renders a report every way and reads its JSON back: what
// the gate writes, its own reader must accept.
func checkReport(t *testing.T, r *Report) {
	if err := WriteText(io.Discard, r); err != nil {
		t.Fatalf("WriteText: %v", err)
	}
	if err := WriteMarkdown(io.Discard, r, MarkdownOptions{}); err != nil {
		t.Fatalf("WriteMarkdown: %v", err)
	}
	for _, failOn := range []string{FailOnUnmeasurable, FailOnFail, FailOnNever} {
		if _, _, err := r.Exit(failOn); err != nil {
			t.Fatalf("Exit(%s): %v", failOn, err)
		}
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	back, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("ReadJSON of WriteJSON's output: %v\n%s", err, buf.Bytes())
	}
	if back.Verdict() != r.Verdict() || len(back.Results) != len(r.Results) {
		t.Fatalf("round trip: verdict %s, %d rows; wrote %s, %d rows", back.Verdict(), len(back.Results), r.Verdict(), len(r.Results))
	}
}

// FuzzReadJSON: no input makes the report reader panic or hang; whatever
// it accepts renders and is written back to a report it accepts again.
func FuzzReadJSON(f *testing.F) {
	for _, name := range []string{"testdata/report.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte(`{"schema":1,"verdict":"pass"}`))
	f.Add([]byte(`{"schema":1,"verdict":"fail","failed":1,"results":[{"benchmark":"BenchmarkX","unit":"sec/op","verdict":"regression","delta":null}]}`))
	f.Add([]byte(`{"schema":99}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		defer hangGuard(fuzzHang)()
		r, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "report") {
				t.Fatalf("error without the reader's name: %v", err)
			}
			return
		}
		checkReport(t, r)
	})
}

// fuzzHang is the longest one input may run.
var fuzzHang = 10 * time.Second
