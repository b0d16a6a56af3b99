package github

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/perfslo/perfslo/gate"
)

// The test repository's perfslo.yaml: one benchmark of the examples, so a
// gate takes seconds. Exact units decide the regression (a new allocation
// per op). Time is judged with a tolerance of 1000%: on a shared 2-core
// machine the interval of a 20ms benchmark spans ±50% when neighbours are
// busy, and a narrower tolerance would make the clean change "unmeasurable"
// by the machine's noise rather than by the workflow under test.
const workflowTestConfig = `version: 1
run:
  packages: [./sum]
  bench: BenchmarkSum/lines=1000$
  count: 10
  benchtime: 20ms
  cpu: 1
tolerance:
  sec/op: 1000%
  ns/line: 1000%
  B/op: 0
  allocs/op: 0
`

// TestShippedWorkflowsRun runs the fork-safe pair as GitHub would, step by
// step, on a real git repository of the examples: perfslo.yml on a pull
// request (the perfslo built from this tree stands for the one it
// installs), then perfslo-comment.yml on the workflow_run event, against
// the GitHub fake. First push: a regression; second push: a clean change.
func TestShippedWorkflowsRun(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	perfslo := buildPerfslo(t)
	work, origin := examplesOrigin(t)

	runEvent := workflowRunCompleted(t)
	repo := runEvent["repository"].(map[string]any)["full_name"].(string)
	fake := newFakeGitHub(t, repo, testToken)
	runner := newActionsRunner(t, origin, perfslo, testToken, fake.URL())
	const pr = 7

	// Push 1: Sum allocates once more per call.
	gitOK(t, work, "checkout", "-q", "-b", "faster-sum")
	editFile(t, filepath.Join(work, "sum", "sum.go"), "\tf, err := os.Open(path)", "\tp := path\n\tlastOpened = &p // keeps the name for error messages\n\tf, err := os.Open(path)")
	editFile(t, filepath.Join(work, "sum", "sum.go"), "// File returns the sum", "var lastOpened *string\n\n// File returns the sum")
	head1 := pushCommit(t, work, "sum: remember the last file opened")

	measure, job := runPullRequest(t, runner, repo, pr, head1)
	if job.outcome != "failure" {
		t.Errorf("the measuring job of a regression ended %s, want failure", job.outcome)
	}
	if s := job.step(t, "Run the gate (base and head interleaved)"); s.outcome != "failure" {
		t.Errorf("the gate step passed a regression:\n%s", s.output)
	}
	for _, name := range []string{"Record the pull request number for the comment workflow", "actions/upload-artifact@v4"} {
		if s := job.step(t, name); s.outcome != "success" {
			t.Errorf("step %q (if: always()) did not run after the gate failed: %s\n%s", name, s.outcome, s.output)
		}
	}
	report := artifactReport(t, runner, measure)
	if report.Verdict() != gate.Fail || !hasRow(report, "BenchmarkSum/lines=1000", "allocs/op", gate.Regression) {
		t.Errorf("artifact report: verdict %s, rows %v; want fail with allocs/op regressed", report.Verdict(), rowList(report))
	}
	if !strings.Contains(job.summary, "Fail") {
		t.Errorf("the job summary does not show the verdict:\n%.400s", job.summary)
	}
	if cfg, err := os.ReadFile(filepath.Join(job.workspace, ".git", "config")); err != nil || strings.Contains(string(cfg), "extraheader") {
		t.Errorf("the checkout left credentials in .git/config for the benchmarks to read (%v)", err)
	}

	// The posting job reads perfslo.yaml at the base and head commits
	// through the contents API: the fake serves the repository's files.
	base := strings.TrimSpace(gitOK(t, origin, "rev-parse", "main"))
	serveCommits(t, fake, origin, base, head1)
	fake.pulls[pr], fake.pullBases[pr] = head1, base
	comment := runWorkflowRun(t, runner, runEvent, measure, head1, "failure")
	if comment.outcome != "success" {
		t.Fatalf("the comment job failed: %+v", comment.steps)
	}
	bodies, authors := fake.commentBodies(pr), fake.commentAuthors(pr)
	if len(bodies) != 1 || authors[0] != ActionsBot || !strings.Contains(bodies[0], "❌ **Fail**") || !strings.Contains(bodies[0], "BenchmarkSum") ||
		!strings.Contains(bodies[0], "perfslo.yaml of the base commit "+shortSHA(base)) || !strings.Contains(bodies[0], "Self-reported") {
		t.Errorf("after push 1: comments by %v:\n%.600s", authors, strings.Join(bodies, "\n---\n"))
	}
	runs := fake.runs()
	if len(runs) != 1 || runs[0].Body["head_sha"] != head1 || runs[0].Body["conclusion"] != "failure" {
		t.Errorf("after push 1: check runs %v", checkRunSummary(runs))
	}

	// Push 2: the regression reverted, only the README touched.
	gitOK(t, work, "checkout", "-q", "main", "--", "sum/sum.go")
	editFile(t, filepath.Join(work, "README.md"), "\n", "\n\nThe examples are the fixture of perfslo's own tests.\n")
	head2 := pushCommit(t, work, "sum: no, keep it as it was; README note")

	measure, job = runPullRequest(t, runner, repo, pr, head2)
	if job.outcome != "success" {
		for _, s := range job.steps {
			t.Logf("step %q: %s\n%s", s.name, s.outcome, s.output)
		}
		t.Fatalf("the measuring job of a clean change ended %s, want success", job.outcome)
	}
	if report := artifactReport(t, runner, measure); report.Verdict() != gate.Pass {
		t.Errorf("clean change: verdict %s, rows %v", report.Verdict(), rowList(report))
	}
	serveCommits(t, fake, origin, head2)
	fake.pulls[pr] = head2
	comment = runWorkflowRun(t, runner, runEvent, measure, head2, "success")
	if comment.outcome != "success" {
		t.Fatalf("the comment job failed: %+v", comment.steps)
	}
	bodies = fake.commentBodies(pr)
	if len(bodies) != 1 || !strings.Contains(bodies[0], "✅ **Pass**") {
		t.Errorf("after push 2: want the one comment edited to pass; %d comments:\n%.600s", len(bodies), strings.Join(bodies, "\n---\n"))
	}
	runs = fake.runs()
	if len(runs) != 2 || runs[1].Body["head_sha"] != head2 || runs[1].Body["conclusion"] != "success" {
		t.Errorf("after push 2: check runs %v", checkRunSummary(runs))
	}
}

