//go:build !unix

package main

import "os/exec"

// ownGroup is a no-op where process groups do not exist: cancellation kills
// only the direct child.
func ownGroup(*exec.Cmd) {}
