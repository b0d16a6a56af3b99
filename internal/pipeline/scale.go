package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/affected"
	"github.com/perfslo/perfslo/internal/buildinfo"
	"github.com/perfslo/perfslo/internal/gitref"
	"github.com/perfslo/perfslo/internal/output"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/internal/shard"
)

// Scale are the settings that make the gate fit a large repository: gate
// only the affected packages, one shard of them, with cached base builds.
type Scale struct {
	// Affected gates only the packages whose files or dependencies the
	// change (base...working tree) touches; All forces every package.
	Affected, All bool
	// Shard, with Count > 0, gates only this shard's part of the packages.
	Shard shard.Spec
	// Durations are stored per-package measuring times (seconds, from a
	// previous report) that balance the shards.
	Durations map[string]float64
	// Cache, when set, keeps and reuses the base's test binaries.
	Cache *run.Cache
	// Version is perfslo's version, which shards must share.
	Version string
}

// ScaleRequest is Scale as the command line states it: the shard as "i/n"
// ("" for none), a previous report whose durations balance the shards, and
// the cache spec (see OpenCache).
type ScaleRequest struct {
	Affected, All           bool
	Shard, Durations, Cache string
}

// Open parses and opens what r names, its paths relative to dir, and
// stamps the Scale with this binary's version.
func (r ScaleRequest) Open(dir string, getenv func(string) string) (Scale, error) {
	s := Scale{Affected: r.Affected, All: r.All, Version: buildinfo.Version()}
	var err error
	if r.Shard != "" {
		if s.Shard, err = shard.Parse(r.Shard); err != nil {
			return s, err
		}
	}
	if s.Durations, err = LoadDurations(output.Resolve(dir, r.Durations)); err != nil {
		return s, err
	}
	spec := r.Cache
	if spec != "off" {
		spec = output.Resolve(dir, spec)
	}
	s.Cache, err = OpenCache(spec, getenv)
	return s, err
}

// choice is which packages this run gates and what the report says of
// the rest.
type choice struct {
	selection string
	skipped   []gate.Skipped
	run       map[string]bool // head packages to build
	known     map[string]bool // every head package with tests
	shard     *gate.Shard
	// baseOnly is set when the change removed a package's Go files: the
	// base must then be built and run even if no head package is chosen.
	baseOnly bool
}

// empty reports whether nothing is left to build on either side (the
// packages only the base has run in the first shard, as keepBase says).
func (c *choice) empty() bool {
	return len(c.run) == 0 && !(c.baseOnly && (c.shard == nil || c.shard.Index == 1))
}

// keepHead and keepBase are the build filters; a package only the base
// has (removed in the head) runs on the base in one shard, to be reported.
func (c *choice) keepHead(ip string) bool { return c.run[ip] }
func (c *choice) keepBase(ip string) bool {
	return c.run[ip] || !c.known[ip] && (c.shard == nil || c.shard.Index == 1)
}

// choose decides the packages to gate; nil means all, as before sharding
// and selection existed.
func choose(ctx context.Context, p *Plan) (*choice, error) {
	s := p.Scale
	if !s.Affected && s.Shard.Count == 0 {
		return nil, nil
	}
	root, err := gitref.Root(ctx, p.ModuleDir)
	if err != nil {
		if s.Affected {
			return nil, fmt.Errorf("--affected needs a git repository: %w", err)
		}
		root = p.ModuleDir
	}
	root, _ = filepath.EvalSymlinks(root)
	pkgs, err := affected.Load(ctx, p.ModuleDir, root, p.Config.Run.Packages)
	if err != nil {
		return nil, err
	}
	sel, err := selectAffected(ctx, p, root, pkgs)
	if err != nil {
		return nil, err
	}
	c := &choice{selection: sel.Reason, run: map[string]bool{}, known: map[string]bool{}, baseOnly: len(sel.BaseOnly) > 0}
	benchmarks := map[string]int{}
	for _, pk := range pkgs {
		if pk.Target {
			c.known[pk.ImportPath] = true
			benchmarks[pk.ImportPath] = pk.Benchmarks
		}
	}
	var runs []string
	for _, r := range sel.Run {
		runs = append(runs, r.Package)
	}
	for _, sk := range sel.Skipped {
		c.skipped = append(c.skipped, gate.Skipped{Package: sk.Package, Reason: sk.Reason})
	}
	if s.Shard.Count > 0 {
		if runs, err = c.takeShard(p, runs, benchmarks); err != nil {
			return nil, err
		}
	}
	for _, r := range runs {
		c.run[r] = true
	}
	fmt.Fprintf(p.log(), "perfslo: gating %d of %d package(s): %s\n", len(runs), len(c.known), c.selection)
	return c, nil
}

