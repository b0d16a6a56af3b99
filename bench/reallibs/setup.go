package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// The scenarios.
const (
	scenAA = "aa" // a no-op commit on top of the library: nothing changed
	scenAB = "ab" // the injections committed on top of the library
)

var scenarios = []string{scenAA, scenAB}

// scenario is one git repository whose HEAD~1 is the library as fetched and
// whose HEAD (and clean work tree) is the scenario's change.
type scenario struct {
	name string
	repo string // the head tree: the repository's work tree
	base string // a worktree of repo at HEAD~1, for the naive workflow
}

// prepared is a module copied into temporary repositories.
type prepared struct {
	m     Module
	scens map[string]*scenario
}

// toolchain holds the environment every go command of the harness runs with.
type toolchain struct {
	goflags string // GOFLAGS: the user's, plus -mod=mod
}

func newToolchain(ctx context.Context) (*toolchain, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOFLAGS").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOFLAGS: %v", err)
	}
	flags := strings.Fields(string(out))
	has := false
	for _, f := range flags {
		if strings.HasPrefix(f, "-mod=") {
			has = true
		}
	}
	if !has {
		flags = append(flags, "-mod=mod")
	}
	return &toolchain{goflags: strings.Join(flags, " ")}, nil
}

// env is the environment of go commands and of the tools under test.
// Offline, the module proxy is off: after setup every dependency is in the
// module cache, and a run must not depend on the network.
func (tc *toolchain) env(offline bool) []string {
	env := append(os.Environ(), "GOFLAGS="+tc.goflags, "GOTOOLCHAIN=local")
	if offline {
		env = append(env, "GOPROXY=off")
	}
	return env
}

// run runs a command in dir and returns its stdout; on failure the error
// carries the command line and the tail of its stderr.
func (tc *toolchain) run(ctx context.Context, dir string, offline bool, name string, args ...string) ([]byte, error) {
	return tc.execIn(ctx, dir, tc.env(offline), name, args...)
}

// runEnv is run, offline, with extra environment variables.
func (tc *toolchain) runEnv(ctx context.Context, dir string, extra []string, name string, args ...string) ([]byte, error) {
	return tc.execIn(ctx, dir, append(tc.env(true), extra...), name, args...)
}

func (tc *toolchain) execIn(ctx context.Context, dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ownGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, tail(stderr.String(), 20))
	}
	return stdout.Bytes(), nil
}

// git runs git with a fixed identity, so commits work on any machine.
func (tc *toolchain) git(ctx context.Context, dir string, args ...string) error {
	full := append([]string{"-c", "user.name=reallibs", "-c", "user.email=reallibs@localhost", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)
	_, err := tc.run(ctx, dir, true, "git", full...)
	return err
}

// fetch downloads mod@version into the module cache and returns its directory.
func (tc *toolchain) fetch(ctx context.Context, work string, m Module) (string, error) {
	out, err := tc.run(ctx, work, false, "go", "mod", "download", "-json", m.Path+"@"+m.Version)
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", m.Path, m.Version, info.Error)
	}
	if err != nil {
		return "", err
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s printed no Dir", m.Path, m.Version)
	}
	return info.Dir, nil
}

// copyTree copies the regular files of src into dst (created), making
// everything writable by its owner: the module cache is read-only.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file (%v); module zips hold only files", p, d.Type())
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return copyFile(p, target, info.Mode().Perm()|0o200)
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// importPath is the import path of the package in dir (relative to the
// module root), as the tools print it.
func (m Module) importPath(dir string) string {
	return path.Join(m.Path, filepath.ToSlash(dir))
}

// packageArgs are the package patterns for go commands (./x form).
func (m Module) packageArgs() []string {
	var out []string
	for _, p := range m.Packages {
		p = filepath.ToSlash(filepath.Clean(p))
		if p != "." && !strings.HasPrefix(p, "../") {
			p = "./" + p
		}
		out = append(out, p)
	}
	return out
}

