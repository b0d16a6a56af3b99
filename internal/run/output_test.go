package run

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
)

// Outputs below are shaped like real test binaries' (see the fixture tests
// for the real thing); these cover cases a fixture cannot provoke cheaply.
func TestAnalyze(t *testing.T) {
	const header = "goos: linux\ngoarch: amd64\npkg: example.com/p\ncpu: AMD EPYC\n"
	exit1 := errors.New("exit status 1")
	exit2 := errors.New("exit status 2")
	tests := []struct {
		name           string
		stdout, stderr string
		waitErr        error
		timedOut       bool
		wantResults    []string // benchmark names
		wantFailures   []string // "kind benchmark", in order
		wantOutput     []string // substrings of the first failure's output
	}{
		{
			name:        "clean",
			stdout:      header + "BenchmarkA-2   \t 1000\t 12.5 ns/op\t 0 B/op\t 0 allocs/op\nPASS\n",
			wantResults: []string{"A-2"},
		},
		{
			name:   "no benchmarks match",
			stdout: "PASS\n", stderr: "testing: warning: no tests to run\n",
		},
		{
			name: "sub-benchmark fails, name glued to FAIL, parent not reported",
			stdout: header + "BenchmarkOK-2 \t 10\t 1 ns/op\n" +
				"BenchmarkSub/x=1-2 \t--- FAIL: BenchmarkSub/x=1-2\n    s_test.go:7: sub fail at 1000\n--- FAIL: BenchmarkSub\nFAIL\n",
			waitErr:      exit1,
			wantResults:  []string{"OK-2"},
			wantFailures: []string{"fail BenchmarkSub/x=1"},
			wantOutput:   []string{"--- FAIL: BenchmarkSub/x=1-2\n    s_test.go:7: sub fail at 1000"},
		},
		{
			name:         "os.Exit inside a benchmark: the dangling name says which",
			stdout:       header + "BenchmarkA-2 \t 10\t 1 ns/op\nBenchmarkExit/case=2-2   \t",
			waitErr:      exit1,
			wantResults:  []string{"A-2"},
			wantFailures: []string{"exit BenchmarkExit/case=2"},
			wantOutput:   []string{"exit status 1"},
		},
		{
			name:   "panic after the name was printed",
			stdout: header + "BenchmarkP-2 \t",
			stderr: "panic: runtime error: index out of range [3] with length 3\n\ngoroutine 7 [running]:\n" +
				"example.com/p.helper(...)\n\t/p/p.go:9\nexample.com/p.BenchmarkP(0xc0)\n\t/p/p_test.go:12 +0x1d\n",
			waitErr:      exit2,
			wantFailures: []string{"panic BenchmarkP"},
			wantOutput:   []string{"panic: runtime error: index out of range", "p_test.go:12"},
		},
		{
			name:         "runtime fatal error",
			stdout:       header,
			stderr:       "fatal error: concurrent map writes\n\ngoroutine 9 [running]:\nexample.com/p.BenchmarkMap.func1()\n\t/p/p_test.go:20\n",
			waitErr:      exit2,
			wantFailures: []string{"panic BenchmarkMap"},
			wantOutput:   []string{"fatal error: concurrent map writes"},
		},
		{
			name:   "runner timeout: benchmark found in the goroutine dump",
			stdout: header,
			stderr: "SIGQUIT: quit\nPC=0x1 m=0 sigcode=0\n\ngoroutine 0 gp=0x1 m=0 mp=0x2 [idle]:\nruntime.futex()\n\n" +
				"goroutine 18 [sleep]:\ntime.Sleep(0x1)\nexample.com/p.BenchmarkSleep(0xc000)\n\t/p/p_test.go:30 +0x25\n\ngoroutine 1 [chan receive]:\ntesting.(*B).run1()\n",
			waitErr:      exit2,
			timedOut:     true,
			wantFailures: []string{"timeout BenchmarkSleep"},
			wantOutput:   []string{"timed out after 1s", "goroutine 18 [sleep]", "p_test.go:30"},
		},
		{
			name:         "malformed benchmark line",
			stdout:       header + "BenchmarkA-2 \t 10\t 1 ns/op\nBenchmarkBad-2 \t ten\t 1 ns/op\nPASS\n",
			wantResults:  []string{"A-2"},
			wantFailures: []string{"output BenchmarkBad"},
			wantOutput:   []string{"head:6: parsing iteration count", "BenchmarkBad-2 \t ten"},
		},
		{
			name:         "non-zero exit without a word",
			stdout:       header + "BenchmarkA-2 \t 10\t 1 ns/op\n",
			stderr:       "oops from TestMain\n",
			waitErr:      errors.New("exit status 3"),
			wantResults:  []string{"A-2"},
			wantFailures: []string{"exit "},
			wantOutput:   []string{"oops from TestMain", "exit status 3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			records, failures := analyze(processOutput{
				side: "head", pkg: "example.com/p", procs: 2,
				stdout: []byte(tt.stdout), stderr: []byte(tt.stderr),
				waitErr: tt.waitErr, timedOut: tt.timedOut, timeout: time.Second, fileName: "head",
			})
			var names []string
			for _, rec := range records {
				if r, ok := rec.(*benchfmt.Result); ok {
					names = append(names, r.Name.String())
					if r.GetConfig("pkg") != "example.com/p" {
						t.Errorf("%s: pkg = %q", r.Name, r.GetConfig("pkg"))
					}
				}
			}
			if fmt.Sprint(names) != fmt.Sprint(tt.wantResults) {
				t.Errorf("results = %v, want %v", names, tt.wantResults)
			}
			var got []string
			for _, f := range failures {
				got = append(got, f.Kind+" "+f.Benchmark)
				if f.Side != "head" || f.Package != "example.com/p" {
					t.Errorf("failure side/package = %q/%q", f.Side, f.Package)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantFailures) {
				t.Errorf("failures = %q, want %q", got, tt.wantFailures)
			}
			for _, w := range tt.wantOutput {
				if len(failures) == 0 || !strings.Contains(failures[0].Output, w) {
					t.Errorf("first failure's output lacks %q: %+v", w, failures)
				}
			}
		})
	}
}

func TestFailureOutputBounded(t *testing.T) {
	huge := strings.Repeat("goroutine noise\n", 10000)
	_, failures := analyze(processOutput{
		side: "head", pkg: "p", stderr: []byte("panic: boom\n\n" + huge),
		waitErr: errors.New("exit status 2"),
	})
	if len(failures) != 1 || len(failures[0].Output) > maxFailureOutput+100 ||
		!strings.HasPrefix(failures[0].Output, "panic: boom") {
		t.Errorf("failures = %d, output %d bytes starting %.40q", len(failures), len(failures[0].Output), failures[0].Output)
	}
}
