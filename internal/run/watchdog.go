package run

import (
	"os/exec"
	"sync/atomic"
	"time"

	"github.com/perfslo/perfslo/internal/procgroup"
)

// waitWatched waits for a started test process, enforcing timeout itself:
// -test.timeout does not cover benchmarks (the testing package stops its
// alarm before running them). At the deadline the process gets SIGQUIT, so
// its stack dump names the stuck benchmark, and its group SIGKILL after a
// grace period.
func waitWatched(cmd *exec.Cmd, timeout time.Duration) (waitErr error, timedOut bool) {
	var fired atomic.Bool
	exited := make(chan struct{})
	watchdog := time.AfterFunc(timeout, func() {
		fired.Store(true)
		procgroup.Quit(cmd)
		select {
		case <-exited:
		case <-time.After(quitGrace):
			procgroup.Kill(cmd)
		}
	})
	waitErr = cmd.Wait()
	close(exited)
	watchdog.Stop()
	return waitErr, fired.Load()
}
