package pipeline

// The explain stage of a gate run, and the profiles of a saved baseline:
// after the timing rounds, profile the benchmarks that need explaining (a
// regression or a violation) or judging (a profile budget), base and head,
// each alone in processes of its own, so profiling never perturbs a timing
// sample. Then attach the attribution to the rows, write the diff profiles,
// and add a row per function budget.

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/gitref"
	"github.com/perfslo/perfslo/internal/run"
	"github.com/perfslo/perfslo/profiles"
	"github.com/perfslo/perfslo/profiles/pyroscope"
	"golang.org/x/perf/benchfmt"
)

// ExplainInput is what the explain stage needs from a gate run.
type ExplainInput struct {
	Config       *budgets.Config
	Base         []run.Package // nil when comparing with a stored baseline
	Head         []run.Package
	BaseProfiles map[string]string // a stored baseline's profiles (name -> path)
	CPU          int
	Timeout      time.Duration
	Staging      *profile.Profile // the staging service's CPU profile, nil when none is configured
	OutDir       string           // where .pb.gz files and diffs are kept
	ModuleDir    string           // head module root
	BaseRef      string           // base commit when known
	Log          io.Writer        // progress; nil is quiet
}

func (in ExplainInput) log() io.Writer {
	if in.Log == nil {
		return io.Discard
	}
	return in.Log
}

// explainInput is the explain stage's input in a gate run.
func (p *Plan) explainInput(b *Built) ExplainInput {
	dir := p.ProfilesDir
	if dir == "" {
		dir = filepath.Join(p.ModuleDir, ".perfslo", "profiles", time.Now().UTC().Format("20060102T150405Z"))
	}
	return ExplainInput{
		Config: p.Config, Base: b.Base, Head: b.Head, BaseProfiles: b.BaseProfiles,
		CPU: p.Config.Run.CPU, Timeout: p.Timeout,
		OutDir: dir, ModuleDir: p.ModuleDir, BaseRef: b.BaseSrc.Commit, Log: p.Log,
	}
}

// profileTarget is one benchmark to profile, and why.
type profileTarget struct {
	id       budgets.BenchmarkID
	cpu, mem bool            // which profiles are needed
	rows     []int           // indexes of report rows to explain
	budget   *budgets.Budget // with function budgets, or nil
	// baseSPO and headSPO are each side's sec/op center from the timing
	// rounds: each side's CPU profile is sized to about a second.
	baseSPO, headSPO float64
}

// Explain is the gate's profiling stage: it profiles
// every row with verdict regression or violation and every benchmark a
// profile budget names, attaches Row.Attribution, appends the function
// budget rows (violations fail the gate once the caller recounts), and
// prints the pprof command per explained benchmark on stderr.
func Explain(ctx context.Context, in ExplainInput, rep *gate.Report) error {
	log := in.log()
	targets := profileTargets(in, rep)
	if len(targets) == 0 {
		return nil
	}
	if err := os.MkdirAll(in.OutDir, 0o755); err != nil {
		return err
	}
	changes, err := changedFunctions(ctx, in)
	if err != nil {
		rep.Warnings = append(rep.Warnings, "profiles: not checking for layout effects: "+err.Error())
	}
	start := time.Now()
	var spent time.Duration
	var procs int
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(log, "perfslo: profiling %s %s (%s)\n", t.id.Package, t.id.Name, t.why())
		sides, elapsed, n, err := profileSides(ctx, in, t)
		spent += elapsed
		procs += n
		if err != nil {
			for _, i := range t.rows {
				rep.Results[i].Warnings = append(rep.Results[i].Warnings, "profiles: "+err.Error())
			}
		}
		if sides.head != nil && t.budget != nil {
			rep.Results = append(rep.Results, profiles.BudgetRows(t.budget, profiles.BudgetTarget{
				Benchmark: t.id.Name, Package: t.id.Package, CPU: sides.head.cpu, Mem: sides.head.mem, ConfigFile: in.Config.File,
			})...)
		} else if t.budget != nil {
			rows := profiles.BudgetRows(t.budget, profiles.BudgetTarget{Benchmark: t.id.Name, Package: t.id.Package, ConfigFile: in.Config.File})
			for i := range rows {
				rows[i].Reasons = append(rows[i].Reasons, fmt.Sprintf("profiling %s failed: %v", t.id.Name, err))
			}
			rep.Results = append(rep.Results, rows...)
		}
		if err != nil || sides.base == nil {
			continue
		}
		explainRows(log, in, rep, t, sides, changes)
	}
	fmt.Fprintf(log, "perfslo: profiled %d benchmark(s) in %s (%d processes, %s running them)\n",
		len(targets), time.Since(start).Round(10*time.Millisecond), procs, spent.Round(10*time.Millisecond))
	return nil
}

