package budgets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// entry is a valid budgets entry to embed in test files; lines 3..7.
const entryHead = "version: 1\nbudgets:\n  - benchmark: BenchmarkSum/lines=*\n    operation: sum\n    dataset: lines=N\n"

// parseErrorCase is a config with one problem, and where and what Parse
// says about it.
type parseErrorCase struct {
	name, src string
	want      string // "line:col: fragment" (or just a fragment)
}

var parseErrorCases = []parseErrorCase{
	// YAML itself.
	{"malformed yaml", "version: 1\nrun: [./...\n", `2:6: invalid YAML: sequence end token ']' not found`},
	{"bad indentation", "version: 1\nrun:\n  count: 3\n cpu: 2\n", `4:2: invalid YAML`},
	{"duplicate key", "version: 1\nversion: 1\n", `2:1: invalid YAML: mapping key "version" already defined at [1:1]`},
	{"empty file", "# nothing\n", `1:1: empty config; it starts with "version: 1"`},
	{"second document", "version: 1\n---\nversion: 1\n", `3:1: a second YAML document`},
	{"top level list", "- version: 1\n", `1:1: perfslo.yaml: expected a mapping (key: value), found a list`},
	{"unknown alias", "version: 1\nrun: *nope\n", `2:6: unknown alias *nope`},
	{"merge into itself", "version: 1\nrun: &x\n  <<: *x\n", `3:3: run: merge key (<<) merges a mapping into itself`},
	{"merge cycle", "version: 1\nrun: &a\n  <<: &b\n    <<: *a\n", `3:3: run: merge key (<<) merges a mapping into itself`},
	{"alias bomb", aliasBomb(30), `more than 1000 alias expansions`},

	// Version.
	{"version 2", "version: 2\n", `1:10: unsupported version 2; this perfslo reads version 1`},
	{"version missing", "run:\n  count: 5\n", `1:1: missing "version: 1"`},
	{"version not a number", "version: one\n", `1:10: version: expected an integer, found "one"`},

	// Unknown keys, at every depth, with a suggestion.
	{"unknown key top", "version: 1\ntolerence:\n  sec/op: 5%\n", `2:1: unknown key "tolerence" in perfslo.yaml; did you mean "tolerance"? (allowed: version, run, tolerance, budgets, staging, history, creep, burn)`},
	{"unknown key run", "version: 1\nrun:\n  benchtim: 1s\n", `3:3: unknown key "benchtim" in run; did you mean "benchtime"?`},
	{"unknown key far from any", "version: 1\nrun:\n  parallelism: 4\n", `3:3: unknown key "parallelism" in run (allowed: packages, bench, count, benchtime, cpu, max-time, measure)`},
	{"unknown key budget", entryHead + "    limit:\n      sec/op: 1ms\n", `6:5: unknown key "limit" in a budgets entry; did you mean "limits"?`},
	{"unknown key profile", entryHead + "    profile:\n      cpu_share: {a: 5%}\n", `7:7: unknown key "cpu_share" in profile; did you mean "cpu-share"?`},
	{"unknown key staging", "version: 1\nstaging:\n  servce: x\n", `3:3: unknown key "servce" in staging; did you mean "service"?`},
	{"unknown key staging budget", "version: 1\nstaging:\n  service: x\n  budgets:\n    - functions: json\n      cpu-share: 5%\n", `5:7: unknown key "functions" in a staging budget; did you mean "function"?`},
	{"unknown key flow mapping", entryHead + "    limits: {sec/op: 1ms, allocs: 0}\n", `6:27: unknown unit "allocs"`},

	// Units.
	{"unit percent", "version: 1\ntolerance:\n  percent: 5%\n", `3:3: unknown unit "percent"; expected sec/op (or ns/op), B/op, allocs/op`},
	{"unit with spaces", "version: 1\ntolerance:\n  sec / op: 5%\n", `3:3: unit "sec / op" contains spaces`},
	{"unit empty", "version: 1\ntolerance:\n  \"\": 5%\n", `3:3: empty unit`},
	{"unit tidies to duplicate", entryHead + "    limits:\n      sec/op: 1ms\n      ns/op: 100\n", `8:7: limits: ns/op repeats sec/op (both are sec/op)`},

	// Run settings.
	{"benchtime not a duration", "version: 1\nrun:\n  benchtime: 100\n", `3:14: run.benchtime "100": expected a positive duration such as 100ms or 1s, or an iteration count such as 1000x`},
	{"benchtime negative", "version: 1\nrun:\n  benchtime: -1s\n", `3:14: run.benchtime "-1s"`},
	{"benchtime bad count", "version: 1\nrun:\n  benchtime: 0x\n", `3:14: run.benchtime "0x"`},
	{"count 1", "version: 1\nrun:\n  count: 1\n", `3:10: run.count 1: need at least 2 samples`},
	{"cpu 0", "version: 1\nrun:\n  cpu: 0\n", `3:8: run.cpu 0: GOMAXPROCS must be at least 1`},
	{"bench bad regexp", "version: 1\nrun:\n  bench: Sum(\n", `3:10: bench "Sum(": error parsing regexp`},
	{"packages empty", "version: 1\nrun:\n  packages: []\n", `3:13: run.packages: list at least one package pattern`},

	// Percentages.
	{"percent ambiguous", "version: 1\ntolerance:\n  sec/op: 5\n", `3:11: tolerance sec/op: bare number 5 is ambiguous; write 5% for percent, or a fraction below 1 such as 0.05`},
	{"percent negative", "version: 1\ntolerance:\n  sec/op: -5%\n", `3:11: tolerance sec/op: "-5%" is negative`},
	{"percent garbage", "version: 1\ntolerance:\n  sec/op: five\n", `3:11: tolerance sec/op: "five" is not a percentage`},
	{"entry percent", entryHead + "    tolerance: {sec/op: 3 %%}\n", `6:25: tolerance sec/op: "3 %%" is not a percentage`},
	{"share over 100", entryHead + "    profile:\n      cpu-share: {regexp: 150%}\n", `7:27: profile cpu-share regexp: "150%" is more than 100% of the whole`},

	// Expressions.
	{"expression syntax", entryHead + "    limits:\n      sec/op: 10ns * * lines\n", `7:22: limit "10ns * * lines": unexpected * (a product needs a value on each side)`},
	{"expression juxtaposed", entryHead + "    limits:\n      sec/op: 10ns lines\n", `7:20: limit "10ns lines": expected 'EOF'`},
	{"expression unknown suffix", entryHead + "    limits:\n      sec/op: 2n + 1\n", `7:15: limit "2n + 1": unknown unit "n" after 2; expected one of ns, us`},
	{"expression hex is not a number", entryHead + "    limits:\n      B/op: 0x10\n", `7:13: limit "0x10": unknown unit "x10" after 0`},
	{"expression unknown function", entryHead + "    limits:\n      sec/op: 1us * exp(lines)\n", `7:21: limit "1us * exp(lines)": unknown function exp; known functions: log2`},
	{"expression bare function", entryHead + "    limits:\n      sec/op: 1us * log2\n", `7:21: limit "1us * log2": log2 is a function: call it, as in log2(n)`},
	{"expression arity", entryHead + "    limits:\n      sec/op: 1us * log2(a, b)\n", `7:21: limit "1us * log2(a, b)": log2 takes one argument`},
	{"expression operator", entryHead + "    limits:\n      allocs/op: lines % 2\n", `7:24: limit "lines % 2": unsupported operator %`},
	{"expression string", entryHead + "    limits:\n      allocs/op: '\"x\"'\n", `7:19: unexpected string "x"`},
	{"expression empty", entryHead + "    limits:\n      allocs/op: \"\"\n", `7:19: limit "": empty expression`},
	{"expression product of quantities", entryHead + "    limits:\n      sec/op: 10ns * 2ms\n", `7:20: multiplies two quantities with units`},
	{"expression divide by quantity", entryHead + "    limits:\n      sec/op: lines / 2ms\n", `7:21: divides by a quantity with a unit`},
	{"expression quoted column", entryHead + "    limits:\n      sec/op: \"10ns * * lines\"\n", `7:23: limit "10ns * * lines": unexpected *`},
	{"expression column after µ", entryHead + "    limits:\n      sec/op: 1µs * lines + 2xs\n", `7:29: unknown unit "xs" after 2`},
	{"expression on a later line", entryHead + "    limits:\n      sec/op: |\n        10ns * * lines\n", `7:15: limit "10ns * * lines": unexpected *`},

	// Dimensions.
	{"duration in B/op", entryHead + "    limits:\n      B/op: 1KiB + 10ms\n", `7:20: limit "1KiB + 10ms": 10ms is a duration, but a B/op limit is a size in bytes: use B, kB, KiB, MB, MiB, GB or GiB`},
	{"bytes in sec/op", entryHead + "    limits:\n      sec/op: 10KiB * lines\n", `7:15: 10KiB is a size in bytes, but a sec/op limit is a duration: use ns, us, µs, ms or s`},
	{"duration in allocs/op", entryHead + "    limits:\n      allocs/op: 10ns\n", `7:18: 10ns is a duration, but a allocs/op limit is a count`},
	{"rate in B/op", entryHead + "    limits:\n      B/op: 100MB/s\n", `7:13: 100MB/s is a rate, but B/op is not per second`},
	{"duration in B/s", entryHead + "    limits:\n      B/s: 1s\n", `7:12: 1s is a duration, but a B/s limit is a size in bytes`},
	{"bytes in profile allocs/op", entryHead + "    profile:\n      allocs/op: {regexp: 10KiB}\n", `7:27: profile allocs/op regexp: "10KiB" is a size in bytes, but this limit is a count`},

	// Parameters known statically.
	{"exact benchmark lacks parameter", "version: 1\nbudgets:\n  - benchmark: BenchmarkSum\n    operation: sum\n    dataset: d\n    limits:\n      sec/op: 10ns * lines\n", `7:22: limit "10ns * lines" needs parameter "lines", which benchmark BenchmarkSum does not set (a sub-benchmark name binds it, as in BenchmarkSum/lines=1000)`},
	{"exact benchmark without prefix", "version: 1\nbudgets:\n  - benchmark: Sum/n=10\n    operation: sum\n    dataset: d\n    limits:\n      sec/op: 10ns * lines\n", `(it sets n)`},

	// Patterns.
	{"bad benchmark glob", "version: 1\nbudgets:\n  - benchmark: Sum[\n    tolerance: {sec/op: 1%}\n", `3:16: benchmark pattern "Sum[": bad glob`},
	{"bad package glob", entryHead + "    package: ./sum[\n    tolerance: {sec/op: 1%}\n", `6:14: package pattern "./sum[": bad glob`},
	{"bad profile regexp", entryHead + "    profile:\n      cpu-share: {\"regexp.(\": 5%}\n", `7:19: profile cpu-share: function pattern "regexp.(" is not a Go regexp`},
	{"bad staging regexp", "version: 1\nstaging:\n  service: x\n  budgets:\n    - function: json.(\n      cpu-share: 5%\n", `5:17: staging: function pattern "json.(" is not a Go regexp`},

	{"bad measure", "version: 1\nrun:\n  measure: cycles\n", `3:12: run.measure "cycles": expected time, instructions (counted under valgrind's callgrind) or auto`},
	{"bad entry measure", entryHead + "    measure: cycles\n", `6:14: measure "cycles": expected time, instructions`},
	{"counted entry with a time limit", entryHead + "    limits:\n      sec/op: 1ms\n    measure: instructions\n", `8:14: measure: instructions, but limits names sec/op`},
	{"timed entry with a count tolerance", "version: 1\nbudgets:\n  - benchmark: BenchmarkX\n    tolerance:\n      instructions/op: 1%\n    measure: time\n", `6:14: measure: time, but tolerance names instructions/op`},

	// Entries.
	{"entry not a mapping", "version: 1\nbudgets:\n  - BenchmarkSum\n", `3:5: a budgets entry: expected a mapping (key: value), found "BenchmarkSum"`},
	{"entry without benchmark", "version: 1\nbudgets:\n  - tolerance: {sec/op: 1%}\n", `3:5: budgets entry without "benchmark"`},
	{"entry states nothing", "version: 1\nbudgets:\n  - benchmark: Sum\n", `3:5: budget for Sum states nothing`},
	{"limits without operation", "version: 1\nbudgets:\n  - benchmark: Sum\n    limits: {allocs/op: 0}\n", `3:5: budget for Sum has limits but no "operation" and "dataset"`},
	{"budgets not a list", "version: 1\nbudgets: {benchmark: x}\n", `2:10: budgets: expected a list, found a mapping`},
	{"staging without service", "version: 1\nstaging:\n  budgets: []\n", `3:3: staging without "service"`},
	{"staging budget without limit", "version: 1\nstaging:\n  service: x\n  budgets:\n    - function: json\n", `5:7: staging budget for json has no limit`},
	{"staging share zero", "version: 1\nstaging:\n  service: x\n  budgets:\n    - function: json\n      cpu-share: 0\n", `6:18: staging cpu-share 0 would mean no limit`},
}

