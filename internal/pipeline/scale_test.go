package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/bench/scale/genrepo"
	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/github"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/internal/shard"
)

// quickPlan is a gate of dir with the fewest samples that still compare.
func quickPlan(t *testing.T, dir string) Plan {
	t.Helper()
	root, _, err := budgets.FindModule(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := budgets.LoadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Run.Count, cfg.Run.Benchtime = 2, "1x"
	if cfg.Run.Packages, err = budgets.WorkspacePatterns(root, cfg.Run.Packages); err != nil {
		t.Fatal(err)
	}
	return Plan{ModuleDir: root, Config: cfg, BaseRef: "HEAD", NoProfiles: true, Looks: 0,
		SamplesDir: filepath.Join(t.TempDir(), "samples"), Options: gate.Options{Alpha: 0.2}}
}

// TestGateWorkspace gates a two-module go.work repository from its root in
// one run: both modules' BenchmarkParse are measured, as two rows each
// naming its module, and the text report tells them apart.
func TestGateWorkspace(t *testing.T) {
	dir := t.TempDir()
	if err := genrepo.Workspace(dir); err != nil {
		t.Fatal(err)
	}
	p := quickPlan(t, dir)
	if got := strings.Join(p.Config.Run.Packages, " "); got != "./a/... ./b/..." {
		t.Fatalf("workspace patterns: %s", got)
	}
	rep, err := Gate(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]string{}
	for _, r := range rep.Results {
		if r.Unit == "sec/op" && r.Benchmark == "BenchmarkParse" {
			mods[r.Package] = r.Module
			// Annotations find each module's benchmark function.
			want := strings.TrimPrefix(r.Module, "example.com/") + "/parse/parse_test.go"
			if r.Source == nil || r.Source.File != want || r.Source.Line == 0 {
				t.Errorf("%s: source %+v, want %s", r.Package, r.Source, want)
			}
		}
	}
	if mods["example.com/a/parse"] != "example.com/a" || mods["example.com/b/parse"] != "example.com/b" || len(mods) != 2 {
		t.Fatalf("BenchmarkParse rows by package → module: %v", mods)
	}
	var text bytes.Buffer
	if err := gate.WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pkg: example.com/a/parse", "pkg: example.com/b/parse"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

// TestGateAffectedAndSharded gates a generated chain-and-leaves module
// after a change to one leaf: only that leaf runs, the others are listed
// as skipped (never passed); and a shard of a forced full run gates its
// part and names the rest as other shards'.
func TestGateAffectedAndSharded(t *testing.T) {
	dir := t.TempDir()
	if err := genrepo.Chain(dir, 3, 3); err != nil {
		t.Fatal(err)
	}
	if err := genrepo.Touch(dir, "leaf/l02/l02.go"); err != nil {
		t.Fatal(err)
	}
	p := quickPlan(t, dir)
	p.Scale = Scale{Affected: true, Cache: &run.Cache{Dir: filepath.Join(t.TempDir(), "cache")}}
	rep, err := Gate(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Package != genrepo.Module+"/leaf/l02" {
			t.Errorf("ran %s", r.Package)
		}
	}
	if len(rep.Results) == 0 || len(rep.Skipped) != 5 || !strings.Contains(rep.Selection, "affect 1 of 6") {
		t.Fatalf("%d rows, %d skipped, selection %q", len(rep.Results), len(rep.Skipped), rep.Selection)
	}
	if h := gate.Headline(rep); !strings.Contains(h, "5 package(s) skipped, not judged") {
		t.Errorf("headline: %s", h)
	}

	p = quickPlan(t, dir)
	p.Scale = Scale{Affected: true, All: true, Shard: shard.Spec{Index: 2, Count: 3}, Version: "test"}
	rep, err = Gate(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Shard == nil || len(rep.Shard.Packages) != 2 || len(rep.Skipped) != 4 {
		t.Fatalf("shard %+v, skipped %v", rep.Shard, rep.Skipped)
	}
	for _, sk := range rep.Skipped {
		if !strings.HasPrefix(sk.Reason, "in shard ") {
			t.Errorf("skipped %s: %s", sk.Package, sk.Reason)
		}
	}
}

// TestGateNothingAffected: a change that touches no benchmarked package
// gates nothing and passes, saying so; the report keeps (empty) raw
// samples, so perfslo comment judges it again, skipped list and all.
func TestGateNothingAffected(t *testing.T) {
	dir := t.TempDir()
	if err := genrepo.Chain(dir, 2, 2); err != nil {
		t.Fatal(err)
	}
	if err := genrepo.Touch(dir, "README.md"); err != nil {
		t.Fatal(err)
	}
	p := quickPlan(t, dir)
	p.ReportPath = filepath.Join(t.TempDir(), "report.json")
	p.SamplesDir = ""
	p.Scale = Scale{Affected: true}
	rep, err := Gate(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if code, why, _ := rep.Exit(gate.FailOnUnmeasurable); code != gate.ExitPass || len(rep.Results) != 0 || len(rep.Skipped) != 4 || !strings.Contains(why, "nothing to gate") {
		t.Fatalf("exit %d (%s), %d rows, %d skipped", code, why, len(rep.Results), len(rep.Skipped))
	}
	if rep.Samples == nil || rep.Samples.Base != "report.samples/base.txt" {
		t.Fatalf("samples %+v", rep.Samples)
	}
	again, err := github.Rejudge(rep, filepath.Dir(p.ReportPath), p.Config, false)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := again.Exit(gate.FailOnUnmeasurable); code != gate.ExitPass || len(again.Skipped) != 4 {
		t.Fatalf("judged again: exit %d, %d skipped", code, len(again.Skipped))
	}
}

// TestGateAffectedBudgetsChange: editing perfslo.yaml can change any
// verdict, so it gates every package.
func TestGateAffectedBudgetsChange(t *testing.T) {
	dir := t.TempDir()
	if err := genrepo.Chain(dir, 1, 2); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "perfslo.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("# a comment changes no budget, but the selection cannot know that\n")
	f.Close()
	p := quickPlan(t, dir)
	p.Scale = Scale{Affected: true}
	rep, err := Gate(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Skipped) != 0 || !strings.Contains(rep.Selection, "perfslo.yaml (the budgets) changed") {
		t.Fatalf("selection %q, %d skipped", rep.Selection, len(rep.Skipped))
	}
}

// TestGateAffectedDeletedPackage: a change that deletes a benchmarked
// package affects no head package, yet it must not pass as "nothing to
// gate": the base is run there and the vanished package fails the gate.
func TestGateAffectedDeletedPackage(t *testing.T) {
	dir := t.TempDir()
	if err := genrepo.Chain(dir, 1, 2); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "leaf", "l02")); err != nil {
		t.Fatal(err)
	}
	p := quickPlan(t, dir)
	p.Scale = Scale{Affected: true}
	rep, err := Gate(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	code, why, _ := rep.Exit(gate.FailOnUnmeasurable)
	var vanished bool
	for _, f := range rep.Failures {
		vanished = vanished || f.Package == genrepo.Module+"/leaf/l02" && f.Kind == gate.FailureNoResults
	}
	if code == gate.ExitPass || !vanished || !strings.Contains(rep.Selection, "head has no package (leaf/l02)") {
		t.Fatalf("exit %d (%s), failures %+v, selection %q: want the deleted leaf/l02 to fail the gate", code, why, rep.Failures, rep.Selection)
	}
}

// TestScaleRequestOpen: the command line's spellings become a Scale, with
// paths taken from the given directory.
func TestScaleRequestOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := ScaleRequest{Affected: true, Shard: "2/3", Cache: "bin"}.Open(dir, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if !s.Affected || s.Shard.Index != 2 || s.Shard.Count != 3 || s.Cache == nil || s.Cache.Dir != filepath.Join(dir, "bin") || s.Version == "" {
		t.Errorf("Open = %+v", s)
	}
	if s, err := (ScaleRequest{Cache: "off"}).Open(dir, func(string) string { return "" }); err != nil || s.Cache != nil {
		t.Errorf("--cache off: %+v, %v", s, err)
	}
	if _, err := (ScaleRequest{Durations: "missing.json", Cache: "off"}).Open(dir, nil); err == nil || !strings.Contains(err.Error(), "--durations") || !strings.Contains(err.Error(), filepath.Join(dir, "missing.json")) {
		t.Errorf("missing --durations report: %v", err)
	}
	if _, err := (ScaleRequest{Shard: "4/3", Cache: "off"}).Open(dir, nil); err == nil {
		t.Error("shard 4/3 accepted")
	}
}
