package callgrind

import (
	"math"
	"strings"
	"testing"
	"time"
)

// specExample is the extended example of valgrind's "Callgrind Format
// Specification" (section 3.1.4/3.1.5), with name compression: main calls
// func1 once and func2 three times, func1 calls func2 twice.
const specExample = `# callgrind format
events: Instructions
fl=(1) file1.c
fn=(1) main
16 20
cfn=(2) func1
calls=1 50
16 400
cfi=(2) file2.c
cfn=(3) func2
calls=3 20
16 400
fn=(2)
51 100
cfi=(2)
cfn=(3)
calls=2 20
51 300
fl=(2)
fn=(3)
20 700
`

func TestParseSpecExample(t *testing.T) {
	f, err := Parse(strings.NewReader(specExample), "spec")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int64{ // self, inclusive (the spec: main's inclusive cost is 820)
		"main":  {20, 820},
		"func1": {100, 400},
		"func2": {700, 700},
	}
	for name, w := range want {
		fn := f.Functions[name]
		if fn == nil {
			t.Fatalf("no %s", name)
		}
		if fn.Self[0] != w[0] || fn.Inclusive()[0] != w[1] {
			t.Errorf("%s: self %d inclusive %d, want %d %d", name, fn.Self[0], fn.Inclusive()[0], w[0], w[1])
		}
	}
	if f.Functions["main"].Calls["func2"] != 3 || f.Functions["func1"].Calls["func2"] != 2 {
		t.Errorf("calls: %v %v", f.Functions["main"].Calls, f.Functions["func1"].Calls)
	}
	// No summary or totals line: the total is the sum of self costs.
	if f.Totals[0] != 820 || f.Summary[0] != 820 {
		t.Errorf("totals %v summary %v, want 820", f.Totals, f.Summary)
	}
}

// A callgrind 3.19 header with positions, compressed names reused across
// fn and cfn, a recursion level, a jump line, short cost lines and the
// summary/totals pair.
const realistic = `# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 8360
cmd:  ./x.test -test.run ^$ -test.bench ^BenchmarkSub$/^n=1000$ -test.benchtime 20000x
part: 1

desc: I1 cache: 32768 B, 64 B, 8-way associative
desc: Trigger: Program termination

positions: line
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim
summary: 190 60 1 0 0 0 0 0 0 10 1

ob=(1) /tmp/x.test
fl=(1) /src/testing/benchmark.go
fn=(1) testing.(*B).runN
197 21 5
+1 9
cfl=(2) /src/pkg/x_test.go
cfn=(2) example.com/x.BenchmarkSub.func1
calls=2 25
* 140 50 1 0 0 0 0 0 0 10 1
fn=(3) testing.(*B).runN'2
-1 10
jump=1 +3
* 
fl=(2)
fn=(2)
25 10 5
totals: 50 10 0 0 0 0 0 0 0 0 0
`

func TestParseRealisticHeader(t *testing.T) {
	f, err := Parse(strings.NewReader(realistic), "x.out")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Events) != 13 || f.Trigger != "Program termination" || !strings.Contains(f.Cmd, "BenchmarkSub") {
		t.Errorf("header: %d events, trigger %q, cmd %q", len(f.Events), f.Trigger, f.Cmd)
	}
	runN := f.Functions["testing.(*B).runN"]
	if runN == nil || f.Functions["testing.(*B).runN'2"] != nil {
		t.Fatalf("recursion level not folded: %v", f.Functions)
	}
	if runN.Self[0] != 40 || runN.Self[1] != 5 || runN.Calls["example.com/x.BenchmarkSub.func1"] != 2 {
		t.Errorf("runN: self %v calls %v", runN.Self, runN.Calls)
	}
	if got := f.Functions["example.com/x.BenchmarkSub.func1"].Self[0]; got != 10 {
		t.Errorf("func1 self Ir %d, want 10 (its call cost is not its self cost)", got)
	}
	if f.Event("Ir") != 50 || f.Summary[0] != 190 || f.Event("Bim") != 0 {
		t.Errorf("Ir total %d summary %d", f.Event("Ir"), f.Summary[0])
	}
	if f.SortedFunctions("Ir")[0].Name != "testing.(*B).runN" {
		t.Errorf("sorted: %s first", f.SortedFunctions("Ir")[0].Name)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"fn=main\n1 2\n", "x:2: cost line before the events: header"},
		{"events: Ir\nfn=main\n1 2 3\n", "x:3: 2 costs for 1 events"},
		{"events: Ir\nfn=main\n1 -2\n", `x:3: bad cost "-2"`},
		{"events: Ir\nfn=(3)\n", "x:2: compressed name (3) used before it was defined"},
		{"events: Ir\nfn=main\ncfn=f\ncalls=1 2\n", "x:4: file ends after a calls= line"},
		{"events: Ir\nfn=main\ncalls=x 2\n1 2\n", "x:3: calls=x 2: bad count"},
		{"events: Ir\nfn=main\nq 1\n", `x:3: bad position "q"`},
		{"events: Ir\nfn=main\n1 5\ntotals: 6\n", "x: totals: line says Ir=6, the cost lines add up to 5"},
		{"positions: line\n", "x: no \"events:\" line"},
		{"events: Ir\npositions: address\n", `x:2: unknown position "address"`},
	} {
		_, err := Parse(strings.NewReader(c.in), "x")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want %q", c.in, err, c.want)
		}
	}
}