// profileTargets lists the benchmarks to profile, in report order.
func profileTargets(in ExplainInput, rep *gate.Report) []*profileTarget {
	var targets []*profileTarget
	byKey := map[budgets.BenchmarkID]*profileTarget{}
	get := func(id budgets.BenchmarkID) *profileTarget {
		t, ok := byKey[id]
		if !ok {
			t = &profileTarget{id: id}
			byKey[id] = t
			targets = append(targets, t)
		}
		return t
	}
	secPerOp := map[budgets.BenchmarkID][2]float64{} // base, head
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Function != "" || r.Head == nil {
			continue
		}
		id := budgets.ParseBenchmarkID(r.Package, r.Benchmark, in.CPU)
		id.Procs = 0
		if r.Unit == "sec/op" {
			spo := [2]float64{0, r.Head.Center}
			if r.Base != nil {
				spo[0] = r.Base.Center
			}
			secPerOp[id] = spo
		}
		if (r.Verdict == gate.Regression || r.Verdict == gate.Violation) && !gate.CountedUnit(r.Unit) {
			// Counted rows carry callgrind's own per-function diff.
			kind, err := profiles.ProfileKind(r.Unit)
			if err != nil {
				kind = "cpu" // throughput units (B/s) are time, inverted
			}
			t := get(id)
			t.rows = append(t.rows, i)
			if kind == "cpu" {
				t.cpu = true
			} else {
				t.mem = true
			}
		}
		if in.Config != nil {
			if b := in.Config.Match(id.Package, id.Name); b != nil && b.Profile != nil {
				t := get(id)
				t.budget = b
				t.cpu = t.cpu || len(b.Profile.CPUShare) > 0
				t.mem = t.mem || len(b.Profile.AllocsPerOp) > 0 || len(b.Profile.BytesPerOp) > 0
			}
		}
	}
	for k, t := range byKey {
		t.baseSPO, t.headSPO = secPerOp[k][0], secPerOp[k][1]
	}
	return targets
}

func (t *profileTarget) why() string {
	var parts []string
	if len(t.rows) > 0 {
		parts = append(parts, "explaining a failed row")
	}
	if t.budget != nil {
		parts = append(parts, "function budgets")
	}
	return strings.Join(parts, ", ")
}

// sideProfiles are one side's profiles of a benchmark.
type sideProfiles struct {
	cpu, mem *profiles.Measured
}

type bothSides struct{ base, head *sideProfiles }

// profileSides profiles a target on the head and, when the base was built,
// on the base; with a stored baseline the base's profiles come from it.
func profileSides(ctx context.Context, in ExplainInput, t *profileTarget) (sides bothSides, elapsed time.Duration, procs int, err error) {
	head := findPackage(in.Head, t.id.Package)
	if head == nil {
		return sides, 0, 0, fmt.Errorf("package %s is not in the head build", t.id.Package)
	}
	opts := run.ProfileOptions{
		Prefix:  run.FileName(t.id.Name),
		Mem:     t.mem,
		NoCPU:   !t.cpu,
		CPU:     in.CPU,
		Timeout: in.Timeout,
	}
	dir := filepath.Join(in.OutDir, run.FileName(t.id.Package))
	do := func(side string, pkg run.Package, spo float64) (*sideProfiles, error) {
		o := opts
		o.SecPerOp = spo // 0: Profile calibrates
		o.OutDir = filepath.Join(dir, side)
		pr, err := run.Profile(ctx, pkg, t.id.Name, o)
		if pr != nil {
			elapsed += pr.Elapsed
		}
		procs += countProcs(pr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", side, err)
		}
		sp, err := measured(pr)
		if err != nil || in.Base == nil {
			// A stored base profile ran at its own pace; the head's is left
			// at its own too, so the two stay alike.
			return sp, err
		}
		return sp, sp.atPace(spo)
	}
	if sides.head, err = do("head", *head, t.headSPO); err != nil {
		return sides, elapsed, procs, err
	}
	if in.Base != nil {
		base := findPackage(in.Base, t.id.Package)
		if base == nil {
			return sides, elapsed, procs, fmt.Errorf("package %s is not in the base build: nothing to compare the profile with", t.id.Package)
		}
		sides.base, err = do("base", *base, t.baseSPO)
		return sides, elapsed, procs, err
	}
	if in.BaseProfiles != nil {
		sides.base, err = storedProfiles(in.BaseProfiles, t)
	}
	return sides, elapsed, procs, err
}

