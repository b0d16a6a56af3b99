package run

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func writeFile(t *testing.T, path string, size int, fill byte) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Repeat([]byte{fill}, size), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestCacheEvictsLeastRecentlyUsed fills a cache past its bound: the entry
// used longest ago goes, the one just read stays.
func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	c := &Cache{Dir: filepath.Join(dir, "cache"), MaxBytes: 250}
	src := filepath.Join(dir, "bin")
	for i, pkg := range []string{"a", "b"} {
		writeFile(t, src, 100, byte('a'+i))
		if err := c.Put("k", pkg, src); err != nil {
			t.Fatal(err)
		}
	}
	// a is older than b; reading a makes b the least recently used.
	old := time.Now().Add(-time.Hour)
	os.Chtimes(c.entry("k", "a"), old, old)
	os.Chtimes(c.entry("k", "b"), old.Add(time.Minute), old.Add(time.Minute))
	if !c.Get("k", "a", filepath.Join(dir, "a.test")) {
		t.Fatal("a not cached")
	}
	writeFile(t, src, 100, 'c')
	if err := c.Put("k", "c", src); err != nil {
		t.Fatal(err)
	}
	if c.Get("k", "b", filepath.Join(dir, "b.test")) {
		t.Error("b, the least recently used, survived")
	}
	for _, pkg := range []string{"a", "c"} {
		dst := filepath.Join(dir, pkg+".out")
		if !c.Get("k", pkg, dst) {
			t.Fatalf("%s evicted", pkg)
		}
		data, _ := os.ReadFile(dst)
		if len(data) != 100 || data[0] != pkg[0] {
			t.Fatalf("%s: got %d bytes of %q", pkg, len(data), data[:1])
		}
	}
	if n, err := c.Size(); err != nil || n > 250 {
		t.Fatalf("size %d (%v), bound 250", n, err)
	}
	if c.Get("other key", "a", filepath.Join(dir, "x")) {
		t.Error("an entry under another key")
	}
}

// TestCacheConcurrent has gates storing, reading and evicting at once: a
// reader gets a whole binary or none, never a torn one.
func TestCacheConcurrent(t *testing.T) {
	dir := t.TempDir()
	c := &Cache{Dir: filepath.Join(dir, "cache"), MaxBytes: 3 << 20}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				pkg := fmt.Sprintf("p%d", i%4)
				src := filepath.Join(dir, fmt.Sprintf("src-%d-%d", g, i))
				if err := os.WriteFile(src, bytes.Repeat([]byte(pkg), 1<<18), 0o755); err != nil {
					errs <- err
					return
				}
				if err := c.Put("k", pkg, src); err != nil {
					errs <- err
					return
				}
				dst := filepath.Join(dir, fmt.Sprintf("dst-%d-%d", g, i))
				if c.Get("k", pkg, dst) {
					data, err := os.ReadFile(dst)
					if err != nil || !bytes.Equal(data, bytes.Repeat([]byte(pkg), 1<<18)) {
						errs <- fmt.Errorf("%s: torn or wrong entry (%d bytes, %v)", pkg, len(data), err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, _ := c.Size(); n > 3<<20 {
		t.Errorf("size %d over the bound", n)
	}
}

func TestCacheKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k1, err := CacheKey(ctx, dir, "c1", nil)
	if err != nil {
		t.Fatal(err)
	}
	k1again, _ := CacheKey(ctx, dir, "c1", nil)
	k2, _ := CacheKey(ctx, dir, "c2", nil)
	kf, _ := CacheKey(ctx, dir, "c1", []string{"-tags=x"})
	t.Setenv("GOFLAGS", "-tags=y")
	ke, _ := CacheKey(ctx, dir, "c1", nil)
	t.Setenv("GOFLAGS", "")
	t.Setenv("CGO_ENABLED", "0")
	kc, _ := CacheKey(ctx, dir, "c1", nil)
	if k1 != k1again {
		t.Fatal("the key is not stable")
	}
	seen := map[string]string{k1: "plain"}
	for name, k := range map[string]string{"commit": k2, "flags": kf, "GOFLAGS": ke, "CGO_ENABLED": kc} {
		if prev, dup := seen[k]; dup {
			t.Errorf("changing %s keeps the key of %s", name, prev)
		}
		seen[k] = name
	}
	if _, err := CacheKey(ctx, dir, "", nil); err == nil {
		t.Error("a key without a commit")
	}
}

// TestBuildSelectedCached builds a real package twice through the cache:
// the second build takes the binary from it, and that binary runs.
func TestBuildSelectedCached(t *testing.T) {
	mod := t.TempDir()
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/c\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(mod, "c_test.go"), []byte("package c\n\nimport \"testing\"\n\nfunc BenchmarkX(b *testing.B) {}\n"), 0o644)
	os.MkdirAll(filepath.Join(mod, "other"), 0o755)
	os.WriteFile(filepath.Join(mod, "other", "o_test.go"), []byte("package other\n\nimport \"testing\"\n\nfunc TestO(t *testing.T) {}\n"), 0o644)
	c := &Cache{Dir: filepath.Join(t.TempDir(), "cache")}
	ctx := context.Background()
	keep := func(ip string) bool { return ip == "example.com/c" }
	for i, wantHits := range []int{0, 1} {
		pkgs, hits, err := BuildSelected(ctx, BuildOptions{Dir: mod, Patterns: []string{"./..."}, OutDir: filepath.Join(t.TempDir(), "bin"), Keep: keep, Cache: c, CacheKey: "commit-1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(pkgs) != 1 || pkgs[0].ImportPath != "example.com/c" || hits != wantHits {
			t.Fatalf("build %d: %d package(s) %v, %d hit(s), want 1 (example.com/c), %d", i+1, len(pkgs), pkgs, hits, wantHits)
		}
		out, err := exec.Command(pkgs[0].Binary, "-test.list", ".").CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("BenchmarkX")) {
			t.Fatalf("build %d: the binary does not run: %v\n%s", i+1, err, out)
		}
	}
}
