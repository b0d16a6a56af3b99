package budgets

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// suffix is a unit suffix allowed on a number literal: "10ns", "4KiB", "1M".
type suffix struct {
	dim    dimension
	factor float64 // to seconds, bytes or a plain count
}

// suffixes are the quantity suffixes. Sizes follow the usual split: kB/KB,
// MB, GB are powers of 1000 (as the testing package's MB/s), KiB, MiB, GiB
// powers of 1024. k, M, G scale plain counts ("1M allocs/s", "lines=1k").
var suffixes = map[string]suffix{
	"ns": {dimTime, 1e-9},
	"us": {dimTime, 1e-6},
	"µs": {dimTime, 1e-6}, // micro sign
	"μs": {dimTime, 1e-6}, // Greek mu
	"ms": {dimTime, 1e-3},
	"s":  {dimTime, 1},

	"B":   {dimBytes, 1},
	"kB":  {dimBytes, 1e3},
	"KB":  {dimBytes, 1e3},
	"MB":  {dimBytes, 1e6},
	"GB":  {dimBytes, 1e9},
	"TB":  {dimBytes, 1e12},
	"KiB": {dimBytes, 1 << 10},
	"MiB": {dimBytes, 1 << 20},
	"GiB": {dimBytes, 1 << 30},
	"TiB": {dimBytes, 1 << 40},

	"k": {dimNone, 1e3},
	"K": {dimNone, 1e3},
	"M": {dimNone, 1e6},
	"G": {dimNone, 1e9},
}

// quantityRE matches a number, then optionally a letter run (a suffix, if
// it is one of ours) and "/s" (a byte rate), at the start of a string.
var quantityRE = regexp.MustCompile(`^((?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(?:\s*(\pL+)(/s\b)?)?`)

// quantity is one number literal with its suffix, as written.
type quantity struct {
	text  string  // as written, e.g. "10KiB" or "100MB/s"
	value float64 // in seconds, bytes or a count (per second if rate)
	dim   dimension
	unit  string // the suffix, "" for a bare number
	rate  bool
}

// scanQuantity reads a quantity at the start of s. n is the number of bytes
// read (0 if s does not start with a number). A letter run that is not a
// known suffix is left unread ("2n"), for the expression grammar to reject.
func scanQuantity(s string) (q quantity, n int) {
	m := quantityRE.FindStringSubmatchIndex(s)
	if m == nil {
		return q, 0
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s[m[2]:m[3]], "_", ""), 64)
	if err != nil {
		return q, 0
	}
	q = quantity{text: s[:m[3]], value: v}
	n = m[3]
	if m[4] >= 0 {
		if sf, ok := suffixes[s[m[4]:m[5]]]; ok {
			q.unit, q.dim = s[m[4]:m[5]], sf.dim
			q.value *= sf.factor
			n = m[5]
			if m[6] >= 0 {
				q.rate = true
				n = m[7]
			}
			q.text = s[:n]
		}
	}
	return q, n
}

// parseQuantity parses a whole string as one quantity ("4kB", "1M", "10ms",
// "1000"); ok is false if anything is left over.
func parseQuantity(s string) (q quantity, ok bool) {
	s = strings.TrimSpace(s)
	q, n := scanQuantity(s)
	return q, n > 0 && n == len(s)
}

// checkQuantity reports why a literal does not fit a limit's unit, or "".
func checkQuantity(q quantity, writtenUnit string) string {
	if q.unit == "" {
		return ""
	}
	_, tidied := TidyUnit(writtenUnit)
	num, rate := unitDims(tidied)
	switch {
	case q.rate && !rate:
		return fmt.Sprintf("%s is a rate, but %s is not per second; drop the /s", q.text, writtenUnit)
	case q.dim != dimNone && q.dim != num:
		return fmt.Sprintf("%s is %s, but a %s limit is %s%s", q.text, q.dim, writtenUnit, num, suffixHint(num))
	}
	return ""
}

func suffixHint(d dimension) string {
	switch d {
	case dimTime:
		return ": use ns, us, µs, ms or s"
	case dimBytes:
		return ": use B, kB, KiB, MB, MiB, GB or GiB"
	}
	return ": use a bare number, or k, M, G"
}
