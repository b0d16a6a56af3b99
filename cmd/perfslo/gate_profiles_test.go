package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/gate"
)

// TestGateProfilesExplain is the profiles issue's acceptance test: in a git
// repository of the examples module, one commit adds a wasteful fmt.Sprintf
// to sum.parseInt. The gate must fail, name parseInt (or its callee
// fmt.Sprintf) first in the sec/op row's attribution with a delta of the
// right sign and size, attribute the new allocations to those two functions,
// write a diff that `go tool pprof -top` opens, and fail the "^fmt\." CPU
// share budget with the measured share and the limit.
func TestGateProfilesExplain(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real benchmarks")
	}
	repo := examplesRepo(t)
	edit(t, filepath.Join(repo, "perfslo.yaml"), "      allocs/op: 4\n", "      allocs/op: 4\n    profile:\n      cpu-share: {\"^fmt\\\\.\": 5%}\n")
	git(t, repo, "commit", "-q", "-am", "a CPU share budget on fmt")
	edit(t, filepath.Join(repo, "sum", "sum.go"), "func parseInt(b []byte) (int64, bool) {\n",
		"func parseInt(b []byte) (int64, bool) {\n\tb = []byte(fmt.Sprintf(\"%s\", b)) // wasteful\n")
	git(t, repo, "commit", "-q", "-am", "parse through fmt")

	report := filepath.Join(t.TempDir(), "report.json")
	profDir := filepath.Join(t.TempDir(), "profiles")
	code, stdout, stderr := perfslo(t, repo, "gate", "--base", "HEAD~1", "--packages", "./sum", "--bench", "Sum/lines=1000$",
		"--count", "6", "--benchtime", "20ms", "--profiles", profDir, "--json", report)
	if code != gate.ExitFail {
		t.Fatalf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "perfslo: profiling") {
		t.Fatalf("the gate ran no profiling step\nstderr:\n%s", stderr)
	}
	r := readReport(t, report)
	const parseInt = "github.com/perfslo/perfslo/examples/sum.parseInt"
	var timeRow, allocRow, shareRow *gate.Row
	for i := range r.Results {
		row := &r.Results[i]
		switch {
		case row.Benchmark != "BenchmarkSum/lines=1000":
		case row.Function == "" && row.Unit == "sec/op":
			timeRow = row
		case row.Function == "" && row.Unit == "allocs/op":
			allocRow = row
		case row.Function == `^fmt\.` && row.Unit == "cpu-share":
			shareRow = row
		}
	}
	if timeRow == nil || timeRow.Attribution == nil {
		t.Fatalf("sec/op row %+v has no attribution\nstderr:\n%s", timeRow, stderr)
	}
	a := timeRow.Attribution
	measured := (timeRow.Head.Center - timeRow.Base.Center) * 1e9
	t.Logf("sec/op: measured %+.0f ns/op, profiles %+.0f ns/op; first %+v", measured, a.Total, a.Functions[0])
	if top := a.Functions[0]; top.Function != parseInt && top.Function != "fmt.Sprintf" {
		t.Errorf("first function %q, want %s or fmt.Sprintf: %+v", top.Function, parseInt, a.Functions)
	} else if top.Cum <= 0.3*measured || top.Cum > 3*measured {
		t.Errorf("%s cum %+.0f ns/op, want the sign and rough size of the measured %+.0f ns/op", top.Function, top.Cum, measured)
	}
	if a.LikelyLayout {
		t.Errorf("the changed function is on the path, yet likely layout: %q", a.Warnings)
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", a.DiffProfile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "fmt.Sprintf") {
		t.Errorf("go tool pprof -top %s: %v\n%s", a.DiffProfile, err, out)
	}
	if !strings.HasPrefix(a.Command, "go tool pprof -http=: -diff_base=") || !strings.Contains(stderr, a.Command) {
		t.Errorf("command %q not printed on stderr:\n%s", a.Command, stderr)
	}

	if allocRow == nil || allocRow.Attribution == nil {
		t.Fatalf("allocs/op row %+v has no attribution", allocRow)
	}
	// 1000 lines, each now allocating through fmt: the profile sees the
	// Sprintf result and the []byte's boxing; allocs/op also counts a
	// tiny-allocator object the profile sees only as part of a block.
	al := allocRow.Attribution
	got := map[string]float64{}
	for _, f := range al.Functions {
		got[f.Function] = f.Flat
	}
	if al.Total < 1900 || al.Total > 3100 || got[parseInt] < 500 || got["fmt.Sprintf"] < 500 {
		t.Errorf("allocs/op attribution total %+.1f, parseInt %+.1f, Sprintf %+.1f; want ~+2000 split between them", al.Total, got[parseInt], got["fmt.Sprintf"])
	}

	if shareRow == nil {
		t.Fatalf("no cpu-share row for ^fmt\\.:\n%s", stdout)
	}
	if shareRow.Verdict != gate.Violation || shareRow.Budget == nil || shareRow.Budget.Limit != 0.05 || shareRow.Head.Low <= 0.05 {
		t.Errorf("cpu-share row %+v budget %+v", shareRow, shareRow.Budget)
	}
	if !strings.Contains(strings.Join(shareRow.Reasons, "\n"), "limit 5%") {
		t.Errorf("reasons %q do not state the limit", shareRow.Reasons)
	}
	if !strings.Contains(stdout, "cpu-share") {
		t.Errorf("text report lacks the function budget row:\n%s", stdout)
	}
}

// TestGateProfilesIdle: with nothing to explain and no function budgets,
// the profiling step runs no process at all.
func TestGateProfilesIdle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real benchmarks")
	}
	repo := examplesRepo(t)
	report := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr := perfslo(t, repo, "gate", "--base", "HEAD", "--packages", "./strbuild", "--bench", "Builder",
		"--count", "4", "--benchtime", "10ms", "--json", report, "--allow-unmeasurable")
	if code == gate.ExitUndecided {
		t.Fatalf("exit 1\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	if len(flagged(readReport(t, report))) > 0 {
		t.Skip("A/A run flagged a row (busy host?): nothing to check")
	}
	if strings.Contains(stderr, "perfslo: profiling") {
		t.Errorf("profiled with nothing to explain:\n%s", stderr)
	}
}
