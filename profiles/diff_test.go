package profiles

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiffMismatch(t *testing.T) {
	cpu, heap := ownProfiles(t)
	if cpu == nil {
		t.Skip("CPU profiling already on")
	}
	cp, err := Parse("head/cpu.pb.gz", cpu)
	if err != nil {
		t.Fatal(err)
	}
	hp, err := Parse("base/mem.pb.gz", heap)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		base, head *Measured
		want       string
	}{
		{"types", &Measured{Path: "base/mem.pb.gz", Profile: hp, Iters: 10}, &Measured{Path: "head/cpu.pb.gz", Profile: cp, Iters: 10},
			"cannot diff base/mem.pb.gz and head/cpu.pb.gz: different sample types (alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes vs samples/count, cpu/nanoseconds); expected two CPU or two memory profiles"},
		{"iters", &Measured{Path: "base/cpu.pb.gz", Profile: cp, Iters: 0}, &Measured{Path: "head/cpu.pb.gz", Profile: cp, Iters: 10},
			"base: base/cpu.pb.gz: iteration count 0: expected the b.N (> 0)"},
		{"nil", nil, &Measured{Path: "head/cpu.pb.gz", Profile: cp, Iters: 10}, "base: missing profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Diff(tt.base, tt.head)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Diff error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
	// Subtract checks the same way.
	_, err = Subtract(&Measured{Path: "big.pb.gz", Profile: cp, Iters: 100}, &Measured{Path: "small.pb.gz", Profile: hp, Iters: 2})
	if err == nil || !strings.Contains(err.Error(), "cannot diff small.pb.gz and big.pb.gz: different sample types") {
		t.Fatalf("Subtract of mismatched profiles = %v", err)
	}
}

// TestWasteAttribution runs a real benchmark twice, the second time with a
// wasteful fmt.Sprintf in Parse, and checks that the attribution blames it.
func TestWasteAttribution(t *testing.T) {
	if testing.Short() {
		t.Skip("runs benchmarks")
	}
	base := runWorkload(t, "BenchmarkWork", 30000, false, "cpu")
	head := runWorkload(t, "BenchmarkWork", 5000, true, "cpu") // N differs: per-op must fix it
	d, err := Diff(base, head)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Attribute(d, "sec/op", 5)
	if err != nil {
		t.Fatal(err)
	}
	basePerOp, _ := base.PerOp(TypeCPU)
	headPerOp, _ := head.PerOp(TypeCPU)
	t.Logf("base %.0f ns/op, head %.0f ns/op, delta %.0f ns/op (Ops=%d, samples %d/%d)", basePerOp, headPerOp, a.Total, d.Ops, d.BaseSamples, d.HeadSamples)
	for _, f := range a.Functions {
		t.Logf("  %-50s flat %+9.0f cum %+9.0f share %5.1f%%", f.Function, f.Flat, f.Cum, 100*f.Share)
	}
	for _, l := range a.Labels {
		t.Logf("  %s=%s %+.0f ns/op (%.0f%%) top %s", l.Key, l.Value, l.Total, 100*l.Share, l.Top)
	}
	if a.Unit != "ns/op" {
		t.Errorf("unit %q, want ns/op", a.Unit)
	}
	// The Diff's total is head per op minus base per op, within rounding.
	if want := headPerOp - basePerOp; abs(a.Total-want) > 0.002*headPerOp {
		t.Errorf("total %.1f ns/op, want head−base = %.1f", a.Total, want)
	}
	// Sprintf of 1000 short strings costs several times the parse itself.
	if a.Total < basePerOp {
		t.Errorf("total delta %.0f ns/op, want more than the base's %.0f ns/op", a.Total, basePerOp)
	}
	// The function the change entered through comes first.
	if len(a.Functions) == 0 || a.Functions[0].Function != "example.com/benchmod.Parse" {
		t.Errorf("first function %+v, want example.com/benchmod.Parse", a.Functions)
	}
	cum := map[string]float64{}
	for _, f := range a.Functions {
		cum[f.Function] = f.Cum
	}
	if c := cum["fmt.Sprintf"]; c < 0.5*a.Total {
		t.Errorf("fmt.Sprintf cum %+.0f ns/op, want at least half of the %+.0f ns/op delta", c, a.Total)
	}
	if c := cum["example.com/benchmod.Parse"]; c < 0.8*a.Total {
		t.Errorf("benchmod.Parse cum %+.0f ns/op, want most of the delta %+.0f", c, a.Total)
	}
	var parse float64
	for _, l := range a.Labels {
		if l.Key == "phase" && l.Value == "parse" {
			parse = l.Share
		}
	}
	if parse < 0.8 {
		t.Errorf("label phase=parse carries %.0f%% of the delta, want most of it", 100*parse)
	}

	// The diff, written, opens in pprof and shows the culprit.
	dir := t.TempDir()
	files, err := d.Write(dir, "BenchmarkWork")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", files.Diff).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof -top %s: %v\n%s", files.Diff, err, out)
	}
	if !strings.Contains(string(out), "fmt.Sprintf") {
		t.Errorf("pprof -top of the diff does not show fmt.Sprintf:\n%s", out)
	}
	out, err = exec.Command("go", "tool", "pprof", "-top", "-diff_base="+files.Base, files.Head).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "fmt.Sprintf") {
		t.Errorf("pprof -diff_base: %v\n%s", err, out)
	}
	if got, want := PprofCommand(files.Base, files.Head), "go tool pprof -http=: -diff_base="+files.Base+" "+files.Head; got != want {
		t.Errorf("command %q, want %q", got, want)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%s holds %d files, want the 3 profiles and no temporaries", dir, len(entries))
	}
	if _, err := Load(filepath.Join(dir, "BenchmarkWork.diff.pb.gz")); err != nil {
		t.Error(err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/tmp/a.pb.gz":     "/tmp/a.pb.gz",
		"/tmp/my dir/a":    "'/tmp/my dir/a'",
		"it's":             `'it'\''s'`,
		"Bench/lines=1000": "Bench/lines=1000",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
