package pyroscope

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/github"
)

// TestAgentProfilesAndTags: the demo service's agent sent CPU and
// allocation profiles, labelled with the commit, version, Go version and env.
func TestAgentProfilesAndTags(t *testing.T) {
	s := stagingProfiles(t)
	c := s.client(t)
	ctx := context.Background()
	q := s.query(ProfileCPU, `{commit="`+s.Stable+`"}`)
	p, err := c.Profile(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if n := newTally(p, 0).samples(); n < 100 {
		t.Errorf("stable CPU profile holds %.0f samples after %v of load; want ≥ 100", n, loadDuration)
	}
	q.ProfileType = ProfileAllocObjects
	if _, err := c.Profile(ctx, q); err != nil {
		t.Errorf("allocation profile: %v", err)
	}
	for label, want := range map[string]string{
		"commit":          s.Stable,
		"service_version": "v0.0.0-itest",
		"env":             "itest",
		"go_version":      "go1.",
	} {
		vals, err := c.LabelValues(ctx, label, "demo-service", q.Start, q.End)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, v := range vals {
			found = found || strings.HasPrefix(v, want)
		}
		if !found {
			t.Errorf("label %s has values %q, want one starting %q", label, vals, want)
		}
	}
	span, err := c.Span(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// 2 s uploads over a 20 s run: the span must be close to the run.
	if span < loadDuration/2 || span > s.End.Sub(s.Start)+5*time.Second {
		t.Errorf("span of the allocation data = %v; the services ran %v", span, s.End.Sub(s.Start))
	}
}

// TestStagingCheck (done-means 1): staging check finds the profile by its
// commit label, passes a generous budget and fails (exit 2) a tight one,
// naming the function and its share.
func TestStagingCheck(t *testing.T) {
	s := stagingProfiles(t)
	dir := t.TempDir()
	write := func(name, budgets string) string {
		path := filepath.Join(dir, name)
		yaml := "version: 1\nstaging:\n  service: demo-service\n  budgets:\n" + budgets
		if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	generous := write("generous.yaml", "    - function: main\\.latencyReport\n      cpu-share: 90%\n    - function: encoding/json\\.\n      cpu-share: 80%\n")
	tight := write("tight.yaml", "    - function: main\\.latencyReport\n      cpu-share: 1%\n    - function: encoding/json\\.\n      cpu-share: 80%\n")
	sel := `--selector={commit="` + s.Stable + `"}`

	r := s.perfslo(t, dir, nil, "staging", "check", "--config", generous, sel, "--since", "10m", "--json", "generous.json")
	if r.code != 0 {
		t.Fatalf("generous budget: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	rep := readReport(t, filepath.Join(dir, "generous.json"))
	if rep.Verdict() != gate.Pass || len(rep.Results) != 2 || rep.Head.Commit != s.Stable {
		t.Errorf("generous report: verdict %s, %d rows, commit %q", rep.Verdict(), len(rep.Results), rep.Head.Commit)
	}

	r = s.perfslo(t, dir, nil, "staging", "check", sel, "--config", tight, "--since", "10m", "--json", "tight.json", "--markdown", "tight.md")
	if r.code != 2 {
		t.Fatalf("tight budget: exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
	}
	share := regexp.MustCompile(`main\\\.latencyReport takes (\d+\.\d)% of demo-service's CPU`).FindStringSubmatch(r.stdout)
	if share == nil || !strings.Contains(r.stdout, "top: main.latencyReport") {
		t.Fatalf("tight budget output does not name the function and its share:\n%s", r.stdout)
	}
	rep = readReport(t, filepath.Join(dir, "tight.json"))
	row := rep.Results[0]
	pct, _ := strconv.ParseFloat(share[1], 64)
	if row.Verdict != gate.Violation || row.Function != `main\.latencyReport` || row.Head.Low <= 0.01 || abs(100*row.Head.Center-pct) > 0.051 {
		t.Errorf("tight row: %s %s share %v (printed %s%%)", row.Function, row.Verdict, row.Head, share[1])
	}
	if md, err := os.ReadFile(filepath.Join(dir, "tight.md")); err != nil || !strings.Contains(string(md), "latencyReport") {
		t.Errorf("markdown report: %v\n%s", err, md)
	}

	// An unknown commit has no profile: exit 1, and the error lists the
	// services the server knows.
	r = s.perfslo(t, dir, nil, "staging", "check", "--config", generous, `--selector={commit="nosuchcommit"}`)
	if r.code != 1 || !strings.Contains(r.stderr, "no profile data") || !strings.Contains(r.stderr, "demo-service") {
		t.Errorf("unknown commit: exit %d, want 1 with a clear error:\n%s", r.code, r.stderr)
	}
}

// TestStagingCoverage (done-means 2): the benchmarks of examples/ against
// the demo service's staging CPU: the covered share, and latencyReport as
// hot and unbenchmarked.
func TestStagingCoverage(t *testing.T) {
	s := stagingProfiles(t)
	dir := t.TempDir()
	examples := filepath.Join(moduleRoot, "examples")
	r := s.perfslo(t, examples, nil, "staging", "coverage", "--service", "demo-service",
		`--selector={commit="`+s.Stable+`"}`, "--since", "10m", "--benchtime", "100ms", "--json", filepath.Join(dir, "cov.json"))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	m := regexp.MustCompile(`^benchmarks exercise (\d+)% of staging CPU .*hot and unbenchmarked: main\.latencyReport \((\d+)%\)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("coverage summary does not name main.latencyReport as hot and unbenchmarked:\n%s", r.stdout)
	}
	var cov Coverage
	data, err := os.ReadFile(filepath.Join(dir, "cov.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &cov); err != nil {
		t.Fatal(err)
	}
	if cov.Exercised < 0.2 || cov.Exercised > cov.Application {
		t.Errorf("exercised share %.2f of %.2f application: the demo service spends most of its CPU in benchmarked example code", cov.Exercised, cov.Application)
	}
	if cov.Unbenchmarked[0].Function != "main.latencyReport" || cov.Unbenchmarked[0].Share < 0.05 {
		t.Errorf("top unbenchmarked: %+v", cov.Unbenchmarked[0])
	}
	benchmarked := map[string]bool{}
	for _, f := range cov.Benchmarked {
		benchmarked[f.Function] = true
	}
	if !benchmarked["github.com/perfslo/perfslo/examples/wordfreq.TopWords"] {
		t.Errorf("wordfreq.TopWords is benchmarked and busy in staging, but not in %+v", cov.Benchmarked)
	}
}

// TestStagingPGO (done-means 4): the merged staging CPU profile builds the
// demo service with go build -pgo, and the compiler uses it.
func TestStagingPGO(t *testing.T) {
	if testing.Short() {
		t.Skip("a PGO build recompiles the demo service and its dependencies (~30 s of CPU)")
	}
	s := stagingProfiles(t)
	dir := t.TempDir()
	r := s.perfslo(t, dir, nil, "staging", "pgo", "--service", "demo-service", `--selector={commit="`+s.Stable+`"}`, "--since", "10m", "-o", "default.pgo")
	if r.code != 0 || !strings.Contains(r.stdout, "wrote default.pgo") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pgo := filepath.Join(dir, "default.pgo")
	bin := filepath.Join(dir, "demo-service")
	cmd := exec.Command("go", "build", "-pgo="+pgo, "-gcflags=-d=pgodebug=1", "-o", bin, ".")
	cmd.Dir = filepath.Join(moduleRoot, "examples", "cmd", "demo-service")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build -pgo: %v\n%s", err, out)
	}
	// The compiler found the service's own hot function in the profile:
	// pgodebug names it either as a hot node whose inlining budget grew or
	// as the caller of a hot call site (which of the two depends on how the
	// samples fell in this run's 20 s of load).
	used := strings.Contains(string(out), "hot-node enabled increased budget") || strings.Contains(string(out), "hot-budget check allows inlining")
	if !used || !strings.Contains(string(out), "main.latencyReport") {
		t.Errorf("go build -pgo did not use the profile's hot nodes:\n%.2000s", out)
	}
	v, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil || !strings.Contains(string(v), "-pgo="+pgo) {
		t.Errorf("go version -m shows no -pgo setting: %v\n%s", err, v)
	}
}

// TestStagingCompare: the canary's report does twice the work; compare
// puts main.latencyReport's share first, up.
func TestStagingCompare(t *testing.T) {
	s := stagingProfiles(t)
	dir := t.TempDir()
	r := s.perfslo(t, dir, nil, "staging", "compare", "--service", "demo-service", "--since", "10m", "--top", "5",
		"--base", `{commit="`+s.Stable+`"}`, "--head", `{commit="`+s.Canary+`"}`, "--json", "cmp.json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var c Comparison
	data, err := os.ReadFile(filepath.Join(dir, "cmp.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	// The report's own work lands in its callees' flat time (sorting,
	// formatting): judge it by cum.
	var report *FunctionChange
	for i := range c.Functions {
		if c.Functions[i].HeadCum > c.Functions[i].BaseCum+0.02 {
			report = &c.Functions[i]
			break
		}
	}
	p, err := s.client(t).Profile(context.Background(), s.query(ProfileCPU, `{commit="`+s.Canary+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.client(t).Profile(context.Background(), s.query(ProfileCPU, `{commit="`+s.Stable+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	full, err := Compare(b, p, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range full.Functions {
		if f.Function == "main.latencyReport" {
			if f.HeadCum < f.BaseCum+0.05 {
				t.Errorf("main.latencyReport cum share %.1f%% → %.1f%%: the canary's report does twice the work", 100*f.BaseCum, 100*f.HeadCum)
			}
			report = &f
		}
	}
	if report == nil {
		t.Fatalf("no function's share grew:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "Δ flat") {
		t.Errorf("text output:\n%s", r.stdout)
	}
}

// TestQueryErrors (done-means 5): each failure is a clear error of its kind,
// within a bounded time.
func TestQueryErrors(t *testing.T) {
	s := stagingProfiles(t)
	ctx := context.Background()

	// Something else answers at the address: a 404 from a plain HTTP server.
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	// A proxy that demands basic auth in front of the real server.
	target, _ := url.Parse(s.srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	guarded := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "perfslo" || p != "s3cret" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer guarded.Close()
	down := closedPort(t)

	q := s.query(ProfileCPU, `{commit="`+s.Stable+`"}`)
	for _, tc := range []struct {
		name   string
		cfg    ClientConfig
		query  func(Query) Query
		want   error
		phrase string
	}{
		{"server down", ClientConfig{Server: down}, nil, ErrUnreachable, "connection refused"},
		{"wrong address", ClientConfig{Server: other.URL}, nil, ErrNotPyroscope, "Pyroscope server's address"},
		{"no tenant", ClientConfig{Server: s.srv.URL}, nil, ErrUnauthorized, "PYROSCOPE_TENANT_ID"},
		{"bad basic auth", ClientConfig{Server: guarded.URL, TenantID: s.srv.Tenant, BasicAuthUser: "perfslo", BasicAuthPassword: "wrong"}, nil, ErrUnauthorized, "PYROSCOPE_BASIC_AUTH_USER"},
		{"empty window", ClientConfig{Server: s.srv.URL, TenantID: s.srv.Tenant}, func(q Query) Query {
			q.Start, q.End = s.Start.Add(-3*time.Hour), s.Start.Add(-2*time.Hour)
			return q
		}, ErrEmptyProfile, "the server has no profiles at all in this window"},
		{"window too long", ClientConfig{Server: s.srv.URL, TenantID: s.srv.Tenant}, func(q Query) Query {
			q.Start = q.End.Add(-72 * time.Hour)
			return q
		}, ErrWindowTooLong, "shorter --since"},
		{"bad selector", ClientConfig{Server: s.srv.URL, TenantID: s.srv.Tenant}, func(q Query) Query {
			q.Selector = `{commit=unquoted}`
			return q
		}, ErrBadSelector, "parse error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Timeout = 5 * time.Second
			c, err := NewClient(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			qq := q
			if tc.query != nil {
				qq = tc.query(q)
			}
			start := time.Now()
			_, err = c.Profile(ctx, qq)
			took := time.Since(start)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.phrase) {
				t.Fatalf("error %v; want %v mentioning %q", err, tc.want, tc.phrase)
			}
			if took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "wrong") {
				t.Errorf("error leaks a password: %v", err)
			}
			t.Logf("%v (in %v)", err, took.Round(time.Millisecond))
		})
	}
	// The right password through the proxy works: basic auth is sent.
	c, _ := NewClient(ClientConfig{Server: guarded.URL, TenantID: s.srv.Tenant, BasicAuthUser: "perfslo", BasicAuthPassword: "s3cret"})
	if _, err := c.Profile(ctx, q); err != nil {
		t.Errorf("with the right basic auth: %v", err)
	}
}

// TestStagingCLIErrors (done-means 5): the command exits 1 with a clear
// error, within bounded time, for each failure.
func TestStagingCLIErrors(t *testing.T) {
	s := stagingProfiles(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "perfslo.yaml")
	if err := os.WriteFile(cfg, []byte("version: 1\nstaging:\n  service: demo-service\n  budgets:\n    - function: main\\.\n      cpu-share: 90%\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	for _, tc := range []struct {
		name   string
		env    []string
		args   []string
		phrase string
	}{
		{"server down", []string{"PYROSCOPE_SERVER_ADDRESS=" + closedPort(t)}, nil, "connection refused"},
		{"wrong address", nil, []string{"--server", other.URL}, "no Pyroscope query API at this address"},
		{"bad auth", []string{"PYROSCOPE_TENANT_ID="}, nil, "refused the credentials"},
		{"empty window", nil, []string{"--selector", `{commit="` + s.Stable + `"}`, "--since", "1ms"}, "no profile data"},
		{"window too long", nil, []string{"--since", "48h"}, "query window too long"},
		{"credentials in URL", nil, []string{"--server", "http://u:hunter2@127.0.0.1:1"}, "not in the URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"staging", "check", "--config", cfg}, tc.args...)
			r := s.perfslo(t, dir, tc.env, args...)
			if r.code != 1 || !strings.Contains(r.stderr, tc.phrase) {
				t.Errorf("exit %d, stderr %q; want exit 1 mentioning %q", r.code, r.stderr, tc.phrase)
			}
			if r.elapsed > 10*time.Second {
				t.Errorf("took %v", r.elapsed)
			}
			if strings.Contains(r.stderr+r.stdout, "hunter2") || strings.Contains(r.stderr, "panic") {
				t.Errorf("output leaks a password or panics:\n%s", r.stderr)
			}
		})
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

// readReport reads a report the way perfslo comment does (size cap, strict).
func readReport(t *testing.T, path string) *gate.Report {
	t.Helper()
	r, err := github.LoadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
