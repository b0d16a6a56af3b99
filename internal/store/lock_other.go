//go:build !unix

package store

// lock is a no-op where flock does not exist: concurrent writers of one
// store are then not serialised (each Save is still atomic on its own).
func lock(path string, exclusive bool) (func(), error) { return func() {}, nil }
