package shard

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/atomicfile"
)

// ConfigDigest names a budgets file by its content, "none" without one:
// shards judged with different budgets must not be merged.
func ConfigDigest(path string) (string, error) {
	if path == "" {
		return "none", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:8]), nil
}

// MergeInput is what Merge needs.
type MergeInput struct {
	// Reports are the shards' JSON reports; each one's raw samples are
	// read relative to its directory.
	Reports []string
	// Config judges the merged suite; its digest (ConfigDigest of
	// Config.File) must be the shards'.
	Config *budgets.Config
	// AllowRemoved accepts benchmarks the head no longer ran.
	AllowRemoved bool
	// SamplesDir receives the merged raw samples (base.txt, head.txt);
	// ReportPath is where the caller writes the merged JSON (the report
	// names its samples relative to it).
	SamplesDir, ReportPath string
	// Now dates the merged report.
	Now time.Time
}

// shardReport is one shard's report and where it was read from.
type shardReport struct {
	path string
	rep  *gate.Report
}

func (s shardReport) name() string { return fmt.Sprintf("%s (shard %s)", s.path, s.rep.Shard) }

// Merge joins shard reports into one: it checks that they are the shards
// of one suite (every index once; one head and base commit, budgets file,
// perfslo version and statistical settings), reads their raw samples into
// one base and one head side, and judges them together, so the multiple-
// comparison correction runs over the whole suite. Rows that come from
// profiles (function budgets) and failures that are not re-derived from the
// samples are kept as the shards reported them.
func Merge(in MergeInput) (*gate.Report, error) {
	shards, err := readShards(in.Reports)
	if err != nil {
		return nil, err
	}
	if err := agree(shards, in.Config); err != nil {
		return nil, err
	}
	first := shards[0].rep
	base, head := gate.NewSide(first.Base), gate.NewSide(first.Head)
	var raw [2]bytes.Buffer
	for _, s := range shards {
		if err := readSamples(s, base, head, &raw); err != nil {
			return nil, err
		}
	}
	settings := first.Settings
	settings.Rounds, settings.Looks = nil, 0
	settings.Procedure = fmt.Sprintf("the union of %d shards' raw samples judged in one stage", len(shards))
	out := gate.Compare(base, head, gate.Options{Config: in.Config, Alpha: settings.Alpha, Correction: settings.Correction, Now: in.Now, Settings: settings})
	out.Selection = first.Selection
	out.Durations = map[string]float64{}
	ran := map[string]bool{}
	for _, s := range shards {
		out.Shards = append(out.Shards, *s.rep.Shard)
		for _, p := range s.rep.Shard.Packages {
			ran[p] = true
		}
		for p, d := range s.rep.Durations {
			out.Durations[p] = d
		}
		keepUnjudged(s, out)
	}
	seen := map[string]bool{}
	for _, s := range shards {
		for _, sk := range s.rep.Skipped {
			if !ran[sk.Package] && !seen[sk.Package] {
				seen[sk.Package] = true
				out.Skipped = append(out.Skipped, sk)
			}
		}
	}
	sort.Slice(out.Skipped, func(i, j int) bool { return out.Skipped[i].Package < out.Skipped[j].Package })
	out.Failures = append(out.Failures, gate.UnmatchedFailures(in.Config, out)...)
	out.Failures = append(out.Failures, gate.Vanished(out, in.AllowRemoved)...)
	if err := writeSamples(in, raw, out); err != nil {
		out.Warnings = append(out.Warnings, "merged raw samples not kept: "+err.Error())
	}
	return out, nil
}

// keepUnjudged copies what the samples cannot re-derive from a shard: rows
// of function budgets, attributions of rows that still regress, source
// locations, failures other than the suite-level ones Merge recomputes, and
// warnings.
func keepUnjudged(s shardReport, out *gate.Report) {
	type key struct{ pkg, bench, unit string }
	old := map[key]*gate.Row{}
	for i := range s.rep.Results {
		row := &s.rep.Results[i]
		if row.Function != "" {
			out.Results = append(out.Results, *row)
			continue
		}
		old[key{row.Package, row.Benchmark, row.Unit}] = row
	}
	for i := range out.Results {
		row := &out.Results[i]
		if o := old[key{row.Package, row.Benchmark, row.Unit}]; o != nil && row.Function == "" {
			row.Source = o.Source
			if row.Verdict == gate.Regression || row.Verdict == gate.Violation {
				row.Attribution = o.Attribution
			}
		}
	}
	for _, f := range s.rep.Failures {
		switch f.Kind {
		case gate.FailureBudget, gate.FailureNoResults, gate.FailureRemoved:
		default:
			out.Failures = append(out.Failures, f)
		}
	}
	for _, w := range s.rep.Warnings {
		out.Warnings = append(out.Warnings, fmt.Sprintf("shard %s: %s", s.rep.Shard, w))
	}
}

func readShards(paths []string) ([]shardReport, error) {
	if len(paths) == 0 {
		return nil, errors.New("no shard reports to merge")
	}
	var shards []shardReport
	for _, p := range paths {
		rep, err := gate.ReadJSONFile(p)
		if err != nil {
			return nil, err
		}
		if rep.Shard == nil {
			return nil, fmt.Errorf("%s: not a shard's report (no \"shard\"): write shards with perfslo gate --shard i/n --json F", p)
		}
		shards = append(shards, shardReport{path: p, rep: rep})
	}
	sort.SliceStable(shards, func(i, j int) bool { return shards[i].rep.Shard.Index < shards[j].rep.Shard.Index })
	return shards, nil
}

