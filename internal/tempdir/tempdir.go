// Package tempdir makes the temporary directories of a perfslo run (test
// binaries, profiles, the base worktree) so that none outlives its run for
// long: a run that ends removes its own, and one killed too hard to clean
// up (SIGKILL, the OOM killer, a CI runner's timeout) has its directories
// removed by the next run.
//
// Each directory holds an owner file locked with flock by the process that
// made it. The kernel drops that lock when the process dies, however it
// dies, so "the lock is free" means "the owner is gone" — no pid files, no
// guessing from ages.
package tempdir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Prefix starts the name of every directory New makes; Sweep looks only at
// those.
const Prefix = "perfslo-"

// ownerFile marks a directory as a live run's while its lock is held.
const ownerFile = ".perfslo-owner"

var (
	mu     sync.Mutex
	owners = map[string]*os.File{} // directory -> its locked owner file
)

// New removes the directories of dead runs (Sweep), then makes a new
// directory in os.TempDir() named Prefix+name+random and marks it as this
// process's. Remove it with Remove.
func New(name string) (string, error) {
	Sweep()
	var err error
	// Another run's sweep may take the new directory for an empty
	// leftover in the instant before it holds its owner file: try again.
	for range 3 {
		var dir string
		dir, err = os.MkdirTemp("", Prefix+name)
		if err != nil {
			return "", err
		}
		var f *os.File
		if f, err = own(dir); err == nil {
			mu.Lock()
			owners[dir] = f
			mu.Unlock()
			return dir, nil
		}
		os.RemoveAll(dir)
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	return "", err
}

// own locks the owner file before giving it its name, so a sweeper never
// finds an owner file that is not yet locked.
func own(dir string) (*os.File, error) {
	tmp := filepath.Join(dir, ownerFile+".new")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockOwner(f); err != nil {
		f.Close()
		return nil, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, ownerFile)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Remove deletes a directory made by New and releases its mark.
func Remove(dir string) error {
	err := removeOwned(dir)
	mu.Lock()
	if f := owners[dir]; f != nil {
		f.Close()
		delete(owners, dir)
	}
	mu.Unlock()
	return err
}

// Sweep removes every directory of os.TempDir() that New made in a process
// that has died, and returns their paths. Of a directory without an owner
// file (another program's, or one being made) only empty directories are
// removed: a child of a killed run (the go command at its link step) can
// recreate its output directory after the sweep removed the run's.
func Sweep() []string {
	tmp := os.TempDir()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), Prefix) {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		mu.Lock()
		mine := owners[dir] != nil
		mu.Unlock()
		if mine {
			continue
		}
		owner := filepath.Join(dir, ownerFile)
		if _, err := os.Lstat(owner); err != nil {
			if removeEmpty(dir) {
				removed = append(removed, dir)
			}
			continue
		}
		if abandoned(owner) && removeOwned(dir) == nil {
			removed = append(removed, dir)
		}
	}
	return removed
}

// removeOwned removes a marked directory with its owner file last: a
// process killed while removing (its own cleanup, or a sweep) then leaves
// a directory that is still marked, which the next sweep removes. Removed
// in directory order, the owner file could go first and leave an unmarked
// directory full of files that no sweep would touch.
func removeOwned(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var errs []error
	for _, e := range entries {
		if e.Name() != ownerFile {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// removeEmpty removes dir if it holds nothing but empty directories, and
// reports whether it did. It never removes a file: os.Remove fails on a
// directory that is not empty.
func removeEmpty(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() || !removeEmpty(filepath.Join(dir, e.Name())) {
			return false
		}
	}
	return os.Remove(dir) == nil
}
