package gate

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/budgets"
)

const burnYAML = `version: 1
budgets:
  - benchmark: BenchmarkEncode
    operation: encode a batch of orders
    dataset: 100 orders
    limits:
      sec/op: 100µs
burn:
  window: 5
  warn: 5%
  fail: 20%
`

// snapshot builds a baseline from benchfmt text, as the store does.
func snapshot(t *testing.T, commit string, day int, text string) Snapshot {
	t.Helper()
	side, err := SideFromResults([]byte(text), commit)
	if err != nil {
		t.Fatal(err)
	}
	return Snapshot{Commit: commit, Date: time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC), Side: side, Summaries: Summarize(side, 0)}
}

func encodeRuns(centerUS float64) string {
	var b strings.Builder
	b.WriteString("pkg: example.com/enc\n")
	for i, d := range []float64{-2, -1, 0, 1, 2, 0.5, -0.5} {
		fmt.Fprintf(&b, "BenchmarkEncode \t 1000\t %.0f ns/op\t 4824 B/op\t %d allocs/op\n", (centerUS+d)*1000, 101+0*i)
	}
	return b.String()
}

func TestTrendsAndBurn(t *testing.T) {
	cfg, err := budgets.Parse("perfslo.yaml", []byte(burnYAML))
	if err != nil {
		t.Fatal(err)
	}
	var snaps []Snapshot
	for i, c := range []float64{20, 30, 40, 50, 60} { // headroom 80% → 40%
		snaps = append(snaps, snapshot(t, fmt.Sprintf("%012x", i+1), i+1, encodeRuns(c)))
	}
	trends := Trends(snaps, cfg)
	var tr *Trend
	for i := range trends {
		if trends[i].Unit == "sec/op" {
			tr = &trends[i]
		}
		if trends[i].Unit != "sec/op" && trends[i].Limit != nil {
			t.Errorf("%s has a limit", trends[i].Name())
		}
	}
	if tr == nil || len(tr.Points) != 5 || tr.Limit == nil || math.Abs(tr.Limit.Limit-100e-6) > 1e-12 {
		t.Fatalf("sec/op trend: %+v", tr)
	}
	if h := *tr.Points[0].Headroom; math.Abs(h-0.8) > 1e-9 {
		t.Errorf("first headroom %v, want 0.8", h)
	}
	burns := BurnRates(trends, cfg.BurnPolicy())
	if len(burns) != 1 {
		t.Fatalf("%d burns", len(burns))
	}
	b := burns[0]
	if math.Abs(b.Rate-0.10) > 1e-9 || math.Abs(b.Consumed-0.5) > 1e-9 || b.Left == nil || math.Abs(*b.Left-4) > 1e-9 || b.Level != "warn" {
		t.Errorf("burn %+v", b)
	}
	if want := "at this pace BenchmarkEncode exhausts its sec/op budget in about 4 releases"; !strings.Contains(b.Sentence(), want) {
		t.Errorf("sentence %q lacks %q", b.Sentence(), want)
	}
	if fail := BurnRates(trends, budgets.Burn{Window: 5, Fail: 0.1}); fail[0].Level != "fail" {
		t.Errorf("rate 10%% at fail 10%%: level %q", fail[0].Level)
	}
	flat := BurnRates(Trends(snaps[:1], cfg), cfg.BurnPolicy())
	if len(flat) != 0 {
		t.Errorf("a single point has a burn: %+v", flat)
	}

	// Creep base: five back, or the newest at least 3 days older.
	if i, ok := CreepBase(snaps, budgets.Creep{Commits: 4}); !ok || i != 0 {
		t.Errorf("commits 4: %d %v", i, ok)
	}
	if i, ok := CreepBase(snaps, budgets.Creep{Days: 3}); !ok || i != 1 {
		t.Errorf("days 3: %d %v", i, ok)
	}
	if _, ok := CreepBase(snaps, budgets.Creep{Commits: 5}); ok {
		t.Error("commits 5 of a history of 5 found a base")
	}

	// The creep of a compacted base is judged on intervals and says so.
	compacted := snaps[0]
	compacted.Side = nil
	rep := Creep(compacted, snaps[4], cfg, budgets.Creep{Tolerance: map[string]float64{"sec/op": 0.1}}, Options{})
	reg := 0
	for _, r := range rep.Results {
		if r.Verdict == Regression {
			reg++
			if r.Unit != "sec/op" || !strings.Contains(strings.Join(r.Warnings, ";"), "compacted summary") {
				t.Errorf("row %+v", r)
			}
		}
	}
	if reg != 1 {
		t.Errorf("%d creep rows on summaries, want 1 (sec/op tripled)", reg)
	}

	chart := TrendChart(tr)
	for _, want := range []string{"```mermaid\nxychart-beta", `title "Encode sec/op (µs)"`, "line [20, 30, 40, 50, 60]", "line [100, 100, 100, 100, 100]", `"0000000"`} {
		if !strings.Contains(chart, want) {
			t.Errorf("chart lacks %q:\n%s", want, chart)
		}
	}
}

