package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/perfslo/perfslo/budgets"
)

// loadConfig reads the budgets file. With no --config it uses perfslo.yaml in
// dir when there is one, and the defaults otherwise, so the gate works on any
// module in one command.
func loadConfig(env *environment, flagPath, dir string) (*budgets.Config, error) {
	if flagPath != "" {
		return budgets.Load(resolve(env, flagPath))
	}
	path := filepath.Join(dir, "perfslo.yaml")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return budgets.Default(), nil
	}
	return budgets.Load(path)
}