// aliasBomb builds entries that each merge the previous one twice: 2^n
// expansions if nothing stopped them.
func aliasBomb(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nbudgets:\n  - &a0 {benchmark: x, tolerance: {sec/op: 1%}}\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - &a%d {<<: [*a%d, *a%d]}\n", i, i-1, i-1)
	}
	return b.String()
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("perfslo.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v); want error %q", cfg, tc.want)
			}
			if cfg != nil {
				t.Errorf("Parse returned a config with an error")
			}
			errs := Errors(err)
			if len(errs) == 0 {
				t.Fatalf("error %v holds no *Error", err)
			}
			loc, frag, hasLoc := strings.Cut(tc.want, ": ")
			if !hasLoc || !strings.Contains(loc, ":") {
				loc, frag = "", tc.want
			}
			for _, e := range errs {
				s := e.Error()
				if strings.Contains(s, frag) && (loc == "" || strings.HasPrefix(s, "perfslo.yaml:"+loc+": ")) {
					return
				}
			}
			t.Errorf("no error at %s containing %q; got:\n%v", loc, frag, err)
		})
	}
}

// TestParseReportsAll checks that one pass finds every problem, in order.
func TestParseReportsAll(t *testing.T) {
	src := "version: 2\nrun:\n  count: 1\n  benchtim: 1s\ntolerance:\n  sec/op: 5\n"
	_, err := Parse("f.yaml", []byte(src))
	var got []string
	for _, e := range Errors(err) {
		got = append(got, e.Error())
	}
	want := []string{
		`f.yaml:1:10: unsupported version 2; this perfslo reads version 1`,
		`f.yaml:3:10: run.count 1: need at least 2 samples per side to compare (10 is the default)`,
		`f.yaml:4:3: unknown key "benchtim" in run; did you mean "benchtime"? (allowed: packages, bench, count, benchtime, cpu, max-time, measure)`,
		`f.yaml:6:11: tolerance sec/op: bare number 5 is ambiguous; write 5% for percent, or a fraction below 1 such as 0.05`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err.Error() != strings.Join(want, "\n") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestParseDesignSkeleton(t *testing.T) {
	cfg, err := Load("testdata/design.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != 1 || cfg.Run.Count != 10 || cfg.Run.Benchtime != "100ms" || cfg.Run.CPU != 1 ||
		strings.Join(cfg.Run.Packages, ",") != "./..." || cfg.Run.Bench != "." {
		t.Errorf("run = %+v", cfg.Run)
	}
	if cfg.Module != "github.com/perfslo/perfslo" {
		t.Errorf("Module = %q, want the module of the enclosing go.mod", cfg.Module)
	}
	if got := cfg.Tolerance; len(got) != 3 || got["sec/op"] != 0.05 || got["B/op"] != 0 || got["allocs/op"] != 0 {
		t.Errorf("tolerance = %v", got)
	}
	if len(cfg.Budgets) != 1 {
		t.Fatalf("budgets = %+v", cfg.Budgets)
	}
	b := cfg.Budgets[0]
	if b.Benchmark != "BenchmarkSum/lines=*" || b.Package != "./sum" || b.Line != 12 || b.Column != 5 ||
		b.Operation != "sum the integers of a file, one per line" || b.Dataset != "lines=N random 8-digit integers" {
		t.Errorf("budget = %+v", b)
	}
	if l := b.Limits["sec/op"]; l.Source != "10ns * lines" || l.Unit != "sec/op" || l.Line != 17 || l.Column != 15 || l.File != "testdata/design.yaml" {
		t.Errorf("sec/op limit = %+v", l)
	}
	if b.Tolerance["sec/op"] != 0.03 || b.Profile == nil || b.Profile.CPUShare["regexp.*"] != 0.05 {
		t.Errorf("tolerance %v profile %+v", b.Tolerance, b.Profile)
	}
	if s := cfg.Staging; s == nil || s.Service != "demo-service" || len(s.Budgets) != 1 ||
		s.Budgets[0].Function != "encoding/json.*" || s.Budgets[0].CPUShare != 0.1 || s.Budgets[0].Line != 26 {
		t.Errorf("staging = %+v", cfg.Staging)
	}
}

func TestParseValues(t *testing.T) {
	src := `version: 1
run:
  packages: ./cmd/...
  bench: Sum/lines=1000
  benchtime: 1000x
tolerance:
  ns/op: 0.02
  MB/s: 10%
  lines/op: 1.5%
base: &base
  operation: op
  dataset: data
budgets:
  - <<: *base
    benchmark: Parse/*
    limits:
      ns/op: 2 * n + 1us
      MB/s: 100MB/s
    profile:
      allocs/op: {"strconv\\..*": 1k}
      B/op: {"bytes\\..*": 4KiB}
staging:
  service: svc
  budgets:
    - function: runtime\.mallocgc
      allocs/s: 1M
`
	_, err := Parse("p.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `p.yaml:10:1: unknown key "base"`) {
		t.Fatalf("an anchor holder at top level is still an unknown key; got %v", err)
	}
	src = strings.Replace(src, "base: &base\n  operation: op\n  dataset: data\n", "", 1)
	src = strings.Replace(src, "  - <<: *base\n", "  - operation: op\n    dataset: data\n", 1)
	cfg, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Run.Packages[0] != "./cmd/..." || cfg.Run.Benchtime != "1000x" || cfg.Run.Count != 10 {
		t.Errorf("run = %+v", cfg.Run)
	}
	if tol := cfg.Tolerance; tol["sec/op"] != 0.02 || tol["B/s"] != 0.1 || tol["lines/op"] != 0.015 {
		t.Errorf("tolerance = %v (keys are tidied units)", tol)
	}
	b := cfg.Budgets[0]
	n := "BenchmarkParse/n=1k"
	if v, err := b.Limits["sec/op"].Eval(n); err != nil || !near(v, 2e-9*1000+1e-6) {
		t.Errorf("ns/op limit: bare numbers are nanoseconds: got %g, %v", v, err)
	}
	if v, err := b.Limits["B/s"].Eval(n); err != nil || v != 100e6 {
		t.Errorf("MB/s limit = %g, %v", v, err)
	}
	if p := b.Profile; p.AllocsPerOp[`strconv\..*`] != 1000 || p.BytesPerOp[`bytes\..*`] != 4096 {
		t.Errorf("profile = %+v", p)
	}
	if s := cfg.Staging.Budgets[0]; s.AllocsPerSecond != 1e6 || s.CPUShare != 0 {
		t.Errorf("staging budget = %+v", s)
	}
}

func TestParseMergeKeys(t *testing.T) {
	src := "version: 1\nrun: &r\n  count: 5\nbudgets:\n  - &e\n    benchmark: A\n    operation: o\n    dataset: d\n    limits: {allocs/op: 0}\n  - <<: *e\n    benchmark: B\n"
	cfg, err := Parse("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Budgets) != 2 || cfg.Budgets[1].Benchmark != "B" || cfg.Budgets[1].Operation != "o" || len(cfg.Budgets[1].Limits) != 1 {
		t.Errorf("merged entry = %+v", cfg.Budgets[1])
	}
}

func TestLoadMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "perfslo.yaml")
	_, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(missing) = %v; want fs.ErrNotExist naming %s", err, path)
	}
}

