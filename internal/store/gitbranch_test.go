package store

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfslo/perfslo/gate"
)

// gitT runs git in dir for a test, failing it on error.
func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@localhost", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@localhost")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// userRepo is a repository mid-work: a commit on main, a staged change and
// an unstaged one — what a developer's checkout looks like.
func userRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	gitT(t, dir, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a\n"), 0o644)
	gitT(t, dir, "add", "a.go")
	gitT(t, dir, "commit", "-q", "-m", "first")
	os.WriteFile(filepath.Join(dir, "staged.go"), []byte("package a // staged\n"), 0o644)
	gitT(t, dir, "add", "staged.go")
	os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a // edited\n"), 0o644)
	return dir
}

func profileFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "p.pprof")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func meta(name string, date time.Time) Meta {
	return Meta{Name: name, Commit: "4f2a9c1d", Machine: gate.Machine{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", CPU: "test CPU", NumCPU: 2}, Date: date, Count: 10, Benchtime: "100ms"}
}

const gitResults = "goos: linux\ngoarch: amd64\npkg: example.com/sum\nBenchmarkSum-2 \t 1000\t 12.5 ns/op\n"

func TestGitRoundTripLeavesWorkTreeAlone(t *testing.T) {
	dir := userRepo(t)
	before := []string{gitT(t, dir, "status", "--porcelain"), gitT(t, dir, "rev-parse", "HEAD"), gitT(t, dir, "symbolic-ref", "HEAD"), gitT(t, dir, "diff", "--cached")}
	g, err := OpenGitBranch(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if g.Remote != "" {
		t.Fatalf("remote %q in a repository without one", g.Remote)
	}
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	profiles := map[string]string{"cpu.pprof": profileFile(t, "cpu bytes"), "head/example.com_sum.mem.pprof": profileFile(t, "mem bytes")}
	if err := g.Save(meta("main", t0), []byte(gitResults), profiles); err != nil {
		t.Fatal(err)
	}
	if err := g.Save(meta("release-1.2", t0.Add(time.Hour)), []byte(gitResults+"BenchmarkOther-2 1 1 ns/op\n"), nil); err != nil {
		t.Fatal(err)
	}
	after := []string{gitT(t, dir, "status", "--porcelain"), gitT(t, dir, "rev-parse", "HEAD"), gitT(t, dir, "symbolic-ref", "HEAD"), gitT(t, dir, "diff", "--cached")}
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("the user's checkout changed:\nbefore %q\nafter  %q", before, after)
	}
	if n := gitT(t, dir, "rev-list", "--count", DefaultGitBranch); n != "2" {
		t.Errorf("%s has %s commits, want 2 (one per baseline)", DefaultGitBranch, n)
	}
	if files := gitT(t, dir, "ls-tree", "-r", "--name-only", DefaultGitBranch); files != "main/meta.json\nmain/profiles/cpu.pprof\nmain/profiles/head/example.com_sum.mem.pprof\nmain/results.txt\nrelease-1.2/meta.json\nrelease-1.2/results.txt" {
		t.Errorf("branch tree:\n%s", files)
	}

	b, err := g.Load("main")
	if err != nil {
		t.Fatal(err)
	}
	if string(b.Results) != gitResults || b.Meta.Name != "main" || !b.Meta.Date.Equal(t0) || b.Meta.CPU != "test CPU" {
		t.Errorf("loaded %+v, results %q", b.Meta, b.Results)
	}
	for name, want := range map[string]string{"cpu.pprof": "cpu bytes", "head/example.com_sum.mem.pprof": "mem bytes"} {
		data, err := os.ReadFile(b.Profiles[name])
		if err != nil || string(data) != want {
			t.Errorf("profile %s at %q: %q, %v", name, b.Profiles[name], data, err)
		}
		if strings.HasPrefix(b.Profiles[name], dir+string(filepath.Separator)) && !strings.Contains(b.Profiles[name], string(filepath.Separator)+".git"+string(filepath.Separator)) {
			t.Errorf("profile extracted into the working tree: %s", b.Profiles[name])
		}
	}
	if _, err := g.Load("main"); err != nil { // second load reuses the extraction
		t.Fatal(err)
	}
	metas, err := g.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(metas) != 2 || metas[0].Name != "release-1.2" || metas[1].Name != "main" {
		t.Errorf("List = %+v, want release-1.2 then main", metas)
	}

	// Replacing a baseline is one more commit; the old one stays in history.
	if err := g.Save(meta("main", t0.Add(2*time.Hour)), []byte("replaced\n"), nil); err != nil {
		t.Fatal(err)
	}
	b, err = g.Load("main")
	if err != nil || string(b.Results) != "replaced\n" || len(b.Profiles) != 0 {
		t.Errorf("after replace: %v %q %v", err, b.Results, b.Profiles)
	}
	if n := gitT(t, dir, "rev-list", "--count", DefaultGitBranch); n != "3" {
		t.Errorf("%s commits after a replace, want 3", n)
	}
	if msg := gitT(t, dir, "log", "-1", "--format=%B", DefaultGitBranch); !strings.HasPrefix(msg, "perfslo: save baseline main") || !strings.Contains(msg, "Go: go1.26.8") {
		t.Errorf("commit message %q", msg)
	}
}

func TestGitErrors(t *testing.T) {
	dir := userRepo(t)
	g, err := OpenGitBranch(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Load("main"); err == nil || !strings.Contains(err.Error(), "has no baselines yet") {
		t.Errorf("load from an empty branch: %v", err)
	}
	if err := g.Save(meta("main", time.Now()), []byte(gitResults), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Load("mian"); err == nil || !strings.Contains(err.Error(), `no baseline "mian"`) || !strings.Contains(err.Error(), "have: main") {
		t.Errorf("load of a missing name: %v", err)
	}
	if err := g.Save(meta("../x", time.Now()), nil, nil); err == nil {
		t.Error("saved a baseline named ../x")
	}
	if err := g.Save(meta("ok", time.Now()), nil, map[string]string{"../escape": profileFile(t, "x")}); err == nil {
		t.Error("saved a profile named ../escape")
	}
	if err := g.Save(meta("ok", time.Now()), nil, map[string]string{"cpu.pprof": filepath.Join(t.TempDir(), "missing")}); err == nil || !strings.Contains(err.Error(), `profile "cpu.pprof"`) {
		t.Errorf("a missing profile file: %v", err)
	}
	if n := gitT(t, dir, "rev-list", "--count", DefaultGitBranch); n != "1" {
		t.Errorf("failed saves left commits: %s, want 1", n)
	}
	if _, err := OpenGitBranch(t.TempDir(), ""); err == nil || !strings.Contains(err.Error(), "not in a git repository") {
		t.Errorf("open outside a repository: %v", err)
	}
	if _, err := OpenGitBranch(dir, "bad..name"); err == nil {
		t.Error("accepted branch bad..name")
	}

	// A broken meta.json (committed by hand) is reported with its place.
	blob := strings.TrimSpace(gitIn(t, dir, "{\n  \"name\": \"x\",\n  oops\n}\n", "hash-object", "-w", "--stdin"))
	sub := gitIn(t, dir, "100644 blob "+blob+"\tmeta.json\n", "mktree")
	tip := gitT(t, dir, "rev-parse", DefaultGitBranch)
	root := gitIn(t, dir, gitT(t, dir, "ls-tree", tip)+"\n040000 tree "+strings.TrimSpace(sub)+"\tbroken\n", "mktree")
	c := gitT(t, dir, "commit-tree", strings.TrimSpace(root), "-p", tip, "-m", "broken")
	gitT(t, dir, "update-ref", "refs/heads/"+DefaultGitBranch, c)
	if _, err := g.List(); err == nil || !strings.Contains(err.Error(), DefaultGitBranch+":broken/meta.json:3:3") {
		t.Errorf("broken meta: %v", err)
	}
}

func gitIn(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// remoteAndClones makes a bare "remote" and n clones of it.
func remoteAndClones(t *testing.T, n int) (string, []string) {
	t.Helper()
	seed := userRepo(t)
	remote := filepath.Join(t.TempDir(), "remote.git")
	gitT(t, seed, "clone", "-q", "--bare", seed, remote)
	var clones []string
	for i := 0; i < n; i++ {
		c := filepath.Join(t.TempDir(), fmt.Sprintf("clone%d", i))
		gitT(t, seed, "clone", "-q", remote, c)
		clones = append(clones, c)
	}
	return remote, clones
}

func branchNames(t *testing.T, dir string) []string {
	out := gitT(t, dir, "ls-tree", "--name-only", DefaultGitBranch)
	names := strings.Fields(out)
	sort.Strings(names)
	return names
}

func TestGitPushRetriesOnRace(t *testing.T) {
	remote, clones := remoteAndClones(t, 2)
	a, b := clones[0], clones[1]
	ga, err := OpenGitBranch(a, "")
	if err != nil {
		t.Fatal(err)
	}
	if ga.Remote != "origin" {
		t.Fatalf("remote = %q, want origin", ga.Remote)
	}
	if err := ga.Save(meta("main", time.Now()), []byte(gitResults), nil); err != nil {
		t.Fatal(err)
	}
	// Prepare, in clone a, a commit that another job will push while b is
	// between its fetch and its push: b's pre-push hook pushes it, once.
	gitT(t, a, "fetch", "-q", "origin")
	local := &GitBranch{Repo: a}
	gitT(t, a, "update-ref", "refs/heads/"+DefaultGitBranch, "refs/remotes/origin/"+DefaultGitBranch)
	if err := local.Save(meta("intruder", time.Now()), []byte(gitResults), nil); err != nil {
		t.Fatal(err)
	}
	hook := fmt.Sprintf("#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\nif [ ! -e %[1]q/raced ]; then\n  touch %[1]q/raced\n  git -C %[1]q push -q origin %[2]s >/dev/null 2>&1 || exit 1\nfi\nexit 0\n", a, DefaultGitBranch)
	if err := os.WriteFile(filepath.Join(b, ".git", "hooks", "pre-push"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	gb, err := OpenGitBranch(b, "")
	if err != nil {
		t.Fatal(err)
	}
	var sleeps []time.Duration
	gb.Sleep = func(d time.Duration) { sleeps = append(sleeps, d) }
	if err := gb.Save(meta("release", time.Now()), []byte(gitResults), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(a, "raced")); err != nil {
		t.Fatal("the racing push never happened: the test did not exercise a conflict")
	}
	if len(sleeps) != 1 {
		t.Errorf("%d retries, want 1 after the rejected push", len(sleeps))
	}
	if got := fmt.Sprint(branchNames(t, remote)); got != "[intruder main release]" {
		t.Errorf("remote branch holds %s, want [intruder main release]: a writer's baseline was lost", got)
	}
	if n := gitT(t, remote, "rev-list", "--count", DefaultGitBranch); n != "3" {
		t.Errorf("remote has %s commits, want 3", n)
	}
	// A third clone reads what both wrote.
	gc, _ := OpenGitBranch(clones[0], "")
	if bl, err := gc.Load("release"); err != nil || string(bl.Results) != gitResults {
		t.Errorf("load from another clone: %v", err)
	}
}

func TestGitConcurrentWriters(t *testing.T) {
	remote, clones := remoteAndClones(t, 2)
	local := userRepo(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	save := func(g *GitBranch, names ...string) {
		defer wg.Done()
		g.Attempts = 20
		g.Sleep = func(time.Duration) { time.Sleep(5 * time.Millisecond) }
		for _, n := range names {
			if err := g.Save(meta(n, time.Now()), []byte(gitResults), nil); err != nil {
				errs <- fmt.Errorf("%s: %w", n, err)
			}
		}
	}
	for i, c := range clones {
		g, err := OpenGitBranch(c, "")
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go save(g, fmt.Sprintf("r%d-a", i), fmt.Sprintf("r%d-b", i), fmt.Sprintf("r%d-c", i))
	}
	// Two writers on one repository without a remote: update-ref's
	// compare-and-swap keeps both.
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go save(&GitBranch{Repo: local}, fmt.Sprintf("l%d-a", i), fmt.Sprintf("l%d-b", i), fmt.Sprintf("l%d-c", i))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := fmt.Sprint(branchNames(t, remote)); got != "[r0-a r0-b r0-c r1-a r1-b r1-c]" {
		t.Errorf("remote holds %s", got)
	}
	if n := gitT(t, remote, "rev-list", "--count", DefaultGitBranch); n != "6" {
		t.Errorf("remote has %s commits, want 6", n)
	}
	if got := fmt.Sprint(branchNames(t, local)); got != "[l0-a l0-b l0-c l1-a l1-b l1-c]" {
		t.Errorf("local branch holds %s", got)
	}
}
