package github

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// The example workflows are the fork-safe pattern users copy: these tests
// keep them so.

func loadWorkflow(t *testing.T, name string) map[string]any {
	t.Helper()
	p := filepath.Join("..", "..", ".github", "workflows", name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var wf map[string]any
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return wf
}

// steps returns every step of every job.
func steps(wf map[string]any) []map[string]any {
	var out []map[string]any
	jobs, _ := wf["jobs"].(map[string]any)
	for _, j := range jobs {
		job, _ := j.(map[string]any)
		list, _ := job["steps"].([]any)
		for _, s := range list {
			if m, ok := s.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// permissions returns the workflow's and every job's permissions blocks.
func permissions(wf map[string]any) []any {
	perms := []any{wf["permissions"]}
	jobs, _ := wf["jobs"].(map[string]any)
	for _, j := range jobs {
		if job, ok := j.(map[string]any); ok {
			if p, ok := job["permissions"]; ok {
				perms = append(perms, p)
			}
		}
	}
	return perms
}

func TestCommentWorkflowNeverRunsPRCode(t *testing.T) {
	wf := loadWorkflow(t, "perfslo-comment.yml")
	on, _ := wf["on"].(map[string]any)
	run, ok := on["workflow_run"].(map[string]any)
	if !ok || len(on) != 1 {
		t.Fatalf("perfslo-comment.yml must trigger on workflow_run only, has %v", on)
	}
	pr, sharded := loadWorkflow(t, "perfslo.yml"), loadWorkflow(t, "perfslo-sharded.yml")
	names, _ := run["workflows"].([]any)
	if len(names) != 2 || names[0] != pr["name"] || names[1] != sharded["name"] {
		t.Errorf("workflow_run.workflows = %v, want [%v %v] (the names of perfslo.yml and perfslo-sharded.yml)", names, pr["name"], sharded["name"])
	}
	for _, s := range steps(wf) {
		uses, _ := s["uses"].(string)
		if strings.HasPrefix(uses, "actions/checkout") {
			t.Errorf("the comment workflow checks out code (%s): with a write token, a fork's code must never run", uses)
		}
		if r, _ := s["run"].(string); strings.Contains(r, "head_sha") || strings.Contains(r, "head_branch") {
			t.Errorf("a step uses the PR head: %q", r)
		}
	}
	perms, _ := wf["permissions"].(map[string]any)
	for k, want := range map[string]string{"pull-requests": "write", "checks": "write", "actions": "read", "contents": "read"} {
		if perms[k] != want {
			t.Errorf("permissions.%s = %v, want %s", k, perms[k], want)
		}
	}
	if perms["contents"] == "write" {
		t.Error("the comment workflow does not need contents: write")
	}
}

func TestPRWorkflowIsReadOnly(t *testing.T) {
	for _, name := range []string{"perfslo.yml", "perfslo-sharded.yml"} {
		t.Run(name, func(t *testing.T) { prWorkflowIsReadOnly(t, name) })
	}
}

// prWorkflowIsReadOnly checks a workflow that runs a pull request's code:
// pull_request only, no write permission, posting left to workflow_run.
func prWorkflowIsReadOnly(t *testing.T, name string) {
	wf := loadWorkflow(t, name)
	on, _ := wf["on"].(map[string]any)
	if _, ok := on["pull_request"]; !ok || len(on) != 1 {
		t.Errorf("%s must trigger on pull_request only (never pull_request_target), has %v", name, on)
	}
	if wf["permissions"] == nil {
		t.Errorf("%s must declare permissions (contents: read), not inherit the repository default", name)
	}
	for _, p := range permissions(wf) {
		switch p := p.(type) {
		case string:
			if p != "read-all" && p != "" {
				t.Errorf("permissions: %s", p)
			}
		case map[string]any:
			for k, v := range p {
				if v == "write" {
					t.Errorf("%s grants %s: write; it runs untrusted code", name, k)
				}
			}
		}
	}
	var uploads bool
	for _, s := range steps(wf) {
		if uses, _ := s["uses"].(string); strings.HasPrefix(uses, "actions/upload-artifact") {
			uploads = true
		}
		if r, _ := s["run"].(string); strings.Contains(r, "perfslo comment") && !strings.Contains(r, "--markdown-only") {
			t.Errorf("%s posts; posting belongs in the workflow_run workflow", name)
		}
	}
	if !uploads {
		t.Errorf("%s uploads no artifact for the comment workflow", name)
	}
}

func TestWorkflowsPinActionsByMajor(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", ".github", "workflows", "*.yml"))
	files = append(files, filepath.Join("..", "..", "action.yml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			_, uses, ok := strings.Cut(line, "uses: ")
			if !ok || strings.HasPrefix(uses, "./") {
				continue
			}
			_, ver, ok := strings.Cut(uses, "@")
			if !ok || !strings.HasPrefix(ver, "v") || strings.Contains(ver, ".") {
				t.Errorf("%s:%d: %s: pin actions to a major version (@vN)", f, i+1, strings.TrimSpace(uses))
			}
		}
	}
}

// outputFlag finds a perfslo flag that writes a file or directory.
var outputFlag = regexp.MustCompile(`--(?:json|markdown|profiles)[ =]"?([^"\s]+)`)

// TestWorkflowOutputDirsExist: every path a step tells perfslo to write
// into lies in a directory an earlier line of the job made (mkdir -p), or
// in the runner's own directories. A clean pull request runs no profiling
// step, so nothing else makes it.
func TestWorkflowOutputDirsExist(t *testing.T) {
	for _, name := range []string{"perfslo.yml", "perfslo-comment.yml"} {
		wf := loadWorkflow(t, name)
		made := map[string]bool{}
		for _, s := range steps(wf) {
			script, _ := s["run"].(string)
			for _, line := range strings.Split(script, "\n") {
				f := strings.Fields(line)
				if len(f) >= 3 && f[0] == "mkdir" && f[1] == "-p" {
					for _, d := range f[2:] {
						made[strings.Trim(d, `"'/`)] = true
					}
				}
				if !strings.Contains(line, "perfslo gate") && !strings.Contains(line, "--json") && !strings.Contains(line, "--markdown ") {
					continue
				}
				for _, m := range outputFlag.FindAllStringSubmatch(line, -1) {
					dir := path.Dir(m[1])
					if m[1] == "-" || strings.HasPrefix(dir, "$RUNNER_TEMP") || dir == "." {
						continue
					}
					if !made[dir] {
						t.Errorf("%s, step %q: perfslo writes %s, but no earlier line makes %s/", name, s["name"], m[1], dir)
					}
				}
			}
		}
	}
}