// serveCommits makes the fake serve perfslo.yaml and go.mod of each commit
// of the git repository dir, as GitHub's contents API would.
func serveCommits(t *testing.T, f *fakeGitHub, dir string, commits ...string) {
	t.Helper()
	for _, c := range commits {
		for _, p := range []string{"perfslo.yaml", "go.mod"} {
			f.addFile(c, p, gitOK(t, dir, "show", c+":"+p))
		}
	}
}

// runPullRequest runs perfslo.yml for a push to pull request pr.
func runPullRequest(t *testing.T, r *actionsRunner, repo string, pr int, head string) (int64, *jobRun) {
	t.Helper()
	payload := pullRequestOpened(t)
	payload["action"] = "synchronize"
	payload["number"] = pr
	payload["repository"].(map[string]any)["full_name"] = repo
	p := payload["pull_request"].(map[string]any)
	p["number"] = pr
	p["head"].(map[string]any)["sha"] = head
	p["head"].(map[string]any)["ref"] = "faster-sum"
	p["base"].(map[string]any)["ref"] = "main"
	id, jobs := r.run("perfslo.yml", ghEvent{name: "pull_request", payload: payload, sha: head,
		ref: fmt.Sprintf("refs/pull/%d/merge", pr), baseRef: "main", headRef: "faster-sum"})
	job := jobs["gate"]
	if job == nil {
		t.Fatalf("perfslo.yml has no job gate: %v", jobs)
	}
	return id, job
}

