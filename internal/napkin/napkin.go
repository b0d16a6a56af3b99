// Package napkin measures this machine's physical floors once — sequential
// read bandwidth per cache level, memmove bandwidth, dependent-load latency
// from L1 to DRAM, the cost of a small allocation and of a system call —
// so that benchmarks can be read against them (gate.Napkin): estimate
// before you measure, and distrust a measurement that beats physics.
package napkin

import (
	"bytes"
	"math"
	"math/rand/v2"
	"runtime"
	"syscall"
	"time"

	"github.com/perfslo/perfslo/gate"
)

// Options size the probes. The defaults take a few seconds; Quick, for
// tests, well under one.
type Options struct {
	Quick bool
}

// Sizes of the working sets probed: inside L1, L2, L3, and well past any
// cache.
var sizes = []int64{16 << 10, 256 << 10, 4 << 20, 128 << 20}

// Measure probes the floors of the machine it runs on. m describes it.
func Measure(m gate.Machine, opt Options) gate.Floors {
	f := gate.Floors{Machine: m, Date: time.Now().UTC()}
	run := 40 * time.Millisecond
	big := sizes[len(sizes)-1]
	if opt.Quick {
		run, big = 5*time.Millisecond, 32<<20
	}
	pr := prober{run: run, trials: 7}
	if opt.Quick {
		pr.trials = 3
	}
	for _, size := range append(append([]int64(nil), sizes[:len(sizes)-1]...), big) {
		f.Read = append(f.Read, gate.Bandwidth{Size: size, BytesPerSec: readBandwidth(pr, size)})
		f.Latency = append(f.Latency, gate.Latency{Size: size, Seconds: latency(pr, size)})
	}
	f.Copy = copyBandwidth(pr, big/2)
	f.Alloc = pr.perOp(func(n int) {
		for range n {
			sink = make([]byte, 64)
		}
	})
	// Each allocated byte is at least zeroed: the floor per byte is
	// clearing memory (64 KiB, cache-resident), not a large allocation's
	// cost, which mostly measures how often it makes the GC run.
	zeroed := make([]byte, 64<<10)
	f.AllocByte = pr.perOp(func(n int) {
		for range n {
			clear(zeroed)
		}
	}) / float64(len(zeroed))
	runtime.KeepAlive(sink)
	f.Syscall = pr.perOp(func(n int) {
		for range n {
			syscall.Getppid()
		}
	})
	return f
}

// sink keeps allocations alive past the compiler's escape analysis.
var sink []byte

// prober times probes: each runs trials times, and the floor is the
// fastest, the estimate least disturbed by other processes on a shared
// machine.
type prober struct {
	run    time.Duration
	trials int
}

// perOp times fn(n) with n doubling until one call takes at least run,
// best of the trials: the floor is the fastest the machine did it.
func (pr prober) perOp(fn func(n int)) float64 {
	run := pr.run
	best := math.Inf(1)
	for range pr.trials {
		n := 1
		for {
			start := time.Now()
			fn(n)
			if d := time.Since(start); d >= run || n >= 1<<30 {
				best = math.Min(best, d.Seconds()/float64(n))
				break
			}
			n *= 2
		}
	}
	return best
}

// readBandwidth scans a buffer with bytes.IndexByte (SIMD in the runtime,
// so the probe reads as fast as the hardware lets a program read).
func readBandwidth(pr prober, size int64) float64 {
	buf := bytes.Repeat([]byte{1}, int(size))
	found := 0
	t := pr.perOp(func(n int) {
		for range n {
			found += bytes.IndexByte(buf, 0)
		}
	})
	if found > 0 { // never: the buffer holds no zero
		return 0
	}
	return float64(size) / t
}

func copyBandwidth(pr prober, size int64) float64 {
	src, dst := bytes.Repeat([]byte{1}, int(size)), make([]byte, size)
	return float64(size) / pr.perOp(func(n int) {
		for range n {
			copy(dst, src)
		}
	})
}

// latency chases pointers through a random cycle of cache lines (Sattolo's
// shuffle), so each load depends on the last and prefetchers cannot guess.
func latency(pr prober, size int64) float64 {
	const line = 64 / 8 // uint64s per cache line
	lines := int(size / 64)
	next := make([]uint64, lines*line)
	perm := make([]int, lines)
	for i := range perm {
		perm[i] = i
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := lines - 1; i > 0; i-- {
		j := rng.IntN(i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	for i := range lines {
		next[perm[i]*line] = uint64(perm[(i+1)%lines] * line)
	}
	var p uint64
	t := pr.perOp(func(n int) {
		for range n {
			p = next[p]
		}
	})
	if p == math.MaxUint64 { // never: keeps the chase's result live
		return 0
	}
	return t
}
