// Package benchmod is a tiny real workload whose profiles the profiles
// package's tests take: it parses and sums numbers, in two pprof-labelled
// phases, and can be made wasteful by an environment variable.
package benchmod

import (
	"fmt"
	"strconv"
)

// Waste makes Parse format every number again, as a careless edit would.
var Waste bool

// Parse converts lines to integers.
func Parse(lines []string, out []int) []int {
	out = out[:0]
	for _, l := range lines {
		if Waste {
			l = fmt.Sprintf("%s", l)
		}
		n, err := strconv.Atoi(l)
		if err != nil {
			panic(err)
		}
		out = append(out, n)
	}
	return out
}

// Sum adds the integers.
func Sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// Lines returns n numbers as text.
func Lines(n int) []string {
	ls := make([]string, n)
	for i := range ls {
		ls[i] = strconv.Itoa(10000000 + i*7919%90000000)
	}
	return ls
}
