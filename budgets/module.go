package budgets

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"
)

// FindModule walks up from dir to the nearest directory holding a go.mod,
// and returns that directory and the module path its module directive
// declares ("" when it has none). Config files, reports and annotations
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
		if filepath.Dir(d) == d {
			return "", "", fmt.Errorf("%s is not inside a Go module (no go.mod found above it)", dir)
		}
	}
}
