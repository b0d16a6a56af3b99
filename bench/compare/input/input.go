// Package input writes the large benchfmt inputs of the compare
// evaluations, so that the command-line generator and the Go benchmarks
// measure the same text.
package input

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
)

// Write writes lines result lines to w: benchmarks of samples lines each,
// three units a line (ns/op, B/op, allocs/op) as go test prints them, every
// ns/op scaled by shift and spread by 2% noise from seed.
func Write(w io.Writer, lines, samples int, shift float64, seed int64) error {
	rng := rand.New(rand.NewSource(seed))
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "goos: linux\ngoarch: amd64\npkg: example.com/big\ncpu: bench\n")
	for n := 0; n < lines; n++ {
		i := n / samples
		base := 100 + float64(i%97)*13
		ns := base * shift * (1 + 0.02*rng.NormFloat64())
		fmt.Fprintf(bw, "BenchmarkOp%d/size=%d-8\t%d\t%.1f ns/op\t%d B/op\t%d allocs/op\n", i/10, i%10, 1000000, ns, 64*(i%5), i%5)
	}
	return bw.Flush()
}
