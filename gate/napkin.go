package gate

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Floors are a machine's physical limits, measured once (perfslo napkin):
// the napkin math that says how fast a benchmark could possibly be, so a
// result can be read as a fraction of the limit, and a result faster than
// the limit can be called what it is: a broken benchmark.
type Floors struct {
	Machine Machine   `json:"machine"`
	Date    time.Time `json:"date"`
	// Read is the sequential read bandwidth, in bytes per second, for
	// working sets of each size (bytes); the largest is memory (DRAM).
	Read []Bandwidth `json:"read"`
	// Copy is memmove's bandwidth for the largest working set (bytes per
	// second counted once per byte copied).
	Copy float64 `json:"copy"`
	// Latency is a dependent load's latency in seconds for working sets of
	// each size: the smallest is the L1 cache, the largest DRAM.
	Latency []Latency `json:"latency"`
	// Alloc is the cost in seconds of one small heap allocation (64 B,
	// including its share of garbage collection); AllocByte the least
	// further cost per allocated byte: zeroing it.
	Alloc     float64 `json:"alloc"`
	AllocByte float64 `json:"alloc_byte"`
	// Syscall is the cost in seconds of a trivial system call (getppid).
	Syscall float64 `json:"syscall"`
}

// Bandwidth is a measured bandwidth for one working-set size.
type Bandwidth struct {
	Size        int64   `json:"size"`
	BytesPerSec float64 `json:"bytes_per_sec"`
}

// Latency is a measured load latency for one working-set size.
type Latency struct {
	Size    int64   `json:"size"`
	Seconds float64 `json:"seconds"`
}

// ReadBandwidth is the bandwidth that applies to a working set of n bytes:
// that of the smallest measured size that holds it (the cache level it
// fits), else memory's.
func (f *Floors) ReadBandwidth(n float64) float64 {
	rs := append([]Bandwidth(nil), f.Read...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Size < rs[j].Size })
	for _, r := range rs {
		if float64(r.Size) >= n {
			return r.BytesPerSec
		}
	}
	if len(rs) == 0 {
		return 0
	}
	return rs[len(rs)-1].BytesPerSec
}

// Peak is the fastest measured read bandwidth (the L1 cache's): nothing
// reads its input faster, so a benchmark claiming to has skipped its work.
func (f *Floors) Peak() float64 {
	best := 0.0
	for _, r := range f.Read {
		best = math.Max(best, r.BytesPerSec)
	}
	return best
}

// NapkinRow is one benchmark next to its floor.
type NapkinRow struct {
	Package   string `json:"package"`
	Benchmark string `json:"benchmark"`
	// Measured is the benchmark's median sec/op.
	Measured float64 `json:"measured"`
	// Bytes is the data processed per op (b.SetBytes: B/s × sec/op);
	// Allocs and AllocBytes the allocations per op.
	Bytes      float64 `json:"bytes,omitempty"`
	Allocs     float64 `json:"allocs,omitempty"`
	AllocBytes float64 `json:"alloc_bytes,omitempty"`
	// Bandwidth is the read bandwidth the floor assumes (the cache level
	// the data fits); Floor the least time per op the processed bytes and
	// allocations take at the measured limits; Fraction Floor/Measured.
	Bandwidth float64 `json:"bandwidth,omitempty"`
	Floor     float64 `json:"floor"`
	Fraction  float64 `json:"fraction"`
	// Implausible says the result is faster than possible: under half the
	// time that reading its bytes at the peak (L1) bandwidth, plus a
	// quarter of the cheapest allocation per allocation, would take.
	Implausible bool   `json:"implausible,omitempty"`
	Why         string `json:"why,omitempty"`
}

// ImplausibleMargin is how far below the hard floor a result must be to be
// called broken: measurement error and a SIMD loop faster than the probe
// are allowed for by a factor of two.
const ImplausibleMargin = 0.5

// Napkin puts every benchmark of s that reports bytes processed (B/s) or
// allocations next to its floor.
func Napkin(s *Side, f *Floors) []NapkinRow {
	type acc struct{ sec, bps, allocs, bytes []float64 }
	series := map[[2]string]*acc{}
	var order [][2]string
	for _, k := range s.keys {
		id := [2]string{k.Package, k.Full()}
		a := series[id]
		if a == nil {
			a = &acc{}
			series[id] = a
			order = append(order, id)
		}
		v := s.samples[k]
		switch k.Unit {
		case "sec/op":
			a.sec = v
		case "B/s":
			a.bps = v
		case "allocs/op":
			a.allocs = v
		case "B/op":
			a.bytes = v
		}
	}
	var out []NapkinRow
	for _, id := range order {
		a := series[id]
		if len(a.sec) == 0 || (len(a.bps) == 0 && medianOr0(a.allocs) == 0) {
			continue
		}
		r := NapkinRow{Package: id[0], Benchmark: id[1], Measured: medianOr0(a.sec), Allocs: medianOr0(a.allocs), AllocBytes: medianOr0(a.bytes)}
		if len(a.bps) > 0 {
			r.Bytes = medianOr0(a.bps) * r.Measured
		}
		allocs := r.Allocs*f.Alloc + r.AllocBytes*f.AllocByte
		if r.Bytes > 0 {
			r.Bandwidth = f.ReadBandwidth(r.Bytes)
		}
		r.Floor = allocs
		// The hard floor counts allocations at a quarter of the probe's
		// small-allocation cost and their bytes not at all: allocation
		// speed moves with the GC's state and the heap's size, and a
		// floor must never call an honest benchmark broken.
		hard := r.Allocs * f.Alloc / 4
		if r.Bandwidth > 0 {
			r.Floor += r.Bytes / r.Bandwidth
		}
		if p := f.Peak(); p > 0 {
			hard += r.Bytes / p
		}
		if r.Measured > 0 {
			r.Fraction = r.Floor / r.Measured
		}
		if r.Measured < ImplausibleMargin*hard {
			r.Implausible = true
			r.Why = fmt.Sprintf("faster than physically possible: %s/op measured, while reading %s at the peak %s/s and %g allocations take at least %s: the benchmark is broken (its work optimised away, or its input is not what b.SetBytes claims)",
				secs(r.Measured), bytesOf(r.Bytes), bytesOf(f.Peak()), r.Allocs, secs(hard))
		}
		out = append(out, r)
	}
	return out
}

func medianOr0(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return median(xs)
}

func secs(v float64) string    { return FormatValue(v, "sec/op") + "s" }
func bytesOf(v float64) string { return FormatValue(v, "B/op") + "B" }

// Line is the row for humans: "Sum/lines=1M: 8 MB/op, floor 0.7 ms at
// 11 GB/s, measured 2.1 ms: 33% of the physical limit".
func (r NapkinRow) Line() string {
	var parts []string
	if r.Bytes > 0 {
		parts = append(parts, bytesOf(r.Bytes)+"/op")
	}
	if r.Allocs > 0 {
		parts = append(parts, fmt.Sprintf("%g allocs (%s)/op", r.Allocs, bytesOf(r.AllocBytes)))
	}
	at := ""
	if r.Bandwidth > 0 {
		at = " at " + bytesOf(r.Bandwidth) + "/s"
	}
	s := fmt.Sprintf("%s: %s, floor %s%s, measured %s: %s of the physical limit", strings.TrimPrefix(r.Benchmark, "Benchmark"), strings.Join(parts, ", "),
		secs(r.Floor), at, secs(r.Measured), pct(r.Fraction))
	if r.Implausible {
		s += " — IMPLAUSIBLE: " + r.Why
	}
	return s
}
