// Command gen writes benchfmt text for the compare evaluations (see package
// input): -lines result lines of -samples per benchmark, ns/op scaled by
// -shift.
//
//	go run ./bench/compare/gen -lines 100000 -shift 1.03 -seed 2 > new.txt
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/perfslo/perfslo/bench/compare/input"
)

func main() {
	lines := flag.Int("lines", 10000, "result lines")
	samples := flag.Int("samples", 10, "samples per benchmark")
	shift := flag.Float64("shift", 1, "factor on every ns/op")
	seed := flag.Int64("seed", 1, "random seed")
	flag.Parse()
	if err := input.Write(os.Stdout, *lines, *samples, *shift, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
