package store

import "golang.org/x/sys/unix"

// exchange swaps two directory entries in one atomic step. A variable, so
// tests can take the fallback path.
var exchange = func(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}
