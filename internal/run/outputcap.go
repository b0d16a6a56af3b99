package run

import (
	"fmt"
	"strings"

	"github.com/perfslo/perfslo/internal/bounded"
)

// Caps on what one benchmark process's output may cost in memory. A package
// of a thousand benchmarks prints well under a MiB of results; a benchmark
// that prints in its loop can print gigabytes, and holding them would take
// the machine. Half of each cap keeps the start, half the end. Variables,
// so tests can reach the cap without printing megabytes.
var (
	stdoutCap = 32 << 20
	stderrCap = 8 << 20
)

func newOutputBuffers() (stdout, stderr *bounded.Buffer) {
	return bounded.NewBuffer(stdoutCap/2, stdoutCap/2), bounded.NewBuffer(stderrCap/2, stderrCap/2)
}

// cutFailures says that a process's output was cut: results printed in the
// cut part are missing, and a benchmark that did not report is not one
// that passed. One failure covers both streams (failures are listed once
// per side, package, benchmark and kind).
func cutFailures(side, pkg string, stdout, stderr *bounded.Buffer) []Failure {
	var what []string
	for _, s := range []struct {
		name string
		buf  *bounded.Buffer
		max  int
	}{{"stdout", stdout, stdoutCap}, {"stderr", stderr, stderrCap}} {
		if s.buf.Cut() > 0 {
			what = append(what, fmt.Sprintf("%s to %s, over the %s perfslo keeps (%s in the middle were cut)",
				bounded.Size(s.buf.Total()), s.name, bounded.Size(int64(s.max)), bounded.Size(s.buf.Cut())))
		}
	}
	if len(what) == 0 {
		return nil
	}
	return []Failure{{
		Side: side, Package: pkg, Kind: "output",
		Output: "the test binary wrote " + strings.Join(what, " and ") +
			": any results printed in the cut part are missing; benchmarks that print (fmt.Print, log) in their loop should not",
	}}
}
