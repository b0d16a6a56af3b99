package github

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

const (
	rejudgeBase = "6dcb09b5b57875f334f61aebed695e2e4193db5e" // the base.sha of GitHub's example pull request
	rejudgeMod  = "module example.com/demo\n\ngo 1.26\n"
	rejudgePR   = 42
)

// benchOutput is go test -bench output for one benchmark: ten samples
// around ns nanoseconds per op (a spread of ±0.5%), with allocs allocations.
func benchOutput(ns float64, allocs int) string {
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: example.com/demo/sum\ncpu: Test CPU @ 2.00GHz\n")
	for i := 0; i < 10; i++ {
		v := ns * (1 + 0.001*float64(i-5))
		fmt.Fprintf(&b, "BenchmarkSum/lines=1000 \t  100000\t %10.1f ns/op\t    4096 B/op\t %7d allocs/op\n", v, allocs)
	}
	b.WriteString("PASS\nok  \texample.com/demo/sum\t1.234s\n")
	return b.String()
}

// writeArtifact lays out what perfslo.yml uploads: report.json judged from
// the two sample files with cfg (the config the measuring job used), the
// samples under report.samples/, and pr_number. edit, when set, changes the
// report before it is written, as a hostile pull request can.
func writeArtifact(t *testing.T, dir, base, head string, cfg *budgets.Config, edit func(*gate.Report)) string {
	t.Helper()
	samples := filepath.Join(dir, "report.samples")
	if err := os.MkdirAll(samples, 0o755); err != nil {
		t.Fatal(err)
	}
	var sides [2]*gate.Side
	for i, text := range []string{base, head} {
		p := filepath.Join(samples, []string{"base.txt", "head.txt"}[i])
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := gate.ReadSide(gate.Source{Label: []string{"base", "head"}[i]}, strings.NewReader(text), p)
		if err != nil {
			t.Fatal(err)
		}
		sides[i] = s
	}
	r := gate.Compare(sides[0], sides[1], gate.Options{Config: cfg})
	r.Samples = &gate.Samples{Base: "report.samples/base.txt", Head: "report.samples/head.txt"}
	if edit != nil {
		edit(r)
	}
	p := filepath.Join(dir, ReportFile)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := gate.WriteJSON(f, r); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(dir, PRNumberFile), []byte(fmt.Sprintln(rejudgePR)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// forkRun is a workflow_run harness for a fork's pull request: the payload
// lists no pull request, so the number comes from the artifact and the base
// commit from GitHub.
func forkRun(t *testing.T) (*harness, string) {
	t.Helper()
	payload := workflowRunCompleted(t)
	head := payload["workflow_run"].(map[string]any)["head_sha"].(string)
	h := newHarness(t, "workflow_run", payload)
	h.gh.pulls[rejudgePR] = head
	h.gh.pullBases[rejudgePR] = rejudgeBase
	return h, head
}

func checkSummary(t *testing.T, cr *fakeCheckRun) string {
	t.Helper()
	out, _ := cr.Body["output"].(map[string]any)
	s, _ := out["summary"].(string)
	return s
}

// TestForgedPassIsJudgedFromSamples: a fork's artifact whose report says
// pass while its raw samples show a new allocation per op. The check run
// must fail, and the comment say the report's verdict is not the samples'.
func TestForgedPassIsJudgedFromSamples(t *testing.T) {
	h, head := forkRun(t)
	h.gh.addFile(rejudgeBase, "go.mod", rejudgeMod) // no perfslo.yaml: the defaults
	h.gh.addFile(head, "go.mod", rejudgeMod)
	report := writeArtifact(t, h.dir, benchOutput(8000, 0), benchOutput(8000, 1), budgets.Default(), func(r *gate.Report) {
		for i := range r.Results {
			r.Results[i].Verdict, r.Results[i].Reasons = gate.RowPass, nil
		}
	})
	if r, err := LoadReport(report); err != nil || r.Verdict() != gate.Pass {
		t.Fatalf("the forged report does not read as a pass: %v", err)
	}

	stdout, stderr, err := h.run(RunConfig{ReportPath: report})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	runs := h.gh.runs()
	if len(runs) != 1 || runs[0].Body["conclusion"] != "failure" || runs[0].Body["head_sha"] != head {
		t.Fatalf("check runs %v, want one failure on %s\n%s", checkRunSummary(runs), head, stdout)
	}
	summary := checkSummary(t, runs[0])
	bodies := h.gh.commentBodies(rejudgePR)
	if len(bodies) != 1 {
		t.Fatalf("%d comments, want 1", len(bodies))
	}
	for where, text := range map[string]string{"comment": bodies[0], "check run summary": summary} {
		for _, want := range []string{"❌ **Fail**", "⚠️ Self-reported: the pull request's own code took these measurements", "report says pass (success); its raw samples, judged with the base's budgets, say fail (failure)",
			"BenchmarkSum/lines=1000 allocs/op: the report said pass, the samples say regression", "default budgets (the base commit " + shortSHA(rejudgeBase) + " has no perfslo.yaml)"} {
			if !strings.Contains(text, want) {
				t.Errorf("the %s does not say %q:\n%s", where, want, text)
			}
		}
	}
	if !strings.Contains(stdout, "check run: perfslo (failure") {
		t.Errorf("stdout: %s", stdout)
	}
	if n := countPrefix(h.gh.requestLog(), "GET /repos/Codertocat/Hello-World/contents/perfslo.yaml?ref="+rejudgeBase); n != 1 {
		t.Errorf("the base's perfslo.yaml was read %d times, want once: %v", n, h.gh.requestLog())
	}
}

// TestOwnToleranceDoesNotCount: a pull request raises sec/op's tolerance in
// its own perfslo.yaml from 5% to 50%, and its code is 20% slower. The
// measuring job (under the head's config) says pass; the posting job judges
// with the base's 5% and lists the loosening.
func TestOwnToleranceDoesNotCount(t *testing.T) {
	payload := workflowRunCompleted(t)
	run := payload["workflow_run"].(map[string]any)
	head := run["head_sha"].(string)
	// A pull request from the repository itself: the payload names it,
	// with its base.
	run["pull_requests"] = []any{map[string]any{"id": 1, "number": rejudgePR, "url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/42",
		"head": map[string]any{"ref": "slower", "sha": head, "repo": map[string]any{"id": 1, "name": "Hello-World", "url": "https://api.github.com/repos/Codertocat/Hello-World"}},
		"base": map[string]any{"ref": "main", "sha": rejudgeBase, "repo": map[string]any{"id": 1, "name": "Hello-World", "url": "https://api.github.com/repos/Codertocat/Hello-World"}}}}
	h := newHarness(t, "workflow_run", payload)
	const baseYAML = "version: 1\ntolerance:\n  sec/op: 5%\n"
	headYAML := strings.Replace(baseYAML, "5%", "50%", 1)
	h.gh.addFile(rejudgeBase, "perfslo.yaml", baseYAML)
	h.gh.addFile(rejudgeBase, "go.mod", rejudgeMod)
	h.gh.addFile(head, "perfslo.yaml", headYAML)
	h.gh.addFile(head, "go.mod", rejudgeMod)
	headCfg, err := budgets.Parse("perfslo.yaml", []byte(headYAML))
	if err != nil {
		t.Fatal(err)
	}
	report := writeArtifact(t, h.dir, benchOutput(8000, 0), benchOutput(9600, 0), headCfg, nil)
	if r, err := LoadReport(report); err != nil || r.Verdict() != gate.Pass {
		t.Fatalf("under its own 50%% the head should pass: %v", err)
	}

	if _, stderr, err := h.run(RunConfig{ReportPath: report}); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	runs := h.gh.runs()
	if len(runs) != 1 || runs[0].Body["conclusion"] != "failure" {
		t.Fatalf("check runs %v, want one failure: the base's 5%% tolerance judges", checkRunSummary(runs))
	}
	bodies := h.gh.commentBodies(rejudgePR)
	if len(bodies) != 1 {
		t.Fatalf("%d comments, want 1", len(bodies))
	}
	for where, text := range map[string]string{"comment": bodies[0], "check run summary": checkSummary(t, runs[0])} {
		for _, want := range []string{"❌ **Fail**", "#### This pull request loosens perfslo.yaml", "- tolerance sec/op: 5% → 50%",
			"BenchmarkSum/lines=1000 sec/op: the report said pass, the samples say regression", "perfslo.yaml of the base commit " + shortSHA(rejudgeBase)} {
			if !strings.Contains(text, want) {
				t.Errorf("the %s does not say %q:\n%s", where, want, text)
			}
		}
	}
	if log := h.gh.requestLog(); countPrefix(log, "GET /repos/Codertocat/Hello-World/pulls/") != 0 {
		t.Errorf("the payload named the pull request and its base, yet GitHub was asked: %v", log)
	}
}

// TestNoSamplesFailsClosed: a report without raw samples (an old gate, or
// an artifact that left them out) is not posted as judged: the check run
// fails with the reason, and so does the job.
func TestNoSamplesFailsClosed(t *testing.T) {
	h, _ := forkRun(t)
	h.gh.addFile(rejudgeBase, "go.mod", rejudgeMod)
	report := writeArtifact(t, h.dir, benchOutput(8000, 0), benchOutput(8000, 0), budgets.Default(), func(r *gate.Report) { r.Samples = nil })

	_, stderr, err := h.run(RunConfig{ReportPath: report})
	if err == nil || !strings.Contains(err.Error(), "not judged: the report names no raw samples") {
		t.Fatalf("err = %v, want the refusal\n%s", err, stderr)
	}
	runs := h.gh.runs()
	if len(runs) != 1 || runs[0].Body["conclusion"] != "failure" {
		t.Fatalf("check runs %v, want one failure", checkRunSummary(runs))
	}
	out := runs[0].Body["output"].(map[string]any)
	if title, _ := out["title"].(string); !strings.HasPrefix(title, "Not judged: the report names no raw samples") {
		t.Errorf("check run title %q", title)
	}
	bodies := h.gh.commentBodies(rejudgePR)
	if len(bodies) != 1 || !strings.Contains(bodies[0], "❌ **Not judged**: the report names no raw samples") || strings.Contains(bodies[0], "✅") {
		t.Errorf("comment:\n%s", strings.Join(bodies, "\n---\n"))
	}
}

// TestSamplesOutsideTheArtifact: sample paths that leave the artifact, or
// pass through a symbolic link, are refused, not followed.
func TestSamplesOutsideTheArtifact(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "head.txt"), []byte(benchOutput(8000, 0)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, head, want string
		link             bool
	}{
		{"parent", "../outside/head.txt", "not a path inside the artifact", false},
		{"absolute", filepath.Join(outside, "head.txt"), "not a path inside the artifact", false},
		{"linked directory", "linked/head.txt", "a symbolic link, not a directory of the artifact", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeArtifact(t, dir, benchOutput(8000, 0), benchOutput(8000, 0), budgets.Default(), func(r *gate.Report) { r.Samples.Head = c.head })
			if c.link {
				if err := os.Symlink(outside, filepath.Join(dir, "linked")); err != nil {
					t.Skip(err)
				}
			}
			r, err := LoadReport(filepath.Join(dir, ReportFile))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Rejudge(r, dir, budgets.Default(), false); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// TestRejudgeKeepsWhatSamplesCannotShow: a benchmark that failed to run is
// kept from the report; a benchmark the head no longer ran fails unless
// removed benchmarks are allowed.
func TestRejudgeKeepsWhatSamplesCannotShow(t *testing.T) {
	dir := t.TempDir()
	head := benchOutput(8000, 0) + strings.ReplaceAll(benchOutput(100, 0), "BenchmarkSum/lines=1000", "BenchmarkSum/lines=10")
	base := head + strings.ReplaceAll(benchOutput(50, 0), "BenchmarkSum/lines=1000", "BenchmarkGone")
	writeArtifact(t, dir, base, head, budgets.Default(), func(r *gate.Report) {
		r.Failures = append(r.Failures, gate.Failure{Package: "example.com/demo/api", Side: "head", Kind: "panic", Output: "panic: boom"})
		r.History = &gate.HistoryNote{Back: 5, Warnings: []string{"history: from the measuring job"}}
	})
	r, err := LoadReport(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	kinds := func(j *gate.Report) string {
		var ks []string
		for _, f := range j.Failures {
			ks = append(ks, f.Kind)
		}
		return strings.Join(ks, ",")
	}
	j, err := Rejudge(r, dir, budgets.Default(), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(j); got != "panic,removed" || j.Verdict() != gate.Fail {
		t.Errorf("failures %s, verdict %s; want panic,removed and fail", got, j.Verdict())
	}
	if j.History == nil || j.History.Back != 5 || !strings.Contains(strings.Join(j.Warnings, "\n"), "history and napkin findings are the measuring job's") {
		t.Errorf("the history note did not survive re-judging: %+v %q", j.History, j.Warnings)
	}
	if j, err = Rejudge(r, dir, budgets.Default(), true); err != nil || kinds(j) != "panic" {
		t.Errorf("with removed benchmarks allowed: failures %s (%v), want panic", kinds(j), err)
	}
}
