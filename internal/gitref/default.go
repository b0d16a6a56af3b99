package gitref

import (
	"context"
	"strings"
)

// DefaultBranch names the repository's default branch as a branch name
// ("main", not "origin/main"): the branch whose baselines the store keeps as
// history.
func DefaultBranch(ctx context.Context, repo string) (string, error) {
	b, err := defaultBranch(ctx, repo)
	if err != nil {
		return "", err
	}
	if _, name, ok := strings.Cut(b, "/"); ok && strings.HasPrefix(b, "origin/") {
		return name, nil
	}
	return b, nil
}