// mdHistoryReport is a gate report with a history note: the head regressed
// against its base and creeps against the baseline four back.
func mdHistoryReport(t *testing.T) *Report {
	t.Helper()
	cfg, err := budgets.Parse("perfslo.yaml", []byte(burnYAML))
	if err != nil {
		t.Fatal(err)
	}
	var snaps []Snapshot
	for i, c := range []float64{20, 30, 40, 50, 60} {
		snaps = append(snaps, snapshot(t, fmt.Sprintf("%012x", i+1), i+1, encodeRuns(c)))
	}
	now := time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC)
	rep := Compare(snaps[3].Side, snaps[4].Side, Options{Config: cfg, Now: now})
	creep := Creep(snaps[0], snaps[4], cfg, budgets.Creep{Tolerance: map[string]float64{"sec/op": 0.1}}, Options{Config: cfg, Now: now})
	note := &HistoryNote{Back: 4, Base: creep.Base}
	for _, r := range creep.Results {
		if r.Verdict == Regression {
			note.Creep = append(note.Creep, r)
		}
	}
	trends := Trends(snaps, cfg)
	note.Burn = BurnRates(trends, cfg.BurnPolicy())
	for _, tr := range trends {
		if tr.Unit == "sec/op" {
			note.Trends = append(note.Trends, tr)
		}
	}
	rep.History = note
	return rep
}

// TestHistoryJSONRoundTrip: summaries and trend points keep their names
// through JSON (the compacted history and the report's history note).
func TestHistoryJSONRoundTrip(t *testing.T) {
	h := 0.25
	in := struct {
		S []Summary
		P []Point
	}{
		[]Summary{{Package: "p", Benchmark: "BenchmarkX", Unit: "sec/op", HigherIsBetter: true, Stat: Stat{Center: 2, Low: 1, High: math.Inf(1), N: 3}}},
		[]Point{{Commit: "abc", Date: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Stat: Stat{Center: 5, Low: 4, High: 6, N: 10}, Headroom: &h}},
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		S []Summary
		P []Point
	}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	s, p := out.S[0], out.P[0]
	if s.Package != "p" || s.Benchmark != "BenchmarkX" || s.Unit != "sec/op" || !s.HigherIsBetter || s.Center != 2 || !math.IsInf(s.High, 1) || s.N != 3 {
		t.Errorf("summary %+v from %s", s, data)
	}
	if p.Commit != "abc" || p.Center != 5 || p.Headroom == nil || *p.Headroom != h || p.Date.Day() != 2 {
		t.Errorf("point %+v from %s", p, data)
	}
}

func TestSummariesText(t *testing.T) {
	in := []Summary{
		{Package: "p/a", Benchmark: "BenchmarkX/n=1", Unit: "sec/op", Stat: Stat{Center: 3.48123456e-05, Low: 3.3e-05, High: math.Inf(1), N: 3}},
		{Package: "p/a", Benchmark: "BenchmarkX/n=1", Unit: "B/s", HigherIsBetter: true, Stat: Stat{Center: 1e9, Low: 9e8, High: 1.1e9, N: 3}},
		{Package: "p/b", Benchmark: "BenchmarkY", Unit: "allocs/op", Stat: Stat{Center: 4, Low: 4, High: 4, N: 10}},
	}
	text := FormatSummaries(in)
	if strings.Count(text, "pkg: ") != 2 || !strings.Contains(text, "BenchmarkX/n=1 sec/op 3.48123e-05 3.3e-05 +Inf 3\n") {
		t.Errorf("text:\n%s", text)
	}
	out, err := ParseSummaries(text, "e.json")
	if err != nil || len(out) != 3 {
		t.Fatalf("%v %+v", err, out)
	}
	if out[1].Package != "p/a" || !out[1].HigherIsBetter || out[1].Unit != "B/s" || !math.IsInf(out[0].High, 1) || out[2].Package != "p/b" || out[2].N != 10 {
		t.Errorf("parsed %+v", out)
	}
	if _, err := ParseSummaries("pkg: x\nBenchmarkY sec/op 1 2 three 4\n", "e.json"); err == nil || !strings.Contains(err.Error(), `e.json:2: "three" is not a number`) {
		t.Errorf("bad line: %v", err)
	}
}
