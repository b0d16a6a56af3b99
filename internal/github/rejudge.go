package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

// In the pull_request + workflow_run pattern the report's verdict is the
// pull request's word: its code wrote report.json, and its perfslo.yaml set
// the budgets. The posting job therefore takes only the raw samples from the
// artifact and judges them again, with the base commit's perfslo.yaml. It
// cannot tell whether the samples are true (the same code took them): that
// is what "self-reported" says on the check run.

// MaxSamplesSize caps each raw-samples file read from an artifact. Ten
// thousand rows of ten samples are a few MiB of benchfmt text.
const MaxSamplesSize = 64 << 20

// ErrNoSamples is the refusal when a report names no raw samples: without
// them the verdict would be the report's own word.
var ErrNoSamples = errors.New("the report names no raw samples (samples: {base, head}), so its verdict cannot be checked: perfslo comment judges the samples, not the report's word. " +
	"Write the report with a perfslo gate that keeps them (perfslo gate --json DIR/report.json writes DIR/report.samples/) and upload the whole directory")

// Rejudge judges the raw samples that report r names again, with cfg: every
// row is recomputed by gate.Compare (nothing of r's rows is kept but
// their source locations and profile attributions, which explain and do not
// decide), the budgets that match no benchmark and the benchmarks the head
// no longer ran fail as the gate fails them, and the benchmark failures r
// lists (builds, panics) are kept, since samples cannot show them. Function
// budgets are judged from profiles, which this does not read: r's function
// rows are kept, with a warning that they were not judged again.
//
// dir is the directory r was read from; the sample files must lie inside it
// and are read with ReadArtifactFile's checks and MaxSamplesSize.
func Rejudge(r *gate.Report, dir string, cfg *budgets.Config, allowRemoved bool) (*gate.Report, error) {
	if len(r.Results) == 0 && len(r.Failures) == 0 && len(r.Skipped) > 0 {
		// The run skipped every package (--affected, or an empty shard):
		// there are no samples to judge, and its verdict says just that.
		out := *r
		return &out, nil
	}
	if r.Samples == nil || r.Samples.Base == "" || r.Samples.Head == "" {
		return nil, ErrNoSamples
	}
	a := &Artifact{Dir: dir}
	var sides [2]*gate.Side
	for i, s := range []struct {
		name string
		src  gate.Source
	}{{r.Samples.Base, r.Base}, {r.Samples.Head, r.Head}} {
		data, err := ReadArtifactFile(a, s.name, MaxSamplesSize)
		if err != nil {
			return nil, fmt.Errorf("raw samples: %v", err)
		}
		side, err := gate.ReadSide(s.src, bytes.NewReader(data), filepath.Join(dir, filepath.FromSlash(s.name)))
		if err != nil {
			return nil, fmt.Errorf("raw samples: %v", err)
		}
		sides[i] = side
	}
	if err := gate.SameUnits(sides[0], sides[1]); err != nil {
		return nil, fmt.Errorf("raw samples: %v", err)
	}
	settings := r.Settings
	settings.Config = cfg.File
	if settings.Config == "" {
		settings.Config = "no perfslo.yaml: defaults"
	}
	out := gate.Compare(sides[0], sides[1], gate.Options{Config: cfg, Now: r.Created, Settings: settings})
	out.Samples = r.Samples
	// What the run left out is the run's to say: the samples hold none of it.
	out.Selection, out.Skipped, out.Shard, out.Shards, out.Durations = r.Selection, r.Skipped, r.Shard, r.Shards, r.Durations

	type key struct{ pkg, bench, unit string }
	old := map[key]*gate.Row{}
	var funcRows []gate.Row
	for i := range r.Results {
		row := &r.Results[i]
		if row.Function != "" {
			funcRows = append(funcRows, *row)
			continue
		}
		old[key{row.Package, row.Benchmark, row.Unit}] = row
	}
	for i := range out.Results {
		row := &out.Results[i]
		if o := old[key{row.Package, row.Benchmark, row.Unit}]; o != nil {
			row.Source = o.Source
			if row.Verdict == gate.Regression || row.Verdict == gate.Violation {
				row.Attribution = o.Attribution
			}
		}
	}
	if len(funcRows) > 0 {
		out.Results = append(out.Results, funcRows...)
		out.Warnings = append(out.Warnings, fmt.Sprintf("%d function budget row(s) are the measuring job's, not judged again: they come from profiles, which perfslo comment does not read", len(funcRows)))
	}
	for _, f := range r.Failures {
		switch f.Kind {
		case gate.FailureBudget, gate.FailureNoResults, gate.FailureRemoved:
			// judged again below
		default:
			out.Failures = append(out.Failures, f)
		}
	}
	out.Failures = append(out.Failures, gate.UnmatchedFailures(cfg, out)...)
	out.Failures = append(out.Failures, gate.Vanished(out, allowRemoved)...)
	for _, w := range r.Warnings {
		out.Warnings = append(out.Warnings, "measuring job: "+w)
	}
	if r.History != nil || len(r.Napkin) > 0 {
		// The history (creep, burn) and napkin rows came from the store and
		// floors the measuring job read, which this job does not: shown as
		// the measuring job's, and a burn.fail verdict is not applied again.
		out.History, out.Napkin = r.History, r.Napkin
		out.Warnings = append(out.Warnings, "the history and napkin findings are the measuring job's, not judged again: they come from its baseline store and machine")
	}
	return out, nil
}

