package pyroscope

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

func TestLabelSelector(t *testing.T) {
	for _, tc := range []struct {
		service, extra, want, err string
	}{
		{"api", "", `{service_name="api"}`, ""},
		{"api", "{}", `{service_name="api"}`, ""},
		{"api", ` {commit="abc"} `, `{service_name="api", commit="abc"}`, ""},
		{"api", `{commit="abc", env=~"stag.*"}`, `{service_name="api", commit="abc", env=~"stag.*"}`, ""},
		{`we"ird`, "", `{service_name="we\"ird"}`, ""},
		{"api", `commit="abc"`, "", "want labels in braces"},
		{"", "", "", "no service name"},
	} {
		got, err := LabelSelector(tc.service, tc.extra)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("LabelSelector(%q, %q) error = %v, want %q", tc.service, tc.extra, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("LabelSelector(%q, %q) = %q, %v; want %q", tc.service, tc.extra, got, err, tc.want)
		}
	}
}

func TestPackageOfAndApplication(t *testing.T) {
	for _, tc := range []struct {
		fn, pkg string
		app     bool
	}{
		{"encoding/json.(*encodeState).marshal", "encoding/json", false},
		{"runtime.mallocgc", "runtime", false},
		{"main.latencyReport", "main", true},
		{"main.main.func1", "main", true},
		{"github.com/perfslo/perfslo/examples/sum.sum", "github.com/perfslo/perfslo/examples/sum", true},
		{"gopkg.in/yaml.v3.Unmarshal", "gopkg.in/yaml", true},
		{"example.com/m.Map[go.shape.string,go.shape.int]", "example.com/m", true},
		{"slices.SortFunc[go.shape.[]example.com/m.T]", "slices", false},
	} {
		if got := packageOf(tc.fn); got != tc.pkg {
			t.Errorf("packageOf(%q) = %q, want %q", tc.fn, got, tc.pkg)
		}
		if got := isApplication(tc.fn); got != tc.app {
			t.Errorf("isApplication(%q) = %v, want %v", tc.fn, got, tc.app)
		}
	}
	for in, want := range map[string]string{
		"m.F.func1":      "m.F",
		"m.F.func1.2":    "m.F",
		"m.(*T).M.func3": "m.(*T).M",
		"m.functional":   "m.functional",
		"main.main":      "main.main",
	} {
		if got := enclosing(in); got != want {
			t.Errorf("enclosing(%q) = %q, want %q", in, got, want)
		}
	}
}

// cpuProfile builds a CPU profile the way Pyroscope returns one: sample type
// cpu/nanoseconds, one location per frame, stacks leaf first. Each stack
// gets value nanoseconds.
func cpuProfile(stacks map[string]int64) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     1e7,
	}
	fns := map[string]*profile.Function{}
	locs := map[string]*profile.Location{}
	for st, v := range stacks {
		var ls []*profile.Location
		for _, name := range strings.Split(st, ";") {
			if locs[name] == nil {
				f := &profile.Function{ID: uint64(len(fns) + 1), Name: name, SystemName: name, StartLine: 1}
				fns[name] = f
				p.Function = append(p.Function, f)
				l := &profile.Location{ID: uint64(len(locs) + 1), Line: []profile.Line{{Function: f, Line: 2}}}
				locs[name] = l
				p.Location = append(p.Location, l)
			}
			ls = append(ls, locs[name])
		}
		p.Sample = append(p.Sample, &profile.Sample{Location: ls, Value: []int64{v}})
	}
	return p
}

