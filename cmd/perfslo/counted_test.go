package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/callgrind"
)

// benchmodRepo copies internal/callgrind's benchmark module into a fresh
// git repository, with its variant.go set to variant.
func benchmodRepo(t *testing.T, variant string) string {
	t.Helper()
	src := filepath.Join("..", "..", "internal", "callgrind", "testdata", "benchmod")
	files := map[string]string{"variant.go": variant}
	for _, name := range []string{"go.mod", "work.go", "work_test.go"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	return newRepo(t, files)
}

const benchmodBase = "package benchmod\n\nvar stride uint64 = 1\n\nfunc injected([]byte) uint64 { return 0 }\n"

// benchmodInjected adds a second pass over the first 3% of Checksum's
// block, in a function of its own.
const benchmodInjected = `package benchmod

var stride uint64 = 1

//go:noinline
func injected(data []byte) uint64 {
	h := uint64(1469598103934665603)
	for _, c := range data[:len(data)*3/100] {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
`

// TestGateInstructions is the deterministic mode end to end: real test
// binaries of a temp git repo, counted under the real valgrind. A commit
// that adds 3% work to Checksum exits 2 in instructions mode, with the
// injected function first in the row's function diff and the callgrind
// files kept; the same commit against itself (A/A) exits 0.
func TestGateInstructions(t *testing.T) {
	if _, _, err := callgrind.Check(context.Background(), ""); errors.Is(err, callgrind.ErrNoValgrind) {
		t.Skipf("skipping: valgrind is not installed (%v); CI installs it", err)
	}
	dir := benchmodRepo(t, benchmodBase)
	writeFile(t, filepath.Join(dir, "variant.go"), benchmodInjected)
	git(t, dir, "commit", "-q", "-am", "inject 3% work into Checksum")
	report := filepath.Join(t.TempDir(), "r.json")
	args := []string{"gate", "--measure", "instructions", "--bench", "^BenchmarkChecksum$", "--no-profiles", "--json", report}

	code, stdout, stderr := perfslo(t, dir, append(args, "--base", "HEAD~1")...)
	if code != gate.ExitFail {
		t.Fatalf("injected regression: exit %d, want %d\n%s\n%s", code, gate.ExitFail, stdout, stderr)
	}
	rep := readReport(t, report)
	var row *gate.Row
	for i := range rep.Results {
		if r := &rep.Results[i]; r.Unit == budgets.UnitInstructions {
			row = r
		}
	}
	if row == nil || row.Verdict != gate.Regression || row.Delta == nil || *row.Delta < 0.01 {
		t.Fatalf("instructions/op row %+v: want a regression of about +3%%\n%s", row, stdout)
	}
	if a := row.Attribution; a == nil || len(a.Functions) == 0 || !strings.HasSuffix(a.Functions[0].Function, "benchmod.injected") {
		t.Errorf("attribution %+v: want benchmod.injected first", row.Attribution)
	} else if file, _, _ := strings.Cut(strings.TrimPrefix(a.Command, "callgrind_annotate "), " "); file == "" {
		t.Errorf("attribution command %q names no callgrind file", a.Command)
	} else if _, err := os.Stat(file); err != nil {
		t.Errorf("callgrind file not kept: %v", err)
	}
	if !strings.Contains(rep.Settings.Measure, "callgrind") || !strings.Contains(strings.Join(rep.Settings.MeasureNotes, " "), "valgrind") {
		t.Errorf("settings %q %q: want the measure and its CPU note", rep.Settings.Measure, rep.Settings.MeasureNotes)
	}
	if !strings.Contains(stdout, "est-cycles/op = Ir + 10") {
		t.Errorf("the text report's footer lacks the est-cycles formula:\n%s", stdout)
	}

	code, stdout, stderr = perfslo(t, dir, append(args, "--base", "HEAD")...)
	if code != gate.ExitPass {
		t.Fatalf("A/A: exit %d, want %d\n%s\n%s", code, gate.ExitPass, stdout, stderr)
	}
}

// TestGateInstructionsNeedsValgrind: with no valgrind in PATH, instructions
// mode is an error naming the install command, and auto falls back to
// wall time and says why.
func TestGateInstructionsNeedsValgrind(t *testing.T) {
	dir := benchmodRepo(t, benchmodBase)
	t.Setenv("PATH", pathWithout(t, "go", "git"))
	args := []string{"gate", "--base", "HEAD", "--bench", "^BenchmarkChecksum$", "--no-profiles", "--count", "6", "--benchtime", "1ms", "--confirm", "0"}
	code, _, stderr := perfslo(t, dir, append(args, "--measure", "instructions")...)
	if code != gate.ExitUndecided || !strings.Contains(stderr, "apt-get install -y valgrind") {
		t.Fatalf("exit %d, stderr %q: want 1 and the install command", code, stderr)
	}
	report := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr = perfslo(t, dir, append(args, "--measure", "auto", "--json", report)...)
	if code == gate.ExitUndecided && !strings.Contains(stderr, "timing every benchmark") {
		t.Fatalf("auto: exit %d\n%s", code, stderr)
	}
	rep := readReport(t, report)
	if !strings.HasPrefix(rep.Settings.Measure, "auto: wall time") || !strings.Contains(rep.Settings.Measure, "valgrind") {
		t.Errorf("settings.measure %q: want auto's fallback and its reason", rep.Settings.Measure)
	}
	for _, r := range rep.Results {
		if gate.CountedUnit(r.Unit) {
			t.Errorf("row %s %s counted without valgrind", r.Benchmark, r.Unit)
		}
	}
}

// pathWithout returns a PATH holding only the named tools (valgrind not
// among them).
func pathWithout(t *testing.T, tools ...string) string {
	t.Helper()
	bin := t.TempDir()
	for _, tool := range tools {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// TestGateMeasurePerEntry: a perfslo.yaml entry's measure: instructions
// counts its benchmark under callgrind while run.measure (time) times the
// rest, in one gate run; each row says how it was measured.
func TestGateMeasurePerEntry(t *testing.T) {
	if _, _, err := callgrind.Check(context.Background(), ""); errors.Is(err, callgrind.ErrNoValgrind) {
		t.Skipf("skipping: valgrind is not installed (%v); CI installs it", err)
	}
	dir := benchmodRepo(t, benchmodBase)
	writeFile(t, filepath.Join(dir, "perfslo.yaml"), "version: 1\nbudgets:\n  - benchmark: BenchmarkChecksum\n    measure: instructions\n")
	git(t, dir, "add", "perfslo.yaml")
	git(t, dir, "commit", "-q", "-m", "count BenchmarkChecksum")
	report := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := perfslo(t, dir, "gate", "--base", "HEAD", "--bench", "^Benchmark(Checksum|Build)$", "--count", "4", "--benchtime", "20ms", "--max-time", "20s", "--no-profiles", "--json", report)
	if code != gate.ExitPass && code != gate.ExitUndecided {
		t.Fatalf("A/A: exit %d\n%s\n%s", code, stdout, stderr)
	}
	units := map[string][]string{}
	for _, r := range readReport(t, report).Results {
		units[r.Benchmark] = append(units[r.Benchmark], r.Unit)
		if r.Benchmark == "BenchmarkBuild" && r.Unit == "sec/op" && !strings.Contains(strings.Join(r.Reasons, " "), "timed, as asked: run.measure: time") {
			t.Errorf("Build sec/op reasons %q: want it to say it was timed as run.measure asks", r.Reasons)
		}
		if r.Benchmark == "BenchmarkChecksum" && r.Unit == budgets.UnitInstructions && r.Verdict != gate.RowPass {
			t.Errorf("Checksum instructions/op: %s, want pass (A/A, counted)", r.Verdict)
		}
	}
	has := func(b, u string) bool { return strings.Contains(" "+strings.Join(units[b], " ")+" ", " "+u+" ") }
	if !has("BenchmarkChecksum", budgets.UnitInstructions) || has("BenchmarkChecksum", "sec/op") {
		t.Errorf("Checksum rows %v: want instructions/op, no sec/op", units["BenchmarkChecksum"])
	}
	if !has("BenchmarkBuild", "sec/op") || has("BenchmarkBuild", budgets.UnitInstructions) {
		t.Errorf("Build rows %v: want sec/op, no instructions/op", units["BenchmarkBuild"])
	}
}
