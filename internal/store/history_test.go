package store

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

// realRuns returns the recorded runs of the examples' sum benchmarks (real
// go test output on this project's CI machine), one process per element.
func realRuns(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../../bench/simulate/pools/examples-sum.txt")
	if err != nil {
		t.Fatal(err)
	}
	var runs []string
	for _, chunk := range strings.SplitAfter(string(data), "PASS\n") {
		if strings.Contains(chunk, "Benchmark") {
			runs = append(runs, chunk)
		}
	}
	if len(runs) < 10 {
		t.Fatalf("only %d recorded runs", len(runs))
	}
	return runs
}

func TestHistoryRetentionAndCompaction(t *testing.T) {
	dir := userRepo(t)
	g := &GitBranch{Repo: dir}
	runs := realRuns(t)
	pol := budgets.History{Keep: 12, Raw: 3}
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var squashed, compacted, dropped int
	for i := range 20 {
		m := meta("main", t0.Add(time.Duration(i)*36*time.Hour))
		m.Commit = commitN(i + 1)
		res, err := g.Record(m, []byte(strings.Join(runs[i%20:i%20+5], "")), pol)
		if err != nil {
			t.Fatal(err)
		}
		if res.Raw < min(i+1, pol.Raw) {
			t.Fatalf("record %d: %d raw entries, policy keeps at least %d", i, res.Raw, pol.Raw)
		}
		if res.Squashed {
			squashed++
		}
		compacted += res.Compacted
		dropped += res.Dropped
	}
	if dropped != 8 || squashed == 0 || compacted == 0 {
		t.Errorf("dropped %d (want 8), compacted %d, squashed %d times", dropped, compacted, squashed)
	}
	hist, err := g.History()
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 12 {
		t.Fatalf("%d entries, want 12 (keep)", len(hist))
	}
	// Oldest first, the 9th record first (8 dropped), and across two months.
	if hist[0].Meta.Commit != commitN(9) || hist[11].Meta.Commit != commitN(20) {
		t.Errorf("entries run %s … %s", hist[0].Meta.Commit, hist[11].Meta.Commit)
	}
	raw := 0
	for _, e := range hist {
		snap, err := e.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Summaries) != 12 { // 3 benchmarks × sec/op, ns/line, B/op, allocs/op
			t.Errorf("%s: %d summaries", e.Path, len(snap.Summaries))
		}
		if e.Raw() {
			raw++
			if snap.Side == nil {
				t.Errorf("%s: raw entry without samples", e.Path)
			}
		} else {
			if snap.Side != nil || e.Summaries == "" {
				t.Errorf("%s: compacted entry still has samples", e.Path)
			}
			// The summary is what the gate computes from the entry's
			// samples, to the six digits it keeps.
			var idx int
			fmt.Sscanf(e.Meta.Commit[:2], "%x", &idx)
			side, err := gate.SideFromResults([]byte(strings.Join(runs[(idx-1)%20:(idx-1)%20+5], "")), "want")
			if err != nil {
				t.Fatal(err)
			}
			want := gate.Summarize(side, 0)
			for i, s := range snap.Summaries {
				w := want[i]
				if s.N != 5 || s.Benchmark != w.Benchmark || s.Package != w.Package || s.Unit != w.Unit || math.Abs(s.Center/w.Center-1) > 1e-5 || math.Abs(s.High/w.High-1) > 1e-5 {
					t.Errorf("%s: summary %+v, want %+v", e.Path, s, w)
				}
			}
		}
	}
	if raw < pol.Raw || raw > pol.Raw+5 {
		t.Errorf("%d raw entries, want %d to %d", raw, pol.Raw, pol.Raw+5)
	}
	// The squash left one commit: nothing compacted away stays reachable.
	if n := gitT(t, dir, "rev-list", "--count", DefaultGitBranch); n == "20" {
		t.Errorf("branch has %s commits: compaction did not rewrite it", n)
	}
	// The named baselines and the user's branch are untouched.
	if got := gitT(t, dir, "rev-parse", "--abbrev-ref", "HEAD"); got != "main" {
		t.Errorf("HEAD moved to %s", got)
	}
	if metas, err := g.List(); err != nil || len(metas) != 0 {
		t.Errorf("List sees the history: %v %v", metas, err)
	}
}

