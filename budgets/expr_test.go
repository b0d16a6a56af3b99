package budgets

import (
	"math"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b)) }

// limit compiles one expression for unit the way Parse does.
func limit(t *testing.T, unit, src string) Limit {
	t.Helper()
	yaml := "version: 1\nbudgets:\n  - benchmark: X/*\n    operation: o\n    dataset: d\n    limits:\n      " + unit + ": " + src + "\n"
	cfg, err := Parse("l.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("%s: %s: %v", unit, src, err)
	}
	_, tidied := TidyUnit(unit)
	return cfg.Budgets[0].Limits[tidied]
}

func TestEval(t *testing.T) {
	for _, tc := range []struct {
		unit, src, bench string
		want             float64
		params           string
	}{
		// The DESIGN examples.
		{"sec/op", "10ns * lines", "BenchmarkSum/lines=1000", 1e-5, "lines"},
		{"B/op", "10KiB + 0.4 * lines", "BenchmarkSum/lines=1000", 10240 + 400, "lines"},
		{"allocs/op", "0", "BenchmarkSum/lines=1000", 0, ""},
		// Quantities.
		{"sec/op", "2ms", "BenchmarkX", 2e-3, ""},
		{"sec/op", "1.5us*n + 200ns", "BenchmarkX/n=10", 15e-6 + 200e-9, "n"},
		{"sec/op", "1.5µs*n + 200ns", "BenchmarkX/n=10", 15e-6 + 200e-9, "n"},
		{"sec/op", "1.5μs*n", "BenchmarkX/n=10", 15e-6, "n"}, // Greek mu
		{"sec/op", "1 s", "BenchmarkX", 1, ""},
		{"sec/op", "0.5", "BenchmarkX", 0.5, ""},   // bare: seconds under sec/op
		{"ns/op", "0.5", "BenchmarkX", 0.5e-9, ""}, // bare: nanoseconds under ns/op
		{"ns/op", "1us", "BenchmarkX", 1e-6, ""},
		{"B/op", "1MiB - 1KB", "BenchmarkX", 1<<20 - 1000, ""},
		{"B/op", "2GB / n", "BenchmarkX/n=4", 5e8, "n"},
		{"B/s", "100MB/s", "BenchmarkX", 1e8, ""},
		{"B/s", "100MB", "BenchmarkX", 1e8, ""},
		{"MB/s", "100", "BenchmarkX", 1e8, ""},
		{"allocs/op", "1k + n", "BenchmarkX/n=1M", 1e3 + 1e6, "n"},
		{"lines/s", "1e6 * 2", "BenchmarkX", 2e6, ""},
		// Parameters with suffixes, several levels, GOMAXPROCS.
		{"B/op", "size", "BenchmarkX/size=4kB", 4000, "size"},
		{"B/op", "size", "BenchmarkX/size=1KiB", 1024, "size"},
		{"B/op", "2 * size + n", "BenchmarkX/size=1KiB/n=3-8", 2051, "n,size"},
		{"sec/op", "timeout / 2", "BenchmarkX/timeout=10ms", 5e-3, "timeout"},
		// Complexity statements.
		{"sec/op", "10ns * n * log2(n)", "BenchmarkSort/n=1024", 10e-9 * 1024 * 10, "n"},
		{"sec/op", "(1us + 2ns * n) * 2", "BenchmarkX/n=500", 4e-6, "n"},
		{"sec/op", "max(1us, 1ns * n)", "BenchmarkX/n=5000", 5e-6, "n"},
		{"sec/op", "min(1us, 1ns * n) + sqrt(n) * 1ns + ln(1) + log10(100)*1ns", "BenchmarkX/n=100", 100e-9 + 10e-9 + 2e-9, "n"},
		{"sec/op", "-1ns + 2ns", "BenchmarkX", 1e-9, ""},
	} {
		l := limit(t, tc.unit, tc.src)
		got, err := l.Eval(tc.bench)
		if err != nil {
			t.Errorf("%s %q on %s: %v", tc.unit, tc.src, tc.bench, err)
			continue
		}
		if !near(got, tc.want) {
			t.Errorf("%s %q on %s = %g, want %g", tc.unit, tc.src, tc.bench, got, tc.want)
		}
		if p := strings.Join(l.Params(), ","); p != tc.params {
			t.Errorf("%q params = %q, want %q", tc.src, p, tc.params)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	for _, tc := range []struct {
		unit, src, bench, want string
	}{
		{"sec/op", "10ns * lines", "BenchmarkSum", `l.yaml:7:22: limit "10ns * lines" needs parameter "lines", which benchmark BenchmarkSum does not set (a sub-benchmark name binds it, as in BenchmarkSum/lines=1000)`},
		{"sec/op", "10ns * lines", "BenchmarkSum/line=10", `l.yaml:7:22: limit "10ns * lines" needs parameter "lines", which benchmark BenchmarkSum/line=10 does not set (it sets line)`},
		{"sec/op", "10ns * n + 1ns * lines", "BenchmarkSum/n=1", `l.yaml:7:32: limit "10ns * n + 1ns * lines" needs parameter "lines"`},
		{"sec/op", "10ns * lines", "BenchmarkSum/lines=many", `l.yaml:7:22: limit "10ns * lines": parameter lines=many of benchmark BenchmarkSum/lines=many is not a number`},
		{"sec/op", "1ns / (n - 1)", "BenchmarkX/n=1", `l.yaml:7:19: limit "1ns / (n - 1)" for benchmark BenchmarkX/n=1: division by zero`},
		{"sec/op", "1ns * log2(n)", "BenchmarkX/n=0", `l.yaml:7:21: limit "1ns * log2(n)" for benchmark BenchmarkX/n=0: logarithm of a number ≤ 0`},
		{"sec/op", "1ns - n", "BenchmarkX/n=1", `l.yaml:7:15: limit "1ns - n" for benchmark BenchmarkX/n=1 is negative`},
	} {
		_, err := limit(t, tc.unit, tc.src).Eval(tc.bench)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q on %s: error %v\nwant prefix %s", tc.src, tc.bench, err, tc.want)
		}
		if _, ok := err.(*Error); !ok {
			t.Errorf("%q: error is %T, want *Error", tc.src, err)
		}
	}
	if _, err := (Limit{Source: "1"}).Eval("BenchmarkX"); err == nil {
		t.Errorf("a zero Limit evaluates without error")
	}
}

func TestLimitString(t *testing.T) {
	for _, tc := range []struct{ unit, src, want string }{
		{"sec/op", "10ns * lines", "10ns × lines"},
		{"B/op", "10KiB+0.4*lines", "10KiB + 0.4 × lines"},
		{"sec/op", "(1us + 2ns*n) / 2", "(1us + 2ns × n) / 2"},
		{"sec/op", "10ns*n*log2(n)", "10ns × n × log2(n)"},
		{"sec/op", "-1ns + max(1ns, 2)", "-1ns + max(1ns, 2)"},
		{"B/s", "100MB/s", "100MB/s"},
	} {
		src, want := tc.src, tc.want
		if got := limit(t, tc.unit, `"`+src+`"`).String(); got != want {
			t.Errorf("String(%q) = %q, want %q", src, got, want)
		}
	}
}

func TestUnits(t *testing.T) {
	for _, tc := range []struct {
		unit   string
		scale  float64
		tidied string
		higher bool
	}{
		{"ns/op", 1e-9, "sec/op", false},
		{"sec/op", 1, "sec/op", false},
		{"B/op", 1, "B/op", false},
		{"allocs/op", 1, "allocs/op", false},
		{"MB/s", 1e6, "B/s", true},
		{"B/s", 1, "B/s", true},
		{"ops/s", 1, "ops/s", true},
		{"rows/sec", 1, "rows/sec", true},
		{"ns/line", 1e-9, "sec/line", false},
		{"lines/op", 1, "lines/op", false},
	} {
		scale, tidied := TidyUnit(tc.unit)
		if scale != tc.scale || tidied != tc.tidied {
			t.Errorf("TidyUnit(%q) = %g, %q; want %g, %q", tc.unit, scale, tidied, tc.scale, tc.tidied)
		}
		if got := HigherIsBetter(tc.unit); got != tc.higher {
			t.Errorf("HigherIsBetter(%q) = %v", tc.unit, got)
		}
	}
	for unit, want := range map[string]float64{"sec/op": 0.05, "ns/op": 0.05, "B/op": 0, "allocs/op": 0, "B/s": 0.05, "custom/op": 0.05} {
		if got := DefaultTolerance(unit); got != want {
			t.Errorf("DefaultTolerance(%q) = %g, want %g", unit, got, want)
		}
	}
}

func TestBenchmarkParams(t *testing.T) {
	got := BenchmarkParams("BenchmarkX/size=4kB/mode=fast/positional/n=3-8")
	if len(got) != 3 || got["size"] != "4kB" || got["mode"] != "fast" || got["n"] != "3" {
		t.Errorf("BenchmarkParams = %v", got)
	}
}
