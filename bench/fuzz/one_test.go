// Package fuzz holds the fuzzing scripts' tests: bench/fuzz/one.sh repeats
// a run that failed only by the fuzzing coordinator's deadline race, and
// nothing else.
package fuzz

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The coordinator's race, as make test printed it on this machine (Go
// 1.26.8, FuzzLoad, 6s).
const raceOutput = `fuzz: elapsed: 6s, execs: 48814 (15864/sec), new interesting: 2 (total: 1426)
fuzz: elapsed: 7s, execs: 48814 (0/sec), new interesting: 2 (total: 1426)
--- FAIL: FuzzLoad (6.64s)
    context deadline exceeded
FAIL
exit status 1
FAIL	github.com/perfslo/perfslo/profiles	6.653s
`

// A real failure: Go wrote the input, whatever the message.
const crashOutput = `fuzz: elapsed: 2s, execs: 1000 (500/sec), new interesting: 0 (total: 10)
--- FAIL: FuzzLoad (2.01s)
    --- FAIL: FuzzLoad (0.00s)
        load_test.go:40: context deadline exceeded

    Failing input written to testdata/fuzz/FuzzLoad/0123456789abcdef
    To re-run:
    go test -run=FuzzLoad/0123456789abcdef
FAIL
exit status 1
FAIL	github.com/perfslo/perfslo/profiles	2.020s
`

const panicOutput = `--- FAIL: FuzzLoad (0.10s)
panic: runtime error: index out of range [3] with length 3
FAIL	github.com/perfslo/perfslo/profiles	0.110s
`

func TestOneRepeatsOnlyTheDeadlineRace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		outputs []string // what each go test call prints; "" passes
		exit    int
		calls   int
	}{
		{"pass", []string{""}, 0, 1},
		{"race, then pass", []string{raceOutput, ""}, 0, 2},
		{"race twice", []string{raceOutput, raceOutput}, 1, 2},
		{"failing input written", []string{crashOutput, ""}, 1, 1},
		{"panic", []string{panicOutput, ""}, 1, 1},
		{"race, then a failing input", []string{raceOutput, crashOutput}, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for i, out := range tc.outputs {
				if err := os.WriteFile(filepath.Join(dir, "out"+string(rune('0'+i))), []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// The stand-in go command prints the next output, counts
			// its calls, and fails when it printed anything.
			fake := filepath.Join(dir, "go")
			script := `#!/bin/sh
n=$(cat "$D/calls" 2>/dev/null || echo 0)
echo $((n + 1)) >"$D/calls"
echo "$*" >>"$D/args"
cat "$D/out$n"
test ! -s "$D/out$n"
`
			if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", "one.sh", "./profiles", "FuzzLoad", "6s", "-parallel", "1")
			cmd.Env = append(os.Environ(), "GO="+fake, "D="+dir)
			out, err := cmd.CombinedOutput()
			exit := 0
			if ee, ok := err.(*exec.ExitError); ok {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
			if exit != tc.exit || strings.TrimSpace(string(calls)) != string(rune('0'+tc.calls)) {
				t.Errorf("exit %d after %s call(s), want exit %d after %d\n%s", exit, strings.TrimSpace(string(calls)), tc.exit, tc.calls, out)
			}
			args, _ := os.ReadFile(filepath.Join(dir, "args"))
			if want := "test -run ^$ -fuzz ^FuzzLoad$ -fuzztime 6s -fuzzminimizetime 0 -parallel 1 ./profiles"; !strings.HasPrefix(string(args), want+"\n") {
				t.Errorf("go called with %q, want %q", args, want)
			}
			if tc.calls == 2 && tc.outputs[0] == raceOutput && !strings.Contains(string(out), "golang/go#75804") {
				t.Errorf("the repeat is not explained:\n%s", out)
			}
		})
	}
}
