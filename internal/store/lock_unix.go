//go:build unix

package store

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// lock takes an advisory lock on the file at path, exclusive for a writer,
// shared for a reader, waiting for it; the returned function releases it.
// flock locks belong to the open file, so a process that dies (SIGKILL
// included) releases its lock with it: no lock is ever stale, and no
// stale-lock guessing is needed.
//
// A reader that cannot create the lock file (a read-only store) reads
// without it: nobody can be writing there either.
func lock(path string, exclusive bool) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil && !exclusive {
		f, err = os.Open(path)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return func() {}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil // closing the file releases the lock
}
