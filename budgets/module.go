package budgets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
)

// FindModule walks up from dir to the nearest directory holding a go.mod,
// and returns that directory and the module path its module directive
// declares ("" when it has none). A directory holding a go.work and no
// go.mod is a workspace root: it is returned with the module path "", and
// the gate runs every module of the workspace (WorkspacePatterns). Config files, reports and annotations
// name packages relative to that module, so every part of perfslo finds it
// the same way.
func FindModule(dir string) (root, modulePath string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			return d, modfile.ModulePath(data), nil
		}
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, "", nil
		}
		if filepath.Dir(d) == d {
			return "", "", fmt.Errorf("%s is not inside a Go module (no go.mod found above it)", dir)
		}
	}
}

// WorkspacePatterns turns the package pattern "./..." at a workspace root
// (a go.work without a go.mod, where "./..." matches nothing) into one
// "./DIR/..." per module the go.work uses, so one gate covers the whole
// workspace. Other patterns, and patterns outside a workspace root, are
// returned as they are.
func WorkspacePatterns(root string, patterns []string) ([]string, error) {
	if len(patterns) != 1 || patterns[0] != "./..." {
		return patterns, nil
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
		return patterns, nil
	}
	path := filepath.Join(root, "go.work")
	data, err := os.ReadFile(path)
	if err != nil {
		return patterns, nil
	}
	wf, err := modfile.ParseWork(path, data, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range wf.Use {
		dir := filepath.ToSlash(filepath.Clean(u.Path))
		if filepath.IsAbs(u.Path) || strings.HasPrefix(dir, "../") {
			continue // a module outside the root is not this repository's
		}
		if dir == "." {
			out = append(out, "./...")
		} else {
			out = append(out, "./"+dir+"/...")
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: uses no module inside %s", path, root)
	}
	return out, nil
}
