package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/gitref"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/internal/store"
)

// Built is the build stage's result: the head's test binaries, and the base
// either built from a git ref (measured with the head, interleaved) or a
// stored baseline's samples.
type Built struct {
	Head    []run.Package
	HeadSrc gate.Source
	// Base is nil with a stored baseline, whose samples are BaseSide.
	Base     []run.Package
	BaseSrc  gate.Source
	BaseSide *gate.Side
	// BaseProfiles are a stored baseline's profiles (name -> path).
	BaseProfiles map[string]string
	// Warnings concern the base (a baseline measured elsewhere) or the
	// counted binaries (a runtime seed that could not be fixed).
	Warnings []string
	// randomSeed is set when the counted binaries could not be built with
	// a fixed runtime seed (callgrind.BuildEnv warned).
	randomSeed bool
	cleanup    func()
	baseRaw    []byte // a stored baseline's results, as stored
}

// Close removes the base worktree; it is always safe to call.
func (b *Built) Close() {
	if b.cleanup != nil {
		b.cleanup()
	}
}

// Build builds the head in p.ModuleDir and prepares the base, with binaries
// under work.
func Build(ctx context.Context, p Plan, work string) (*Built, error) {
	cfg := p.Config
	fmt.Fprintf(p.log(), "perfslo: building head (%s) in %s\n", strings.Join(cfg.Run.Packages, " "), p.ModuleDir)
	b := &Built{}
	o := run.BuildOptions{Dir: p.ModuleDir, Patterns: cfg.Run.Packages, OutDir: filepath.Join(work, "head"), Env: b.countBuildEnv(ctx, p, p.ModuleDir)}
	if p.chosen != nil {
		o.Keep = p.chosen.keepHead
	}
	head, _, err := run.BuildSelected(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("building head: %w", err)
	}
	b.Head, b.HeadSrc = head, SourceFor(ctx, "head", p.ModuleDir)
	if p.Baseline != "" {
		return b, b.loadBaseline(ctx, p)
	}
	return b, b.buildBase(ctx, p, filepath.Join(work, "base"))
}

// loadBaseline takes the base side from a stored baseline.
func (b *Built) loadBaseline(ctx context.Context, p Plan) error {
	st, err := OpenStore(ctx, p.StoreSpec, p.ModuleDir)
	if err != nil {
		return err
	}
	bl, err := st.Load(p.Baseline)
	if err != nil {
		return err
	}
	b.BaseSrc = SourceFromMeta(bl.Meta)
	b.BaseSide, err = gate.ReadSide(b.BaseSrc, bytes.NewReader(bl.Results), "baseline "+bl.Meta.Name)
	if err != nil {
		return err
	}
	b.BaseProfiles = bl.Profiles
	b.baseRaw = bl.Results
	here := store.Meta{Machine: store.CurrentMachine(ctx), GOMAXPROCS: p.Config.Run.CPU}
	for _, d := range bl.Meta.Differences(here) {
		b.Warnings = append(b.Warnings, fmt.Sprintf("baseline %q was measured elsewhere: %s; timings may differ for that reason alone", bl.Meta.Name, d))
	}
	return nil
}

// buildBase checks the base ref out into a temporary worktree and builds
// its test binaries into binDir.
func (b *Built) buildBase(ctx context.Context, p Plan, binDir string) error {
	log := p.log()
	repo, err := gitref.Root(ctx, p.ModuleDir)
	if errors.Is(err, gitref.ErrNoGit) {
		return err
	}
	if err != nil {
		return fmt.Errorf("--base needs a git repository (or use --baseline NAME): %w", err)
	}
	ref := p.BaseRef
	if ref == "" {
		if ref, err = defaultBaseRef(ctx, repo); err != nil {
			return err
		}
		fmt.Fprintf(log, "perfslo: base defaults to %s\n", ref)
	}
	wt, commit, cleanup, err := gitref.Worktree(ctx, repo, ref)
	if err != nil {
		return err
	}
	b.cleanup = func() {
		if err := cleanup(); err != nil {
			fmt.Fprintf(log, "perfslo: removing the base worktree: %v\n", err)
		}
	}
	baseDir, err := gitref.InWorktree(repo, p.ModuleDir, wt)
	if err == nil {
		fmt.Fprintf(log, "perfslo: building base %s (%s)\n", ref, ShortCommit(commit))
		b.Base, err = b.buildBaseBinaries(ctx, p, baseDir, commit, binDir)
		if err != nil {
			err = fmt.Errorf("building base %s: %w", ref, err)
		}
	}
	if err != nil {
		b.Close()
		return err
	}
	b.BaseSrc = gate.Source{Label: ref, Ref: ref, Commit: commit, Machine: b.HeadSrc.Machine}
	return nil
}

