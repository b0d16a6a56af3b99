package pipeline

import "github.com/perfslo/perfslo/budgets"

// LoadConfig reads the budgets file at path (the --config flag), or with
// none perfslo.yaml in dir when there is one and the defaults otherwise, so
// the gate works on any module in one command.
func LoadConfig(path, dir string) (*budgets.Config, error) {
	if path != "" {
		return budgets.Load(path)
	}
	return budgets.LoadDir(dir)
}

// ModuleOrDir is the module around dir, or dir itself outside a module:
// where the commands that read results rather than run benchmarks look for
// perfslo.yaml and .perfslo.
func ModuleOrDir(dir string) string {
	if m, _, err := budgets.FindModule(dir); err == nil {
		return m
	}
	return dir
}

// RunConfig is the start of every command that runs benchmarks: the module
// around dir, its budgets file (see LoadConfig), and the run settings with
// the command line's overrides applied and checked; in a workspace the
// default ./... becomes one pattern per module.
func RunConfig(dir, path string, override budgets.Run) (string, *budgets.Config, error) {
	moduleDir, _, err := budgets.FindModule(dir)
	if err != nil {
		return "", nil, err
	}
	cfg, err := LoadConfig(path, moduleDir)
	if err != nil {
		return "", nil, err
	}
	cfg.Run.Override(override)
	if err := cfg.Run.CheckFlags(); err != nil {
		return "", nil, err
	}
	if cfg.Run.Packages, err = budgets.WorkspacePatterns(moduleDir, cfg.Run.Packages); err != nil {
		return "", nil, err
	}
	return moduleDir, cfg, nil
}
