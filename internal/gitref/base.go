package gitref

import (
	"context"
	"fmt"
	"strings"
)

// DefaultBase picks what to compare the working tree with when the user
// names no base:
//
//   - If tracked files have uncommitted changes, HEAD. The user is editing and
//     wants to know what the edit does; comparing with the branch point would
//     mix the edit with every commit already on the branch, and a regression
//     could not be pinned on the change being made.
//   - Otherwise the merge-base of HEAD with the default branch (the target of
//     origin/HEAD if set, else main, else master): the change a pull request
//     would bring, measured the way CI measures it.
//   - If that merge-base is HEAD itself (a clean checkout of the default
//     branch, or behind it), HEAD's first parent, i.e. the last commit:
//     comparing HEAD with itself would measure nothing and always pass.
//
// The result is "HEAD" in the dirty case and a full commit hash otherwise.
func DefaultBase(ctx context.Context, repo string) (string, error) {
	head, dirty, err := Head(ctx, repo)
	if err != nil {
		return "", err
	}
	if dirty {
		return "HEAD", nil
	}
	branch, err := defaultBranch(ctx, repo)
	if err != nil {
		return "", err
	}
	base, err := git(ctx, repo, "merge-base", "HEAD", branch)
	if err != nil {
		if ctx.Err() != nil {
			return "", err
		}
		return "", fmt.Errorf("HEAD and %s have no common ancestor in %s%s; pass a base ref explicitly", branch, repo, shallowHint(ctx, repo))
	}
	if base != head {
		return base, nil
	}
	parent, err := git(ctx, repo, "rev-parse", "--verify", "--quiet", "HEAD^1^{commit}")
	if err != nil {
		if ctx.Err() != nil {
			return "", err
		}
		if hint := shallowHint(ctx, repo); hint != "" {
			return "", fmt.Errorf("HEAD (%.12s) has no parent in %s%s; or pass a base ref explicitly", head, repo, hint)
		}
		return "", fmt.Errorf("HEAD (%.12s) is the first commit of %s and the tree is clean: nothing to compare with; pass a base ref explicitly", head, repo)
	}
	return parent, nil
}

// defaultBranch is the ref of the repository's default branch.
func defaultBranch(ctx context.Context, repo string) (string, error) {
	// origin/HEAD is what the hosting service calls the default branch, as
	// of the last clone or `git remote set-head`.
	if target, err := git(ctx, repo, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"); err == nil && target != "" {
		return strings.TrimPrefix(target, "refs/remotes/"), nil
	} else if ctx.Err() != nil {
		return "", ctx.Err()
	}
	for _, name := range []string{"main", "master"} {
		if _, err := git(ctx, repo, "rev-parse", "--verify", "--quiet", "refs/heads/"+name); err == nil {
			return name, nil
		} else if ctx.Err() != nil {
			return "", ctx.Err()
		}
	}
	return "", fmt.Errorf("no default branch in %s (no origin/HEAD, main or master); pass a base ref explicitly", repo)
}
