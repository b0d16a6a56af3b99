package main

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// tiny is a module with a function, a pointer-receiver method and a generic
// method to inject into.
var tiny = map[string]string{
	"go.mod": "module example.com/tiny\n\ngo 1.22\n",
	"tiny.go": `package tiny

// F doubles x.
func F(x int) int { return 2 * x }

// T counts.
type T struct{ n int }

// M increments.
func (t *T) M() { t.n++ }

// G is generic.
type G[E any] struct{ e E }

// Get returns the element.
func (g G[E]) Get() E {
	return g.e
}
`,
	"tiny_test.go": `package tiny

import "testing"

func BenchmarkF(b *testing.B) {
	for i := 0; i < b.N; i++ {
		F(i)
	}
}
`,
}

func writeTiny(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range tiny {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// firstCall returns the spin count of the perfsloSpin call that opens fn's
// body, or -1.
func firstCall(t *testing.T, path, fn string) int {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := findFunc(f, fn)
	if err != nil {
		t.Fatal(err)
	}
	if len(fd.Body.List) == 0 {
		return -1
	}
	es, ok := fd.Body.List[0].(*ast.ExprStmt)
	if !ok {
		return -1
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return -1
	}
	if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "perfsloSpin" {
		return -1
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok {
		return -1
	}
	var n int
	for _, c := range lit.Value {
		n = 10*n + int(c-'0')
	}
	return n
}

func TestInject(t *testing.T) {
	dir := writeTiny(t)
	before, err := os.ReadFile(filepath.Join(dir, "tiny.go"))
	if err != nil {
		t.Fatal(err)
	}
	ins := []Injection{
		{File: "tiny.go", Func: "F", Spin: 7},
		{File: "tiny.go", Func: "T.M", Spin: 11},
		{File: "tiny.go", Func: "G.Get", Spin: 13},
	}
	if err := inject(dir, ins); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tiny.go")
	for _, in := range ins {
		if got := firstCall(t, path, in.Func); got != in.Spin {
			t.Errorf("%s opens with perfsloSpin(%d), want %d", in.Func, got, in.Spin)
		}
	}
	// Nothing but the inserted statements changed.
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := inserted.ReplaceAllString(string(after), "$2"); got != string(before) {
		t.Errorf("inject changed more than the inserted statements:\n%s", after)
	}
	helper, err := os.ReadFile(filepath.Join(dir, spinFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(helper), "package tiny\n") {
		t.Errorf("%s starts %q, want package tiny", spinFile, strings.SplitN(string(helper), "\n", 2)[0])
	}
	// A second injection would redefine the helper.
	if err := inject(dir, ins[:1]); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second inject: %v, want an 'already exists' error", err)
	}
	if testing.Short() {
		t.Skip("-short: not building the injected module")
	}
	// The injected module builds and its benchmark runs.
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", ".", "-benchtime", "1x", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test in the injected module: %v\n%s", err, out)
	}
}

// inserted matches what inject inserts: a line, plus a line break before
// the rest of a one-line body.
var inserted = regexp.MustCompile(`\n\tperfsloSpin\(\d+\) // injected regression(\n( ))?`)

func TestInjectErrors(t *testing.T) {
	for _, tc := range []struct {
		in   Injection
		want string
	}{
		{Injection{File: "tiny.go", Func: "Missing", Spin: 1}, "no function Missing"},
		{Injection{File: "tiny.go", Func: "M", Spin: 1}, "no function M"}, // a method needs its type
		{Injection{File: "decl.go", Func: "Asm", Spin: 1}, "has no body"},
		{Injection{File: "tiny.go", Func: "F", Spin: 0}, "want > 0"},
		{Injection{File: "nope.go", Func: "F", Spin: 1}, "nope.go"},
	} {
		dir := writeTiny(t)
		// A function implemented in assembly has no Go body.
		if err := os.WriteFile(filepath.Join(dir, "decl.go"), []byte("package tiny\n\n// Asm is in assembly.\nfunc Asm() int\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := inject(dir, []Injection{tc.in})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("inject(%+v) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestCopyTreeMakesWritable(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "sub", "a.go"), []byte("package sub\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "dst")
	if err := copyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dst, "sub", "a.go"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o200 == 0 {
		t.Errorf("copied file mode %v, want owner-writable", info.Mode())
	}
	if err := os.Symlink("a.go", filepath.Join(src, "sub", "link.go")); err != nil {
		t.Skip("no symlinks here")
	}
	if err := copyTree(src, filepath.Join(t.TempDir(), "dst2")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("copyTree with a symlink: %v, want a 'not a regular file' error", err)
	}
}

func TestCanonicalName(t *testing.T) {
	for in, want := range map[string]string{
		"BenchmarkUUID_String":               "UUID_String",
		"UUID_String-2":                      "UUID_String",
		"BenchmarkWriterFlush/concurrency=4": "WriterFlush/concurrency=4",
		"WriterFlush/concurrency=4-2":        "WriterFlush/concurrency=4",
		"UncompressRLE12-16":                 "UncompressRLE12",
		"_UFlat0":                            "_UFlat0",
	} {
		if got := canonicalName(in); got != want {
			t.Errorf("canonicalName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParseBenchstatCSV reads benchstat's real CSV output (testdata, from a
// run of this harness on uuid's A/B scenario) and applies the naive rule.
func TestParseBenchstatCSV(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "uuid-ab.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := parseBenchstatCSV(f, "github.com/google/uuid", 0.05, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	units := map[string]int{}
	for _, r := range rows {
		units[r.Unit]++
		if r.P == nil {
			t.Fatalf("%s %s: no p", r.Benchmark, r.Unit)
		}
		// The rule, restated: p < α and beyond tolerance in the bad direction.
		want := *r.P < 0.05 && r.Delta != nil && ((r.Unit == "sec/op" && *r.Delta > 0.05) || (r.Unit != "sec/op" && *r.Delta > 0))
		if (r.Outcome == outFlag) != want {
			t.Errorf("%s %s: outcome %s with p=%g delta=%v", r.Benchmark, r.Unit, r.Outcome, *r.P, r.Delta)
		}
	}
	for _, u := range []string{"sec/op", "B/op", "allocs/op"} {
		if units[u] != 15 {
			t.Errorf("%d %s rows, want uuid's 15 benchmarks", units[u], u)
		}
	}
	flagged := map[string]bool{}
	for _, r := range rows {
		if r.Outcome == outFlag {
			flagged[r.Benchmark+" "+r.Unit] = true
		}
	}
	// The file's UUID_URN row: 51.0n → 120.9n, p=0.002.
	if !flagged["UUID_URN sec/op"] {
		t.Errorf("UUID_URN sec/op (+116%%, p=0.002) not flagged; flagged: %v", flagged)
	}
	if _, err := parseBenchstatCSV(strings.NewReader(",a,,b,,,\n,sec/op,CI,sec/op,CI,vs base,P\nX-2,1,∞,2,∞,+100%,n=6\n"), "p", 0.05, 0.05); err == nil {
		t.Error("a row without p=… parsed without error")
	}
}

func TestClassify(t *testing.T) {
	m := Module{Injections: []Injection{{Spin: 100, OnPath: map[string]int{"Hot": 1, "Warm": 1}}}}
	spinNs := 1.0 // 100 ns per op injected
	rep := func(v float64, n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = v * (1 + 0.01*float64(i%3))
		}
		return xs
	}
	for _, tc := range []struct {
		bench, unit string
		base, head  []float64
		want        string
	}{
		{"Hot", "sec/op", rep(100e-9, 10), rep(200e-9, 10), classInjected},    // predicted and measured +100%
		{"Warm", "sec/op", rep(1000e-9, 10), rep(1100e-9, 10), classExcluded}, // +10%: on the path, under 20%
		{"Hot", "sec/op", rep(100e-9, 10), rep(100e-9, 10), classExcluded},    // predicted +100%, measured 0: disagree
		{"Cold", "sec/op", rep(100e-9, 10), rep(102e-9, 10), classUntouched},
		{"Cold", "sec/op", rep(100e-9, 10), rep(130e-9, 10), classExcluded}, // off path but shifted
		{"Cold", "sec/op", rep(100e-9, 10), rep(70e-9, 10), classUntouched}, // got faster: a flag is false
		{"Hot", "B/op", rep(48, 10), rep(48, 10), classUntouched},
		{"Hot", "allocs/op", rep(3, 10), rep(2, 10), classUntouched}, // shrank
		{"Hot", "allocs/op", rep(2, 10), rep(3, 10), classExcluded},  // grew
		{"Hot", "B/s", rep(1e9, 10), rep(5e8, 10), classDerived},
		{"Hot", "outbytes", rep(5, 10), rep(5, 10), classOther},
	} {
		got := classify(m, spinNs, "p", tc.bench, tc.unit, tc.base, tc.head)
		if got.Class != tc.want {
			t.Errorf("%s %s %g→%g: class %s (%s), want %s", tc.bench, tc.unit, tc.base[0], tc.head[0], got.Class, got.Reason, tc.want)
		}
	}
}

func TestCrashOf(t *testing.T) {
	inf := "round 6/6 base\nperfslo gate: json: unsupported value: +Inf\n"
	for _, tc := range []struct {
		exit    int
		stderr  string
		jsonErr error
		crash   bool
	}{
		{1, inf, os.ErrNotExist, true},
		{1, "perfslo: UNDECIDED — 45 rows: 15 unmeasurable, 30 passed\n", nil, false},
		{2, "", nil, false},
		{0, "", errors.New("bad json"), true},
		{2, "panic: boom\n", nil, false}, // exit 2 is a decision
		{1, "panic: boom\ngoroutine 1 [running]:\n", nil, true},
	} {
		crash, msg := crashOf(tc.exit, tc.stderr, tc.jsonErr)
		if crash != tc.crash {
			t.Errorf("crashOf(%d, %q, %v) = %v %q, want crash=%v", tc.exit, tc.stderr, tc.jsonErr, crash, msg, tc.crash)
		}
	}
	if _, msg := crashOf(1, inf, os.ErrNotExist); msg != "perfslo gate: json: unsupported value: +Inf" {
		t.Errorf("crash message %q, want perfslo's error line", msg)
	}
}

func TestSummarize(t *testing.T) {
	truth := map[string]TruthRow{}
	for _, r := range []TruthRow{
		{Package: "p", Benchmark: "Hot", Unit: "sec/op", Class: classInjected},
		{Package: "p", Benchmark: "Cold", Unit: "sec/op", Class: classUntouched},
		{Package: "p", Benchmark: "Cold", Unit: "B/op", Class: classUntouched},
		{Package: "p", Benchmark: "Warm", Unit: "sec/op", Class: classExcluded},
	} {
		truth[r.key()] = r
	}
	row := func(b, u, o string) RowOutcome { return RowOutcome{Package: "p", Benchmark: b, Unit: u, Outcome: o} }
	runs := []Run{
		{Wall: 10, Rows: []RowOutcome{row("Hot", "sec/op", outFlag), row("Cold", "sec/op", outOK), row("Cold", "B/op", outOK), row("Warm", "sec/op", outFlag), row("Hot", "B/s", outFlag)}},
		{Wall: 30, Rows: []RowOutcome{row("Hot", "sec/op", outUndecided), row("Cold", "sec/op", outFlag), row("Cold", "B/op", outOK), row("New", "sec/op", outOK)}},
		{Wall: 20, Crash: true, Error: "perfslo gate: json: unsupported value: +Inf"},
	}
	s := summarize(runs, truth)
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"runs", s.Runs, 3}, {"runs flagged", s.RunsFlagged, 2}, {"crashes", s.Crashes, 1},
		{"injected", s.Injected, 3}, {"detected", s.Detected, 1}, {"runs all", s.RunsAll, 1},
		{"untouched", s.Untouched, 6}, {"false flags", s.FalseFlags, 1}, {"undecided", s.Undecided, 1},
		{"excluded flags", s.ExcludedFlags, 1}, {"side flags", s.SideFlags, 1}, {"unknown", s.UnknownRows, 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if s.MedianWall != 20 {
		t.Errorf("median wall %g, want 20", s.MedianWall)
	}
	if s.FalseByRow["Cold sec/op"] != 1 || s.MissedByRow["Hot sec/op"] != 2 {
		t.Errorf("by row: false %v, missed %v", s.FalseByRow, s.MissedByRow)
	}
}