// runWorkflowRun runs perfslo-comment.yml for the completed measuring run.
func runWorkflowRun(t *testing.T, r *actionsRunner, payload map[string]any, measured int64, head, conclusion string) *jobRun {
	t.Helper()
	payload = deepCopy(t, payload).(map[string]any)
	run := payload["workflow_run"].(map[string]any)
	run["id"] = measured
	run["head_sha"] = head
	run["event"] = "pull_request"
	run["name"] = "perfslo"
	run["conclusion"] = conclusion
	run["pull_requests"] = []any{} // a fork's pull request is not listed
	_, jobs := r.run("perfslo-comment.yml", ghEvent{name: "workflow_run", payload: payload, sha: "0000000000000000000000000000000000000001", ref: "refs/heads/main"})
	job := jobs["comment"]
	if job == nil {
		t.Fatalf("perfslo-comment.yml has no job comment: %v", jobs)
	}
	for _, s := range job.steps {
		t.Logf("comment job step %q: %s\n%s", s.name, s.outcome, s.output)
	}
	return job
}

func artifactReport(t *testing.T, r *actionsRunner, run int64) *gate.Report {
	t.Helper()
	dir, ok := r.artifacts[run]["perfslo-report"]
	if !ok {
		t.Fatalf("run %d uploaded no perfslo-report artifact", run)
	}
	a, err := ReadArtifact(dir, ArtifactLimits{})
	if err != nil {
		t.Fatalf("the artifact the workflow uploaded: %v", err)
	}
	if a.PR == 0 {
		t.Errorf("the artifact has no pr_number: %v", a.Files)
	}
	return a.Report
}

func hasRow(r *gate.Report, bench, unit string, v gate.RowVerdict) bool {
	for _, row := range r.Results {
		if strings.HasPrefix(row.Benchmark, bench) && row.Unit == unit && row.Verdict == v {
			return true
		}
	}
	return false
}

func rowList(r *gate.Report) []string {
	var out []string
	for _, row := range r.Results {
		out = append(out, row.Benchmark+" "+row.Unit+" "+string(row.Verdict))
	}
	for _, f := range r.Failures {
		out = append(out, "failure: "+f.Package+" "+f.Kind)
	}
	return out
}

func checkRunSummary(runs []*fakeCheckRun) []string {
	var out []string
	for _, r := range runs {
		out = append(out, fmt.Sprintf("%v %v", r.Body["head_sha"], r.Body["conclusion"]))
	}
	return out
}

// buildPerfslo builds this tree's perfslo command.
func buildPerfslo(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "perfslo")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/perfslo")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/perfslo: %v\n%s", err, out)
	}
	return bin
}

