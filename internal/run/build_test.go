package run

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	dir, pkgs := builtFixture(t)
	if len(pkgs) != 6 {
		t.Fatalf("got %d packages %v, want fast, fails, panics, slow, envdump, chatty (notests has no tests)", len(pkgs), pkgs)
	}
	if _, ok := pkgs["notests"]; ok {
		t.Errorf("notests has no test files but was built")
	}
	p := pkgs["fast"]
	if p.ImportPath != "example.com/bench/fast" {
		t.Errorf("ImportPath = %q", p.ImportPath)
	}
	if want := filepath.Join(dir, "fast"); p.Dir != want {
		t.Errorf("Dir = %q, want %q", p.Dir, want)
	}
	if fi, err := os.Stat(p.Binary); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("binary %s: %v, %v", p.Binary, fi, err)
	}
}

func TestBuildErrors(t *testing.T) {
	dir, _ := builtFixture(t)
	tests := []struct {
		name      string
		patterns  []string
		wantBuild bool     // a *BuildError
		want      []string // substrings of the error
	}{
		{"compile error", []string{"./broken"}, true, []string{"example.com/bench/broken", "broken_test.go:6", "undefined: undefinedThing"}},
		{"no test files", []string{"./notests"}, false, []string{"no test files in packages matching ./notests"}},
		{"missing directory", []string{"./nope"}, false, []string{"./nope", "not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(context.Background(), dir, tt.patterns, t.TempDir())
			t.Logf("error: %v", err)
			if err == nil {
				t.Fatal("no error")
			}
			var be *BuildError
			if got := errors.As(err, &be); got != tt.wantBuild {
				t.Errorf("error %T is BuildError: %v, want %v", err, got, tt.wantBuild)
			}
			if be != nil && be.Package != "example.com/bench/broken" {
				t.Errorf("BuildError.Package = %q", be.Package)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestBuildCancelled(t *testing.T) {
	dir, _ := builtFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, dir, []string{"./fast"}, t.TempDir()); !errors.Is(err, context.Canceled) {
		t.Errorf("Build with a cancelled context = %v, want context.Canceled", err)
	}
}
