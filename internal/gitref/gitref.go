// Package gitref checks git revisions out into temporary worktrees, so the
// base side of a comparison can be built from the same repository without
// touching the user's working tree, index or branches.
//
// Opinions: a worktree is always detached (no branch is created or moved);
// its removal must be possible even after a cancelled context (Ctrl-C); and
// git's own error output is never dumped on the user — a missing ref is
// reported in one plain sentence.
package gitref

import (
	"time"

	"github.com/perfslo/perfslo/internal/procgroup"
	"github.com/perfslo/perfslo/internal/redact"

	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Command is one git invocation, run in Dir with Stdin and extra Env. It is
// perfslo's one way of running git: never prompting (for credentials, an
// editor; nothing here is interactive), never inheriting a calling hook's
// index or work tree, with stable (LC_ALL=C) messages, and with credentials
// in remote URLs hidden from its errors.
type Command struct {
	Dir   string
	Args  []string
	Stdin []byte
	Env   []string
}

// Output runs the command and returns its stdout as git wrote it, also on
// failure (git push reports rejections there). A cancelled ctx is returned
// as ctx.Err(); any other failure is an *Error carrying git's stderr.
func (c Command) Output(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "git", c.Args...)
	cmd.Dir = c.Dir
	cmd.Env = append(append(filteredEnv(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C"), c.Env...)
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// On cancellation kill git's helpers too (git-remote-https, ssh): one
	// left holding the output pipe would keep Wait from returning.
	procgroup.Own(cmd)
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return stdout.String(), ctx.Err()
		}
		if errors.Is(err, exec.ErrNotFound) {
			return "", ErrNoGit
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.String(), &Error{Args: c.Args, Msg: ScrubURLs(msg), err: err}
	}
	return stdout.String(), nil
}

// Git runs git in dir and returns its trimmed stdout.
func Git(ctx context.Context, dir string, args ...string) (string, error) {
	out, err := Command{Dir: dir, Args: args}.Output(ctx)
	return strings.TrimSpace(out), err
}

// git is Git, for this package's own use.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	return Git(ctx, dir, args...)
}

// ErrNoGit is the error of every command when git is not installed (not
// in PATH): said once, plainly, rather than as a failed command or a
// directory that is "not a repository".
var ErrNoGit = errors.New("git not found in PATH: perfslo needs git to build a base ref (install git, or compare with a stored baseline: --baseline NAME)")

// Error is a git command that failed: its arguments and git's message.
type Error struct {
	Args []string
	Msg  string
	err  error
}

// Error is "git ARGS: message", with credentials in URLs hidden from both
// (a remote may be given as a URL).
func (e *Error) Error() string {
	return fmt.Sprintf("git %s: %s", ScrubURLs(strings.Join(e.Args, " ")), e.Msg)
}

// Unwrap is the exec error (an *exec.ExitError for a non-zero exit).
func (e *Error) Unwrap() error { return e.err }

// filteredEnv is the environment without the variables a calling git hook
// sets, which would point git at another repository's index or work tree.
func filteredEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// ScrubURLs hides credentials git may echo from a remote's URL.
func ScrubURLs(s string) string { return redact.String(s) }

// Root returns the top-level directory of the repository containing dir.
func Root(ctx context.Context, dir string) (string, error) {
	root, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, ErrNoGit) {
			return "", err
		}
		return "", fmt.Errorf("%s is not inside a git repository", dir)
	}
	return root, nil
}

// Head returns the commit HEAD points at and whether tracked files have
// uncommitted changes (staged or not). Untracked files do not make the tree
// dirty: they are not part of what a base checkout would differ by, and
// build outputs or notes lying around must not change which base is chosen.
func Head(ctx context.Context, repo string) (commit string, dirty bool, err error) {
	commit, err = git(ctx, repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
	if err != nil {
		if ctx.Err() != nil {
			return "", false, err
		}
		return "", false, fmt.Errorf("repository %s has no commits yet", repo)
	}
	status, err := git(ctx, repo, "status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return "", false, err
	}
	return commit, status != "", nil
}

// shallowHint says why a commit may be missing: a shallow clone (CI's
// default checkout) holds only the last commits. "" when the repository
// is complete.
func shallowHint(ctx context.Context, repo string) string {
	if out, err := git(ctx, repo, "rev-parse", "--is-shallow-repository"); err != nil || out != "true" {
		return ""
	}
	return "; it is a shallow clone, which holds only the last commits: fetch the history (git fetch --unshallow, or actions/checkout with fetch-depth: 0)"
}
