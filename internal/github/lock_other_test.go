//go:build !unix

package github

import "testing"

// lockFile does not lock where flock is missing: a concurrent first install
// may then run twice, which npm tolerates.
func lockFile(t testing.TB, path string) func() { return func() {} }
