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
		if cmd.Process == nil {
			return nil
		}
		// The group's id is the child's pid (Setpgid with Pgid 0).
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}