func countProcs(pr *run.ProfileRun) int {
	n := 0
	if pr == nil {
		return 0
	}
	for _, r := range []*benchfmt.Result{pr.CPUResult, pr.MemResult, pr.MemShortResult} {
		if r != nil {
			n++
		}
	}
	return n
}

func findPackage(pkgs []run.Package, importPath string) *run.Package {
	for i := range pkgs {
		if pkgs[i].ImportPath == importPath {
			return &pkgs[i]
		}
	}
	return nil
}

// measured loads a profiling run's files; the two allocation profiles are
// subtracted into an exact per-op one.
func measured(pr *run.ProfileRun) (*sideProfiles, error) {
	sp := &sideProfiles{}
	var err error
	if pr.CPUProfile != "" {
		if sp.cpu, err = profiles.LoadMeasured(pr.CPUProfile, int64(pr.CPUResult.Iters)); err != nil {
			return nil, err
		}
	}
	if pr.MemProfile != "" {
		long, err := profiles.LoadMeasured(pr.MemProfile, int64(pr.MemResult.Iters))
		if err != nil {
			return nil, err
		}
		short, err := profiles.LoadMeasured(pr.MemShortProfile, int64(pr.MemShortResult.Iters))
		if err != nil {
			return nil, err
		}
		if sp.mem, err = profiles.Subtract(long, short); err != nil {
			return nil, err
		}
		// Keep the exact profile next to the raw ones, self-describing.
		exact := strings.TrimSuffix(pr.MemProfile, ".mem.pb.gz") + ".allocs.pb.gz"
		if err := sp.mem.Save(exact); err != nil {
			return nil, err
		}
		sp.mem.Path = exact
	}
	return sp, nil
}

// atPace rescales the CPU profile to the side's median time per op (see
// profiles.Measured.AtPace): both sides were profiled just now, one process
// each, and the timing rounds know each side's pace better than that process.
func (sp *sideProfiles) atPace(secPerOp float64) error {
	if sp.cpu == nil || !(secPerOp > 0) {
		return nil
	}
	m, err := sp.cpu.AtPace(secPerOp)
	if err != nil {
		return err
	}
	sp.cpu = m
	return nil
}

// baselineProfileName is where a benchmark's profile sits in a stored
// baseline: "example.com/m/sum/BenchmarkSum_lines=1000.cpu.pb.gz".
func baselineProfileName(id budgets.BenchmarkID, kind string) string {
	return path.Join(id.Package, run.FileName(id.Name)+"."+kind+".pb.gz")
}

func storedProfiles(stored map[string]string, t *profileTarget) (*sideProfiles, error) {
	sp := &sideProfiles{}
	for _, k := range []struct {
		want bool
		kind string
		dst  **profiles.Measured
	}{{t.cpu, "cpu", &sp.cpu}, {t.mem, "allocs", &sp.mem}} {
		if !k.want {
			continue
		}
		name := baselineProfileName(t.id, k.kind)
		p, ok := stored[name]
		if !ok {
			return nil, fmt.Errorf("the stored baseline has no %s profile of %s (%s): save the baseline again to explain regressions", k.kind, t.id.Name, name)
		}
		m, err := profiles.LoadSaved(p)
		if err != nil {
			return nil, err
		}
		*k.dst = m
	}
	return sp, nil
}

