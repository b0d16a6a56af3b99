package github

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// actionsRunner runs a workflow file's jobs the way a GitHub-hosted runner
// does, on this machine: each `run:` step in bash with the GITHUB_*
// variables and the GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and
// GITHUB_STEP_SUMMARY files; `if:` and `${{ }}` evaluated; the `uses:`
// steps the shipped workflows use emulated (checkout from a real git
// repository, setup-go with the local go, upload/download-artifact as
// directory copies). Anything else in a workflow is an error, so a test
// never passes on a step it did not really run.
type actionsRunner struct {
	t *testing.T
	// origin is the bare repository checkout clones.
	origin string
	// shim holds a go command that installs the perfslo under test for
	// `go install github.com/perfslo/perfslo/cmd/perfslo@…` and runs the
	// real go for everything else.
	shim string
	// baseEnv is the runner's environment before any step: this process's
	// own, without anything from a real Actions job.
	baseEnv []string
	// artifacts are the uploads, by run id and name.
	artifacts map[int64]map[string]string
	token     string
	apiURL    string
	nextRun   int64
}

// ghEvent is what triggered a workflow run.
type ghEvent struct {
	name    string
	payload map[string]any
	sha     string // GITHUB_SHA
	ref     string // GITHUB_REF
	baseRef string // GITHUB_BASE_REF (pull_request only)
	headRef string // GITHUB_HEAD_REF (pull_request only)
}

// jobRun is what one job did.
type jobRun struct {
	outcome string // "success", "failure" or "skipped"
	steps   []stepRun
	summary string
	// workspace is GITHUB_WORKSPACE after the job.
	workspace string
}

type stepRun struct {
	name, outcome string
	output        string
	outputs       map[string]string
}

