package shard

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

func TestParse(t *testing.T) {
	if s, err := Parse("2/3"); err != nil || s != (Spec{2, 3}) {
		t.Fatalf("Parse(2/3) = %v, %v", s, err)
	}
	for _, bad := range []string{"0/3", "4/3", "3", "a/b", "1/0", ""} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "i/n") {
			t.Errorf("Parse(%q): %v", bad, err)
		}
	}
}

func TestAssign(t *testing.T) {
	pkgs := []string{"a", "b", "c", "d", "e", "f", "g"}
	// By benchmark count alone: 7+1+1+1+1+1+1 over 3 shards.
	counts := map[string]int{"a": 7, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 1}
	got := Assign(Weights(pkgs, counts, nil), 3)
	want := [][]string{{"a"}, {"b", "d", "f"}, {"c", "e", "g"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("by counts: %v, want %v", got, want)
	}
	// Stored durations win over counts: a is fast, g is slow; e has no
	// duration and is estimated at the stored seconds per benchmark.
	durations := map[string]float64{"a": 1, "b": 1, "c": 1, "d": 1, "f": 1, "g": 30}
	got = Assign(Weights(pkgs, counts, durations), 3)
	if got[0][0] != "g" || len(got[0]) != 1 {
		t.Fatalf("by durations: %v: g (30s) should have a shard to itself", got)
	}
	// Every job computes the same split.
	for i := 0; i < 5; i++ {
		if again := Assign(Weights(pkgs, counts, durations), 3); !reflect.DeepEqual(again, got) {
			t.Fatalf("not deterministic: %v then %v", got, again)
		}
	}
	if got := Assign(Weights([]string{"a"}, nil, nil), 3); len(got[1]) != 0 || len(got[2]) != 0 {
		t.Fatalf("one package over 3 shards: %v", got)
	}
}

const three = "testdata/three"

func reports() []string {
	return []string{filepath.Join(three, "report-3.json"), filepath.Join(three, "report-1.json"), filepath.Join(three, "report-2.json")}
}

func config(t *testing.T) *budgets.Config {
	cfg, err := budgets.Load(filepath.Join(three, "perfslo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestMergeIsOneJudgement merges three shards recorded by perfslo gate
// --shard i/3 on the generated scale repository (a change that regresses
// five packages and improves one) and compares the result with one
// unsharded judgement of the same raw samples: the verdicts, raw and
// adjusted p-values are the same, and the correction ran over the whole
// suite's tests, not each shard's.
func TestMergeIsOneJudgement(t *testing.T) {
	cfg := config(t)
	out := filepath.Join(t.TempDir(), "merged.json")
	merged, err := Merge(MergeInput{Reports: reports(), Config: cfg, ReportPath: out, Now: time.Unix(0, 0).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	var base, head bytes.Buffer
	shardTests := 0
	var first *gate.Report
	for i := 1; i <= 3; i++ {
		r := read(t, filepath.Join(three, "report-"+string(rune('0'+i))+".json"))
		if first == nil {
			first = r
		}
		shardTests += r.Settings.Tests
		for _, f := range []struct {
			name string
			buf  *bytes.Buffer
		}{{r.Samples.Base, &base}, {r.Samples.Head, &head}} {
			data, err := os.ReadFile(filepath.Join(three, f.name))
			if err != nil {
				t.Fatal(err)
			}
			f.buf.Write(data)
		}
	}
	headText := append([]byte(nil), head.Bytes()...)
	b, err := gate.ReadSide(first.Base, &base, "base")
	if err != nil {
		t.Fatal(err)
	}
	h, err := gate.ReadSide(first.Head, &head, "head")
	if err != nil {
		t.Fatal(err)
	}
	one := gate.Compare(b, h, gate.Options{Config: cfg, Alpha: first.Settings.Alpha, Correction: first.Settings.Correction, Now: time.Unix(0, 0).UTC()})
	if len(merged.Results) != len(one.Results) || len(merged.Results) != 24 {
		t.Fatalf("merged %d rows, unsharded %d, want 24", len(merged.Results), len(one.Results))
	}
	verdicts := map[gate.RowVerdict]int{}
	for i := range one.Results {
		m, o := merged.Results[i], one.Results[i]
		if m.Package != o.Package || m.Benchmark != o.Benchmark || m.Unit != o.Unit || m.Verdict != o.Verdict || !samePtr(m.P, o.P) || !samePtr(m.PAdjusted, o.PAdjusted) {
			t.Errorf("row %d: merged %s %s %s %s p=%v adj=%v, unsharded %s %s %s %s p=%v adj=%v", i,
				m.Package, m.Benchmark, m.Unit, m.Verdict, deref(m.P), deref(m.PAdjusted), o.Package, o.Benchmark, o.Unit, o.Verdict, deref(o.P), deref(o.PAdjusted))
		}
		verdicts[m.Verdict]++
	}
	if verdicts[gate.Regression] == 0 || verdicts[gate.Improvement] == 0 || verdicts[gate.RowPass] == 0 {
		t.Fatalf("the recording should have regressions, an improvement and passes: %v", verdicts)
	}
	if merged.Settings.Tests != one.Settings.Tests || merged.Settings.Tests != shardTests {
		t.Fatalf("tests: merged %d, unsharded %d, shards' sum %d", merged.Settings.Tests, one.Settings.Tests, shardTests)
	}
	if merged.Verdict() != one.Verdict() || len(merged.Shards) != 3 || len(merged.Skipped) != 12 {
		t.Fatalf("verdict %s vs %s, %d shards, %d skipped (want 12: unaffected, never another shard's)", merged.Verdict(), one.Verdict(), len(merged.Shards), len(merged.Skipped))
	}
	for _, sk := range merged.Skipped {
		if strings.Contains(sk.Reason, "shard") {
			t.Errorf("merged report skips %s: %s", sk.Package, sk.Reason)
		}
	}
	// The merged samples are kept beside the report, for perfslo comment.
	if merged.Samples == nil || merged.Samples.Base != "merged.samples/base.txt" {
		t.Fatalf("samples: %+v", merged.Samples)
	}
	if data, err := os.ReadFile(filepath.Join(filepath.Dir(out), merged.Samples.Head)); err != nil || !bytes.Equal(data, headText) {
		t.Fatalf("merged head samples: %v (%d bytes, want %d)", err, len(data), len(headText))
	}
}

func samePtr(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func read(t *testing.T, path string) *gate.Report {
	t.Helper()
	r, err := gate.ReadJSONFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// edited writes a copy of shard i's report with edit applied, beside a copy
// of its samples, and returns its path.
func edited(t *testing.T, dir string, i int, edit func(r *gate.Report)) string {
	t.Helper()
	name := "report-" + string(rune('0'+i))
	r := read(t, filepath.Join(three, name+".json"))
	edit(r)
	var buf bytes.Buffer
	if err := gate.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".json")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"base.txt", "head.txt"} {
		data, err := os.ReadFile(filepath.Join(three, name+".samples", s))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, name+".samples"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name+".samples", s), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestMergeRefuses(t *testing.T) {
	cfg := config(t)
	r := reports()
	dir := t.TempDir()
	otherCommit := edited(t, dir, 2, func(r *gate.Report) { r.Head.Commit = "0123456789abcdef0123456789abcdef01234567" })
	otherVersion := edited(t, t.TempDir(), 2, func(r *gate.Report) { r.Shard.Version = "v9.9.9" })
	otherSplit := edited(t, t.TempDir(), 2, func(r *gate.Report) { r.Shard.Packages = append(r.Shard.Packages, "example.com/scale/leaf/l03") })
	notShard := edited(t, t.TempDir(), 2, func(r *gate.Report) { r.Shard = nil })
	other := filepath.Join(t.TempDir(), "perfslo.yaml")
	os.WriteFile(other, []byte("version: 1\ntolerance:\n  sec/op: 50%\n"), 0o644)
	otherCfg, err := budgets.Load(other)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		reports []string
		cfg     *budgets.Config
		want    []string
	}{
		{"a missing shard", r[:2], cfg, []string{"shard(s) 2/3 missing"}},
		{"a duplicated shard", append(r, r[1]), cfg, []string{"report-1.json", "given twice"}},
		{"another head commit", []string{r[0], r[1], otherCommit}, cfg, []string{otherCommit, "shard 2/3", "head commit"}},
		{"another perfslo", []string{r[0], r[1], otherVersion}, cfg, []string{"shard 2/3", "perfslo version", "v9.9.9"}},
		{"another split", []string{r[0], r[1], otherSplit}, cfg, []string{"leaf/l03", "split differently"}},
		{"not a shard", []string{r[0], r[1], notShard}, cfg, []string{notShard, "not a shard's report"}},
		{"other budgets", r, otherCfg, []string{"not the one the shards judged with"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Merge(MergeInput{Reports: tc.reports, Config: tc.cfg})
			if err == nil {
				t.Fatal("merged")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