func TestLoadModule(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m // comment\n\ngo 1.22\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "ci"), 0o777); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ci", "perfslo.yaml")
	if err := os.WriteFile(path, []byte("version: 1\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Module != "example.com/m" || cfg.File != path {
		t.Errorf("Module = %q, File = %q", cfg.Module, cfg.File)
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if c.Version != 1 || c.Run.Bench != "." || c.Run.Count != 10 || c.Run.Benchtime != "100ms" || c.Run.CPU != 1 ||
		len(c.Run.Packages) != 1 || c.Run.Packages[0] != "./..." || len(c.Budgets) != 0 || c.Staging != nil {
		t.Errorf("Default() = %+v", c)
	}
	for unit, want := range map[string]float64{"sec/op": 0.05, "ns/op": 0.05, "B/op": 0, "allocs/op": 0, "B/s": 0.05, "lines/op": 0.05} {
		if got := c.ToleranceFor(nil, unit); got != want {
			t.Errorf("ToleranceFor(nil, %s) = %g, want %g", unit, got, want)
		}
	}
}

func TestRunMaxTime(t *testing.T) {
	cfg, err := Parse("p.yaml", []byte("version: 1\nrun:\n  max-time: 90s\n"))
	if err != nil || cfg.Run.MaxTime != 90*time.Second {
		t.Fatalf("max-time 90s: %v, %v", cfg, err)
	}
	if Default().Run.MaxTime != DefaultMaxTime {
		t.Errorf("default max-time %v", Default().Run.MaxTime)
	}
	_, err = Parse("p.yaml", []byte("version: 1\nrun:\n  max-time: soon\n"))
	if err == nil || !strings.Contains(err.Error(), `p.yaml:3:13: run.max-time "soon": expected a positive duration`) {
		t.Errorf("bad max-time: %v", err)
	}
}

// TestMeasureAndCountUnits reads run.measure and gives instructions/op a
// limit and the counts' default tolerance.
func TestMeasureAndCountUnits(t *testing.T) {
	cfg, err := Parse("perfslo.yaml", []byte("version: 1\nrun:\n  measure: instructions\nbudgets:\n  - benchmark: BenchmarkX\n    operation: x\n    dataset: y\n    limits:\n      instructions/op: 2k\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Run.Measure != MeasureInstructions {
		t.Errorf("run.measure %q", cfg.Run.Measure)
	}
	if Default().Run.Measure != MeasureTime {
		t.Errorf("default measure %q, want time", Default().Run.Measure)
	}
	if got := cfg.ToleranceFor(nil, UnitInstructions); got != DefaultCountTolerance {
		t.Errorf("instructions/op tolerance %g, want %g", got, DefaultCountTolerance)
	}
	if l, ok := cfg.Budgets[0].Limits[UnitInstructions]; !ok || l.Unit != UnitInstructions {
		t.Errorf("limits %+v: want an instructions/op limit", cfg.Budgets[0].Limits)
	}
}

// TestBudgetMeasure reads an entry's measure with its line, and MeasureFor
// gives the first matching entry's measure, else run.measure, saying which.
func TestBudgetMeasure(t *testing.T) {
	src := "version: 1\nrun:\n  measure: time\nbudgets:\n  - benchmark: BenchmarkHash*\n    measure: instructions\n    tolerance:\n      instructions/op: 1%\n  - benchmark: BenchmarkOther\n    tolerance:\n      sec/op: 10%\n"
	cfg, err := Parse("perfslo.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.Budgets[0]; b.Measure != MeasureInstructions || b.MeasureLine != 6 {
		t.Errorf("entry measure %q at line %d, want instructions at 6", b.Measure, b.MeasureLine)
	}
	if !cfg.Counts() {
		t.Error("Counts() = false with a measure: instructions entry")
	}
	for _, c := range []struct{ name, measure, why string }{
		{"BenchmarkHash/size=1", MeasureInstructions, "perfslo.yaml:6: measure: instructions"},
		{"BenchmarkOther", MeasureTime, "run.measure: time"}, // matched, no measure of its own
		{"BenchmarkNone", MeasureTime, "run.measure: time"},
	} {
		m, why := cfg.MeasureFor("example.com/m", c.name)
		if m != c.measure || why != c.why {
			t.Errorf("MeasureFor(%s) = %q, %q; want %q, %q", c.name, m, why, c.measure, c.why)
		}
	}
	// A measure alone is something to state.
	if _, err := Parse("perfslo.yaml", []byte("version: 1\nbudgets:\n  - benchmark: BenchmarkX\n    measure: auto\n")); err != nil {
		t.Errorf("measure-only entry: %v", err)
	}
	if Default().Counts() {
		t.Error("the default config counts")
	}
}
