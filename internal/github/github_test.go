package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

// testToken looks like an installation token, so a leak is unmistakable.
const testToken = "ghs_PerfsloTestToken7f3a9c2e5b8d1f4a6c0e"

func f64(v float64) *float64 { return &v }

// harness runs `perfslo comment` (Run) against a fake GitHub, with an
// event payload from GitHub's examples and a sleep that only records.
type harness struct {
	t      *testing.T
	gh     *fakeGitHub
	dir    string
	env    map[string]string
	mu     sync.Mutex
	sleeps []time.Duration
}

func newHarness(t *testing.T, event string, payload map[string]any) *harness {
	t.Helper()
	repo := payload["repository"].(map[string]any)["full_name"].(string)
	h := &harness{t: t, gh: newFakeGitHub(t, repo, testToken), dir: t.TempDir()}
	evPath := filepath.Join(h.dir, "event.json")
	writeJSONFile(t, evPath, payload)
	h.env = map[string]string{
		"GITHUB_TOKEN":        testToken,
		"GITHUB_REPOSITORY":   repo,
		"GITHUB_EVENT_PATH":   evPath,
		"GITHUB_EVENT_NAME":   event,
		"GITHUB_API_URL":      h.gh.URL(),
		"GITHUB_STEP_SUMMARY": filepath.Join(h.dir, "step_summary.md"),
		"GITHUB_SHA":          "0000000000000000000000000000000000000000",
	}
	return h
}

func writeJSONFile(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) writeReport(r *gate.Report) string {
	p := filepath.Join(h.dir, "report.json")
	writeJSONFile(h.t, p, r)
	return p
}

func (h *harness) sleep(_ context.Context, d time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sleeps = append(h.sleeps, d)
	return nil
}

func (h *harness) slept() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.sleeps...)
}

// run runs perfslo comment and checks that the token appears in nothing it
// produced: stdout, stderr, the error, the job summary, any request URL.
func (h *harness) run(cfg RunConfig) (stdout, stderr string, err error) {
	h.t.Helper()
	cfg.Getenv = func(k string) string { return h.env[k] }
	cfg.Retry.Sleep = h.sleep
	var out, errOut strings.Builder
	err = Run(context.Background(), cfg, &out, &errOut)
	stdout, stderr = out.String(), errOut.String()
	summary, _ := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
	places := map[string]string{"stdout": stdout, "stderr": stderr, "job summary": string(summary),
		"request URLs": strings.Join(h.gh.requestLog(), "\n")}
	if err != nil {
		places["error"] = err.Error()
	}
	for where, text := range places {
		if strings.Contains(text, testToken) {
			h.t.Errorf("the token appears in %s:\n%s", where, text)
		}
	}
	return stdout, stderr, err
}

func pullRequestOpened(t *testing.T) map[string]any {
	return webhookExample(t, "pull_request", func(ex map[string]any) bool { return ex["action"] == "opened" })
}

func prOf(payload map[string]any) (int, string) {
	pr := payload["pull_request"].(map[string]any)
	return int(pr["number"].(float64)), pr["head"].(map[string]any)["sha"].(string)
}

