package pipeline

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/recorded"
	"github.com/perfslo/perfslo/internal/store"
)

const creepYAML = `version: 1
tolerance:
  sec/op: 10%
creep:
  commits: 5
  tolerance: {sec/op: 10%}
budgets:
  - benchmark: BenchmarkSum/lines=*
    package: ./sum
    operation: sum the integers of a file, one per line
    dataset: "lines=N random 8-digit integers"
    limits:
      sec/op: 30µs + 60ns * lines
burn:
  window: 5
  warn: 3%
  fail: 50%
`

// creepHistory builds a real git history of six commits on main, each a
// 3% slowdown of the sum benchmarks over the last, and records a baseline
// per commit in the repository's git store. The samples are the examples'
// recorded runs (the same 20 of the 30 recorded processes per baseline) with their times multiplied by 1.03^step.
func creepHistory(t *testing.T) (*store.GitBranch, *budgets.Config, []string) {
	t.Helper()
	cfg, err := budgets.Parse("perfslo.yaml", []byte(creepYAML))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Module = "github.com/perfslo/perfslo/examples"
	runs, err := recorded.Runs("../../bench/simulate/pools/examples-sum.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	h := recorded.History{Commits: 6, Start: start, Step: 24 * time.Hour, Meta: store.Meta{Name: "main", Ref: "main", Count: 10}, Policy: cfg.HistoryPolicy(),
		Results: func(i int) string {
			return recorded.Scale(recorded.Pick(runs, 0, 20), "BenchmarkSum", math.Pow(1.03, float64(i)))
		}}
	g, commits, err := h.Record(dir)
	if err != nil {
		t.Fatal(err)
	}
	return g, cfg, commits
}

