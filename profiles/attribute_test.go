package profiles

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/perfslo/perfslo/gate"
)

// TestAttributeGolden checks the arithmetic on hand-made profiles whose
// answer is known: per-op scaling with different b.N, flat vs cum, recursion
// counted once, the harness skipped in the cum ranking, labels.
func TestAttributeGolden(t *testing.T) {
	types := []string{"samples/count", "cpu/nanoseconds"}
	parse := map[string][]string{"phase": {"parse"}}
	base := &Measured{Path: "base.pb.gz", Iters: 10, Profile: synth(types,
		stack{frames: []string{"m.leafA", "m.mid", "m.BenchmarkX", "testing.(*B).runN"}, values: []int64{1, 100}, labels: parse},
		stack{frames: []string{"m.leafC", "m.mid", "m.BenchmarkX", "testing.(*B).runN"}, values: []int64{2, 200}},
	)}
	head := &Measured{Path: "head.pb.gz", Iters: 20, Profile: synth(types,
		// leafA: 200/20 = 10 ns/op, as in the base: no change.
		stack{frames: []string{"m.leafA", "m.mid", "m.BenchmarkX", "testing.(*B).runN"}, values: []int64{2, 200}, labels: parse},
		// leafC: 800/20 = 40 vs 200/10 = 20: +20 ns/op.
		stack{frames: []string{"m.leafC", "m.mid", "m.BenchmarkX", "testing.(*B).runN"}, values: []int64{4, 800}},
		// recursion: 600/20 = +30 ns/op flat in m.rec, and cum once.
		stack{frames: []string{"m.rec", "m.rec", "m.rec", "m.mid", "m.BenchmarkX", "testing.(*B).runN"}, values: []int64{3, 600}, labels: parse},
	)}
	d, err := Diff(base, head)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Attribute(d, "sec/op", 3)
	if err != nil {
		t.Fatal(err)
	}
	a.Warnings = nil // the sample-count warning is tested on real profiles
	checkGolden(t, "attribution.golden.json", a)

	// The same numbers, independent of the golden file.
	if a.Total != 50 {
		t.Errorf("total %v ns/op, want 20+30 = 50", a.Total)
	}
	got := map[string]gate.FunctionDelta{}
	for _, f := range a.Functions {
		got[f.Function] = f
	}
	if f := got["m.rec"]; f.Flat != 30 || f.Cum != 30 || f.Share != 0.6 {
		t.Errorf("m.rec = %+v, want flat 30, cum 30 (recursion once), share 0.6", f)
	}
	if f := got["m.mid"]; f.Cum != 50 || f.Flat != 0 {
		t.Errorf("m.mid = %+v, want cum 50, flat 0", f)
	}
	if _, ok := got["m.BenchmarkX"]; ok {
		t.Errorf("the benchmark function ranks by cum: %+v", a.Functions)
	}
	if _, ok := got["m.leafA"]; ok {
		t.Errorf("an unchanged function is listed: %+v", a.Functions)
	}
}

func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
