package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// writeFileSync writes data to a new file and flushes it to disk before the
// rename that publishes it: a rename can otherwise reach the disk before the
// data does, and a crash would publish an empty file.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyFileSync copies src to the new file dst and flushes it.
func copyFileSync(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir flushes a directory's entries (the names created or renamed in
// it). Some systems cannot fsync a directory; that is not an error there.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// replaceDir publishes the directory tmp as target, replacing an existing
// target. Where the system can exchange two names atomically (Linux
// renameat2), a reader sees the old or the new baseline and never neither.
// Elsewhere the old one is renamed aside first, the new one renamed in, and
// the old one removed; a crash between those two renames leaves the old
// baseline under a dot-name that List and Load ignore.
func replaceDir(tmp, target string) error {
	if err := os.Rename(tmp, target); err == nil {
		return nil
	} else if _, statErr := os.Lstat(target); statErr != nil {
		return err // the rename failed for another reason than an existing target
	}
	if err := exchange(tmp, target); err == nil {
		// tmp now holds the old baseline.
		return os.RemoveAll(tmp)
	}
	// A fresh name for the old baseline: MkdirTemp picks one nobody uses;
	// it must not exist for the rename (os.Rename refuses to replace a
	// directory).
	aside, err := os.MkdirTemp(filepath.Dir(target), ".old-"+filepath.Base(target)+"-")
	if err != nil {
		return err
	}
	if err := os.Remove(aside); err != nil {
		return err
	}
	if err := os.Rename(target, aside); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		if rerr := os.Rename(aside, target); rerr != nil {
			return fmt.Errorf("%w; and restoring the old baseline from %s failed: %v", err, aside, rerr)
		}
		return err
	}
	return os.RemoveAll(aside)
}
