package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Cache keeps compiled test binaries of commits, so that repeated gates of
// one pull request do not rebuild an unchanged base. Entries are keyed by
// everything that goes into the binary (CacheKey); the directory is
// bounded in size, oldest-used first out, and shared safely by concurrent
// gates: entries appear by atomic rename, eviction holds a lock, and a
// reader links the file before using it, so an eviction racing it costs a
// rebuild, never a wrong or half-written binary.
type Cache struct {
	// Dir holds the entries (created on first use).
	Dir string
	// MaxBytes bounds the entries' total size; 0 is DefaultCacheMax.
	MaxBytes int64
}

// DefaultCacheMax bounds the cache when Cache.MaxBytes is 0.
const DefaultCacheMax = 2 << 30

// DefaultCacheDir is perfslo's directory under the user's cache directory.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "perfslo", "bin"), nil
}

// buildEnvVars are the environment settings that change what `go test -c`
// produces, as `go env` resolves them (GOFLAGS, go.env and GOENV included).
var buildEnvVars = []string{"GOVERSION", "GOOS", "GOARCH", "GOFLAGS", "CGO_ENABLED", "CC", "CXX",
	"CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS", "GOAMD64", "GOARM", "GOARM64", "GO386",
	"GOEXPERIMENT", "GOTOOLCHAIN", "GOWORK"}

// CacheKey is the part of every entry's key that concerns the whole build
// of commit in dir: the commit, the go command's resolved build
// environment and the build flags. The package's import path completes it.
func CacheKey(ctx context.Context, dir, commit string, flags []string) (string, error) {
	if commit == "" {
		return "", errors.New("cache key: no commit")
	}
	cmd := goCommand(ctx, "go", dir, append([]string{"env", "-json"}, buildEnvVars...)...)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env in %s: %w", dir, err)
	}
	var env map[string]string
	if err := json.Unmarshal(out, &env); err != nil {
		return "", fmt.Errorf("go env: %w", err)
	}
	// The workspace file's path moves with the temporary worktree; whether
	// there is one is what the build sees.
	if w := env["GOWORK"]; w != "" && w != "off" {
		env["GOWORK"] = "on"
	}
	h := sha256.New()
	fmt.Fprintf(h, "perfslo test binary v1\ncommit=%s\n", commit)
	for _, k := range buildEnvVars {
		fmt.Fprintf(h, "%s=%s\n", k, env[k])
	}
	for _, f := range flags {
		fmt.Fprintf(h, "flag=%s\n", f)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// entry is the cache file of one package under key.
func (c *Cache) entry(key, importPath string) string {
	h := sha256.Sum256([]byte(key + "\x00" + importPath))
	return filepath.Join(c.Dir, hex.EncodeToString(h[:16])+".test")
}

// Get puts the cached binary of importPath under key at dst and reports
// whether there was one. The entry's time is refreshed: eviction goes by
// last use.
func (c *Cache) Get(key, importPath, dst string) bool {
	src := c.entry(key, importPath)
	if err := os.Link(src, dst); err != nil {
		if err := copyFile(src, dst); err != nil {
			return false
		}
	}
	now := time.Now()
	_ = os.Chtimes(src, now, now)
	return true
}

// Put stores the binary at src as importPath's under key, then evicts the
// least recently used entries beyond the size bound.
func (c *Cache) Put(key, importPath, src string) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.Dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := copyFile(src, tmp.Name()); err != nil {
		return err
	}
	// CreateTemp made it 0600; a test binary must run.
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), c.entry(key, importPath)); err != nil {
		return err
	}
	return c.evict()
}

// evict removes the least recently used entries until the rest fit in
// MaxBytes, holding the directory's lock so that two gates do not both
// count the same files.
func (c *Cache) evict() error {
	unlock, err := lockFile(filepath.Join(c.Dir, ".lock"))
	if err != nil {
		return err
	}
	defer unlock()
	max := c.MaxBytes
	if max <= 0 {
		max = DefaultCacheMax
	}
	type file struct {
		path string
		size int64
		used time.Time
	}
	var files []file
	var total int64
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".test") {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		files = append(files, file{filepath.Join(c.Dir, e.Name()), info.Size(), info.ModTime()})
		total += info.Size()
	}
	sort.Slice(files, func(i, j int) bool { return files[i].used.Before(files[j].used) })
	for _, f := range files {
		if total <= max {
			break
		}
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		total -= f.size
	}
	return nil
}

// Size is the entries' total size in bytes.
func (c *Cache) Size() (int64, error) {
	var total int64
	ents, err := os.ReadDir(c.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	for _, e := range ents {
		if info, ierr := e.Info(); ierr == nil && strings.HasSuffix(e.Name(), ".test") {
			total += info.Size()
		}
	}
	return total, err
}

// copyFile copies src to dst, executable.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
