// Package sum adds up the integers of a file, one per line: the running
// example of Efficient Go (B. Płotka).
//
// The operation is I/O plus parsing, and the implementation is the one the
// book converges on: stream the file through a bufio.Scanner with a buffer
// large enough to keep read syscalls rare, and parse each line's bytes in
// place instead of converting them to a string for strconv. Its cost is a
// constant number of allocations per call, whatever the file's length, and
// time linear in the number of lines.
package sum

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/perfslo/perfslo/examples/internal/inject"
)

// bufSize is the scanner's buffer: 64 KiB reads keep syscalls to one per
// ~7000 lines, and bound the longest accepted line.
const bufSize = 64 << 10

// knob lets the evaluation harness inject a regression into Sum.
var knob = inject.NewSite("sum")

// File returns the sum of the integers in the file at path, one per line.
func File(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := Sum(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// Sum returns the sum of the integers read from r, one per line. Empty lines
// are skipped; anything else that is not a base-10 integer is an error that
// names the line. The sum wraps around on overflow, as Go's int64 addition
// does.
func Sum(r io.Reader) (int64, error) {
	if knob.Enabled() {
		op := knob.Begin()
		n, err := sum(r)
		op.End()
		return n, err
	}
	return sum(r)
}

// sum is Sum without the regression knob.
func sum(r io.Reader) (int64, error) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, bufSize), bufSize)
	var total int64
	line := 0
	for s.Scan() {
		line++
		b := s.Bytes()
		if len(b) == 0 {
			continue
		}
		v, ok := parseInt(b)
		if !ok {
			return 0, fmt.Errorf("line %d: want a base-10 integer, got %q", line, b)
		}
		total += v
	}
	if err := s.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return 0, fmt.Errorf("line %d: longer than %d bytes", line+1, bufSize)
		}
		return 0, err
	}
	return total, nil
}

// parseInt parses an optionally signed base-10 integer from b without
// allocating: strconv.ParseInt would need a string, and converting the
// scanner's bytes to one copies them to the heap on every line. A trailing
// '\r' (a file written on Windows) is accepted.
func parseInt(b []byte) (int64, bool) {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false // would overflow uint64, hence int64 too
		}
		u = u*10 + uint64(d)
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}
