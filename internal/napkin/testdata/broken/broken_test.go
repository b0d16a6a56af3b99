// Package broken holds two benchmarks of one checksum over a 1 MiB block:
// an honest one, and one whose work the compiler removes.
package broken

import "testing"

// checksum is FNV-1a over p.
func checksum(p []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, b := range p {
		h = (h ^ uint64(b)) * 1099511628211
	}
	return h
}

// mix is the finaliser applied to a block's length.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return x
}

var sink uint64

func BenchmarkChecksum(b *testing.B) {
	block := make([]byte, 1<<20)
	b.SetBytes(int64(len(block)))
	for i := 0; i < b.N; i++ {
		sink = checksum(block)
	}
}

// BenchmarkBrokenChecksum claims to checksum 1 MiB per op, but it calls
// the inlinable mix on the block's length and drops the result: the
// compiler folds and removes the call, and the loop measures nothing.
func BenchmarkBrokenChecksum(b *testing.B) {
	block := make([]byte, 1<<20)
	b.SetBytes(int64(len(block)))
	for i := 0; i < b.N; i++ {
		mix(uint64(len(block)))
	}
}
