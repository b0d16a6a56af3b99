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
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// git runs git in dir and returns its trimmed stdout. The error carries
// git's stderr, for the cases callers do not translate.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	// Never prompt (for credentials, an editor): nothing here is
	// interactive. LC_ALL=C keeps messages stable.
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", &gitError{args: args, msg: msg, err: err}
	}
	return strings.TrimSpace(stdout.String()), nil
}

type gitError struct {
	args []string
	msg  string
	err  error
}

func (e *gitError) Error() string {
	return fmt.Sprintf("git %s: %s", strings.Join(e.args, " "), e.msg)
}

func (e *gitError) Unwrap() error { return e.err }

// Root returns the top-level directory of the repository containing dir.
func Root(ctx context.Context, dir string) (string, error) {
	root, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		if ctx.Err() != nil {
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
