package main

import (
	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/internal/pipeline"
)

// loadModuleConfig is the budgets file of the commands that read results
// rather than run benchmarks: --config, else perfslo.yaml of the module
// around the working directory (or of the working directory outside one).
func loadModuleConfig(env *environment, flagPath string) (*budgets.Config, error) {
	return pipeline.LoadConfig(resolve(env, flagPath), pipeline.ModuleOrDir(env.dir))
}

// loadRunConfig is the start of every command that runs benchmarks: the
// module around the working directory, its budgets file, and the run
// settings with the command-line flags applied.
func loadRunConfig(env *environment, configFlag string, rf *runFlags) (string, *budgets.Config, error) {
	rf.override.Packages = budgets.SplitList(rf.packages)
	return pipeline.RunConfig(env.dir, resolve(env, configFlag), rf.override)
}
