package github

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/perfslo/perfslo/gate"
)

// CommentMax is GitHub's limit on a comment body (characters).
const CommentMax = 65536

// Options says what to publish and where.
type Options struct {
	Report *gate.Report
	// Name is the gate's name: one comment and one check run per name, so
	// a monorepo's gates do not overwrite each other. "" is "default".
	Name string
	// Event is the triggering event (ReadEvent).
	Event *Event
	// Locator places rows for annotations; nil places only rows whose
	// report carries a source location.
	Locator *Locator
	// NoComment and NoCheck skip one of the two.
	NoComment, NoCheck bool
	// Notes follow the verdict line of the comment, the check run and the
	// job summary (Judgement.Notes), and Loosened is listed after what
	// failed (Judgement.Loosened).
	Notes, Loosened []string
	// Refusal, when set, is why the report could not be judged: the
	// comment and the check run (a failure) say so instead of showing it.
	Refusal string
}

// Result is what was published.
type Result struct {
	Comment        *gh.IssueComment
	CommentCreated bool
	CheckRun       *gh.CheckRun
	Annotations    int
	// Conclusion is the check run's.
	Conclusion string
	// Warnings are things the user should know that did not stop anything.
	Warnings []string
}

// CommentTitle heads the comment and names the check run.
func CommentTitle(name string) string {
	if name == "" || name == "default" {
		return "perfslo"
	}
	return "perfslo: " + name
}

// CommentMarkdown is the comment body for r: the marker, then the report,
// capped at GitHub's comment limit.
func CommentMarkdown(r *gate.Report, name string) string {
	return commentMarkdown(r, Options{Name: name})
}

func commentMarkdown(r *gate.Report, opt Options) string {
	if opt.Refusal != "" {
		return RefusalMarkdown(Marker(opt.Name), CommentTitle(opt.Name), opt.Refusal, opt.Notes)
	}
	return gate.RenderMarkdown(r, gate.MarkdownOptions{
		MaxLen: CommentMax,
		Marker: Marker(opt.Name),
		Title:  CommentTitle(opt.Name),
		Notes:  opt.Notes,
		Lists:  loosenedList(opt.Loosened),
	})
}

// SummaryMarkdown is the job summary for r: everything, up to the summary's
// own 1 MiB limit.
func SummaryMarkdown(r *gate.Report, name string) string {
	return summaryMarkdown(r, Options{Name: name})
}

func summaryMarkdown(r *gate.Report, opt Options) string {
	if opt.Refusal != "" {
		return RefusalMarkdown("", CommentTitle(opt.Name), opt.Refusal, opt.Notes)
	}
	return gate.RenderMarkdown(r, gate.MarkdownOptions{
		MaxLen:        stepSummaryMax,
		Title:         CommentTitle(opt.Name),
		TruncatedNote: "✂️ **Truncated** at the job summary's 1 MiB limit: the report artifact (report.json) has every row.",
		Notes:         opt.Notes,
		Lists:         loosenedList(opt.Loosened),
	})
}

// LoosenedTitle heads the list of what a pull request's perfslo.yaml
// loosens.
const LoosenedTitle = "This pull request loosens perfslo.yaml (not applied here: the base branch's budgets judged it; they apply once it is merged)"

func loosenedList(items []string) []gate.MarkdownList {
	if len(items) == 0 {
		return nil
	}
	return []gate.MarkdownList{{Title: LoosenedTitle, Items: items}}
}

// RefusalMarkdown says that a report was not judged, and why (escaped:
// the reason may quote the artifact).
func RefusalMarkdown(marker, title, why string, notes []string) string {
	var b strings.Builder
	if marker != "" {
		b.WriteString(marker + "\n")
	}
	b.WriteString("### " + gate.EscapeMarkdown(title) + "\n\n")
	b.WriteString("❌ **Not judged**: " + gate.EscapeMarkdown(truncate(why, 4000)) + "\n")
	for _, n := range notes {
		b.WriteString("\n" + gate.EscapeMarkdown(n) + "\n")
	}
	return b.String()
}

