package napkin

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/gate"
)

// TestMeasureOrders checks the floors against what any machine obeys, not
// against numbers: caches are faster than memory, and everything is finite
// and positive.
func TestMeasureOrders(t *testing.T) {
	f := Measure(gate.Machine{GOOS: "linux"}, Options{Quick: true})
	if len(f.Read) != len(sizes) || len(f.Latency) != len(sizes) {
		t.Fatalf("floors %+v", f)
	}
	for _, v := range []float64{f.Copy, f.Alloc, f.AllocByte + 1e-30, f.Syscall} {
		if !(v > 0) {
			t.Errorf("non-positive floor in %+v", f)
		}
	}
	l1, dram := f.Latency[0].Seconds, f.Latency[len(f.Latency)-1].Seconds
	if !(l1 > 0 && dram > l1) {
		t.Errorf("L1 latency %g s not below DRAM's %g s", l1, dram)
	}
	if f.Peak() < f.Read[len(f.Read)-1].BytesPerSec {
		t.Errorf("peak below memory bandwidth")
	}
	t.Logf("read %v\nlatency %v\ncopy %.3g B/s, alloc %.3g s, +%.3g s/B, syscall %.3g s", f.Read, f.Latency, f.Copy, f.Alloc, f.AllocByte, f.Syscall)
}

// TestBrokenBenchmarkFlagged runs a real module's benchmarks: an honest
// checksum of 1 MiB per op, and one whose work the compiler removed. The
// honest one is a fraction of its floor's speed; the broken one is faster
// than reading its bytes could be, and flagged.
func TestBrokenBenchmarkFlagged(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test -bench")
	}
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "3", "-benchtime", "20ms")
	cmd.Dir = filepath.Join("testdata", "broken")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test -bench: %v\n%s", err, out)
	}
	side, err := gate.SideFromResults(out, "broken")
	if err != nil {
		t.Fatal(err)
	}
	f := Measure(gate.Machine{}, Options{Quick: true})
	rows := gate.Napkin(side, &f)
	got := map[string]gate.NapkinRow{}
	for _, r := range rows {
		got[r.Benchmark] = r
		t.Log(r.Line())
	}
	for name, r := range got {
		if i := strings.LastIndex(name, "-"); i > 0 {
			got[name[:i]] = r
		}
	}
	honest, broken := got["BenchmarkChecksum"], got["BenchmarkBrokenChecksum"]
	if honest.Implausible || !(honest.Fraction > 0 && honest.Fraction < 1) || honest.Bytes < 1<<20*0.99 {
		t.Errorf("honest checksum: %+v", honest)
	}
	if !broken.Implausible || !strings.Contains(broken.Line(), "IMPLAUSIBLE") {
		t.Errorf("broken checksum not flagged: %+v", broken)
	}
}
