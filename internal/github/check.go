package github

import (
	"context"
	"fmt"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/perfslo/perfslo/gate"
)

// Check-run limits GitHub enforces.
const (
	// annotationsPerRequest is the most annotations one create or update
	// may carry; more are appended by further updates.
	annotationsPerRequest = 50
	// checkSummaryMax is the longest output.summary (characters).
	checkSummaryMax = 65535
	// annotationTitleMax is the longest annotation title.
	annotationTitleMax = 255
)

// Conclusion is the check run's conclusion for r: failure when the gate
// failed, neutral when it passed without judging everything (or judged
// nothing), success otherwise.
func Conclusion(r *gate.Report) string {
	switch {
	case r.Verdict() == gate.Fail:
		return "failure"
	case r.Unmeasurable() > 0 || len(r.Results) == 0:
		return "neutral"
	}
	for i := range r.Results {
		if r.Results[i].Verdict == gate.Unmeasurable {
			return "neutral"
		}
	}
	return "success"
}

// CheckRun is a check run to publish.
type CheckRun struct {
	Name       string
	HeadSHA    string
	Conclusion string
	Title      string
	// Summary is markdown, capped at GitHub's 65,535 characters.
	Summary     string
	Annotations []*gh.CheckRunAnnotation
	// ExternalID ties the run to the gate that made it.
	ExternalID string
}

// PublishCheckRun creates the check run, completed, with the first 50
// annotations, and appends the rest 50 at a time with updates (GitHub's
// limit per request). It returns the created run.
func (c *Client) PublishCheckRun(ctx context.Context, run CheckRun) (*gh.CheckRun, error) {
	what := fmt.Sprintf("create the check run %q on %s", run.Name, shortSHA(run.HeadSHA))
	first, rest := splitAnnotations(run.Annotations)
	now := gh.Timestamp{Time: c.retry.Now().UTC().Truncate(time.Second)}
	out := func(a []*gh.CheckRunAnnotation) *gh.CheckRunOutput {
		return &gh.CheckRunOutput{Title: gh.String(run.Title), Summary: gh.String(run.Summary), Annotations: a}
	}
	opts := gh.CreateCheckRunOptions{
		Name:        run.Name,
		HeadSHA:     run.HeadSHA,
		Status:      gh.String("completed"),
		Conclusion:  gh.String(run.Conclusion),
		CompletedAt: &now,
		Output:      out(first),
	}
	if run.ExternalID != "" {
		opts.ExternalID = gh.String(run.ExternalID)
	}
	cr, _, err := c.gh.Checks.CreateCheckRun(ctx, c.owner, c.repo, opts)
	if err != nil {
		return nil, c.explain(err, what, permCheck, c.retry.Now())
	}
	for len(rest) > 0 {
		var batch []*gh.CheckRunAnnotation
		batch, rest = splitAnnotations(rest)
		_, _, err := c.gh.Checks.UpdateCheckRun(ctx, c.owner, c.repo, cr.GetID(), gh.UpdateCheckRunOptions{
			Name:   run.Name,
			Output: out(batch),
		})
		if err != nil {
			return cr, c.explain(err, fmt.Sprintf("add annotations to check run %d", cr.GetID()), permCheck, c.retry.Now())
		}
	}
	return cr, nil
}

func splitAnnotations(a []*gh.CheckRunAnnotation) (first, rest []*gh.CheckRunAnnotation) {
	if len(a) <= annotationsPerRequest {
		return a, nil
	}
	return a[:annotationsPerRequest], a[annotationsPerRequest:]
}

// Annotations places a note at each failing or unjudged row's benchmark
// function: a failure for a regression or violation, a warning for a row
// that could not be judged. locate finds a row's source; rows it cannot
// place are returned as unplaced, for the caller to mention.
func Annotations(r *gate.Report, locate func(*gate.Row) (gate.Location, bool)) (notes []*gh.CheckRunAnnotation, unplaced []string) {
	for i := range r.Results {
		row := &r.Results[i]
		level := ""
		switch row.Verdict {
		case gate.Regression, gate.Violation:
			level = "failure"
		case gate.Unmeasurable:
			level = "warning"
		default:
			continue
		}
		loc, ok := locate(row)
		if !ok {
			unplaced = append(unplaced, row.Benchmark)
			continue
		}
		title := fmt.Sprintf("%s: %s in %s", row.Benchmark, row.Verdict, row.Unit)
		if row.Function != "" {
			title = fmt.Sprintf("%s: %s of %s in %s", row.Benchmark, row.Verdict, row.Function, row.Unit)
		}
		notes = append(notes, &gh.CheckRunAnnotation{
			Path:            gh.String(loc.File),
			StartLine:       gh.Int(loc.Line),
			EndLine:         gh.Int(loc.Line),
			AnnotationLevel: gh.String(level),
			Title:           gh.String(truncate(title, annotationTitleMax-1)),
			Message:         gh.String(annotationMessage(row)),
		})
	}
	return notes, unplaced
}

// annotationMessage says in plain text what the row's table line says.
func annotationMessage(row *gate.Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", row.Package, row.Benchmark)
	if row.Function != "" {
		fmt.Fprintf(&b, " (%s)", row.Function)
	}
	fmt.Fprintf(&b, ", %s: ", row.Unit)
	if row.Base != nil && row.Head != nil {
		fmt.Fprintf(&b, "%s → %s", gate.FormatStat(row.Base, row.Unit), gate.FormatStat(row.Head, row.Unit))
		if d := gate.FormatDelta(row); d != "" {
			fmt.Fprintf(&b, " (%s", d)
			if p := gate.FormatP(row); p != "" {
				fmt.Fprintf(&b, ", %s", p)
			}
			b.WriteString(")")
		}
	} else if row.Head != nil {
		b.WriteString(gate.FormatStat(row.Head, row.Unit))
	}
	if row.Budget != nil {
		fmt.Fprintf(&b, "\nRAER budget: %s", gate.FormatHeadroom(row.Budget, row.Unit))
		if row.Budget.Expr != "" {
			fmt.Fprintf(&b, " = %s", row.Budget.Expr)
		}
		if row.Budget.Config != "" {
			fmt.Fprintf(&b, " (%s)", row.Budget.Config)
		}
	}
	for _, r := range row.Reasons {
		b.WriteString("\n" + r)
	}
	for _, w := range row.Warnings {
		b.WriteString("\nwarning: " + w)
	}
	if a := row.Attribution; a != nil {
		if a.LikelyLayout {
			b.WriteString("\nno changed code on this path: likely code layout")
		}
		for i, f := range a.Functions {
			if i == 3 {
				break
			}
			fmt.Fprintf(&b, "\n%s: %+.4g %s (%.0f%% of the change)", f.Function, f.Flat, a.Unit, 100*f.Share)
		}
		if a.Command != "" {
			b.WriteString("\n" + a.Command)
		}
	}
	return b.String()
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