func TestHistoryKeepsNamedBaselines(t *testing.T) {
	dir := userRepo(t)
	g := &GitBranch{Repo: dir}
	runs := realRuns(t)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := g.Save(meta("main", now), []byte(runs[0]), nil); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		m := meta("main", now.Add(time.Duration(i)*time.Hour))
		if _, err := g.Record(m, []byte(runs[i]), budgets.History{Keep: 100, Raw: 1}); err != nil {
			t.Fatal(err)
		}
	}
	bl, err := g.Load("main")
	if err != nil || string(bl.Results) != runs[0] {
		t.Fatalf("the named baseline did not survive the history's squash: %v", err)
	}
	if _, err := g.Record(meta("main", now), []byte("  \n"), budgets.History{}); err == nil {
		t.Error("recorded empty results")
	}
}

func commitN(i int) string { return fmt.Sprintf("%02x", i) + strings.Repeat("a", 38) }

// TestHistoryOnRemote: two CI jobs record into one remote's history,
// alternately and once racing; compaction's rewritten branch is pushed
// with a lease, so neither job's entries are lost.
func TestHistoryOnRemote(t *testing.T) {
	remote, clones := remoteAndClones(t, 2)
	runs := realRuns(t)
	pol := budgets.History{Keep: 100, Raw: 2}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	stores := make([]*GitBranch, 2)
	for i, c := range clones {
		g, err := OpenGitBranch(c, "")
		if err != nil || g.Remote != "origin" {
			t.Fatalf("open %s: %v", c, err)
		}
		g.Sleep = func(time.Duration) {}
		stores[i] = g
	}
	squashed := false
	for i := range 10 {
		m := meta("main", t0.Add(time.Duration(i)*time.Hour))
		m.Commit = commitN(i + 1)
		res, err := stores[i%2].Record(m, []byte(runs[i]), pol)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		squashed = squashed || res.Squashed
	}
	if !squashed {
		t.Fatal("no compaction happened: the lease path was not exercised")
	}
	// A race: in clone a, a job prepares an entry on the remote's tip; b's
	// pre-push hook pushes it just before b's own push, so b's lease (or
	// fast-forward) fails once and b records again on the new tip.
	a, b := clones[0], clones[1]
	gitT(t, a, "fetch", "-q", "origin")
	gitT(t, a, "update-ref", "refs/heads/"+DefaultGitBranch, "refs/remotes/origin/"+DefaultGitBranch)
	m := meta("main", t0.Add(20*time.Hour))
	m.Commit = commitN(21)
	if _, err := (&GitBranch{Repo: a}).Record(m, []byte(runs[20]), budgets.History{Keep: 100, Raw: 100}); err != nil {
		t.Fatal(err)
	}
	hook := fmt.Sprintf("#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\nif [ ! -e %[1]q/raced ]; then\n  touch %[1]q/raced\n  git -C %[1]q push -q origin %[2]s >/dev/null 2>&1 || exit 1\nfi\nexit 0\n", a, DefaultGitBranch)
	if err := os.WriteFile(filepath.Join(b, ".git", "hooks", "pre-push"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	var retries int
	stores[1].Sleep = func(time.Duration) { retries++ }
	m = meta("main", t0.Add(21*time.Hour))
	m.Commit = commitN(22)
	if _, err := stores[1].Record(m, []byte(runs[21]), pol); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(a, "raced")); err != nil || retries != 1 {
		t.Fatalf("the race did not happen as staged (%d retries, %v)", retries, err)
	}
	check, err := OpenGitBranch(a, "")
	if err != nil {
		t.Fatal(err)
	}
	hist, err := check.History()
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 12 {
		t.Errorf("remote history has %d entries, want 12: a job's entries were lost", len(hist))
	}
	if n := gitT(t, remote, "rev-list", "--count", DefaultGitBranch); n == "12" {
		t.Errorf("remote branch has %s commits: never squashed", n)
	}
}
