package gate

import (
	"math"
	"strings"
	"testing"
)

func TestNapkinLine(t *testing.T) {
	f := &Floors{
		Read:  []Bandwidth{{Size: 32 << 10, BytesPerSec: 100e9}, {Size: 4 << 20, BytesPerSec: 40e9}, {Size: 1 << 30, BytesPerSec: 11e9}},
		Alloc: 20e-9,
	}
	text := "pkg: example.com/sum\n" +
		"BenchmarkSum/lines=1M \t 500\t 2100000 ns/op\t 3809.52 MB/s\t 0 B/op\t 0 allocs/op\n" +
		"BenchmarkBroken \t 1000000000\t 0.5 ns/op\t 16000000000.00 MB/s\t 0 B/op\t 0 allocs/op\n" +
		"BenchmarkAllocs \t 1000\t 5000 ns/op\t 4096 B/op\t 10 allocs/op\n" +
		"BenchmarkNothing \t 1000\t 5000 ns/op\n"
	side, err := SideFromResults([]byte(text), "t")
	if err != nil {
		t.Fatal(err)
	}
	rows := Napkin(side, f)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3 (Nothing reports neither bytes nor allocations)", len(rows))
	}
	sum := rows[0]
	// 8 MB at the memory level (11 GB/s): 727µs of the 2.1ms measured.
	if math.Abs(sum.Bytes/8e6-1) > 1e-5 || sum.Bandwidth != 11e9 || math.Abs(sum.Fraction/(8e6/11e9/2.1e-3)-1) > 1e-5 || sum.Implausible {
		t.Errorf("sum %+v", sum)
	}
	if want := "Sum/lines=1M: 7.629MiB/op, floor 727.3µs at 10.24GiB/s, measured 2.100ms: 34.6% of the physical limit"; sum.Line() != want {
		t.Errorf("line\n got %s\nwant %s", sum.Line(), want)
	}
	if !rows[1].Implausible || !strings.Contains(rows[1].Line(), "IMPLAUSIBLE") {
		t.Errorf("broken not flagged: %s", rows[1].Line())
	}
	if a := rows[2]; a.Implausible || math.Abs(a.Floor-200e-9) > 1e-12 {
		t.Errorf("allocs %+v", a)
	}
}
