package main

import (
	"github.com/perfslo/perfslo/budgets"
)

// loadConfig reads the budgets file. With no --config it uses perfslo.yaml in
// dir when there is one, and the defaults otherwise, so the gate works on any
// module in one command.
func loadConfig(env *environment, flagPath, dir string) (*budgets.Config, error) {
	if flagPath != "" {
		return budgets.Load(resolve(env, flagPath))
	}
	return budgets.LoadDir(dir)
}

// loadModuleConfig is loadConfig for the commands that read results rather
// than run benchmarks: without --config, perfslo.yaml of the module around
// the working directory, or of the working directory outside a module.
func loadModuleConfig(env *environment, flagPath string) (*budgets.Config, error) {
	return loadConfig(env, flagPath, moduleOrWorkDir(env))
}

// moduleOrWorkDir is the module around the working directory, or the
// working directory itself outside a module.
func moduleOrWorkDir(env *environment) string {
	if m, _, err := budgets.FindModule(env.dir); err == nil {
		return m
	}
	return env.dir
}

// loadRunConfig is the start of every command that runs benchmarks: the
// module around the working directory, its budgets file, and the run
// settings with the command-line flags applied.
func loadRunConfig(env *environment, configFlag string, rf runFlags) (string, *budgets.Config, error) {
	moduleDir, _, err := budgets.FindModule(env.dir)
	if err != nil {
		return "", nil, err
	}
	cfg, err := loadConfig(env, configFlag, moduleDir)
	if err != nil {
		return "", nil, err
	}
	rf.apply(&cfg.Run)
	if err := rf.validate(cfg.Run); err != nil {
		return "", nil, err
	}
	if cfg.Run.Packages, err = budgets.WorkspacePatterns(moduleDir, cfg.Run.Packages); err != nil {
		return "", nil, err
	}
	return moduleDir, cfg, nil
}
