package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/internal/pipeline"
	"github.com/perfslo/perfslo/internal/recorded"
	"github.com/perfslo/perfslo/internal/store"
)

// TestHistoryCommandFlagsCreep: perfslo history on a real git history of
// five 3% steps (the examples' recorded runs, times scaled per commit)
// exits 2 and names the creeping benchmark.
func TestHistoryCommandFlagsCreep(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	runs, err := recorded.Runs("../../bench/simulate/pools/examples-sum.txt")
	if err != nil {
		t.Fatal(err)
	}
	h := recorded.History{Commits: 6, Start: start, Step: 24 * time.Hour, Meta: store.Meta{Name: "main"}, Policy: budgets.History{Keep: 10, Raw: 10},
		Results: func(i int) string {
			return recorded.Scale(recorded.Pick(runs, 0, 20), "BenchmarkSum", math.Pow(1.03, float64(i)))
		}}
	if _, _, err := h.Record(dir); err != nil {
		t.Fatal(err)
	}
	cfg := "version: 1\ncreep:\n  commits: 5\n  tolerance: {sec/op: 10%}\n"
	if err := os.WriteFile(filepath.Join(dir, "perfslo.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := perfslo(t, dir, "history", "--bench", "lines=100000$", "--config", "perfslo.yaml")
	if code != 2 || !strings.Contains(out, "CREEP BenchmarkSum/lines=100000 sec/op") || strings.Contains(out, "lines=1000 ") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	t.Logf("\n%s", out)
	// A store without history says how to get one.
	code, _, errOut = perfslo(t, dir, "history", "--store", filepath.Join(dir, "plain"))
	if code != 1 || !strings.Contains(errOut, "git:") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// TestReportAndNapkinCommands: report --html writes the dashboard from the
// same kind of history; napkin --results flags a broken result with exit 2.
func TestReportAndNapkinCommands(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	runs, err := recorded.Runs("../../bench/simulate/pools/examples-sum.txt")
	if err != nil {
		t.Fatal(err)
	}
	h := recorded.History{Commits: 3, Start: start, Step: time.Hour, Meta: store.Meta{Name: "main"},
		Results: func(i int) string { return recorded.Pick(runs, i, 5) }}
	if _, _, err := h.Record(dir); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := perfslo(t, dir, "report", "--html", "site", "--assets", "https://cdn.invalid/echarts/")
	if code != 0 || !strings.Contains(out, "3 benchmarks from 3 baselines") {
		t.Fatalf("report: exit %d\n%s%s", code, out, errOut)
	}
	page, err := os.ReadFile(filepath.Join(dir, "site", "index.html"))
	if err != nil || !strings.Contains(string(page), `src="https://cdn.invalid/echarts/echarts.min.js"`) {
		t.Errorf("index.html: %v", err)
	}
	if code, _, errOut := perfslo(t, dir, "report"); code != 1 || !strings.Contains(errOut, "want --html DIR") {
		t.Errorf("report without --html: exit %d %s", code, errOut)
	}

	floors := `{"machine": {"cpu": "test"}, "date": "2026-12-01T00:00:00Z", "read": [{"size": 1073741824, "bytes_per_sec": 1e10}], "alloc": 2e-8}`
	results := "pkg: example.com/x\nBenchmarkBroken \t 1000000000\t 0.5 ns/op\t 2097152.00 MB/s\n"
	for name, body := range map[string]string{"floors.json": floors, "bench.txt": results, "bad.json": "{\n  \"read\": 3\n}"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ = perfslo(t, dir, "napkin", "--floors", "floors.json", "--results", "bench.txt")
	if code != 2 || !strings.Contains(out, "IMPLAUSIBLE") {
		t.Errorf("napkin: exit %d\n%s", code, out)
	}
	// A bad floors file is an error naming its line, not silently
	// measured over.
	if code, _, errOut := perfslo(t, dir, "napkin", "--floors", "bad.json", "--results", "bench.txt"); code != 1 || !strings.Contains(errOut, "bad.json:2:") {
		t.Errorf("bad floors: exit %d %s", code, errOut)
	}
	if _, err := pipeline.LoadFloors(filepath.Join(dir, "bad.json")); err == nil {
		t.Error("bad floors loaded")
	}
}
