//go:build unix

package tempdir

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

func lockOwner(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// abandoned reports whether the owner file exists and nobody holds its
// lock. Taking the lock to find out is harmless: the directory is removed
// next, and closing the file drops the lock.
func abandoned(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return lockOwner(f) == nil
}
