package benchmod

import (
	"fmt"
	"testing"
)

var sink uint64

func block(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func BenchmarkChecksum(b *testing.B) {
	data := block(4096)
	for i := 0; i < b.N; i++ {
		sink += Checksum(data)
	}
}

func BenchmarkChecksumSizes(b *testing.B) {
	for _, n := range []int{1024, 4096} {
		b.Run(fmt.Sprintf("size=%d", n), func(b *testing.B) {
			data := block(n)
			for b.Loop() {
				sink += Checksum(data)
			}
		})
	}
}

// arena is made at package initialization, before any benchmark runs: a
// 16 MiB allocation inside the benchmark would put the runtime's
// nondeterministic work (zeroing, a GC cycle it triggers) into the count.
var arena = func() []uint64 {
	a := make([]uint64, 1<<21) // 16 MiB: twice the simulated last-level cache
	for i := range a {
		a[i] = uint64(i)
	}
	return a
}()

func BenchmarkWalk(b *testing.B) {
	var pos uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink += Walk(arena, &pos, 1<<14)
	}
}

func BenchmarkBuild(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink += uint64(len(Build(200)))
	}
}
