package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMergeCommand merges the three shards recorded in internal/shard's
// testdata: one report with the whole suite's verdict (those shards hold
// regressions: exit 2), one markdown comment; a missing shard exits 1.
func TestMergeCommand(t *testing.T) {
	three, err := filepath.Abs("../../internal/shard/testdata/three")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	reports := []string{filepath.Join(three, "report-1.json"), filepath.Join(three, "report-2.json"), filepath.Join(three, "report-3.json")}
	args := append(append([]string{"merge"}, reports...), "--config", filepath.Join(three, "perfslo.yaml"), "--json", filepath.Join(out, "merged.json"), "--markdown", filepath.Join(out, "merged.md"))
	code, stdout, stderr := perfslo(t, out, args...)
	if code != 2 || !strings.Contains(stdout, "FAIL — 24 rows") || !strings.Contains(stdout, "12 package(s) skipped, not judged") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	md, err := os.ReadFile(filepath.Join(out, "merged.md"))
	if err != nil || !strings.Contains(string(md), "12 package(s) skipped") {
		t.Fatalf("markdown: %v\n%s", err, md)
	}
	if _, err := os.Stat(filepath.Join(out, "merged.samples", "head.txt")); err != nil {
		t.Fatalf("merged samples: %v", err)
	}
	code, _, stderr = perfslo(t, out, "merge", reports[0], reports[2], "--config", filepath.Join(three, "perfslo.yaml"))
	if code != 1 || !strings.Contains(stderr, "shard(s) 2/3 missing") {
		t.Fatalf("missing shard: exit %d: %s", code, stderr)
	}
}