// Publish posts the sticky comment and the check run for opt.Report. Both
// are attempted even when one fails; the error then joins both causes.
func (c *Client) Publish(ctx context.Context, opt Options) (*Result, error) {
	r, ev := opt.Report, opt.Event
	if r == nil || ev == nil {
		return nil, errors.New("publish: a report and an event are required")
	}
	res := &Result{}
	var errs []error

	if err := c.Resolve(ctx, ev); err != nil {
		return nil, err
	}
	if !opt.NoComment {
		if ev.PR == 0 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("no comment: the %s event names no pull request (for workflow_run, pass the PR number file with --pr-file)", ev.Name))
		} else {
			cm, created, err := c.UpsertComment(ctx, ev.PR, Marker(opt.Name), commentMarkdown(r, opt))
			if err != nil {
				errs = append(errs, err)
			}
			if created && c.author != "" && !strings.EqualFold(cm.GetUser().GetLogin(), c.author) {
				// The next run looks for the author it expects and would
				// not find this comment: say how to make it.
				res.Warnings = append(res.Warnings, fmt.Sprintf("the comment was written by %s, not %s as expected: the next run will not find it to edit; set the comment author to %s",
					cm.GetUser().GetLogin(), c.author, cm.GetUser().GetLogin()))
			}
			res.Comment, res.CommentCreated = cm, created
		}
	}
	if !opt.NoCheck {
		if ev.HeadSHA == "" {
			res.Warnings = append(res.Warnings, "no check run: the event names no head commit")
		} else {
			loc := opt.Locator
			if loc == nil {
				loc = &Locator{}
			}
			cr := CheckRun{Name: CommentTitle(opt.Name), HeadSHA: ev.HeadSHA, ExternalID: "perfslo:" + nameOrDefault(opt.Name)}
			if opt.Refusal != "" {
				cr.Conclusion, cr.Title = "failure", "Not judged: "+truncate(opt.Refusal, 120)
				cr.Summary = RefusalMarkdown("", "", opt.Refusal, opt.Notes)
			} else {
				notes, unplaced := Annotations(r, loc.Locate)
				if len(unplaced) > 0 {
					res.Warnings = append(res.Warnings, fmt.Sprintf("no annotation for %d row(s) without a source location (%s): run perfslo comment in a checkout, or let the gate record Row.source",
						len(unplaced), LogSafe(strings.Join(firstN(unplaced, 3), ", "))))
				}
				cr.Conclusion, cr.Title, cr.Annotations = Conclusion(r), checkTitle(r), notes
				cr.Summary = gate.RenderMarkdown(r, gate.MarkdownOptions{MaxLen: checkSummaryMax, Notes: opt.Notes, Lists: loosenedList(opt.Loosened)})
			}
			created, err := c.PublishCheckRun(ctx, cr)
			if err != nil {
				errs = append(errs, err)
			}
			res.CheckRun, res.Annotations, res.Conclusion = created, len(cr.Annotations), cr.Conclusion
		}
	}
	return res, c.scrub(errors.Join(errs...))
}

// Resolve makes ev safe to post on. A pull request number from the
// artifact, which its author controls, is checked against the head commit
// the run measured: perfslo posts only on the pull request the run built.
// The base commit, when the event does not name it (a fork's workflow_run),
// is taken from GitHub's copy of the pull request. Resolve asks GitHub once.
func (c *Client) Resolve(ctx context.Context, ev *Event) error {
	if ev.PR == 0 || ev.verified || (!ev.FromArtifact && ev.BaseSHA != "") {
		return nil
	}
	pr, _, err := c.gh.PullRequests.Get(ctx, c.owner, c.repo, ev.PR)
	if err != nil {
		return c.explain(err, fmt.Sprintf("read pull request #%d to check the artifact's PR number", ev.PR), permRead, c.retry.Now())
	}
	if got := pr.GetHead().GetSHA(); ev.FromArtifact && got != ev.HeadSHA {
		return fmt.Errorf("the artifact names pull request #%d, whose head is %s, but the workflow run measured %s: refusing to post (a newer push, or an artifact that lies about its PR)",
			ev.PR, shortSHA(got), shortSHA(ev.HeadSHA))
	}
	if ev.BaseSHA == "" {
		ev.BaseSHA = pr.GetBase().GetSHA()
	}
	ev.verified = true
	return nil
}

// checkTitle is the check run's one-line title.
func checkTitle(r *gate.Report) string {
	count := map[gate.RowVerdict]int{}
	for i := range r.Results {
		count[r.Results[i].Verdict]++
	}
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(count[gate.Regression], "regressed")
	add(count[gate.Violation], "over budget")
	add(len(r.Failures), "did not run")
	add(count[gate.Unmeasurable], "not judged")
	add(count[gate.Improvement], "improved")
	add(count[gate.RowPass], "passed")
	if len(parts) == 0 {
		return "no benchmarks compared"
	}
	title := strings.Join(parts, ", ")
	if Conclusion(r) == "neutral" && count[gate.Unmeasurable] > 0 {
		// Neutral needs its reason in the title: the list of checks shows
		// nothing else, and "neutral" alone reads as "fine".
		title = "Undecided, nothing failed: " + title + " (" + undecidedWhy(r) + ")"
	}
	return title
}

// undecidedWhy summarises why rows were not judged, from their reasons.
func undecidedWhy(r *gate.Report) string {
	few, noisy := 0, 0
	for i := range r.Results {
		row := &r.Results[i]
		if row.Verdict != gate.Unmeasurable {
			continue
		}
		if strings.Contains(strings.Join(row.Reasons, " "), "too few samples") {
			few++
		} else {
			noisy++
		}
	}
	switch {
	case few > 0 && noisy > 0:
		return fmt.Sprintf("%d too noisy, %d with too few samples", noisy, few)
	case few > 0:
		return "too few samples"
	}
	return "too noisy to tell within tolerance"
}

func nameOrDefault(n string) string {
	if n == "" {
		return "default"
	}
	return n
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "…")
	}
	return s
}
