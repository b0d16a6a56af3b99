package main

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// withAffinity runs f with the calling OS thread pinned to cpu. Benchmark
// processes started by f (from this goroutine: run.Interleave starts them
// synchronously) inherit the mask, so they run on that core only and are
// never migrated; the harness itself mostly waits.
func withAffinity(cpu int, f func() error) error {
	runtime.LockOSThread()
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer func() {
		// Give the thread back to the scheduler only with its old mask;
		// otherwise it stays locked to this goroutine, pinned but harmless.
		if unix.SchedSetaffinity(0, &old) == nil {
			runtime.UnlockOSThread()
		}
	}()
	return f()
}

const affinitySupported = true