// Changed lists the rows whose verdict the samples do not bear out, as
// "name unit: the report said X, the samples say Y", at most n of them (and
// a count of the rest).
func Changed(report, judged *gate.Report, n int) []string {
	type key struct{ pkg, bench, unit, fn string }
	said := map[key]gate.RowVerdict{}
	for _, row := range report.Results {
		said[key{row.Package, row.Benchmark, row.Unit, row.Function}] = row.Verdict
	}
	var out []string
	more := 0
	for _, row := range judged.Results {
		v, ok := said[key{row.Package, row.Benchmark, row.Unit, row.Function}]
		if ok && v == row.Verdict {
			continue
		}
		if len(out) == n {
			more++
			continue
		}
		was := "nothing"
		if ok {
			was = string(v)
		}
		out = append(out, fmt.Sprintf("%s %s: the report said %s, the samples say %s", row.Benchmark, row.Unit, was, row.Verdict))
	}
	if more > 0 {
		out = append(out, fmt.Sprintf("and %d more", more))
	}
	return out
}

// JudgeInput is what Client.Judge needs.
type JudgeInput struct {
	// Report is the artifact's report and Dir the directory it was read
	// from (its samples lie below it).
	Report *gate.Report
	Dir    string
	// ConfigPath is perfslo.yaml's path in the repository.
	ConfigPath string
	// BaseSHA is the commit whose ConfigPath judges; HeadSHA the pull
	// request's head, whose ConfigPath is compared with it.
	BaseSHA, HeadSHA string
	// AllowRemoved accepts benchmarks the head no longer ran.
	AllowRemoved bool
}

// Judgement is what is posted: the report judged again, and what the
// reader must know about it.
type Judgement struct {
	// Report is the judged report; nil when Refusal is set.
	Report *gate.Report
	// Notes follow the verdict line (who measured, who judged, a verdict
	// the samples do not bear out).
	Notes []string
	// Loosened lists what the pull request's perfslo.yaml loosens.
	Loosened []string
}

// MaxLoosened caps the loosenings listed: a pull request writes them.
const MaxLoosened = 50

// SelfReportedNote is the sentence on every check run and comment whose
// measurements the pull request's own code took.
const SelfReportedNote = "⚠️ Self-reported: the pull request's own code took these measurements (a fork, or a workflow_run artifact). " +
	"perfslo judged its raw samples again with the base branch's budgets, but cannot tell whether the samples are true: read the code."

// Judge reads the base commit's perfslo.yaml and judges in.Report's raw
// samples with it (Rejudge), and compares the head's perfslo.yaml with it
// (budgets.Loosened). An error means the report could not be judged: the
// caller must not post it as judged.
func (c *Client) Judge(ctx context.Context, in JudgeInput) (*Judgement, error) {
	cfg, found, err := c.ConfigAt(ctx, in.ConfigPath, in.BaseSHA)
	if err != nil {
		return nil, fmt.Errorf("the base commit's budgets: %v", err)
	}
	judged, err := Rejudge(in.Report, in.Dir, cfg, in.AllowRemoved)
	if err != nil {
		return nil, err
	}
	j := &Judgement{Report: judged}
	rules := in.ConfigPath + " of the base commit " + shortSHA(in.BaseSHA)
	if !found {
		rules = "the default budgets (the base commit " + shortSHA(in.BaseSHA) + " has no " + in.ConfigPath + ")"
	}
	j.Notes = append(j.Notes, "Judged here from the raw samples in the artifact with "+rules+": the pull request's own budgets do not count.")
	if was, now := in.Report.Verdict(), judged.Verdict(); Conclusion(in.Report) != Conclusion(judged) {
		changed := Changed(in.Report, judged, 5)
		j.Notes = append(j.Notes, fmt.Sprintf("⚠️ The measuring job's report says %s (%s); its raw samples, judged with the base's budgets, say %s (%s). This shows the samples' verdict: %s.",
			was, Conclusion(in.Report), now, Conclusion(judged), strings.Join(changed, "; ")))
	}
	if in.HeadSHA != "" && in.HeadSHA != in.BaseSHA {
		head, _, err := c.ConfigAt(ctx, in.ConfigPath, in.HeadSHA)
		if err != nil {
			j.Notes = append(j.Notes, fmt.Sprintf("The head's %s could not be read, so what it loosens is not listed: %v", in.ConfigPath, err))
		} else if j.Loosened = budgets.Loosened(cfg, head); len(j.Loosened) > MaxLoosened {
			j.Loosened = append(j.Loosened[:MaxLoosened:MaxLoosened], fmt.Sprintf("and %d more", len(j.Loosened)-MaxLoosened))
		}
	}
	return j, nil
}