// TestCreepOfFiveSmallSteps is the first done-means: five 3%
// steps, each passing the per-PR judgement, flagged by history as creep.
func TestCreepOfFiveSmallSteps(t *testing.T) {
	g, cfg, commits := creepHistory(t)
	entries, err := g.History()
	if err != nil || len(entries) != 6 {
		t.Fatalf("%d entries: %v", len(entries), err)
	}
	// Each step, judged as its pull request was: previous baseline vs this
	// one, the project's tolerances, the gate's statistics.
	for i := 1; i < len(entries); i++ {
		prev, _ := entries[i-1].Snapshot()
		cur, _ := entries[i].Snapshot()
		rep := gate.Compare(prev.Side, cur.Side, gate.Options{Config: cfg, Now: time.Now()})
		code, why, _ := rep.Exit(gate.FailOnUnmeasurable)
		if code != gate.ExitPass || len(rep.Results) == 0 {
			t.Fatalf("step %d does not pass the per-PR gate (exit %d: %s; %d failed of %d rows): the creep story needs steps that pass", i, code, why, rep.Failed(), len(rep.Results))
		}
		t.Logf("step %d (%s): per-PR verdict %s, exit %d %s, %d unmeasurable", i, ShortCommit(commits[i]), rep.Verdict(), code, why, rep.Unmeasurable())
	}
	v, err := LoadHistory(g, cfg, "", gate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Creep == nil || v.Back != 5 || v.CreepBase.Commit != commits[0] || v.Head.Commit != commits[5] {
		t.Fatalf("creep base: back %d, %s vs %s", v.Back, ShortCommit(v.Head.Commit), ShortCommit(v.CreepBase.Commit))
	}
	creeping := map[string]bool{}
	for _, r := range v.Creeping() {
		if r.Unit == "sec/op" {
			creeping[r.Benchmark] = true
			if r.Delta == nil || *r.Delta < 0.10 {
				t.Errorf("%s creeps by %v, within the 10%% tolerance", r.Benchmark, r.Delta)
			}
		}
		if r.Unit == "B/op" || r.Unit == "allocs/op" {
			t.Errorf("%s %s flagged: only time moved", r.Benchmark, r.Unit)
		}
	}
	if len(creeping) == 0 {
		t.Fatalf("no creep flagged:\n%s", render(t, v))
	}
	if v.Exit() != gate.ExitFail {
		t.Errorf("exit %d with creep", v.Exit())
	}
	out := render(t, v)
	for _, want := range []string{"CREEP BenchmarkSum/lines=", "RAER limit ≤ 30µs + 60ns * lines", "headroom", ShortCommit(commits[5])} {
		if !strings.Contains(out, want) {
			t.Errorf("history output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("perfslo history:\n%s", out)

	// --last 2 prints the newest two baselines of each trend.
	v.Show = 2
	short := render(t, v)
	if !strings.Contains(short, "(4 older baselines: --last N shows more") || strings.Contains(short, ShortCommit(commits[3])) || !strings.Contains(short, ShortCommit(commits[4])) {
		t.Errorf("--last 2:\n%s", short)
	}

	// --bench narrows every part.
	narrow, err := LoadHistory(g, cfg, "lines=1000$", gate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range narrow.Trends {
		if !strings.HasSuffix(tr.Benchmark, "lines=1000") {
			t.Errorf("--bench kept %s", tr.Benchmark)
		}
	}
}

func render(t *testing.T, v *HistoryView) string {
	t.Helper()
	var b strings.Builder
	if err := WriteHistory(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestAttachHistoryToPR: a pull request making the sixth 3% step passes
// its own comparison, and the comment shows the creep and a chart.
func TestAttachHistoryToPR(t *testing.T) {
	g, cfg, _ := creepHistory(t)
	runs, err := recorded.Runs("../../bench/simulate/pools/examples-sum.txt")
	if err != nil {
		t.Fatal(err)
	}
	headText := recorded.Scale(recorded.Pick(runs, 0, 20), "BenchmarkSum", math.Pow(1.03, 6))
	head, err := gate.SideFromResults([]byte(headText), "head")
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := g.History()
	base, _ := entries[len(entries)-1].Snapshot()
	rep := gate.Compare(base.Side, head, gate.Options{Config: cfg, Now: time.Now()})
	rep.Head.Commit = "feedfacecafe"
	if rep.Failed() != 0 {
		t.Fatalf("the PR's own step fails: %d", rep.Failed())
	}
	AttachHistory(context.Background(), Plan{ModuleDir: g.Repo, StoreSpec: "git:" + store.DefaultGitBranch, Config: cfg}, head, rep)
	if rep.History == nil || len(rep.History.Creep) == 0 || len(rep.History.Trends) == 0 {
		t.Fatalf("history note: %+v", rep.History)
	}
	md := gate.RenderMarkdown(rep, gate.MarkdownOptions{})
	for _, want := range []string{"**Creep** since", "xychart-beta", "BenchmarkSum/lines=100000", `RAER limit 30µs + 60ns \* lines`} {
		if !strings.Contains(md, want) {
			t.Errorf("comment lacks %q:\n%s", want, md)
		}
	}
	t.Logf("comment:\n%s", md)

	// No history yet: a warning, not a failure.
	empty := &gate.Report{}
	AttachHistory(context.Background(), Plan{ModuleDir: t.TempDir(), StoreSpec: "git:x", Config: cfg}, head, empty)
	if empty.History == nil || len(empty.History.Warnings) == 0 {
		t.Errorf("no warning without a repository: %+v", empty.History)
	}
}

// TestBurnOverFiveRecordedBaselines is the second done-means: a
// benchmark whose headroom shrinks over five recorded baselines gets its
// burn-rate line, and a burn.fail threshold fails its row in the gate.
func TestBurnOverFiveRecordedBaselines(t *testing.T) {
	src, err := os.ReadFile("../../examples/perfslo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml := string(src) + "\nburn:\n  window: 5\n  warn: 3%\n  fail: 4%\n"
	cfg, err := budgets.Parse("examples/perfslo.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Module = "github.com/perfslo/perfslo/examples"
	runs, err := recorded.Runs("../../bench/simulate/pools/examples-jsonenc.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	factor := func(i int) float64 { return 1 + 0.08*float64(i) }
	h := recorded.History{Commits: 5, Start: start, Step: 24 * time.Hour, Meta: store.Meta{Name: "main"}, Policy: cfg.HistoryPolicy(),
		Results: func(i int) string { return recorded.Scale(recorded.Pick(runs, 0, 10), "BenchmarkEncode", factor(i)) }}
	g, _, err := h.Record(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := LoadHistory(g, cfg, "BenchmarkEncode$", gate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, b := range v.Burn {
		if b.Benchmark == "BenchmarkEncode" && b.Unit == "sec/op" {
			line = b.Sentence()
			if b.Window != 5 || !(b.Last < b.First) || b.Rate <= 0.03 || b.Level != "warn" && b.Level != "fail" || b.Left == nil {
				t.Errorf("burn %+v", b)
			}
		}
	}
	if !strings.Contains(line, "at this pace BenchmarkEncode exhausts its sec/op budget in about") {
		t.Fatalf("burn line %q\n%s", line, render(t, v))
	}
	t.Logf("burn: %s", line)

	// The PR that takes the next step passes its own comparison (+3%) and
	// fails on the burn.
	headText := recorded.Scale(recorded.Pick(runs, 0, 10), "BenchmarkEncode", factor(4)*1.03)
	head, _ := gate.SideFromResults([]byte(headText), "head")
	last, _ := (&store.HistoryEntry{Results: recorded.Scale(recorded.Pick(runs, 0, 10), "BenchmarkEncode", factor(4))}).Snapshot()
	rep := gate.Compare(last.Side, head, gate.Options{Config: cfg, Now: time.Now()})
	if rep.Failed() != 0 {
		t.Fatalf("the PR's own step fails: %d", rep.Failed())
	}
	AttachHistory(context.Background(), Plan{ModuleDir: dir, StoreSpec: "git:" + store.DefaultGitBranch, Config: cfg}, head, rep)
	failed := false
	for _, r := range rep.Results {
		if r.Benchmark == "BenchmarkEncode" && r.Unit == "sec/op" && r.Verdict == gate.Violation {
			failed = true
			t.Logf("row: %s", strings.Join(r.Reasons, "; "))
		}
	}
	if !failed || rep.Verdict() != gate.Fail {
		t.Errorf("burn.fail did not fail the row; verdict %s", rep.Verdict())
	}
}
