//go:build !linux

package pyroscopetest

import "os/exec"

// setDeathSignal has no portable equivalent outside Linux; Stop and the
// shared server's Close end the server.
func setDeathSignal(*exec.Cmd) {}
