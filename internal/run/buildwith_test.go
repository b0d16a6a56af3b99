package run

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestBuildWithLdflags builds a package with a link-time -X setting and
// checks that the benchmark sees it, and that bad flags are a BuildError.
func TestBuildWithLdflags(t *testing.T) {
	dir := t.TempDir()
	if err := writeModule(dir, map[string]string{
		"go.mod": "module example.com/knob\n\ngo 1.22\n",
		"v/v_test.go": `package v

import "testing"

var V string

func BenchmarkV(b *testing.B) {
	for b.Loop() {
	}
	b.ReportMetric(float64(len(V)), "vlen/op")
}
`,
	}); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	pkgs, err := BuildWith(context.Background(), BuildOptions{Dir: dir, Patterns: []string{"./..."}, OutDir: bin,
		Flags: []string{"-ldflags=-X example.com/knob/v.V=hello"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Interleave(context.Background(), Plan{Head: pkgs, Benchtime: "1x", CPU: 1, Rounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := -1.0
	for _, r := range out.Head {
		if v, ok := r.Value("vlen/op"); ok {
			got = v
		}
	}
	if got != 5 {
		t.Errorf("V has length %v in the benchmark, want 5 (\"hello\" set with -X)", got)
	}

	_, err = BuildWith(context.Background(), BuildOptions{Dir: dir, Patterns: []string{"./..."}, OutDir: bin, Flags: []string{"-nosuchflag"}})
	if _, ok := err.(*BuildError); !ok {
		t.Errorf("bad flag: err %v (%T), want a *BuildError", err, err)
	}
}
