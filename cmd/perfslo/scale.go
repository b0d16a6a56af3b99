package main

import (
	"flag"

	"github.com/perfslo/perfslo/internal/pipeline"
)

// registerScaleFlags binds gate's flags for large repositories.
func registerScaleFlags(fs *flag.FlagSet) *pipeline.ScaleRequest {
	r := &pipeline.ScaleRequest{}
	fs.BoolVar(&r.Affected, "affected", false, "gate only the packages whose files or dependencies changed since the base (go.mod, go.sum, go.work or the budgets file changing runs all); the report lists what was skipped")
	fs.BoolVar(&r.All, "all", false, "with --affected: gate every package anyway")
	fs.StringVar(&r.Shard, "shard", "", "gate only part `i/n` of the packages (balanced by --durations, else by benchmark count); join the shards' reports with perfslo merge")
	fs.StringVar(&r.Durations, "durations", "", "a previous JSON `report` whose per-package durations balance the shards")
	fs.StringVar(&r.Cache, "cache", "", "base test binary cache `dir`, or off (default $PERFSLO_CACHE, else perfslo/bin in the user cache directory; $PERFSLO_CACHE_MAX_MB bounds it, default 2048)")
	return r
}