// agree checks that the shards are one suite's, each index exactly once.
func agree(shards []shardReport, cfg *budgets.Config) error {
	first := shards[0]
	n := first.rep.Shard.Count
	byIndex := map[int]shardReport{}
	for _, s := range shards {
		sh, f := s.rep.Shard, first.rep
		if prev, dup := byIndex[sh.Index]; dup {
			return fmt.Errorf("%s: shard %d given twice (also %s)", s.path, sh.Index, prev.path)
		}
		byIndex[sh.Index] = s
		for _, d := range []struct{ what, got, want string }{
			{"shard count", fmt.Sprint(sh.Count), fmt.Sprint(n)},
			{"head commit", s.rep.Head.Commit, f.Head.Commit},
			{"base commit", s.rep.Base.Commit, f.Base.Commit},
			{"budgets file (digest)", sh.Config, f.Shard.Config},
			{"perfslo version", sh.Version, f.Shard.Version},
			{"affected selection (packages skipped as unaffected)", unaffected(s.rep), unaffected(f)},
			{"statistics (alpha, correction)", fmt.Sprint(s.rep.Settings.Alpha, s.rep.Settings.Correction), fmt.Sprint(f.Settings.Alpha, f.Settings.Correction)},
			{"run settings (count, benchtime, cpu)", fmt.Sprint(s.rep.Settings.Count, s.rep.Settings.Benchtime, s.rep.Settings.CPU), fmt.Sprint(f.Settings.Count, f.Settings.Benchtime, f.Settings.CPU)},
		} {
			if d.got != d.want {
				return fmt.Errorf("%s: %s %q, but %s has %q: shards of different runs cannot be merged", s.name(), d.what, d.got, first.name(), d.want)
			}
		}
	}
	owner := map[string]string{}
	for _, s := range shards {
		for _, p := range s.rep.Shard.Packages {
			if prev, dup := owner[p]; dup {
				return fmt.Errorf("%s: package %s was also gated by %s: the shards were split differently", s.name(), p, prev)
			}
			owner[p] = s.name()
		}
	}
	var missing []string
	for i := 1; i <= n; i++ {
		if _, ok := byIndex[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("shard(s) %s missing: merging part of a suite would pass what was not run", strings.Join(missing, ", "))
	}
	file := ""
	if cfg != nil {
		file = cfg.File
	}
	digest, err := ConfigDigest(file)
	if err != nil {
		return err
	}
	if digest != first.rep.Shard.Config {
		return fmt.Errorf("the budgets file here (%s, digest %s) is not the one the shards judged with (digest %s): merge with the same --config", dash(file), digest, first.rep.Shard.Config)
	}
	return nil
}

// unaffected lists the packages a shard skipped for a reason other than
// sharding: every shard of one run computes the same list.
func unaffected(r *gate.Report) string {
	var out []string
	for _, sk := range r.Skipped {
		if !strings.HasPrefix(sk.Reason, "in shard ") {
			out = append(out, sk.Package)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func dash(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// readSamples adds one shard's raw samples to the merged sides.
func readSamples(s shardReport, base, head *gate.Side, raw *[2]bytes.Buffer) error {
	if len(s.rep.Shard.Packages) == 0 && len(s.rep.Results) == 0 {
		return nil // a shard the split left empty measured nothing
	}
	if s.rep.Samples == nil || s.rep.Samples.Base == "" || s.rep.Samples.Head == "" {
		return fmt.Errorf("%s: the report names no raw samples, which the merge judges: keep them (the gate writes them beside --json)", s.name())
	}
	for i, f := range []struct {
		file string
		side *gate.Side
	}{{s.rep.Samples.Base, base}, {s.rep.Samples.Head, head}} {
		path := f.file
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(s.path), filepath.FromSlash(path))
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s: raw samples: %w", s.name(), err)
		}
		if err := f.side.Read(bytes.NewReader(data), path); err != nil {
			return fmt.Errorf("%s: %w", s.name(), err)
		}
		raw[i].Write(data)
	}
	return nil
}

// writeSamples keeps the merged raw samples, so the merged report can be
// judged again (perfslo comment, perfslo compare) like any other.
func writeSamples(in MergeInput, raw [2]bytes.Buffer, out *gate.Report) error {
	dir := in.SamplesDir
	if dir == "" {
		if in.ReportPath == "" {
			return nil
		}
		dir = strings.TrimSuffix(in.ReportPath, filepath.Ext(in.ReportPath)) + ".samples"
	}
	files := &gate.Samples{Base: filepath.Join(dir, "base.txt"), Head: filepath.Join(dir, "head.txt")}
	for i, p := range []string{files.Base, files.Head} {
		if err := atomicfile.WriteBytes(p, raw[i].Bytes()); err != nil {
			return err
		}
	}
	if in.ReportPath != "" {
		for _, p := range []*string{&files.Base, &files.Head} {
			if rel, err := filepath.Rel(filepath.Dir(in.ReportPath), *p); err == nil && !strings.HasPrefix(rel, "..") {
				*p = filepath.ToSlash(rel)
			}
		}
	}
	out.Samples = files
	return nil
}
