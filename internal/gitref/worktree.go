package gitref

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/perfslo/perfslo/internal/tempdir"
)

// cleanupTimeout bounds removing a worktree. Cleanup runs with a context of
// its own, because it must work after the caller's context was cancelled.
const cleanupTimeout = time.Minute

// Worktree checks ref out, detached, into a new temporary directory.
// cleanup removes the worktree and its administrative files; it is never nil,
// is safe to call more than once and on error paths, and must be called.
//
// Hooks are disabled for the checkout: a user's post-checkout hook belongs to
// their working tree, not to a throwaway copy, and may be slow or interactive.
func Worktree(ctx context.Context, repo, ref string) (dir string, commit string, cleanup func() error, err error) {
	noop := func() error { return nil }
	commit, err = git(ctx, repo, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		if ctx.Err() != nil {
			return "", "", noop, ctx.Err()
		}
		if errors.Is(err, ErrNoGit) {
			return "", "", noop, err
		}
		return "", "", noop, fmt.Errorf("base ref %q not found in %s%s", ref, repo, shallowHint(ctx, repo))
	}
	// tempdir.New removes the worktrees of runs that were killed before
	// they could (their directories); prune then drops their entries, so
	// `git worktree list` shows no dead worktree after this run starts.
	parent, err := tempdir.New("base-")
	if err != nil {
		return "", "", noop, err
	}
	if err := pruneDead(ctx, repo); err != nil {
		tempdir.Remove(parent)
		return "", "", noop, err
	}
	// git worktree add wants to create the directory itself.
	dir = filepath.Join(parent, "src")

	var once sync.Once
	var cleanupErr error
	cleanup = func() error {
		once.Do(func() {
			cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
			defer cancel()
			var errs []error
			if _, err := os.Stat(dir); err == nil {
				// Twice --force: a worktree whose `git worktree add` was
				// interrupted is still locked ("initializing").
				if _, err := git(cctx, repo, "worktree", "remove", "--force", "--force", dir); err != nil {
					errs = append(errs, err)
				}
			}
			// Prune even if removal failed or the directory is gone, so
			// no stale entry stays in `git worktree list`.
			if err := tempdir.Remove(parent); err != nil {
				errs = append(errs, err)
			}
			if _, err := git(cctx, repo, "worktree", "prune"); err != nil {
				errs = append(errs, err)
			}
			if len(errs) > 0 {
				cleanupErr = fmt.Errorf("removing base worktree %s: %w", dir, errors.Join(errs...))
			}
		})
		return cleanupErr
	}

	if _, err := git(ctx, repo, "-c", "core.hooksPath="+os.DevNull, "worktree", "add", "--detach", "--quiet", dir, commit); err != nil {
		cleanErr := cleanup()
		if ctx.Err() != nil {
			return "", "", noop, errors.Join(ctx.Err(), cleanErr)
		}
		return "", "", noop, errors.Join(fmt.Errorf("checking out %s (%.12s): %w", ref, commit, err), cleanErr)
	}
	return dir, commit, cleanup, nil
}

// pruneDead drops the entries of worktrees whose directory is gone. A gate
// killed during `git worktree add` leaves its entry locked
// ("initializing"), which prune skips: such entries of our own temporary
// worktrees are unlocked first.
func pruneDead(ctx context.Context, repo string) error {
	out, err := git(ctx, repo, "worktree", "list", "--porcelain")
	if err != nil {
		return err
	}
	for _, block := range strings.Split(out, "\n\n") {
		path, locked := "", false
		for _, line := range strings.Split(block, "\n") {
			if p, ok := strings.CutPrefix(line, "worktree "); ok {
				path = p
			}
			locked = locked || line == "locked" || strings.HasPrefix(line, "locked ")
		}
		if !locked || !strings.HasPrefix(filepath.Base(filepath.Dir(path)), tempdir.Prefix+"base-") {
			continue
		}
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			// Best effort: a worktree left listed is untidy, not wrong.
			git(ctx, repo, "worktree", "unlock", path)
		}
	}
	_, err = git(ctx, repo, "worktree", "prune")
	return err
}

// InWorktree maps a directory of the user's checkout (a module, perhaps in a
// subdirectory of the repository) to the same place in a worktree of the same
// repository.
func InWorktree(repoRoot, dir, worktree string) (string, error) {
	// git reports the root with symlinks resolved; the user's directory
	// may not be (macOS /tmp, symlinked home directories).
	realRoot, err := filepath.EvalSymlinks(repoRoot)
	if err != nil {
		return "", err
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(realRoot, realDir)
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return "", fmt.Errorf("%s is not inside the repository %s", dir, repoRoot)
	}
	return filepath.Join(worktree, rel), nil
}
