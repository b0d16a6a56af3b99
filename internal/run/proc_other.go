//go:build !unix

package run

import "os/exec"

// ownProcessGroup kills only the child itself where process groups do not
// exist; helpers the benchmark started may survive a cancellation.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return cmd.Process.Kill() }
}

// killGroup has no group to kill here.
func killGroup(*exec.Cmd) {}

// quit kills the process: without SIGQUIT there is no stack dump to ask for.
func quit(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
