package main

import "github.com/perfslo/perfslo/internal/store"

// openGitStore opens the baselines kept on a branch of the repository.
func openGitStore(repo, branch string) (store.Store, error) {
	return store.OpenGitBranch(repo, branch)
}
