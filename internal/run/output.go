package run

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"golang.org/x/perf/benchfmt"
)

// Failure is a benchmark (or a whole test binary) that did not produce a
// clean result in some round.
type Failure struct {
	Side      string // "base" or "head"
	Package   string // import path
	Benchmark string // full name without the -GOMAXPROCS suffix; "" when the output does not say
	// Kind is "fail" (--- FAIL, e.g. b.Fatal), "panic" (including runtime
	// fatal errors), "timeout" (-test.timeout or the runner's own watchdog),
	// "exit" (non-zero exit with neither), or "output" (a benchmark line the
	// benchfmt reader rejects).
	Kind string
	// Output is the relevant part of the process's output, at most
	// maxFailureOutput bytes: the --- FAIL block, the panic and its stack, or
	// the tail of everything.
	Output string
}

// maxFailureOutput bounds a failure's output: enough for a panic's message
// and the failing goroutine, not so much that a report drowns in it.
const maxFailureOutput = 4 << 10

// processOutput is what one benchmark process left behind.
type processOutput struct {
	side, pkg string
	procs     int // GOMAXPROCS of the benchmark, to strip the -N name suffix
	stdout    []byte
	stderr    []byte
	waitErr   error // from exec.Cmd.Wait; nil on exit 0
	timedOut  bool  // the runner stopped it after timeout
	timeout   time.Duration
	fileName  string
}

// analyze extracts results and failures from one process's output.
func analyze(po processOutput) (records []benchfmt.Record, failures []Failure) {
	lines, crashedIn := cleanLines(po.stdout)
	crashedIn = stripProcs(crashedIn, po.procs)

	failures = append(failures, failBlocks(po, lines)...)

	crashed := false
	switch {
	case po.timedOut:
		crashed = true
		failures = append(failures, Failure{
			Side: po.side, Package: po.pkg, Kind: "timeout",
			Benchmark: firstNonEmpty(crashedIn, stackBenchmark(po.stderr)),
			Output: head(fmt.Sprintf("test timed out after %s: stopped with SIGQUIT\n\n%s",
				po.timeout, benchGoroutine(po.stderr)), maxFailureOutput),
		})
	case panicStart(po.stderr) >= 0:
		crashed = true
		msg := po.stderr[panicStart(po.stderr):]
		kind := "panic"
		if bytes.HasPrefix(msg, []byte("panic: test timed out after")) {
			kind = "timeout"
		}
		failures = append(failures, Failure{
			Side: po.side, Package: po.pkg, Kind: kind,
			Benchmark: firstNonEmpty(crashedIn, stackBenchmark(msg)),
			Output:    head(string(msg), maxFailureOutput),
		})
	case po.waitErr != nil && len(failures) == 0:
		crashed = true
		failures = append(failures, Failure{
			Side: po.side, Package: po.pkg, Kind: "exit", Benchmark: crashedIn,
			Output: tail(string(po.stdout)+string(po.stderr)+"\n"+po.waitErr.Error(), maxFailureOutput),
		})
	}

	r := benchfmt.NewReader(strings.NewReader(strings.Join(lines, "\n")), po.fileName)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			res := rec.Clone()
			setFileConfig(res, "pkg", po.pkg)
			records = append(records, res)
		case *benchfmt.SyntaxError:
			text := ""
			if rec.Line >= 1 && rec.Line <= len(lines) {
				text = lines[rec.Line-1]
			}
			if crashed && rec.Line == len(lines) {
				// The last line of a crashed process may be cut short.
				continue
			}
			name, _, _ := strings.Cut(text, " ")
			name, _, _ = strings.Cut(name, "\t")
			failures = append(failures, Failure{
				Side: po.side, Package: po.pkg, Kind: "output",
				Benchmark: stripProcs(name, po.procs),
				Output:    head(fmt.Sprintf("%s\n%s", rec.Error(), text), maxFailureOutput),
			})
		case *benchfmt.UnitMetadata:
			records = append(records, rec)
		}
	}
	if err := r.Err(); err != nil {
		failures = append(failures, Failure{Side: po.side, Package: po.pkg, Kind: "output", Output: err.Error()})
	}
	return records, failures
}

