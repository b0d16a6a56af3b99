//go:build !unix

package procgroup

import "os/exec"

// Own kills only the child itself where process groups do not exist; what
// it started may survive a cancellation.
func Own(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return cmd.Process.Kill() }
}

// Kill has no group to kill here.
func Kill(*exec.Cmd) {}

// Quit kills the process: without SIGQUIT there is no stack dump to ask for.
func Quit(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
