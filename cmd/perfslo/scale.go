package main

import (
	"flag"

	"github.com/perfslo/perfslo/internal/pipeline"
	"github.com/perfslo/perfslo/internal/shard"
)

// scaleFlags are gate's flags for large repositories.
type scaleFlags struct {
	affected, all               *bool
	shard, durations, cacheSpec *string
}

func registerScaleFlags(fs *flag.FlagSet) scaleFlags {
	return scaleFlags{
		affected:  fs.Bool("affected", false, "gate only the packages whose files or dependencies changed since the base (go.mod, go.sum, go.work or the budgets file changing runs all); the report lists what was skipped"),
		all:       fs.Bool("all", false, "with --affected: gate every package anyway"),
		shard:     fs.String("shard", "", "gate only part `i/n` of the packages (balanced by --durations, else by benchmark count); join the shards' reports with perfslo merge"),
		durations: fs.String("durations", "", "a previous JSON `report` whose per-package durations balance the shards"),
		cacheSpec: fs.String("cache", "", "base test binary cache `dir`, or off (default $PERFSLO_CACHE, else perfslo/bin in the user cache directory; $PERFSLO_CACHE_MAX_MB bounds it, default 2048)"),
	}
}

func (f scaleFlags) scale(env *environment) (pipeline.Scale, error) {
	s := pipeline.Scale{Affected: *f.affected, All: *f.all, Version: buildVersion()}
	var err error
	if *f.shard != "" {
		if s.Shard, err = shard.Parse(*f.shard); err != nil {
			return s, err
		}
	}
	if s.Durations, err = pipeline.LoadDurations(resolve(env, *f.durations)); err != nil {
		return s, err
	}
	spec := *f.cacheSpec
	if spec != "off" {
		spec = resolve(env, spec)
	}
	s.Cache, err = pipeline.OpenCache(spec, env.getenv)
	return s, err
}