// setFileConfig sets a file-level config key, which (unlike SetConfig's
// internal keys) benchfmt.Writer writes out. The test binary prints pkg:
// itself; setting it anyway keeps every result attributable even if a
// benchmark printed a "pkg:" line of its own.
func setFileConfig(r *benchfmt.Result, key, value string) {
	if r.GetConfig(key) != value {
		r.SetConfig(key, value)
	}
	if i, ok := r.ConfigIndex(key); ok {
		r.Config[i].File = true
	}
}

// cleanLines splits the test binary's stdout into lines the benchfmt reader
// reads as the binary meant them, keeping line numbers. Without -test.v, the
// testing package prints a benchmark's name before running it and its
// numbers after, so a failure or a crash leaves the name alone on a line or
// glued to "--- FAIL: ..."; such a name is not a result. crashedIn is the
// benchmark whose name ends the output without numbers: the one that was
// running when the process died.
func cleanLines(stdout []byte) (lines []string, crashedIn string) {
	lines = strings.Split(string(stdout), "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		if j := strings.Index(line, "--- "); j > 0 {
			lines[i] = line[j:]
			continue
		}
		if f := strings.Fields(line); len(f) == 1 {
			lines[i] = ""
			if strings.TrimSpace(strings.Join(lines[i+1:], "")) == "" {
				crashedIn = f[0]
			}
		}
	}
	return lines, crashedIn
}

// failBlocks returns a Failure per "--- FAIL: Name" block: the line and the
// indented log lines after it. A parent benchmark fails whenever one of its
// sub-benchmarks does; only the sub-benchmark is reported.
func failBlocks(po processOutput, lines []string) []Failure {
	var out []Failure
	for i := 0; i < len(lines); i++ {
		rest, ok := strings.CutPrefix(lines[i], "--- FAIL: ")
		if !ok {
			continue
		}
		name := strings.Fields(rest + " ")[0]
		j := i + 1
		for j < len(lines) && (strings.HasPrefix(lines[j], " ") || strings.HasPrefix(lines[j], "\t")) {
			j++
		}
		out = append(out, Failure{
			Side: po.side, Package: po.pkg, Kind: "fail",
			Benchmark: stripProcs(name, po.procs),
			Output:    head(strings.Join(lines[i:j], "\n"), maxFailureOutput),
		})
	}
	kept := out[:0]
	for _, f := range out {
		parent := false
		for _, g := range out {
			if strings.HasPrefix(g.Benchmark, f.Benchmark+"/") {
				parent = true
				break
			}
		}
		if !parent {
			kept = append(kept, f)
		}
	}
	return kept
}

// panicStart is the offset of the line where a panic or runtime fatal error
// begins in stderr, or -1.
func panicStart(stderr []byte) int {
	for _, prefix := range []string{"panic: ", "fatal error: "} {
		if bytes.HasPrefix(stderr, []byte(prefix)) {
			return 0
		}
		if i := bytes.Index(stderr, []byte("\n"+prefix)); i >= 0 {
			return i + 1
		}
	}
	return -1
}

// benchFrame matches a stack frame of a benchmark function: the first is
// the benchmark that was running (even in a timeout's goroutine dump).
var benchFrame = regexp.MustCompile(`\.(Benchmark[\p{L}\p{N}_]*)[.(]`)

// benchGoroutine is the goroutine of a stack dump that runs a benchmark:
// the one that matters among dozens. Without one, the whole dump.
func benchGoroutine(dump []byte) string {
	for _, g := range bytes.Split(dump, []byte("\n\n")) {
		if benchFrame.Match(g) {
			return string(g)
		}
	}
	return string(dump)
}

func stackBenchmark(stack []byte) string {
	if m := benchFrame.FindSubmatch(stack); m != nil {
		return string(m[1])
	}
	return ""
}

// stripProcs removes the "-N" suffix the testing package appends to names
// when GOMAXPROCS is N > 1, so failures name benchmarks as users write them.
func stripProcs(name string, procs int) string {
	return budgets.ParseBenchmarkID("", name, procs).Name
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func head(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if len(s) <= n {
		return s
	}
	return s[:n] + "\n… (truncated)"
}

func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if len(s) <= n {
		return s
	}
	return "(truncated) …\n" + s[len(s)-n:]
}
