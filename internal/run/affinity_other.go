//go:build !linux

package run

// withAffinity runs f unpinned: CPU affinity is a Linux system call.
func withAffinity(f func() error) (pinned int, err error) {
	return -1, f()
}