// explainRows diffs a target's profiles and attaches an attribution to each
// row it explains.
func explainRows(log io.Writer, in ExplainInput, rep *gate.Report, t *profileTarget, sides bothSides, changes *profiles.Changes) {
	deltas := map[string]*profiles.Delta{}
	files := map[string]profiles.Files{}
	diff := func(kind string, base, head *profiles.Measured) (*profiles.Delta, profiles.Files, error) {
		if d, ok := deltas[kind]; ok {
			return d, files[kind], nil
		}
		if base == nil || head == nil {
			return nil, profiles.Files{}, fmt.Errorf("no %s profile on both sides", kind)
		}
		d, err := profiles.Diff(base, head)
		if err != nil {
			return nil, profiles.Files{}, err
		}
		fs, err := d.Write(filepath.Join(in.OutDir, run.FileName(t.id.Package)), run.FileName(t.id.Name)+"."+kind)
		if err != nil {
			return nil, profiles.Files{}, err
		}
		deltas[kind], files[kind] = d, fs
		return d, fs, nil
	}
	printed := map[string]bool{}
	for _, i := range t.rows {
		r := &rep.Results[i]
		unit := r.Unit
		kind, err := profiles.ProfileKind(unit)
		if err != nil {
			kind, unit = "cpu", "sec/op"
		}
		var d *profiles.Delta
		var fs profiles.Files
		if kind == "cpu" {
			d, fs, err = diff(kind, sides.base.cpu, sides.head.cpu)
		} else {
			d, fs, err = diff(kind, sides.base.mem, sides.head.mem)
		}
		if err == nil {
			r.Attribution, err = profiles.Attribute(d, unit, profiles.DefaultTopN)
		}
		if err != nil {
			r.Warnings = append(r.Warnings, "profiles: "+err.Error())
			continue
		}
		r.Attribution.DiffProfile = fs.Diff
		if w := profiles.CoverageWarning(r, r.Attribution); w != "" {
			r.Attribution.Warnings = append(r.Attribution.Warnings, w)
		}
		r.Attribution.Command = profiles.PprofCommand(fs.Base, fs.Head)
		if kind == "cpu" {
			if err := profiles.MarkLikelyLayout(r.Attribution, d, unit, changes); err != nil {
				r.Warnings = append(r.Warnings, "profiles: "+err.Error())
			}
			if in.Staging != nil {
				if err := pyroscope.Impact(r.Attribution, d, in.Staging); err != nil {
					r.Warnings = append(r.Warnings, "staging impact: "+err.Error())
				}
			}
		}
		if !printed[kind] {
			printed[kind] = true
			fmt.Fprintf(log, "perfslo: %s %s profile diff: %s\n", t.id.Name, kind, r.Attribution.Command)
		}
	}
}

// changedFunctions maps `git diff -U0 BASE` (the working tree against the
// base commit) to Go functions, for the layout check. nil when the base is
// unknown: no layout verdict without evidence.
func changedFunctions(ctx context.Context, in ExplainInput) (*profiles.Changes, error) {
	if in.BaseRef == "" || in.ModuleDir == "" {
		return nil, nil
	}
	root, err := gitref.Root(ctx, in.ModuleDir)
	if err != nil {
		return nil, err
	}
	modDir, err := filepath.Rel(root, in.ModuleDir)
	if err != nil {
		return nil, err
	}
	// Resolve symlinks on both sides (temp dirs often are).
	if r, err := filepath.EvalSymlinks(root); err == nil {
		if m, err := filepath.EvalSymlinks(in.ModuleDir); err == nil {
			if rel, err := filepath.Rel(r, m); err == nil {
				modDir = rel
			}
		}
	}
	_, modPath, err := budgets.FindModule(in.ModuleDir)
	if err != nil {
		return nil, err
	}
	if modPath == "" {
		return nil, fmt.Errorf("%s: no module line", filepath.Join(in.ModuleDir, "go.mod"))
	}
	diff, err := gitref.Command{Dir: root, Args: []string{"diff", "-U0", "--no-color", "--no-ext-diff", in.BaseRef, "--"}}.Output(ctx)
	if err != nil {
		return nil, err
	}
	read := func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(root, filepath.FromSlash(p))) }
	return profiles.ChangedFunctions([]byte(diff), profiles.Module{Path: modPath, Dir: filepath.ToSlash(modDir)}, read)
}