func TestCheckShares(t *testing.T) {
	const s = int64(1e7) // one sample at 100 Hz
	// 1000 samples: json 200 (one stack recursing through json twice,
	// counted once), report 300, runtime 500.
	prof := cpuProfile(map[string]int64{
		"encoding/json.compact;encoding/json.Marshal;encoding/json.Marshal;main.handle": 200 * s,
		"main.latencyReport;main.handle":                                                300 * s,
		"runtime.gcBgMarkWorker":                                                        500 * s,
	})
	cfg := &budgets.Config{File: "perfslo.yaml", Staging: &budgets.Staging{Service: "api", Budgets: []budgets.StagingBudget{
		{Function: `encoding/json\.`, CPUShare: 0.25, Line: 4, Column: 7}, // 20% ≤ 25%: pass
		{Function: `latencyReport`, CPUShare: 0.10, Line: 6, Column: 7},   // 30%, interval low 27%: violation
		{Function: `runtime\.`, CPUShare: 0.49, Line: 8, Column: 7},       // 50% over 49% inside the interval: pass + warning
		{Function: `nothing\.here`, CPUShare: 0.05, Line: 10, Column: 7},  // matches nothing: pass + warning
	}}}
	r, err := Check(cfg, CheckInput{Service: "api", Selector: `{commit="abc"}`, Window: time.Hour, CPU: prof})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict() != gate.Fail || r.Failed() != 1 || len(r.Results) != 4 {
		t.Fatalf("verdict %s, failed %d, %d rows; want fail, 1, 4", r.Verdict(), r.Failed(), len(r.Results))
	}
	if r.Head.Commit != "abc" || !strings.Contains(r.Head.Label, `{commit="abc"}, last 1h`) {
		t.Errorf("head source %+v", r.Head)
	}
	want := []struct {
		share   float64
		verdict gate.RowVerdict
		warn    string
	}{
		{0.2, gate.RowPass, ""},
		{0.3, gate.Violation, ""},
		{0.5, gate.RowPass, "inside the sampling interval"},
		{0, gate.RowPass, "matches no function"},
	}
	for i, w := range want {
		row := r.Results[i]
		if math.Abs(row.Head.Center-w.share) > 1e-9 || row.Verdict != w.verdict || row.Head.N != 1000 {
			t.Errorf("row %d (%s): share %g verdict %s n %d; want %g %s 1000", i, row.Function, row.Head.Center, row.Verdict, row.Head.N, w.share, w.verdict)
		}
		if row.Unit != UnitCPUShare || row.Package != StagingPackage || row.Benchmark != "api" || row.Budget.Config != fmt.Sprintf("%s:%d:7", cfg.File, 4+2*i) {
			t.Errorf("row %d: %+v %+v", i, row, row.Budget)
		}
		if w.warn != "" && (len(row.Warnings) == 0 || !strings.Contains(row.Warnings[0], w.warn)) {
			t.Errorf("row %d warnings %q, want %q", i, row.Warnings, w.warn)
		}
	}
	if !strings.Contains(strings.Join(r.Results[1].Reasons, "\n"), "main.latencyReport 30.0%") {
		t.Errorf("violation reasons %q do not name the function and its share", r.Results[1].Reasons)
	}

	// Too few samples: unmeasurable, not pass.
	few := cpuProfile(map[string]int64{"main.latencyReport": 10 * s, "runtime.x": 20 * s})
	r, err = Check(cfg, CheckInput{Service: "api", CPU: few})
	if err != nil {
		t.Fatal(err)
	}
	if r.Unmeasurable() != 4 || r.Results[0].Verdict != gate.Unmeasurable {
		t.Errorf("30 samples: unmeasurable %d, verdict %s; want 4, unmeasurable", r.Unmeasurable(), r.Results[0].Verdict)
	}

	// A bad pattern names the config position.
	bad := &budgets.Config{File: "p.yaml", Staging: &budgets.Staging{Budgets: []budgets.StagingBudget{{Function: "(", CPUShare: 0.1, Line: 3, Column: 5}}}}
	if _, err := Check(bad, CheckInput{CPU: prof}); err == nil || !strings.Contains(err.Error(), "p.yaml:3:5") {
		t.Errorf("bad regexp: error %v, want p.yaml:3:5", err)
	}
}

func TestComputeCoverage(t *testing.T) {
	const s = int64(1e7)
	staging := cpuProfile(map[string]int64{
		"encoding/json.Marshal;example.com/m/enc.Encode;main.handle;net/http.serve": 300 * s, // exercised: enc.Encode
		"slices.Sort;main.report;main.handle;net/http.serve":                        200 * s, // hot, unbenchmarked
		"example.com/m/enc.Encode.func1;main.handle":                                100 * s, // closure of exercised
		"runtime.gcBgMarkWorker":                                                    400 * s, // no application frame
	})
	bench := cpuProfile(map[string]int64{"encoding/json.Marshal;example.com/m/enc.Encode;example.com/m/enc.BenchmarkEncode": 50 * s})
	c, err := ComputeCoverage(staging, []*profile.Profile{bench})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.Exercised-0.4) > 1e-9 || math.Abs(c.Application-0.6) > 1e-9 {
		t.Errorf("exercised %g, application %g; want 0.4, 0.6", c.Exercised, c.Application)
	}
	if len(c.Unbenchmarked) != 1 || c.Unbenchmarked[0].Function != "main.report" || math.Abs(c.Unbenchmarked[0].Share-0.2) > 1e-9 {
		t.Errorf("unbenchmarked %+v, want main.report 20%%", c.Unbenchmarked)
	}
	want := "benchmarks exercise 40% of staging CPU (67% of the 60% under application code); hot and unbenchmarked: main.report (20%)"
	if got := c.Summary(5); got != want {
		t.Errorf("Summary:\n got %s\nwant %s", got, want)
	}
	if _, err := ComputeCoverage(cpuProfile(nil), []*profile.Profile{bench}); !errors.Is(err, ErrEmptyProfile) {
		t.Errorf("empty staging profile: %v, want ErrEmptyProfile", err)
	}
}

func TestCompare(t *testing.T) {
	const s = int64(1e7)
	base := cpuProfile(map[string]int64{"main.report;main.handle": 1000 * s, "main.sum;main.handle": 3000 * s})
	head := cpuProfile(map[string]int64{"main.report;main.handle": 4000 * s, "main.sum;main.handle": 4000 * s})
	c, err := Compare(base, head, 1)
	if err != nil {
		t.Fatal(err)
	}
	f := c.Functions[0]
	if len(c.Functions) != 1 || f.Function != "main.report" || math.Abs(f.BaseFlat-0.25) > 1e-9 || math.Abs(f.HeadFlat-0.5) > 1e-9 || f.P > 1e-6 {
		t.Errorf("top change %+v, want main.report 25%% → 50%%, p ≈ 0", c.Functions)
	}
	var b strings.Builder
	if err := c.WriteText(&b, "A", "B"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "+25.00pp") {
		t.Errorf("text:\n%s", b.String())
	}
}

func TestShortDurationAndServerMessage(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Hour: "1h", 90 * time.Minute: "1h30m", 30 * time.Second: "30s", 5 * time.Minute: "5m"} {
		if got := ShortDuration(d); got != want {
			t.Errorf("ShortDuration(%v) = %q, want %q", d, got, want)
		}
	}
	if got := serverMessage(`{"code":"invalid_argument","message":"1:5: parse error"}`); got != "1:5: parse error" {
		t.Errorf("serverMessage = %q", got)
	}
}
