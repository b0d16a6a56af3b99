// Package strbuild joins words into one space-separated string two ways:
// with strings.Builder, which grows one buffer, and with +=, which copies
// the whole string built so far at every step.
//
// Concat is the quadratic version code review should catch; the benchmarks
// put a number on "should".
package strbuild

import "strings"

// Builder joins words with single spaces using a strings.Builder sized
// for the result.
func Builder(words []string) string {
	n := 0
	for _, w := range words {
		n += len(w) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

// Concat joins words with single spaces using +=: each step allocates a new
// string and copies everything so far, O(n²) bytes for n words.
func Concat(words []string) string {
	s := ""
	for i, w := range words {
		if i > 0 {
			s += " "
		}
		s += w
	}
	return s
}
