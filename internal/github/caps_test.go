package github

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestArtifactFilesCapped: the files of an artifact (a pull request's, so
// its author's) and the event payload are read with a cap; one over it is
// an error naming the file and the cap, and is never read into memory.
func TestArtifactFilesCapped(t *testing.T) {
	dir := t.TempDir()
	huge := func(name string, size int64) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("{")
		// Sparse: the size is there, the disk is not used.
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	for _, c := range []struct {
		name string
		read func(string) error
		size int64
		want string
	}{
		{"report.json", func(p string) error { _, err := LoadReport(p); return err }, MaxReportSize + 1, "over the 64 MiB perfslo reads"},
		{PRNumberFile, func(p string) error { _, err := ReadPRNumber(p); return err }, 1 << 30, "1 GiB, over the 64 bytes perfslo reads"},
		{"event.json", func(p string) error { _, err := ReadEvent(p, "pull_request", ""); return err }, 1 << 30, "over the 32 MiB perfslo reads"},
	} {
		p := huge(c.name, c.size)
		err := c.read(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s of %d bytes: err = %v; want it to name the file and say %q", c.name, c.size, err, c.want)
		}
	}
}