// selectAffected is the affected selection, or every package when the
// selection is off, forced, or has no git base to diff against.
func selectAffected(ctx context.Context, p *Plan, root string, pkgs []affected.Package) (affected.Selection, error) {
	s := p.Scale
	switch {
	case !s.Affected:
		sel := affected.Select(pkgs, nil, "", true)
		sel.Reason = "every package (no --affected)"
		return sel, nil
	case p.Baseline != "":
		sel := affected.Select(pkgs, nil, "", true)
		sel.Reason = "every package: --affected diffs against a git base, not a stored baseline"
		return sel, nil
	}
	changed, err := affected.Changed(ctx, root, p.BaseRef)
	if err != nil {
		return affected.Selection{}, err
	}
	config := ""
	if p.Config.File != "" {
		file := p.Config.File
		if real, err := filepath.EvalSymlinks(file); err == nil {
			file = real
		}
		if rel, err := filepath.Rel(root, file); err == nil && !strings.HasPrefix(rel, "..") {
			config = filepath.ToSlash(rel)
		}
	}
	return affected.Select(pkgs, changed, config, s.All), nil
}

// takeShard narrows runs to this shard's part and records the shard.
func (c *choice) takeShard(p *Plan, runs []string, benchmarks map[string]int) ([]string, error) {
	s := p.Scale
	digest, err := shard.ConfigDigest(p.Config.File)
	if err != nil {
		return nil, err
	}
	parts := shard.Assign(shard.Weights(runs, benchmarks, s.Durations), s.Shard.Count)
	for k, part := range parts {
		if k == s.Shard.Index-1 {
			continue
		}
		for _, ip := range part {
			c.skipped = append(c.skipped, gate.Skipped{Package: ip, Reason: fmt.Sprintf("in shard %d/%d", k+1, s.Shard.Count)})
		}
	}
	mine := parts[s.Shard.Index-1]
	c.shard = &gate.Shard{Index: s.Shard.Index, Count: s.Shard.Count, Packages: append([]string{}, mine...), Config: digest, Version: s.Version}
	how := "benchmark counts"
	if len(s.Durations) > 0 {
		how = "stored durations"
	}
	fmt.Fprintf(p.log(), "perfslo: shard %d/%d of the %d selected package(s), balanced by %s: %s\n", s.Shard.Index, s.Shard.Count, len(runs), how, strings.Join(mine, " "))
	return mine, nil
}

// nothingToGate is the report of a run whose selection left nothing.
func (c *choice) nothingToGate(p Plan) *gate.Report {
	alpha, corr := p.Options.Alpha, p.Options.Correction
	if alpha == 0 {
		alpha = gate.DefaultAlpha
	}
	if corr == "" {
		corr = gate.CorrectionBH
	}
	rep := &gate.Report{Schema: gate.SchemaVersion, Head: SourceFor(context.Background(), "head", p.ModuleDir),
		Base: gate.Source{Label: p.BaseRef, Ref: p.BaseRef}, Created: time.Now().UTC(),
		Settings: gate.Settings{Alpha: alpha, Correction: corr, Count: p.Config.Run.Count, Benchtime: p.Config.Run.Benchtime, CPU: p.Config.Run.CPU, Config: p.Config.File}}
	if commit, err := gitref.Git(context.Background(), p.ModuleDir, "rev-parse", p.BaseRef+"^{commit}"); err == nil {
		rep.Base.Commit = commit
	}
	c.annotate(rep)
	return rep
}

// annotate records the choice in the report.
func (c *choice) annotate(rep *gate.Report) {
	if c == nil {
		return
	}
	rep.Selection = c.selection
	rep.Skipped = c.skipped
	rep.Shard = c.shard
}

// Durations sums each package's process wall times, both sides.
func Durations(out *run.Outcome) map[string]float64 {
	d := map[string]float64{}
	for _, l := range out.Load {
		d[l.Package] += l.Wall.Seconds()
	}
	return d
}

// OpenCache is the base-binary cache spec names: "off" for none, a
// directory, or "" for $PERFSLO_CACHE, else perfslo's directory under the
// user's cache directory. $PERFSLO_CACHE_MAX_MB bounds its size.
func OpenCache(spec string, getenv func(string) string) (*run.Cache, error) {
	if spec == "" {
		spec = getenv("PERFSLO_CACHE")
	}
	if spec == "off" {
		return nil, nil
	}
	if spec == "" {
		d, err := run.DefaultCacheDir()
		if err != nil {
			return nil, fmt.Errorf("base binary cache: %w (set --cache DIR or --cache off)", err)
		}
		spec = d
	}
	c := &run.Cache{Dir: spec}
	if mb := getenv("PERFSLO_CACHE_MAX_MB"); mb != "" {
		n, err := strconv.ParseInt(mb, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("PERFSLO_CACHE_MAX_MB=%q: want a positive number of MiB", mb)
		}
		c.MaxBytes = n << 20
	}
	return c, nil
}

// LoadDurations reads the per-package durations of a previous report, to
// balance shards; "" is none.
func LoadDurations(path string) (map[string]float64, error) {
	if path == "" {
		return nil, nil
	}
	rep, err := gate.ReadJSONFile(path)
	if err != nil {
		return nil, fmt.Errorf("--durations: %w", err)
	}
	return rep.Durations, nil
}

// setModules names each row's module, from the packages that were built.
func setModules(b *Built, rep *gate.Report) {
	mod := map[string]string{}
	for _, side := range [][]run.Package{b.Base, b.Head} {
		for _, p := range side {
			mod[p.ImportPath] = p.Module
		}
	}
	for i := range rep.Results {
		rep.Results[i].Module = mod[rep.Results[i].Package]
	}
}
