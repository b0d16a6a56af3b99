// Package benchmod is the benchmark module the callgrind tests build and
// count: a checksum (CPU-bound), an array walk (memory-bound) and an
// allocating builder. The tests copy it and write variant.go, which sets
// what differs between "base" and "head".
package benchmod

// Checksum is FNV-1a over data, plus whatever the variant injects.
//
//go:noinline
func Checksum(data []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range data {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h ^ injected(data)
}

// Walk reads n elements of a, starting at position *pos and stepping by the
// variant's stride (modulo len(a), a power of two). The instructions are
// the same for every stride; the cache misses are not.
//
//go:noinline
func Walk(a []uint64, pos *uint64, n int) uint64 {
	mask := uint64(len(a) - 1)
	p, s := *pos, stride
	var sum uint64
	for range n {
		sum += a[(p*s)&mask]
		p++
	}
	*pos = p
	return sum
}

// Build allocates: one small slice per word, as a tokenizer would.
//
//go:noinline
func Build(words int) [][]byte {
	out := make([][]byte, words)
	for i := range out {
		out[i] = make([]byte, 8+i%24)
	}
	return out
}
