package pyroscopetest

import (
	"os/exec"
	"syscall"
)

// setDeathSignal kills the server when the test binary dies, so a crashed
// or killed test never leaves a server behind.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
