//go:build !linux

package main

import "errors"

// withAffinity is not available here: CPU affinity is a Linux system call.
func withAffinity(int, func() error) error {
	return errors.New("CPU affinity is supported on Linux only")
}

const affinitySupported = false