// examplesOrigin makes a git repository of the examples module (without the
// demo service, its own module) on main, and a bare clone of it as origin.
func examplesOrigin(t *testing.T) (work, origin string) {
	t.Helper()
	root := t.TempDir()
	work = filepath.Join(root, "work")
	src := filepath.Join("..", "..", "examples")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && rel != "." && (strings.HasPrefix(d.Name(), ".") || rel == filepath.Join("cmd", "demo-service")) {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(work, rel)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "perfslo.yaml"), []byte(workflowTestConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	gitOK(t, work, "init", "-q", "-b", "main")
	gitOK(t, work, "add", "-A")
	gitOK(t, work, "commit", "-q", "-m", "examples")
	origin = filepath.Join(root, "origin.git")
	gitOK(t, root, "clone", "-q", "--bare", work, origin)
	gitOK(t, work, "remote", "add", "origin", origin)
	return work, origin
}

func pushCommit(t *testing.T, work, msg string) string {
	t.Helper()
	gitOK(t, work, "commit", "-q", "-am", msg)
	gitOK(t, work, "push", "-q", "origin", "HEAD")
	return strings.TrimSpace(gitOK(t, work, "rev-parse", "HEAD"))
}

func gitOK(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := runGit(t, dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readmeWorkflow is the workflow the README shows under heading: what users
// copy is what is tested.
func readmeWorkflow(t *testing.T, heading string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), heading+"\n")
	if !ok {
		t.Fatalf("README.md has no heading %q", heading)
	}
	_, block, ok := strings.Cut(rest, "```yaml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatalf("README.md: no yaml block under %q", heading)
	}
	var wf map[string]any
	if err := yaml.Unmarshal([]byte(block), &wf); err != nil {
		t.Fatalf("README.md, the workflow under %q: %v", heading, err)
	}
	return wf
}

// TestCompositeActionRun runs the README's one-job workflow, which uses
// perfslo's composite action (action.yml), on a pull request from the
// repository itself: the action gates, uploads and posts in one job.
func TestCompositeActionRun(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("action.yml reads the verdict with jq, which GitHub's runners have and this machine has not")
	}
	wf := readmeWorkflow(t, "### Without forks: the composite action")
	perfslo := buildPerfslo(t)
	work, origin := examplesOrigin(t)
	payload := pullRequestOpened(t)
	repo := payload["repository"].(map[string]any)["full_name"].(string)
	fake := newFakeGitHub(t, repo, testToken)
	runner := newActionsRunner(t, origin, perfslo, testToken, fake.URL())
	const pr = 9

	push := func(head string) (int64, *jobRun) {
		t.Helper()
		ev := deepCopy(t, payload).(map[string]any)
		ev["number"] = pr
		p := ev["pull_request"].(map[string]any)
		p["number"] = pr
		p["head"].(map[string]any)["sha"] = head
		p["head"].(map[string]any)["repo"].(map[string]any)["full_name"] = repo // not a fork
		p["base"].(map[string]any)["ref"] = "main"
		fake.pulls[pr] = head
		id, jobs := runner.runWorkflow("README.md (composite action)", wf, ghEvent{name: "pull_request", payload: ev, sha: head,
			ref: fmt.Sprintf("refs/pull/%d/merge", pr), baseRef: "main", headRef: "faster-sum"})
		job := jobs["gate"]
		if job == nil {
			t.Fatalf("the README's workflow has no job gate")
		}
		return id, job
	}

	gitOK(t, work, "checkout", "-q", "-b", "faster-sum")
	editFile(t, filepath.Join(work, "sum", "sum.go"), "\tf, err := os.Open(path)", "\tp := path\n\tlastOpened = &p\n\tf, err := os.Open(path)")
	editFile(t, filepath.Join(work, "sum", "sum.go"), "// File returns the sum", "var lastOpened *string\n\n// File returns the sum")
	id, job := push(pushCommit(t, work, "sum: remember the last file opened"))
	action := job.step(t, "perfslo/perfslo@v1")
	if r := artifactReport(t, runner, id); r.Verdict() != gate.Fail {
		t.Errorf("regression: the uploaded report says %s", r.Verdict())
	}
	if job.outcome != "failure" || action.outcome != "failure" || action.outputs["verdict"] != "fail" {
		t.Errorf("regression: job %s, action step %s, verdict output %q; want failure, failure, fail\n%s", job.outcome, action.outcome, action.outputs["verdict"], action.output)
	}
	for _, want := range []string{"[Upload the report and profiles: success]", "[Comment on the pull request: success]", "[Write the job summary: skipped]", "[Apply fail-on: failure]"} {
		if !strings.Contains(action.output, want) {
			t.Errorf("the action's steps did not run as expected: no %q in\n%s", want, action.output)
		}
	}
	if bodies := fake.commentBodies(pr); len(bodies) != 1 || !strings.Contains(bodies[0], "❌ **Fail**") {
		t.Errorf("regression: comments %.400q", bodies)
	}
	if runs := fake.runs(); len(runs) != 1 || runs[0].Body["conclusion"] != "failure" {
		t.Errorf("regression: check runs %v", checkRunSummary(runs))
	}

	gitOK(t, work, "checkout", "-q", "main", "--", "sum/sum.go")
	editFile(t, filepath.Join(work, "README.md"), "\n", "\n\nThe examples are the fixture of perfslo's own tests.\n")
	id, job = push(pushCommit(t, work, "sum: keep it as it was; README note"))
	action = job.step(t, "perfslo/perfslo@v1")
	if r := artifactReport(t, runner, id); r.Verdict() != gate.Pass {
		t.Errorf("clean change: the uploaded report says %s", r.Verdict())
	}
	if job.outcome != "success" || action.outputs["verdict"] != "pass" {
		t.Errorf("clean change: job %s, verdict output %q; want success, pass\n%s", job.outcome, action.outputs["verdict"], action.output)
	}
	if bodies := fake.commentBodies(pr); len(bodies) != 1 || !strings.Contains(bodies[0], "✅ **Pass**") {
		t.Errorf("clean change: want the one comment edited to pass: %.400q", bodies)
	}
	if runs := fake.runs(); len(runs) != 2 || runs[1].Body["conclusion"] != "success" {
		t.Errorf("clean change: check runs %v", checkRunSummary(runs))
	}
}
