package run

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// withAffinity runs f with the calling OS thread pinned to one CPU: the
// highest the process may use (a container's cpuset may not start at 0).
// Benchmark processes that f starts from this goroutine inherit the mask
// (fork runs on the calling thread), so they run on that core only and are
// never migrated, while perfslo itself, mostly waiting, has the others.
// Measured by bench/power -hygiene on a 2-vCPU VM: the median robust CV of
// sec/op fell from 3.6% to 1.9%, and the noisiest benchmark's from 10.6% to
// 4.7%.
func withAffinity(f func() error) (pinned int, err error) {
	runtime.LockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		return -1, f()
	}
	cpu := -1
	for c := 0; c < len(old)*64; c++ {
		if old.IsSet(c) {
			cpu = c
		}
	}
	if old.Count() < 2 || cpu < 0 {
		// One CPU allowed: nothing to pin away from.
		runtime.UnlockOSThread()
		return -1, f()
	}
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		// A seccomp profile may forbid it: measure unpinned (the
		// caller sees pinned = -1 and can say so) rather than not at all.
		runtime.UnlockOSThread()
		return -1, f()
	}
	defer func() {
		// Give the thread back to the scheduler only with its old mask;
		// otherwise it stays locked to this goroutine, pinned but harmless.
		if unix.SchedSetaffinity(0, &old) == nil {
			runtime.UnlockOSThread()
		}
	}()
	return cpu, f()
}
