// Package mapbuild indexes a list of keys by position in a map, with and
// without telling make the final size.
//
// Without a size hint the map grows by doubling and rehashes everything it
// already holds at each step; with one it allocates its table once. The
// pair of benchmarks shows the difference in time, bytes and allocations
// that one argument makes.
package mapbuild

import (
	"fmt"
	"math/rand/v2"
)

// Index maps each key to its position in keys; for a repeated key the last
// position wins. It lets the map grow as it fills.
func Index(keys []string) map[string]int {
	m := make(map[string]int)
	for i, k := range keys {
		m[k] = i
	}
	return m
}

// IndexSized is Index with the map sized for len(keys) up front.
func IndexSized(keys []string) map[string]int {
	m := make(map[string]int, len(keys))
	for i, k := range keys {
		m[k] = i
	}
	return m
}

// Keys returns the benchmark dataset: n distinct keys shaped like user
// names ("user-" and 4 to 11 random lowercase letters, then the key's
// number to keep them distinct), from a PCG generator seeded with seed.
func Keys(n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	keys := make([]string, n)
	buf := make([]byte, 0, 32)
	for i := range keys {
		buf = append(buf[:0], "user-"...)
		for range 4 + rng.IntN(8) {
			buf = append(buf, byte('a'+rng.IntN(26)))
		}
		keys[i] = fmt.Sprintf("%s-%d", buf, i)
	}
	return keys
}