func (j *jobRun) step(t *testing.T, name string) stepRun {
	t.Helper()
	for _, s := range j.steps {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("no step %q ran; steps: %v", name, j.steps)
	return stepRun{}
}

func newActionsRunner(t *testing.T, origin, perfslo, token, apiURL string) *actionsRunner {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	goCmd, _ = filepath.Abs(goCmd)
	shim := t.TempDir()
	script := "#!/bin/bash\n" +
		"# `go install …/cmd/perfslo@REF` installs the perfslo under test; all else is the real go.\n" +
		`if [ "$1" = install ] && [ $# -eq 2 ] && [[ "$2" == github.com/perfslo/perfslo/cmd/perfslo@* ]]; then` + "\n" +
		`  mkdir -p "${GOBIN:?}" && cp ` + strconv.Quote(perfslo) + ` "$GOBIN/perfslo" && exit 0` + "\nfi\n" +
		"exec " + strconv.Quote(goCmd) + ` "$@"` + "\n"
	if err := os.WriteFile(filepath.Join(shim, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "RUNNER_") || strings.HasPrefix(k, "ACTIONS_") || k == "GOBIN" || k == "PATH" || k == "CI" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PATH="+shim+string(os.PathListSeparator)+os.Getenv("PATH"))
	return &actionsRunner{t: t, origin: origin, shim: shim, baseEnv: env, artifacts: map[int64]map[string]string{},
		token: token, apiURL: apiURL, nextRun: 9000}
}

// run runs every job of the workflow file for ev; the run's id is returned
// with the jobs by name.
func (a *actionsRunner) run(file string, ev ghEvent) (int64, map[string]*jobRun) {
	a.t.Helper()
	return a.runWorkflow(file, loadWorkflow(a.t, file), ev)
}

// runWorkflow runs the workflow wf, named file in messages.
func (a *actionsRunner) runWorkflow(file string, wf map[string]any, ev ghEvent) (int64, map[string]*jobRun) {
	a.t.Helper()
	a.nextRun++
	runID := a.nextRun
	jobs, _ := wf["jobs"].(map[string]any)
	names := make([]string, 0, len(jobs))
	for n := range jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	out := map[string]*jobRun{}
	for _, n := range names {
		out[n] = a.runJob(file, fmt.Sprint(wf["name"]), n, jobs[n].(map[string]any), ev, runID)
	}
	return runID, out
}

func (a *actionsRunner) runJob(file, workflow, name string, spec map[string]any, ev ghEvent, runID int64) *jobRun {
	t := a.t
	t.Helper()
	for k := range spec {
		switch k {
		case "runs-on", "if", "steps", "permissions", "env", "name", "timeout-minutes":
		default:
			t.Fatalf("%s: job %s: the harness does not emulate %q", file, name, k)
		}
	}
	root := t.TempDir()
	workspace := filepath.Join(root, "workspace")
	temp := filepath.Join(root, "temp")
	gobin := filepath.Join(root, "go", "bin")
	for _, d := range []string{workspace, temp, gobin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	evPath := filepath.Join(root, "event.json")
	writeJSONFile(t, evPath, ev.payload)
	repo, _ := ev.payload["repository"].(map[string]any)
	ctx := &exprContext{
		status: "success",
		values: map[string]any{
			"github": map[string]any{
				"event_name": ev.name, "event": ev.payload, "sha": ev.sha, "ref": ev.ref,
				"base_ref": ev.baseRef, "head_ref": ev.headRef, "repository": repo["full_name"],
				"token": a.token, "run_id": strconv.FormatInt(runID, 10), "workspace": workspace,
				"api_url": a.apiURL, "action_ref": "", "action_path": "",
			},
			"runner": map[string]any{"temp": temp, "os": "Linux"},
			"steps":  map[string]any{},
		},
	}
	res := &jobRun{workspace: workspace}
	if cond, ok := spec["if"].(string); ok && !ctx.truthy(t, cond) {
		res.outcome = "skipped"
		return res
	}
	env := append([]string(nil), a.baseEnv...)
	env = append(env,
		"CI=true", "GITHUB_ACTIONS=true", "GITHUB_WORKSPACE="+workspace, "GITHUB_EVENT_NAME="+ev.name,
		"GITHUB_EVENT_PATH="+evPath, "GITHUB_REPOSITORY="+fmt.Sprint(repo["full_name"]), "GITHUB_SHA="+ev.sha,
		"GITHUB_REF="+ev.ref, "GITHUB_BASE_REF="+ev.baseRef, "GITHUB_HEAD_REF="+ev.headRef,
		"GITHUB_API_URL="+a.apiURL, "GITHUB_SERVER_URL=https://github.test", "GITHUB_RUN_ID="+strconv.FormatInt(runID, 10),
		"GITHUB_WORKFLOW="+workflow, "GITHUB_JOB="+name,
		"RUNNER_TEMP="+temp, "RUNNER_OS=Linux", "GOBIN="+gobin)
	j := &job{a: a, file: file, ev: ev, runID: runID, ctx: ctx, env: env, jobEnv: ctx.envMap(t, spec["env"]),
		workspace: workspace, temp: temp, gobin: gobin}
	steps, _ := spec["steps"].([]any)
	for i, s := range steps {
		sr := j.runStep(i, s.(map[string]any))
		res.steps = append(res.steps, sr.stepRun)
		res.summary += sr.summary
		for _, p := range sr.path {
			j.env = prependPath(j.env, p)
		}
		j.env = append(j.env, sr.env...)
		if sr.outcome == "failure" {
			ctx.status = "failure"
		}
	}
	res.outcome = ctx.status
	return res
}

type stepResult struct {
	stepRun
	summary string
	path    []string
	env     []string
}

// job is one job's run in progress.
type job struct {
	a                      *actionsRunner
	file                   string
	ev                     ghEvent
	runID                  int64
	ctx                    *exprContext
	env                    []string
	jobEnv                 map[string]string
	workspace, temp, gobin string
}

func (j *job) runStep(i int, step map[string]any) stepResult {
	t, file, ctx := j.a.t, j.file, j.ctx
	t.Helper()
	for k := range step {
		switch k {
		case "name", "uses", "with", "run", "env", "if", "id", "shell", "working-directory":
		default:
			t.Fatalf("%s: step %d: the harness does not emulate %q", file, i+1, k)
		}
	}
	name, _ := step["name"].(string)
	if name == "" {
		name, _ = step["uses"].(string)
	}
	res := stepResult{stepRun: stepRun{name: name}}
	cond := "success()"
	if c, ok := step["if"].(string); ok {
		cond = c
	}
	if !ctx.truthy(t, cond) {
		res.outcome = "skipped"
		return res
	}
	var err error
	var output string
	if uses, ok := step["uses"].(string); ok && strings.HasPrefix(uses, "perfslo/perfslo@") {
		output, err = j.composite(uses, ctx.envMap(t, step["with"]), &res)
	} else if ok {
		output, err = j.uses(uses, ctx.envMap(t, step["with"]), &res)
	} else {
		output, err = j.runScript(step, ctx.envMap(t, step["env"]), &res)
	}
	res.output = output
	res.outcome = "success"
	if err != nil {
		res.outcome = "failure"
		t.Logf("%s: step %q failed: %v\n%s", file, name, err, output)
	}
	if id, ok := step["id"].(string); ok {
		outputs := map[string]any{}
		for k, v := range res.outputs {
			outputs[k] = v
		}
		ctx.values["steps"].(map[string]any)[id] = map[string]any{"outputs": outputs, "outcome": res.outcome}
	}
	return res
}

// runScript runs a run: step with bash, as the runner does.
func (j *job) runScript(step map[string]any, stepEnv map[string]string, res *stepResult) (string, error) {
	t, ctx := j.a.t, j.ctx
	dir := t.TempDir()
	script := ctx.interpolate(t, step["run"].(string))
	path := filepath.Join(dir, "script.sh")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY"} {
		files[f] = filepath.Join(dir, strings.ToLower(f))
		os.WriteFile(files[f], nil, 0o644)
	}
	// `shell: bash` is bash --noprofile --norc -eo pipefail; no shell is
	// bash -e, on Linux.
	args := []string{"-e", path}
	if sh, _ := step["shell"].(string); sh == "bash" {
		args = []string{"--noprofile", "--norc", "-eo", "pipefail", path}
	} else if sh != "" {
		t.Fatalf("the harness does not emulate shell %q", sh)
	}
	cmd := exec.Command("bash", args...)
	cmd.Dir = j.workspace
	if wd, ok := step["working-directory"].(string); ok {
		cmd.Dir = filepath.Join(j.workspace, ctx.interpolate(t, wd))
	}
	cmd.Env = append([]string(nil), j.env...)
	for _, m := range []map[string]string{j.jobEnv, stepEnv} {
		for k, v := range m {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, p := range files {
		cmd.Env = append(cmd.Env, k+"="+p)
	}
	out, err := cmd.CombinedOutput()
	res.outputs = readKeyValues(t, files["GITHUB_OUTPUT"])
	for k, v := range readKeyValues(t, files["GITHUB_ENV"]) {
		res.env = append(res.env, k+"="+v)
	}
	if data, _ := os.ReadFile(files["GITHUB_PATH"]); len(data) > 0 {
		res.path = strings.Fields(string(data))
	}
	summary, _ := os.ReadFile(files["GITHUB_STEP_SUMMARY"])
	res.summary = string(summary)
	return string(out), err
}

// uses emulates the actions the shipped workflows use.
func (j *job) uses(uses string, with map[string]string, res *stepResult) (string, error) {
	a, t, workspace := j.a, j.a.t, j.workspace
	action, _, _ := strings.Cut(uses, "@")
	allowed := map[string][]string{
		"actions/checkout":          {"fetch-depth", "persist-credentials"},
		"actions/setup-go":          {"go-version", "go-version-file", "cache"},
		"actions/upload-artifact":   {"name", "path", "retention-days", "if-no-files-found"},
		"actions/download-artifact": {"name", "path", "run-id", "github-token"},
	}
	keys, ok := allowed[action]
	if !ok {
		t.Fatalf("the harness does not emulate %s", uses)
	}
	for k := range with {
		if !slices.Contains(keys, k) {
			t.Fatalf("%s: the harness does not emulate with.%s", uses, k)
		}
	}
	switch action {
	case "actions/checkout":
		// A full clone (fetch-depth 0) of the repository at the event's
		// commit, with origin's branches as remote-tracking refs.
		if with["fetch-depth"] != "0" {
			t.Fatalf("%s: only fetch-depth: 0 is emulated", uses)
		}
		if out, err := runGit(t, "", "clone", "--quiet", a.origin, workspace); err != nil {
			return out, err
		}
		sha := j.ev.sha
		if out, err := runGit(t, workspace, "checkout", "--quiet", "--detach", sha); err != nil {
			return out, err
		}
		if with["persist-credentials"] != "false" {
			// What actions/checkout leaves for later git commands.
			cred := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + a.token))
			if out, err := runGit(t, workspace, "config", "--local", "http.https://github.test/.extraheader", "AUTHORIZATION: basic "+cred); err != nil {
				return out, err
			}
		}
		return "checked out " + sha, nil
	case "actions/setup-go":
		if f := with["go-version-file"]; f != "" {
			if _, err := os.Stat(filepath.Join(workspace, f)); err != nil {
				return "", fmt.Errorf("go-version-file: %v", err)
			}
		} else if with["go-version"] == "" {
			return "", fmt.Errorf("setup-go without go-version or go-version-file")
		}
		// The local go stands for the one set up; what go install
		// builds lands in GOBIN, which setup-go puts on PATH.
		res.path = append(res.path, j.gobin)
		return "using the local go", nil
	case "actions/upload-artifact":
		src := strings.TrimSuffix(with["path"], "/")
		if !filepath.IsAbs(src) {
			src = filepath.Join(workspace, src)
		}
		if _, err := os.Stat(src); err != nil {
			if with["if-no-files-found"] == "error" {
				return "", fmt.Errorf("no files at %s", with["path"])
			}
			return "warning: no files found at " + with["path"], nil
		}
		dst := filepath.Join(t.TempDir(), "artifact")
		if out, err := exec.Command("cp", "-R", src, dst).CombinedOutput(); err != nil {
			return string(out), err
		}
		if a.artifacts[j.runID] == nil {
			a.artifacts[j.runID] = map[string]string{}
		}
		a.artifacts[j.runID][with["name"]] = dst
		return "uploaded " + with["name"], nil
	case "actions/download-artifact":
		id, err := strconv.ParseInt(with["run-id"], 10, 64)
		if err != nil {
			return "", fmt.Errorf("run-id %q: %v", with["run-id"], err)
		}
		if with["github-token"] != a.token {
			return "", fmt.Errorf("download-artifact: github-token is not the job's token")
		}
		src, ok := a.artifacts[id][with["name"]]
		if !ok {
			return "", fmt.Errorf("Unable to download artifact(s): Artifact not found for name: %s (run %d)", with["name"], id)
		}
		dst := filepath.Join(workspace, with["path"])
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if out, err := exec.Command("cp", "-R", src, dst).CombinedOutput(); err != nil {
			return string(out), err
		}
		return "downloaded " + with["name"], nil
	}
	return "", nil
}

// composite runs perfslo's own action.yml (perfslo/perfslo@REF) as the
// runner runs a composite action: its inputs from with: or their defaults,
// its steps in order under the job's status, its outputs from its steps'.
func (j *job) composite(uses string, with map[string]string, res *stepResult) (string, error) {
	t, ctx := j.a.t, j.ctx
	t.Helper()
	path := filepath.Join("..", "..", "action.yml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var action map[string]any
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	runs := action["runs"].(map[string]any)
	if runs["using"] != "composite" {
		t.Fatalf("%s: runs.using = %v, the harness emulates composite actions", path, runs["using"])
	}
	declared, _ := action["inputs"].(map[string]any)
	for k := range with {
		if _, ok := declared[k]; !ok {
			return "", fmt.Errorf("%s: unexpected input %q", uses, k)
		}
	}
	inputs := map[string]any{}
	for k, v := range declared {
		def, _ := v.(map[string]any)["default"]
		inputs[k] = ctx.interpolate(t, exprString(def))
		if w, ok := with[k]; ok {
			inputs[k] = w
		}
	}
	// The action's own contexts; the caller's come back afterwards.
	gh := ctx.values["github"].(map[string]any)
	saved := map[string]any{"inputs": ctx.values["inputs"], "steps": ctx.values["steps"], "ref": gh["action_ref"], "path": gh["action_path"]}
	defer func() {
		ctx.values["inputs"], ctx.values["steps"] = saved["inputs"], saved["steps"]
		gh["action_ref"], gh["action_path"] = saved["ref"], saved["path"]
	}()
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	_, ref, _ := strings.Cut(uses, "@")
	ctx.values["inputs"], ctx.values["steps"] = inputs, map[string]any{}
	gh["action_ref"], gh["action_path"] = ref, root

	var log strings.Builder
	failed := false
	steps, _ := runs["steps"].([]any)
	for i, s := range steps {
		step := s.(map[string]any)
		if _, isRun := step["run"]; isRun && step["shell"] == nil {
			t.Fatalf("%s: step %d has no shell: a composite action's run steps must say it", path, i+1)
		}
		sr := j.runStep(i, step)
		fmt.Fprintf(&log, "[%s: %s]\n%s", sr.name, sr.outcome, sr.output)
		if sr.output != "" && !strings.HasSuffix(sr.output, "\n") {
			log.WriteString("\n")
		}
		res.summary += sr.summary
		res.path = append(res.path, sr.path...)
		res.env = append(res.env, sr.env...)
		for _, p := range sr.path {
			j.env = prependPath(j.env, p)
		}
		j.env = append(j.env, sr.env...)
		if sr.outcome == "failure" {
			failed = true
			ctx.status = "failure"
		}
	}
	res.outputs = map[string]string{}
	outputs, _ := action["outputs"].(map[string]any)
	for k, v := range outputs {
		res.outputs[k] = ctx.interpolate(t, exprString(v.(map[string]any)["value"]))
	}
	if failed {
		return log.String(), fmt.Errorf("a step of %s failed", uses)
	}
	return log.String(), nil
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

func prependPath(env []string, dir string) []string {
	return append(env, "PATH="+dir+string(os.PathListSeparator)+envValue(env, "PATH"))
}

func runGit(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	if dir != "" {
		cmd.Dir = dir
	}
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// readKeyValues reads a GITHUB_OUTPUT or GITHUB_ENV file: NAME=value lines
// and NAME<<DELIMITER blocks.
func readKeyValues(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	data, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if k, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(k, "=") {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[k] = strings.Join(val, "\n")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("%s: line %q is neither NAME=value nor NAME<<DELIMITER", filepath.Base(path), line)
			continue
		}
		out[k] = v
	}
	return out
}
