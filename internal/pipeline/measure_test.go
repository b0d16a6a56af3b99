package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/gate"
)

// TestCompareFilesCutShort: a head file that ends at a benchmark's last
// line (a killed job, a partial copy) lacks the benchmarks after it; each
// fails the report, as in the gate, unless removed benchmarks are allowed.
// Before, such a head passed with exit 0.
func TestCompareFilesCutShort(t *testing.T) {
	dir := t.TempDir()
	x := strings.Repeat("BenchmarkX-8 100 5 ns/op\n", 10)
	y := strings.ReplaceAll(x, "BenchmarkX", "BenchmarkY")
	for name, body := range map[string]string{"old.txt": x + y, "new.txt": x} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	paths := [2]string{filepath.Join(dir, "old.txt"), filepath.Join(dir, "new.txt")}
	rep, err := CompareFiles(paths, [2]string{"old.txt", "new.txt"}, gate.Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := rep.Exit(gate.FailOnUnmeasurable); code == gate.ExitPass || rep.Verdict() != gate.Fail {
		t.Fatalf("exit %d, verdict %s: a head without BenchmarkY passed", code, rep.Verdict())
	}
	if len(rep.Failures) != 1 || rep.Failures[0].Kind != gate.FailureRemoved || rep.Failures[0].Benchmark != "BenchmarkY" {
		t.Fatalf("failures %+v, want one removed BenchmarkY", rep.Failures)
	}
	rep, err = CompareFiles(paths, [2]string{"old.txt", "new.txt"}, gate.Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := rep.Exit(gate.FailOnUnmeasurable); code != gate.ExitPass || len(rep.Failures) != 0 {
		t.Fatalf("with removed benchmarks allowed: exit %d, failures %+v", code, rep.Failures)
	}
}
