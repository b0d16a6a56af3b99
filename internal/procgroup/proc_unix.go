//go:build unix

package procgroup

import (
	"os/exec"
	"syscall"
)

// Own puts cmd (not yet started) in a process group of its own and makes
// cancelling its context kill that whole group.
func Own(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		Kill(cmd)
		return cmd.Process.Kill()
	}
}

// Kill kills cmd's process group: the child and anything it started and
// left running.
func Kill(cmd *exec.Cmd) {
	if cmd.Process != nil && cmd.Process.Pid > 0 {
		// The group's id is the leader's pid (Setpgid with Pgid 0).
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// Quit asks a Go program to stop with a dump of every goroutine's stack.
func Quit(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGQUIT)
}
