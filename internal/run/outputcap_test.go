package run

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestOutputBounded runs a real benchmark that prints megabytes with the
// caps lowered to 64 KiB: the runner keeps within them, says the output was
// cut, and still reads the results at the end.
func TestOutputBounded(t *testing.T) {
	_, pkgs := builtFixture(t)
	oldOut, oldErr := stdoutCap, stderrCap
	stdoutCap, stderrCap = 64<<10, 64<<10
	defer func() { stdoutCap, stderrCap = oldOut, oldErr }()

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	out, err := Interleave(context.Background(), Plan{Head: []Package{pkgs["chatty"]}, Benchtime: "1x", CPU: 1, Rounds: 1, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	var cut string
	for _, f := range out.Failures {
		if f.Kind == "output" && strings.Contains(f.Output, "were cut") {
			cut = f.Output
		}
	}
	for _, want := range []string{"MiB to stdout, over the 64 KiB perfslo keeps", "MiB to stderr, over the 64 KiB perfslo keeps", "results printed in the cut part are missing"} {
		if !strings.Contains(cut, want) {
			t.Errorf("no failure saying %q; failures: %+v", want, out.Failures)
		}
	}
	names := map[string]bool{}
	for _, r := range out.Head {
		names[r.Name.String()] = true
	}
	if !names["Quiet"] {
		t.Errorf("the result after the chatter is lost: got %v", names)
	}
	// 2 × ~1.5 MiB were printed; what was held is bounded by the caps.
	if grew := int64(after.TotalAlloc - before.TotalAlloc); grew > 8<<20 {
		t.Errorf("the runner allocated %d bytes for a run whose output was capped at 128 KiB", grew)
	}
	t.Logf("allocated %d bytes; cut: %s", after.TotalAlloc-before.TotalAlloc, cut)
}
