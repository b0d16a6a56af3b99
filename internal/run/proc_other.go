//go:build !unix

package run

import "os/exec"

// ownProcessGroup kills only the child itself where process groups do not
// exist; helpers the benchmark started may survive a cancellation.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return cmd.Process.Kill() }
}