// prepare copies m out of the module cache into work/<name>/src as a git
// repository, then clones one repository per scenario with the scenario's
// commit on top and a worktree of the base for the naive workflow.
func (tc *toolchain) prepare(ctx context.Context, work string, m Module, log io.Writer) (*prepared, error) {
	dir, err := tc.fetch(ctx, work, m)
	if err != nil {
		return nil, err
	}
	root := filepath.Join(work, m.Name)
	src := filepath.Join(root, "src")
	if err := os.RemoveAll(root); err != nil {
		return nil, err
	}
	if err := copyTree(dir, src); err != nil {
		return nil, err
	}
	if err := tc.makeModule(ctx, src, m); err != nil {
		return nil, err
	}
	if err := tc.git(ctx, src, "init", "-q"); err != nil {
		return nil, err
	}
	if err := tc.git(ctx, src, "add", "-A"); err != nil {
		return nil, err
	}
	if err := tc.git(ctx, src, "commit", "-q", "-m", m.Path+"@"+m.Version+" as fetched from the module proxy"); err != nil {
		return nil, err
	}
	p := &prepared{m: m, scens: map[string]*scenario{}}
	for _, name := range scenarios {
		s := &scenario{name: name, repo: filepath.Join(root, name), base: filepath.Join(root, name+"-base")}
		if err := tc.git(ctx, root, "clone", "-q", src, s.repo); err != nil {
			return nil, err
		}
		// perfslo keeps profiles under .perfslo in the module: not part of
		// the change under test.
		if err := os.WriteFile(filepath.Join(s.repo, ".git", "info", "exclude"), []byte(".perfslo/\n"), 0o644); err != nil {
			return nil, err
		}
		switch name {
		case scenAA:
			if err := tc.git(ctx, s.repo, "commit", "-q", "--allow-empty", "-m", "A/A: no change"); err != nil {
				return nil, err
			}
		case scenAB:
			if err := inject(s.repo, m.Injections); err != nil {
				return nil, err
			}
			if _, err := tc.run(ctx, s.repo, true, "go", append([]string{"vet"}, m.packageArgs()...)...); err != nil {
				return nil, fmt.Errorf("the injected %s does not vet: %v", m.Name, err)
			}
			if err := tc.git(ctx, s.repo, "add", "-A"); err != nil {
				return nil, err
			}
			var msg []string
			for _, in := range m.Injections {
				msg = append(msg, fmt.Sprintf("%s: spin %d in %s", in.File, in.Spin, in.Func))
			}
			if err := tc.git(ctx, s.repo, "commit", "-q", "-m", "A/B: inject regressions\n\n"+strings.Join(msg, "\n")); err != nil {
				return nil, err
			}
		}
		if err := tc.git(ctx, s.repo, "worktree", "add", "-q", "--detach", s.base, "HEAD~1"); err != nil {
			return nil, err
		}
		p.scens[name] = s
	}
	fmt.Fprintf(log, "reallibs: %s@%s ready in %s\n", m.Path, m.Version, root)
	return p, nil
}

// makeModule gives the copy a go.mod if it has none, downloads its
// dependencies (the last network use), and checks that its tests build
// offline.
func (tc *toolchain) makeModule(ctx context.Context, dir string, m Module) error {
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); errors.Is(err, os.ErrNotExist) {
		if _, err := tc.run(ctx, dir, false, "go", "mod", "init", m.Path); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if _, err := tc.run(ctx, dir, false, "go", "mod", "download"); err != nil {
		return err
	}
	// Builds every test binary (no test runs): fills go.sum if needed.
	args := append([]string{"test", "-count=1", "-run", "^$"}, m.packageArgs()...)
	if _, err := tc.run(ctx, dir, false, "go", args...); err != nil {
		return fmt.Errorf("%s's tests do not build: %v", m.Name, err)
	}
	return nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
