package run

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBenchmarkEnvScrubbed runs a real test binary that writes its
// environment, through both ways perfslo starts benchmarks (the interleaved
// rounds and a profile run): the job's credentials must not be in it, and
// what go test needs must.
func TestBenchmarkEnvScrubbed(t *testing.T) {
	_, pkgs := builtFixture(t)
	secrets := map[string]string{
		"GITHUB_TOKEN":                   "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
		"PYROSCOPE_BASIC_AUTH_PASSWORD":  "hunter2-pyroscope",
		"PYROSCOPE_BASIC_AUTH_USER":      "perfslo-user",
		"ACTIONS_RUNTIME_TOKEN":          "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJydW50aW1lIn0.c2ln",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-request-bearer",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   "https://oidc.test/token?audience=x",
		"NPM_TOKEN":                      "npm-token-value",
		"DEPLOY_SECRET_KEY":              "deploy-secret-value",
		"DB_PASSWORD":                    "db-password-value",
		"INNOCENT_LOOKING":               "ghp_R2d2C3poLuke0Leia1Han2Chewie3Yoda4Obi",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	t.Setenv("PERFSLO_BENCH_SETTING", "kept")
	dump := filepath.Join(t.TempDir(), "env")
	extra := []string{"ENVDUMP=" + dump, "ENVDUMP_TAG=rounds"}
	out, err := Interleave(context.Background(), Plan{Head: []Package{pkgs["envdump"]}, Benchtime: "1x", CPU: 1, Rounds: 1, Timeout: time.Minute, Env: extra})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Failures) > 0 || len(out.Head) != 1 {
		t.Fatalf("failures %+v, %d results", out.Failures, len(out.Head))
	}
	extra[1] = "ENVDUMP_TAG=profile"
	if _, err := Profile(context.Background(), pkgs["envdump"], "BenchmarkEnv", ProfileOptions{
		OutDir: t.TempDir(), Iters: 10, SecPerOp: 1e-9, CPU: 1, Timeout: time.Minute, Env: extra}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(dump + ".*")
	tags := map[string]bool{}
	for _, f := range files {
		tags[strings.Split(filepath.Base(f), ".")[1]] = true
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		env := map[string]string{}
		for _, kv := range strings.Split(string(data), "\n") {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		for k, v := range secrets {
			if _, ok := env[k]; ok || strings.Contains(string(data), v) {
				t.Errorf("%s: the benchmark saw %s", filepath.Base(f), k)
			}
		}
		for _, k := range []string{"PATH", "HOME", "PERFSLO_BENCH_SETTING", "ENVDUMP", "GOMAXPROCS"} {
			if env[k] == "" && os.Getenv(k) != "" || (k == "GOMAXPROCS" && env[k] != "1") {
				t.Errorf("%s: the benchmark lost %s (%q)", filepath.Base(f), k, env[k])
			}
		}
	}
	if !tags["rounds"] || !tags["profile"] {
		t.Errorf("dumps from %v, want from the rounds and the profile runs (files %v)", tags, files)
	}
}