// failingReport has a regression placed by the report, a violation, an
// unmeasurable row and a pass; n extra regressions make it longer.
func failingReport(extra int) *gate.Report {
	r := &gate.Report{
		Schema:   gate.SchemaVersion,
		Base:     gate.Source{Label: "base", Commit: "4f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39", Machine: gate.Machine{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64"}},
		Head:     gate.Source{Label: "head", Commit: "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807", Machine: gate.Machine{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64"}},
		Settings: gate.Settings{Alpha: 0.05, Correction: "holm", Tests: 4, Count: 10, Benchtime: "100ms", Interleaved: true},
		Results: []gate.Row{
			{Benchmark: "BenchmarkSum/lines=1000", Package: "example.com/demo/sum", Unit: "sec/op", Verdict: gate.Regression, Significant: true,
				Base: &gate.Stat{Center: 8e-6, Low: 7.9e-6, High: 8.1e-6, N: 10}, Head: &gate.Stat{Center: 9.6e-6, Low: 9.5e-6, High: 9.7e-6, N: 10},
				Delta: f64(0.2), P: f64(0.0002), Reasons: []string{"+20.00% > tolerance 5%"},
				Source: &gate.Location{File: "sum/sum_test.go", Line: 7}},
			{Benchmark: "BenchmarkSum/lines=1000", Package: "example.com/demo/sum", Unit: "B/op", Verdict: gate.Violation, Significant: true,
				Base: &gate.Stat{Center: 4096, Low: 4096, High: 4096, N: 10}, Head: &gate.Stat{Center: 16384, Low: 16384, High: 16384, N: 10},
				Delta: f64(3), P: f64(0), Budget: &gate.BudgetResult{Limit: 10240, Expr: "10KiB", Kind: "max", Headroom: -0.6, Operation: "sum a file", Dataset: "1000 lines"},
				Source: &gate.Location{File: "sum/sum_test.go", Line: 7}},
			{Benchmark: "BenchmarkParse", Package: "example.com/demo/sum", Unit: "sec/op", Verdict: gate.Unmeasurable,
				Base: &gate.Stat{Center: 1e-3, Low: 0.5e-3, High: 3e-3, N: 4}, Head: &gate.Stat{Center: 1.1e-3, Low: 0.5e-3, High: 3e-3, N: 4},
				Reasons: []string{"too few samples"}, Source: &gate.Location{File: "sum/parse_test.go", Line: 12}},
			{Benchmark: "BenchmarkFast", Package: "example.com/demo/sum", Unit: "sec/op", Verdict: gate.RowPass,
				Base: &gate.Stat{Center: 1e-9, Low: 1e-9, High: 1e-9, N: 10}, Head: &gate.Stat{Center: 1e-9, Low: 1e-9, High: 1e-9, N: 10}},
		},
	}
	for i := 0; i < extra; i++ {
		r.Results = append(r.Results, gate.Row{
			Benchmark: fmt.Sprintf("BenchmarkRoute/n=%d", i), Package: "example.com/demo/api", Unit: "sec/op", Verdict: gate.Regression,
			Significant: true, Base: &gate.Stat{Center: 1e-6, Low: 1e-6, High: 1e-6, N: 10}, Head: &gate.Stat{Center: 2e-6, Low: 2e-6, High: 2e-6, N: 10},
			Delta: f64(1), P: f64(0.0002), Source: &gate.Location{File: "api/route_test.go", Line: 10 + i}})
	}
	return r
}

func passingReport() *gate.Report {
	r := failingReport(0)
	r.Results = r.Results[3:]
	return r
}

func TestCommentFirstRunThenEditsInPlace(t *testing.T) {
	payload := pullRequestOpened(t)
	pr, head := prOf(payload)
	h := newHarness(t, "pull_request", payload)
	report := h.writeReport(failingReport(0))

	stdout, stderr, err := h.run(RunConfig{ReportPath: report})
	if err != nil {
		t.Fatalf("first run: %v\nstderr: %s", err, stderr)
	}
	bodies := h.gh.commentBodies(pr)
	if len(bodies) != 1 {
		t.Fatalf("after the first run PR #%d has %d comments, want 1", pr, len(bodies))
	}
	if !strings.HasPrefix(bodies[0], Marker("")+"\n") || !strings.Contains(bodies[0], "❌ **Fail**") {
		t.Errorf("comment does not start with the marker and the verdict:\n%.300s", bodies[0])
	}
	if !strings.Contains(stdout, "comment: created") || !strings.Contains(stdout, "check run: perfslo (failure, 3 annotations)") {
		t.Errorf("stdout does not say what was done:\n%s", stdout)
	}
	runs := h.gh.runs()
	if len(runs) != 1 {
		t.Fatalf("%d check runs, want 1", len(runs))
	}
	cr := runs[0]
	if cr.Body["head_sha"] != head || cr.Body["conclusion"] != "failure" || cr.Body["status"] != "completed" {
		t.Errorf("check run head_sha=%v conclusion=%v status=%v; want %s failure completed", cr.Body["head_sha"], cr.Body["conclusion"], cr.Body["status"], head)
	}
	if len(cr.Annotations) != 3 {
		t.Fatalf("%d annotations, want 3 (regression, violation, unmeasurable)", len(cr.Annotations))
	}
	a := cr.Annotations[0]
	if a["path"] != "sum/sum_test.go" || a["start_line"] != float64(7) || a["annotation_level"] != "failure" {
		t.Errorf("first annotation = %v", a)
	}
	if lvl := cr.Annotations[2]["annotation_level"]; lvl != "warning" {
		t.Errorf("unmeasurable row annotated at level %v, want warning", lvl)
	}
	summary, err := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
	if err != nil || !strings.Contains(string(summary), "❌ **Fail**") {
		t.Errorf("job summary not written: %v\n%s", err, summary)
	}

	// Second run: a new push that fixed things. The same comment is edited.
	h.writeReport(passingReport())
	stdout, _, err = h.run(RunConfig{ReportPath: report})
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	bodies = h.gh.commentBodies(pr)
	if len(bodies) != 1 {
		t.Fatalf("after the second run PR #%d has %d comments, want 1 (edited in place)", pr, len(bodies))
	}
	if !strings.Contains(bodies[0], "✅ **Pass**") || !strings.Contains(stdout, "comment: updated") {
		t.Errorf("the comment was not updated to the new verdict:\n%.300s\nstdout: %s", bodies[0], stdout)
	}
	if c := countPrefix(h.gh.requestLog(), "POST /repos/"+h.env["GITHUB_REPOSITORY"]+"/issues/"); c != 1 {
		t.Errorf("%d comment creations over two runs, want 1", c)
	}
	summary, _ = os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
	if !strings.Contains(string(summary), "❌ **Fail**") || !strings.Contains(string(summary), "✅ **Pass**") {
		t.Error("the job summary was overwritten, not appended to")
	}
	if runs := h.gh.runs(); len(runs) != 2 || runs[1].Body["conclusion"] != "success" {
		t.Errorf("second run's check run: %d runs, last conclusion %v; want 2, success", len(runs), runs[len(runs)-1].Body["conclusion"])
	}
}

func TestCommentFoundOnPage3(t *testing.T) {
	payload := pullRequestOpened(t)
	pr, _ := prOf(payload)
	h := newHarness(t, "pull_request", payload)
	// 230 comments before ours, so ours is the 231st: page 3 at 100 a page.
	// One person quotes the marker on page 1: that comment must stay theirs.
	h.gh.seedComment(pr, "as the bot says: "+Marker("")+" looks wrong", "octocat", "User")
	for i := 1; i < 230; i++ {
		h.gh.seedComment(pr, fmt.Sprintf("review note %d", i), "octocat", "User")
	}
	ours := h.gh.seedComment(pr, Marker("")+"\nold verdict", "github-actions[bot]", "Bot")
	for i := 0; i < 15; i++ {
		h.gh.seedComment(pr, fmt.Sprintf("later note %d", i), "hubot", "User")
	}
	report := h.writeReport(failingReport(0))
	if _, _, err := h.run(RunConfig{ReportPath: report, NoCheck: true}); err != nil {
		t.Fatal(err)
	}
	bodies := h.gh.commentBodies(pr)
	if len(bodies) != 246 {
		t.Fatalf("PR has %d comments, want the 246 it had (no new one)", len(bodies))
	}
	if !strings.HasPrefix(bodies[0], "as the bot says") {
		t.Error("the comment that quotes the marker was edited")
	}
	if !strings.Contains(bodies[230], "❌ **Fail**") {
		t.Errorf("comment %d (ours) was not updated: %.80q", ours, bodies[230])
	}
	log := h.gh.requestLog()
	for _, page := range []string{"page=2", "page=3"} {
		found := false
		for _, l := range log {
			if strings.HasPrefix(l, "GET ") && strings.Contains(l, page) && strings.Contains(l, "per_page=100") {
				found = true
			}
		}
		if !found {
			t.Errorf("no request for comments %s: the Link header was not followed\n%s", page, strings.Join(log, "\n"))
		}
	}
	if want := fmt.Sprintf("PATCH /repos/%s/issues/comments/%d", h.env["GITHUB_REPOSITORY"], ours); countPrefix(log, want) != 1 {
		t.Errorf("no %s in\n%s", want, strings.Join(log, "\n"))
	}
}

func TestCommentGatesHaveSeparateComments(t *testing.T) {
	payload := pullRequestOpened(t)
	pr, _ := prOf(payload)
	h := newHarness(t, "pull_request", payload)
	report := h.writeReport(failingReport(0))
	for _, name := range []string{"api", "worker", "api"} {
		if _, _, err := h.run(RunConfig{ReportPath: report, Name: name, NoCheck: true}); err != nil {
			t.Fatal(err)
		}
	}
	bodies := h.gh.commentBodies(pr)
	if len(bodies) != 2 || !strings.HasPrefix(bodies[0], Marker("api")) || !strings.HasPrefix(bodies[1], Marker("worker")) {
		t.Errorf("want one comment per gate (api, worker), got %d", len(bodies))
	}
}

func TestRetries(t *testing.T) {
	const comments = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
	const checkRuns = "/repos/{owner}/{repo}/check-runs"
	secondary := fault{status: 403, header: map[string]string{"Retry-After": "17"},
		body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`}
	bad := fault{status: 502, body: `<html><body>502 Bad Gateway</body></html>`}
	primary := func(in time.Duration) fault {
		return fault{status: 403, header: map[string]string{
			"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0", "X-RateLimit-Used": "1000", "X-RateLimit-Resource": "core",
			"X-RateLimit-Reset": fmt.Sprint(time.Now().Add(in).Unix())},
			body: `{"message":"API rate limit exceeded for installation ID 1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`}
	}
	cases := []struct {
		name   string
		faults func(f *fakeGitHub)
		// wantSleeps checks the waits; wantErr, when set, is in the error.
		wantSleeps func([]time.Duration) bool
		wantErr    []string
	}{
		{name: "502 then 200",
			faults: func(f *fakeGitHub) {
				f.fail("GET", comments, bad)
				f.fail("POST", checkRuns, bad, bad)
			},
			wantSleeps: func(d []time.Duration) bool {
				return len(d) == 3 && d[0] == time.Second && d[1] == time.Second && d[2] == 2*time.Second
			}},
		{name: "502 on a comment GitHub did create",
			faults:     func(f *fakeGitHub) { f.fail("POST", comments, fault{status: 502, body: "{}", apply: true}) },
			wantSleeps: func(d []time.Duration) bool { return len(d) == 1 }},
		{name: "secondary rate limit waited out",
			faults:     func(f *fakeGitHub) { f.fail("POST", comments, secondary) },
			wantSleeps: func(d []time.Duration) bool { return len(d) == 1 && d[0] == 17*time.Second }},
		{name: "primary rate limit resetting soon",
			faults: func(f *fakeGitHub) { f.fail("POST", checkRuns, primary(20*time.Second)) },
			wantSleeps: func(d []time.Duration) bool {
				return len(d) == 1 && d[0] > 15*time.Second && d[0] <= 22*time.Second
			}},
		{name: "primary rate limit resetting late",
			faults:     func(f *fakeGitHub) { f.fail("POST", checkRuns, primary(40*time.Minute)) },
			wantSleeps: func(d []time.Duration) bool { return len(d) == 0 },
			wantErr:    []string{"rate limit", "used up until", "re-run the job after the reset"}},
		{name: "5xx that does not pass",
			faults:     func(f *fakeGitHub) { f.fail("POST", checkRuns, bad, bad, bad, bad, bad) },
			wantSleeps: func(d []time.Duration) bool { return len(d) == 4 },
			wantErr:    []string{"GitHub kept failing (502 Bad Gateway) after 5 attempts"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			payload := pullRequestOpened(t)
			pr, _ := prOf(payload)
			h := newHarness(t, "pull_request", payload)
			c.faults(h.gh)
			_, stderr, err := h.run(RunConfig{ReportPath: h.writeReport(failingReport(0))})
			if c.wantErr == nil && err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			for _, w := range c.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not say %q", err, w)
				}
			}
			if !c.wantSleeps(h.slept()) {
				t.Errorf("slept %v", h.slept())
			}
			if n := len(h.gh.commentBodies(pr)); n != 1 {
				t.Errorf("%d comments, want exactly 1", n)
			}
			if c.wantErr == nil && len(h.gh.runs()) != 1 {
				t.Errorf("%d check runs, want 1", len(h.gh.runs()))
			}
		})
	}
}

func TestPermissionMessages(t *testing.T) {
	forbidden := fault{status: 403, body: `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/issues/comments#create-an-issue-comment","status":"403"}`}
	payload := pullRequestOpened(t)
	h := newHarness(t, "pull_request", payload)
	h.gh.fail("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", forbidden)
	h.gh.fail("POST", "/repos/{owner}/{repo}/check-runs", forbidden)
	_, _, err := h.run(RunConfig{ReportPath: h.writeReport(failingReport(0))})
	if err == nil {
		t.Fatal("no error from a 403")
	}
	for _, want := range []string{"403 Resource not accessible by integration", "`pull-requests: write`", "`checks: write`", "fork", "workflow_run"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if len(h.slept()) != 0 {
		t.Errorf("a 403 was retried: slept %v", h.slept())
	}

	// 404: the repository (or the token's view of it) is wrong.
	h = newHarness(t, "pull_request", payload)
	h.env["GITHUB_REPOSITORY"] = "someone/else"
	_, _, err = h.run(RunConfig{ReportPath: h.writeReport(failingReport(0)), NoCheck: true})
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "someone/else") {
		t.Errorf("404 error = %v", err)
	}

	// 401: a bad token, named without being shown.
	h = newHarness(t, "pull_request", payload)
	h.env["GITHUB_TOKEN"] = testToken + "-revoked"
	_, _, err = h.run(RunConfig{ReportPath: h.writeReport(failingReport(0)), NoCheck: true})
	if err == nil || !strings.Contains(err.Error(), "rejected the token (401") {
		t.Errorf("401 error = %v", err)
	}
}

// TestTokenNeverShown has a hostile server echo the request's credentials in
// its error message: the token must still not reach the user.
func TestTokenNeverShown(t *testing.T) {
	payload := pullRequestOpened(t)
	h := newHarness(t, "pull_request", payload)
	echo := fault{status: 422, body: `{"message":"Validation Failed: Authorization: Bearer ` + testToken + `","documentation_url":"https://docs.github.com/rest"}`}
	h.gh.fail("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", echo)
	h.gh.fail("POST", "/repos/{owner}/{repo}/check-runs", echo)
	_, _, err := h.run(RunConfig{ReportPath: h.writeReport(failingReport(0))})
	if err == nil || !strings.Contains(err.Error(), "Bearer ***") {
		t.Errorf("want the echoed token scrubbed to ***, got %v", err)
	}
	var target interface{ Unwrap() error }
	if !errors.As(err, &target) {
		t.Error("the scrubbed error lost its cause")
	}
}

func TestAnnotationsBatched(t *testing.T) {
	payload := pullRequestOpened(t)
	h := newHarness(t, "pull_request", payload)
	r := failingReport(117) // 3 + 117 = 120 annotations: 50 + 50 + 20
	if _, _, err := h.run(RunConfig{ReportPath: h.writeReport(r), NoComment: true}); err != nil {
		t.Fatal(err)
	}
	runs := h.gh.runs()
	if len(runs) != 1 {
		t.Fatalf("%d check runs, want 1", len(runs))
	}
	cr := runs[0]
	sizes := []int{len(annotationsOf(cr.Body))}
	for _, u := range cr.Updates {
		sizes = append(sizes, len(annotationsOf(u)))
		out := u["output"].(map[string]any)
		if out["title"] == "" || out["summary"] == "" {
			t.Error("an update dropped the output's title or summary")
		}
	}
	if fmt.Sprint(sizes) != "[50 50 20]" || len(cr.Annotations) != 120 {
		t.Errorf("annotation batches %v (total %d), want [50 50 20] (120)", sizes, len(cr.Annotations))
	}
	seen := map[string]bool{}
	for _, a := range cr.Annotations {
		key := fmt.Sprint(a["path"], ":", a["start_line"], a["title"])
		if seen[key] {
			t.Errorf("annotation %s sent twice", key)
		}
		seen[key] = true
	}
}

func workflowRunCompleted(t *testing.T) map[string]any {
	return webhookExample(t, "workflow_run", func(ex map[string]any) bool {
		run := ex["workflow_run"].(map[string]any)
		prs, _ := run["pull_requests"].([]any)
		return ex["action"] == "completed" && len(prs) == 0
	})
}

func TestWorkflowRunWithPRNumberArtifact(t *testing.T) {
	payload := workflowRunCompleted(t)
	head := payload["workflow_run"].(map[string]any)["head_sha"].(string)
	const pr = 42
	h := newHarness(t, "workflow_run", payload)
	h.gh.pulls[pr] = head
	h.gh.addFile(rejudgeBase, "go.mod", rejudgeMod)
	// The measuring workflow uploads pr_number and the raw samples beside
	// report.json.
	report := writeArtifact(t, h.dir, benchOutput(8000, 0), benchOutput(8000, 1), budgets.Default(), nil)
	if _, stderr, err := h.run(RunConfig{ReportPath: report}); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if n := len(h.gh.commentBodies(pr)); n != 1 {
		t.Errorf("PR #%d has %d comments, want 1", pr, n)
	}
	if runs := h.gh.runs(); len(runs) != 1 || runs[0].Body["head_sha"] != head {
		t.Errorf("check run not on the workflow run's head %s", head)
	}

	// An artifact naming another pull request (whose head differs) is refused.
	h2 := newHarness(t, "workflow_run", payload)
	h2.gh.pulls[7] = "1111111111111111111111111111111111111111"
	prFile := filepath.Join(h2.dir, "other.txt")
	os.WriteFile(prFile, []byte("7"), 0o644)
	_, _, err := h2.run(RunConfig{ReportPath: h2.writeReport(failingReport(0)), PRFile: prFile})
	if err == nil || !strings.Contains(err.Error(), "refusing to post") {
		t.Errorf("a PR number that does not match the run's head: err = %v", err)
	}
	if len(h2.gh.commentBodies(7)) != 0 || len(h2.gh.runs()) != 0 {
		t.Error("posted despite a mismatched PR number")
	}

	// No artifact at all: a clear error, not a silent success.
	h3 := newHarness(t, "workflow_run", payload)
	_, _, err = h3.run(RunConfig{ReportPath: h3.writeReport(failingReport(0))})
	if err == nil || !strings.Contains(err.Error(), "--pr-file") {
		t.Errorf("workflow_run without a PR number: err = %v", err)
	}
}

func TestMarkdownOnlyMakesNoCalls(t *testing.T) {
	h := newHarness(t, "pull_request", pullRequestOpened(t))
	stdout, _, err := h.run(RunConfig{ReportPath: h.writeReport(failingReport(0)), MarkdownOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, Marker("")) || !strings.Contains(stdout, "❌ **Fail**") {
		t.Errorf("stdout lacks the comment markdown:\n%.300s", stdout)
	}
	if log := h.gh.requestLog(); len(log) != 0 {
		t.Errorf("--markdown-only called the API: %v", log)
	}
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	cases := []struct {
		name, want string
		err        func() error
	}{
		{"report syntax", "bad.json:3:", func() error {
			_, err := LoadReport(write("bad.json", "{\n \"schema\": 1,\n \"verdict\": pass\n}"))
			return err
		}},
		{"report type", "types.json:1:", func() error { _, err := LoadReport(write("types.json", `{"schema": "one"}`)); return err }},
		{"not a report", "no \"schema\"", func() error { _, err := LoadReport(write("x.json", `{"a": 1}`)); return err }},
		{"pr file", "pr.txt:1: want a pull request number", func() error { _, err := ReadPRNumber(write("pr.txt", "42; rm -rf /")); return err }},
		{"event", "event.json", func() error { _, err := ReadEvent(write("event.json", "[]"), "", ""); return err }},
		{"repository", "want owner/name", func() error { _, err := NewClient(Config{Token: "x", Repository: "nope"}); return err }},
		{"token", "GITHUB_TOKEN", func() error { _, err := NewClient(Config{Repository: "a/b"}); return err }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.err()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestMarker(t *testing.T) {
	for name, want := range map[string]string{
		"":          "<!-- perfslo:gate=default -->",
		"api":       "<!-- perfslo:gate=api -->",
		"a --> b":   "<!-- perfslo:gate=a_--__b -->",
		"svc/api@1": "<!-- perfslo:gate=svc/api@1 -->",
	} {
		if got := Marker(name); got != want {
			t.Errorf("Marker(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestFindBenchmark(t *testing.T) {
	repo := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	mod := filepath.Join(repo, "services", "demo")
	files := map[string]string{
		"go.mod":             "// the demo service\nmodule example.com/demo\n\ngo 1.22\n",
		"sum/sum.go":         "package sum\n\nfunc Sum(xs []int) (s int) {\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn\n}\n",
		"sum/a_test.go":      "package sum\n\nimport \"testing\"\n\ntype T struct{}\n\n// A method of the same name is not the benchmark.\nfunc (T) BenchmarkSum(b *testing.B) {}\n",
		"sum/sum_test.go":    "package sum\n\nimport \"testing\"\n\n\n// BenchmarkSum sums.\nfunc BenchmarkSum(b *testing.B) {\n\tfor range b.N {\n\t\tSum(nil)\n\t}\n}\n",
		"sum/broken_test.go": "package sum\n\nfunc {",
	}
	for name, body := range files {
		p := filepath.Join(mod, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	loc, err := FindBenchmark(filepath.Join(mod, "sum"), "BenchmarkSum/lines=1000-8")
	if err != nil || loc.Line != 7 || filepath.Base(loc.File) != "sum_test.go" {
		t.Errorf("FindBenchmark = %+v, %v; want sum_test.go:7", loc, err)
	}
	if _, err := FindBenchmark(filepath.Join(mod, "sum"), "BenchmarkMissing"); err == nil || !strings.Contains(err.Error(), "no func BenchmarkMissing(") {
		t.Errorf("missing benchmark: err = %v", err)
	}

	l := NewLocator(filepath.Join(mod, "sum"))
	if l.Prefix != "services/demo" {
		t.Errorf("Locator prefix = %q, want services/demo", l.Prefix)
	}
	for _, c := range []struct {
		row  gate.Row
		want string
	}{
		{gate.Row{Benchmark: "BenchmarkSum/n=1", Package: "example.com/demo/sum"}, "services/demo/sum/sum_test.go:7"},
		{gate.Row{Benchmark: "BenchmarkSum", Package: "./sum"}, "services/demo/sum/sum_test.go:7"},
		{gate.Row{Benchmark: "BenchmarkX", Package: "example.com/demo/sum", Source: &gate.Location{File: "sum/x_test.go", Line: 3}}, "services/demo/sum/x_test.go:3"},
		{gate.Row{Benchmark: "BenchmarkSum", Package: "example.com/other"}, ""},
	} {
		loc, ok := l.Locate(&c.row)
		got := ""
		if ok {
			got = fmt.Sprintf("%s:%d", loc.File, loc.Line)
		}
		if got != c.want {
			t.Errorf("Locate(%s %s) = %q, want %q", c.row.Package, c.row.Benchmark, got, c.want)
		}
	}
}

func TestConclusion(t *testing.T) {
	unmeasurable := passingReport()
	unmeasurable.Results = append(unmeasurable.Results, gate.Row{Verdict: gate.Unmeasurable})
	for _, c := range []struct {
		r    *gate.Report
		want string
	}{
		{failingReport(0), "failure"},
		{passingReport(), "success"},
		{unmeasurable, "neutral"},
		{&gate.Report{}, "neutral"},
	} {
		if got := Conclusion(c.r); got != c.want {
			t.Errorf("Conclusion = %s, want %s", got, c.want)
		}
	}
}