func TestMergeFiles(t *testing.T) {
	a, _ := Parse(strings.NewReader("events: Ir Dr\nfn=f\n1 10 1\nfn=g\n2 5\n"), "a")
	b, _ := Parse(strings.NewReader("events: Ir Dr\nfn=f\n1 7 2\n"), "b")
	m, err := mergeFiles([]*File{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if m.Functions["f"].Self[0] != 17 || m.Functions["f"].Self[1] != 3 || m.Event("Ir") != 22 {
		t.Errorf("merged f %v, Ir %d", m.Functions["f"].Self, m.Event("Ir"))
	}
	c, _ := Parse(strings.NewReader("events: Ir\nfn=f\n1 1\n"), "c")
	if _, err := mergeFiles([]*File{a, c}); err == nil {
		t.Error("merging files with different events succeeded")
	}
}

func TestSymbolPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"example.com/benchmod": "example.com/benchmod",
		"gopkg.in/yaml.v3":     "gopkg.in/yaml%2ev3",
		"a.b/c.d/e.f":          "a.b/c.d/e%2ef",
		"strings":              "strings",
		"x/100%":               "x/100%25",
	} {
		if got := symbolPrefix(in); got != want {
			t.Errorf("symbolPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBenchRegexp(t *testing.T) {
	for in, want := range map[string]string{
		"BenchmarkSum":             "^BenchmarkSum$",
		"BenchmarkSum/lines=1000":  "^BenchmarkSum$/^lines=1000$",
		"BenchmarkX/a.b/c+d#01":    `^BenchmarkX$/^a\.b$/^c\+d#01$`,
		"BenchmarkMapBuild/p=true": "^BenchmarkMapBuild$/^p=true$",
	} {
		if got := BenchRegexp(in); got != want {
			t.Errorf("BenchRegexp(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGlobAndToggleArg(t *testing.T) {
	if got := toggleArg("pkg.(*T).bench-fm"); got != "pkg.(?T).bench-fm" {
		t.Errorf("toggleArg = %q", got)
	}
	for _, c := range []struct {
		pat, s string
		want   bool
	}{
		{"pkg.(?T).bench-fm", "pkg.(*T).bench-fm", true},
		{"pkg.BenchmarkX", "pkg.BenchmarkX.func1", false},
		{"pkg.BenchmarkX*", "pkg.BenchmarkX.func1", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*", "", true},
	} {
		if got := globMatch(c.pat, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v", c.pat, c.s, got)
		}
	}
}

func TestEstCycles(t *testing.T) {
	c := map[string]float64{
		"Ir": 1000, "I1mr": 1, "D1mr": 2, "D1mw": 3, // L1m = 6
		"ILmr": 1, "DLmr": 1, "DLmw": 0, // LLm = 2
		"Bcm": 4, "Bim": 1, // Bm = 5
	}
	if got, want := EstCycles(c), 1000.0+10*5+10*6+100*2; got != want {
		t.Errorf("EstCycles = %v, want %v", got, want)
	}
	if EstCycles(map[string]float64{"Ir": 7}) != 7 {
		t.Error("instructions alone are their own estimate")
	}
}

func TestDiffRanksByDelta(t *testing.T) {
	base := &Profile{Events: []string{"Ir"}, Functions: map[string][]float64{"a": {100}, "b": {50}, "c": {10}, "gone": {5}}}
	head := &Profile{Events: []string{"Ir"}, Functions: map[string][]float64{"a": {101}, "b": {80}, "c": {10.2}, "new": {20}}}
	d := Diff(base, head, 0)
	var names []string
	for _, x := range d {
		names = append(names, x.Function)
	}
	if got := strings.Join(names, " "); got != "b new gone a" {
		t.Errorf("order %q, want \"b new gone a\" (c moved by less than half an instruction)", got)
	}
	if d[0].Delta != 30 || d[1].Base != 0 || d[2].Head != 0 {
		t.Errorf("deltas %+v", d)
	}
	if len(Diff(base, head, 2)) != 2 {
		t.Error("top not applied")
	}
}

func TestChooseNAndGodebug(t *testing.T) {
	// 1 µs/op natively, 40× slower: 2N ops in 500 ms means N = 6250.
	if n := chooseN(1000, 500*time.Millisecond, 40); n != 6250 {
		t.Errorf("chooseN = %d", n)
	}
	if n := chooseN(1e9, 500*time.Millisecond, 40); n != 1 {
		t.Errorf("a 1 s op: N = %d, want 1", n)
	}
	if g := godebug([]string{"GODEBUG=madvdontneed=1"}); g != "madvdontneed=1,asyncpreemptoff=1,memprofilerate=0" {
		t.Errorf("godebug = %q", g)
	}
	if s := spread([]float64{100, 101}, 100.5); math.Abs(s-1/100.5) > 1e-12 {
		t.Errorf("spread = %v", s)
	}
}

func TestLeafFromProfile(t *testing.T) {
	parse := func(s string) *File {
		f, err := Parse(strings.NewReader("events: Ir\n"+s), "p")
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	// Two levels: the top-level function calls b.Run, the leaf does not.
	f := parse("fn=testing.(*B).runN\n1 1\ncfn=p.BenchmarkX\ncalls=1 1\n1 5\ncfn=p.BenchmarkX.func2\ncalls=1 1\n1 5\ncfn=runtime.GC\ncalls=2 1\n1 5\n" +
		"fn=p.BenchmarkX\n1 1\ncfn=testing.(*B).Run\ncalls=1 1\n1 1\n")
	if got, err := leafFromProfile(f, "p.BenchmarkX"); err != nil || got != "p.BenchmarkX.func2" {
		t.Errorf("leaf = %q, %v", got, err)
	}
	// Three levels where callgrind also saw a b.Run call in the leaf's
	// place: the b.Loop body decides.
	f = parse("fn=testing.(*B).runN\n1 1\ncfn=p.B\ncalls=1 1\n1 5\ncfn=p.B.func1\ncalls=1 1\n1 5\ncfn=p.B.func1.1\ncalls=1 1\n1 5\n" +
		"fn=p.B.func1\n1 1\ncfn=testing.(*B).Run\ncalls=1 1\n1 1\nfn=p.B.func1.1\n1 1\ncfn=testing.(*B).Run\ncalls=1 1\n1 1\ncfn=testing.(*B).Loop\ncalls=3 1\n1 1\n")
	if got, err := leafFromProfile(f, "p.B"); err != nil || got != "p.B.func1.1" {
		t.Errorf("leaf = %q, %v", got, err)
	}
	f = parse("fn=testing.(*B).runN\n1 1\ncfn=p.B\ncalls=1 1\n1 5\ncfn=p.a\ncalls=1 1\n1 5\ncfn=p.b\ncalls=1 1\n1 5\n")
	if _, err := leafFromProfile(f, "p.B"); err == nil || !strings.Contains(err.Error(), "cannot tell") {
		t.Errorf("ambiguous: err = %v", err)
	}
}

// A function's source is the file in effect at its fn= line: callgrind
// writes fl= (and fi=/fe= for inlined code) only when the file changes.
func TestParseFunctionSource(t *testing.T) {
	const in = `events: Ir
fl=(1) /go/src/runtime/mgcmark.go
fn=(1) runtime.scanobject
1 10
fi=(2) /go/src/runtime/mbitmap.go
2 5
fn=(2) runtime.findObject
3 7
fl=(3) /go/src/runtime/malloc.go
fn=(3) runtime.mallocgc
4 1
`
	f, err := Parse(strings.NewReader(in), "src")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"runtime.scanobject": "/go/src/runtime/mgcmark.go",
		"runtime.findObject": "/go/src/runtime/mbitmap.go",
		"runtime.mallocgc":   "/go/src/runtime/malloc.go",
	} {
		if got := f.Functions[name].Source; got != want {
			t.Errorf("%s: Source %q, want %q", name, got, want)
		}
	}
}

// With the cache simulation, N never drops below MinCacheSimN: one op's
// misses depend on what the ops before it left in the simulated caches.
func TestFloorN(t *testing.T) {
	for _, c := range []struct {
		n    int
		sim  bool
		want int
	}{{1, true, MinCacheSimN}, {1, false, 1}, {0, false, 1}, {100, true, 100}, {MinCacheSimN - 1, true, MinCacheSimN}} {
		if got := floorN(c.n, c.sim); got != c.want {
			t.Errorf("floorN(%d, %v) = %d, want %d", c.n, c.sim, got, c.want)
		}
	}
}
