package gitref

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repo is a real git repository in a temporary directory.
type repo struct {
	t   *testing.T
	dir string
}

func newRepo(t *testing.T, branch string) *repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	// Isolate from the user's configuration and identity.
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(k, "perfslo test")
	}
	for _, k := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(k, "test@example.com")
	}
	r := &repo{t: t, dir: t.TempDir()}
	r.git("init", "--quiet", "--initial-branch", branch)
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	out, err := git(context.Background(), r.dir, args...)
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

func (r *repo) write(name, content string) {
	r.t.Helper()
	path := filepath.Join(r.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// commit writes files and commits them, returning the commit hash.
func (r *repo) commit(msg string, files ...string) string {
	r.t.Helper()
	for i := 0; i+1 < len(files); i += 2 {
		r.write(files[i], files[i+1])
	}
	r.git("add", "-A")
	r.git("commit", "--quiet", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

func TestRootAndHead(t *testing.T) {
	r := newRepo(t, "main")
	c1 := r.commit("one", "mod/go.mod", "module m\n")
	ctx := context.Background()

	root, err := Root(ctx, filepath.Join(r.dir, "mod"))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(r.dir); root != want {
		t.Errorf("Root = %q, want %q", root, want)
	}
	if _, err := Root(ctx, t.TempDir()); err == nil || !strings.Contains(err.Error(), "not inside a git repository") {
		t.Errorf("Root outside a repo: %v", err)
	}

	tests := []struct {
		name      string
		change    func()
		wantDirty bool
	}{
		{"clean", func() {}, false},
		{"untracked file only", func() { r.write("notes.txt", "x") }, false},
		{"modified tracked file", func() { r.write("mod/go.mod", "module m2\n") }, true},
		{"staged change", func() { r.git("add", "mod/go.mod") }, true},
	}
	for _, tt := range tests {
		tt.change()
		commit, dirty, err := Head(ctx, r.dir)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if commit != c1 || dirty != tt.wantDirty {
			t.Errorf("%s: Head = %s, %v; want %s, %v", tt.name, commit, dirty, c1, tt.wantDirty)
		}
	}

	empty := newRepo(t, "main")
	if _, _, err := Head(ctx, empty.dir); err == nil || !strings.Contains(err.Error(), "no commits yet") {
		t.Errorf("Head of an empty repo: %v", err)
	}
}

func TestDefaultBase(t *testing.T) {
	ctx := context.Background()

	t.Run("feature branch: merge-base with main", func(t *testing.T) {
		r := newRepo(t, "main")
		r.commit("one", "a.go", "package a\n")
		fork := r.commit("two", "a.go", "package a // 2\n")
		r.git("switch", "--quiet", "-c", "feature")
		r.commit("feature work", "b.go", "package a\n")
		r.git("switch", "--quiet", "main")
		r.commit("main moves on", "c.go", "package a\n")
		r.git("switch", "--quiet", "feature")
		if got, err := DefaultBase(ctx, r.dir); err != nil || got != fork {
			t.Errorf("DefaultBase = %q, %v; want the fork point %s", got, err, fork)
		}

		r.write("b.go", "package a // edited\n")
		if got, err := DefaultBase(ctx, r.dir); err != nil || got != "HEAD" {
			t.Errorf("dirty tree: DefaultBase = %q, %v; want HEAD", got, err)
		}
	})

	t.Run("master when there is no main", func(t *testing.T) {
		r := newRepo(t, "master")
		base := r.commit("one", "a.go", "package a\n")
		r.git("switch", "--quiet", "-c", "topic")
		r.commit("two", "b.go", "package a\n")
		if got, err := DefaultBase(ctx, r.dir); err != nil || got != base {
			t.Errorf("DefaultBase = %q, %v; want %s", got, err, base)
		}
	})

	t.Run("origin/HEAD wins", func(t *testing.T) {
		upstream := newRepo(t, "trunk")
		base := upstream.commit("one", "a.go", "package a\n")
		clone := &repo{t: t, dir: filepath.Join(t.TempDir(), "clone")}
		if out, err := exec.Command("git", "clone", "--quiet", upstream.dir, clone.dir).CombinedOutput(); err != nil {
			t.Fatalf("clone: %v\n%s", err, out)
		}
		upstream.commit("upstream moves on", "c.go", "package a\n")
		clone.git("branch", "--quiet", "main") // a decoy: origin/HEAD says trunk
		clone.git("switch", "--quiet", "-c", "topic")
		clone.commit("topic", "b.go", "package a\n")
		if got, err := DefaultBase(ctx, clone.dir); err != nil || got != base {
			t.Errorf("DefaultBase = %q, %v; want %s (origin/trunk)", got, err, base)
		}
	})

	t.Run("on main itself: the last commit", func(t *testing.T) {
		r := newRepo(t, "main")
		first := r.commit("one", "a.go", "package a\n")
		r.commit("two", "a.go", "package a // 2\n")
		if got, err := DefaultBase(ctx, r.dir); err != nil || got != first {
			t.Errorf("DefaultBase = %q, %v; want HEAD^ %s", got, err, first)
		}
	})

	errTests := []struct {
		name   string
		branch string
		setup  func(r *repo)
		want   string
	}{
		{"root commit on main", "main", func(r *repo) { r.commit("one", "a.go", "package a\n") }, "is the first commit"},
		{"no default branch", "dev", func(r *repo) { r.commit("one", "a.go", "package a\n") }, "no default branch"},
		{"no commits", "main", func(r *repo) {}, "no commits yet"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t, tt.branch)
			tt.setup(r)
			_, err := DefaultBase(ctx, r.dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DefaultBase error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestWorktree(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t, "main")
	c1 := r.commit("one", "examples/go.mod", "module ex\n", "examples/sum.go", "package ex // v1\n")
	r.commit("two", "examples/sum.go", "package ex // v2\n")
	r.write("examples/sum.go", "package ex // uncommitted\n")

	dir, commit, cleanup, err := Worktree(ctx, r.dir, "HEAD~1")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if commit != c1 {
		t.Errorf("commit = %s, want %s", commit, c1)
	}
	got, err := os.ReadFile(filepath.Join(dir, "examples", "sum.go"))
	if err != nil || string(got) != "package ex // v1\n" {
		t.Errorf("worktree has %q, %v; want v1", got, err)
	}
	if list := r.git("worktree", "list", "--porcelain"); !strings.Contains(list, dir) || !strings.Contains(list, "detached") {
		t.Errorf("git worktree list lacks a detached %s:\n%s", dir, list)
	}
	if b := r.git("branch", "--show-current"); b != "main" {
		t.Errorf("user's branch changed to %q", b)
	}

	// The module in a subdirectory maps to the same place in the worktree.
	mod, err := InWorktree(r.dir, filepath.Join(r.dir, "examples"), dir)
	if err != nil || mod != filepath.Join(dir, "examples") {
		t.Errorf("InWorktree = %q, %v", mod, err)
	}
	if _, err := InWorktree(r.dir, t.TempDir(), dir); err == nil {
		t.Error("InWorktree accepted a directory outside the repository")
	}

	if err := cleanup(); err != nil {
		t.Fatal(err)
	}
	if err := cleanup(); err != nil {
		t.Errorf("second cleanup: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("worktree directory still there: %v", err)
	}
	if list := r.git("worktree", "list", "--porcelain"); strings.Contains(list, dir) || strings.Count(list, "worktree ") != 1 {
		t.Errorf("git worktree list still has the worktree:\n%s", list)
	}
	if got, _ := os.ReadFile(filepath.Join(r.dir, "examples", "sum.go")); string(got) != "package ex // uncommitted\n" {
		t.Errorf("user's uncommitted change lost: %q", got)
	}
}

func TestWorktreeErrors(t *testing.T) {
	r := newRepo(t, "main")
	r.commit("one", "a.go", "package a\n")
	for _, ref := range []string{"nope", "--help", "HEAD~5"} {
		_, _, cleanup, err := Worktree(context.Background(), r.dir, ref)
		if cleanup == nil {
			t.Fatalf("%s: nil cleanup", ref)
		}
		if err := cleanup(); err != nil {
			t.Errorf("%s: cleanup after error: %v", ref, err)
		}
		want := `base ref "` + ref + `" not found in ` + r.dir
		if err == nil || err.Error() != want {
			t.Errorf("Worktree(%q) error = %v, want %s", ref, err, want)
		}
	}

	// A cancelled context leaves nothing behind.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, cleanup, err := Worktree(ctx, r.dir, "HEAD")
	if err == nil {
		t.Error("Worktree with a cancelled context succeeded")
	}
	cleanup()
	if list := r.git("worktree", "list", "--porcelain"); strings.Count(list, "worktree ") != 1 {
		t.Errorf("worktree left after cancellation:\n%s", list)
	}
}

func TestGitScrubsCredentials(t *testing.T) {
	got := ScrubURLs("fatal: unable to access 'https://x-access-token:ghs_secret123@github.example/o/r.git/': 403")
	if strings.Contains(got, "ghs_secret123") || !strings.Contains(got, "https://***@github.example") {
		t.Errorf("ScrubURLs = %q", got)
	}
}
