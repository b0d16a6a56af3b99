//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// ownGroup puts cmd in its own process group and makes cancellation kill the
// whole group: perfslo and go test start children that must not outlive a
// timed-out or interrupted run.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The group's id is the leader's pid (Setpgid with Pgid 0).
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
