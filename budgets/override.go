package budgets

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Override replaces r's settings with the ones o sets (non-zero), as
// command-line flags override the file.
func (r *Run) Override(o Run) {
	if len(o.Packages) > 0 {
		r.Packages = o.Packages
	}
	if o.Bench != "" {
		r.Bench = o.Bench
	}
	if o.Benchtime != "" {
		r.Benchtime = o.Benchtime
	}
	if o.Count != 0 {
		r.Count = o.Count
	}
	if o.CPU != 0 {
		r.CPU = o.CPU
	}
	if o.Measure != "" {
		r.Measure = o.Measure
	}
}

// LoadDir reads perfslo.yaml in dir when there is one, and returns the
// defaults otherwise, so the gate works on any module in one command.
func LoadDir(dir string) (*Config, error) {
	path := filepath.Join(dir, "perfslo.yaml")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	return Load(path)
}

// SplitList splits a list written with commas or spaces between its items,
// as --packages and a run.benchtime of several benchtimes are.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
