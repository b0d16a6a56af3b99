package budgets

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestWorkspacePatterns(t *testing.T) {
	ws := t.TempDir()
	os.WriteFile(filepath.Join(ws, "go.work"), []byte("go 1.22\n\nuse (\n\t./a\n\t./tools/b\n\t../outside\n)\n"), 0o644)
	os.MkdirAll(filepath.Join(ws, "a", "x"), 0o755)
	os.WriteFile(filepath.Join(ws, "a", "go.mod"), []byte("module example.com/a\n"), 0o644)
	got, err := WorkspacePatterns(ws, []string{"./..."})
	if err != nil || !reflect.DeepEqual(got, []string{"./a/...", "./tools/b/..."}) {
		t.Fatalf("workspace root: %v, %v", got, err)
	}
	if got, _ := WorkspacePatterns(ws, []string{"./a/x"}); !reflect.DeepEqual(got, []string{"./a/x"}) {
		t.Fatalf("explicit patterns changed: %v", got)
	}
	// FindModule stops at the workspace root from a directory of no module,
	// and at the module from inside one.
	if root, mod, err := FindModule(ws); err != nil || root != ws || mod != "" {
		t.Fatalf("FindModule(root) = %s %q %v", root, mod, err)
	}
	if root, mod, _ := FindModule(filepath.Join(ws, "a", "x")); root != filepath.Join(ws, "a") || mod != "example.com/a" {
		t.Fatalf("FindModule(a/x) = %s %q", root, mod)
	}
	os.WriteFile(filepath.Join(ws, "go.work"), []byte("go 1.22\nuse (\n"), 0o644)
	if _, err := WorkspacePatterns(ws, []string{"./..."}); err == nil {
		t.Fatal("a broken go.work was accepted")
	}
}
