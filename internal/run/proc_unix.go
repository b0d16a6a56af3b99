//go:build unix

package run

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the benchmark in a process group of its own and makes
// cancellation kill that whole group: benchmarks may start helpers (servers,
// subprocesses) that must not outlive a Ctrl-C.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		killGroup(cmd)
		return cmd.Process.Kill()
	}
}

// killGroup kills the benchmark's process group: the benchmark and anything
// it started and left running, which would otherwise load the machine
// during the next measurements.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil && cmd.Process.Pid > 0 {
		// The group's id is the leader's pid (Setpgid with Pgid 0).
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// quit asks a Go program to stop with a dump of every goroutine's stack,
// which names the benchmark that was running.
func quit(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGQUIT)
}