// SourceFor describes the working tree being measured.
func SourceFor(ctx context.Context, label, moduleDir string) gate.Source {
	src := gate.Source{Label: label, Machine: store.CurrentMachine(ctx)}
	if commit, dirty, err := gitref.Head(ctx, moduleDir); err == nil {
		src.Commit = commit
		if dirty {
			src.Label = label + " (uncommitted changes)"
		}
	}
	now := time.Now().UTC()
	src.Date = &now
	return src
}

// SourceFromMeta describes a stored baseline as a side of a report.
func SourceFromMeta(m store.Meta) gate.Source {
	d := m.Date
	return gate.Source{Label: "baseline " + m.Name, Ref: m.Ref, Commit: m.Commit, Machine: m.Machine, Date: &d}
}

// ShortCommit is a commit hash as people read it.
func ShortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// OpenStore opens the baseline store named by spec: "" (the .perfslo
// directory of the module), a directory path (absolute, or relative to
// the module), or "git:BRANCH".
func OpenStore(ctx context.Context, spec, moduleDir string) (store.Store, error) {
	switch {
	case spec == "":
		return store.Dir{Root: filepath.Join(moduleDir, ".perfslo")}, nil
	case strings.HasPrefix(spec, "git:"):
		branch := strings.TrimPrefix(spec, "git:")
		repo, err := gitref.Root(ctx, moduleDir)
		if err != nil {
			return nil, fmt.Errorf("--store %s needs a git repository: %w", spec, err)
		}
		return store.OpenGitBranch(repo, branch)
	}
	return store.Dir{Root: spec}, nil
}

// defaultBaseRef is gitref.DefaultBase of the repository around dir.
func defaultBaseRef(ctx context.Context, dir string) (string, error) {
	repo, err := gitref.Root(ctx, dir)
	if err != nil {
		return "", fmt.Errorf("--base needs a git repository (or use --baseline NAME): %w", err)
	}
	return gitref.DefaultBase(ctx, repo)
}

// buildBaseBinaries builds the base's selected packages in its worktree,
// through the binary cache when there is one (a commit's clean checkout
// is what a cache key can name), and says how long it took.
func (b *Built) buildBaseBinaries(ctx context.Context, p Plan, dir, commit, binDir string) ([]run.Package, error) {
	start := time.Now()
	o := run.BuildOptions{Dir: dir, Patterns: p.Config.Run.Packages, OutDir: binDir, Env: b.countBuildEnv(ctx, p, dir)}
	if p.chosen != nil {
		o.Keep = p.chosen.keepBase
	}
	if c := p.Scale.Cache; c != nil {
		// The build environment's additions are part of the key.
		key, err := run.CacheKey(ctx, dir, commit, o.Env)
		if err != nil {
			fmt.Fprintf(p.log(), "perfslo: base binaries not cached: %v\n", err)
		} else {
			o.Cache, o.CacheKey = c, key
		}
	}
	pkgs, hits, err := run.BuildSelected(ctx, o)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(p.log(), "perfslo: base built in %.1fs (%d of %d test binaries from the cache)\n", time.Since(start).Seconds(), hits, len(pkgs))
	return pkgs, nil
}
