package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/redact"
)

// RunConfig is `perfslo comment`: where the report is, and the workflow's
// environment.
type RunConfig struct {
	// ReportPath is the JSON report (perfslo gate --json).
	ReportPath string
	// Name is the gate's name (one comment and check run per name).
	Name string
	// PRFile holds the pull request number for workflow_run events; empty
	// means "pr_number" beside the report, when it exists.
	PRFile string
	// SourceDir is where the module's source is, to place annotations when
	// the report has no source locations ("" skips that search).
	SourceDir string
	// PathPrefix, when set, overrides the module's path in the repository.
	PathPrefix string
	// MarkdownOnly prints the comment markdown and writes the job summary,
	// with no API call: for a token without write access, or a look first.
	MarkdownOnly bool
	// NoComment and NoCheck skip one of the two.
	NoComment, NoCheck bool
	// Author is the login the token writes comments as (Config.Author);
	// empty asks GitHub.
	Author string
	// BaseSHA, when set, is the commit whose budgets judge the report's raw
	// samples; on workflow_run events it defaults to the pull request's
	// base. Other events post the report as measured unless it is set.
	BaseSHA string
	// ConfigPath is perfslo.yaml's path in the repository, read at the
	// base and head commits; empty means "perfslo.yaml".
	ConfigPath string
	// AllowRemoved accepts benchmarks the head no longer ran when judging.
	AllowRemoved bool

	// Getenv reads the Actions environment (GITHUB_TOKEN, ...).
	Getenv func(string) string
	// HTTPClient and Retry are for tests; zero values are production's.
	HTTPClient *http.Client
	Retry      RetryPolicy
}

// PRNumberFile is the artifact file, beside report.json, that carries the
// pull request number from the measuring workflow to the commenting one.
const PRNumberFile = "pr_number"

// Run publishes the report: job summary, sticky comment, check run. It
// prints what it did to stdout and warnings to stderr; the token never
// reaches either, nor the returned error.
func Run(ctx context.Context, cfg RunConfig, stdout, stderr io.Writer) error {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	secrets := []string{getenv("GITHUB_TOKEN")}
	if cfg.Getenv == nil {
		secrets = append(secrets, redact.EnvSecrets(os.Environ())...)
	}
	// Nothing this prints may be read as a workflow command: the report is
	// a pull request's text.
	out, errOut := &commandSafe{w: stdout}, &commandSafe{w: stderr}
	err := run(ctx, cfg, getenv, secrets, out, errOut)
	out.Close()
	errOut.Close()
	return redact.Error(err, secrets...)
}

func run(ctx context.Context, cfg RunConfig, getenv func(string) string, secrets []string, stdout, stderr io.Writer) error {
	if cfg.MarkdownOnly {
		// No API call, so no base commit's budgets: the report as measured.
		r, err := LoadReport(cfg.ReportPath)
		if err != nil {
			return err
		}
		redact.Strings(r, secrets...)
		if err := writeSummary(getenv, SummaryMarkdown(r, cfg.Name), stderr); err != nil {
			return err
		}
		_, err = io.WriteString(stdout, CommentMarkdown(r, cfg.Name))
		return err
	}

	evPath := getenv("GITHUB_EVENT_PATH")
	if evPath == "" {
		return errors.New("GITHUB_EVENT_PATH is not set: perfslo comment runs in a GitHub Actions job (or use --markdown-only)")
	}
	prFile := cfg.PRFile
	if prFile == "" {
		if p := filepath.Join(filepath.Dir(cfg.ReportPath), PRNumberFile); fileExists(p) {
			prFile = p
		}
	}
	ev, err := ReadEvent(evPath, getenv("GITHUB_EVENT_NAME"), prFile)
	if err != nil {
		return err
	}
	if ev.HeadSHA == "" {
		ev.HeadSHA = getenv("GITHUB_SHA")
	}
	if cfg.BaseSHA != "" {
		ev.BaseSHA = cfg.BaseSHA
	}
	// On workflow_run the report crossed from the pull request's run:
	// read its whole directory as the artifact it is.
	var r *gate.Report
	if ev.Name == "workflow_run" && filepath.Base(cfg.ReportPath) == ReportFile {
		var a *Artifact
		if a, err = ReadArtifact(filepath.Dir(cfg.ReportPath), ArtifactLimits{}); err == nil {
			r = a.Report
		}
	} else {
		r, err = LoadReport(cfg.ReportPath)
	}
	if err != nil {
		return err
	}
	// Everything posted or printed is rendered from the report: mask any
	// credential in it once, here (a warning that quotes a server's error).
	redact.Strings(r, secrets...)
	if ev.Name == "workflow_run" && ev.PR == 0 && !cfg.NoComment {
		return fmt.Errorf("the workflow_run event lists no pull request (always so for forks) and no PR number file was found: pass --pr-file, or upload %q beside report.json in the measuring workflow", PRNumberFile)
	}
	client, err := NewClient(Config{
		Token:      getenv("GITHUB_TOKEN"),
		APIURL:     getenv("GITHUB_API_URL"),
		Repository: getenv("GITHUB_REPOSITORY"),
		HTTPClient: cfg.HTTPClient,
		Retry:      cfg.Retry,
		Author:     cfg.Author,
	})
	if err != nil {
		return err
	}
	if err := client.Resolve(ctx, ev); err != nil {
		return err
	}
	opt := Options{Report: r, Name: cfg.Name, Event: ev, NoComment: cfg.NoComment, NoCheck: cfg.NoCheck}
	if ev.SelfReported {
		opt.Notes = []string{SelfReportedNote}
	}
	var refused error
	if ev.Name == "workflow_run" || cfg.BaseSHA != "" {
		if refused = judge(ctx, client, cfg, ev, &opt); refused != nil {
			refused = redact.Error(refused, secrets...)
			opt.Refusal = refused.Error()
			fmt.Fprintf(stderr, "perfslo comment: not judged: %s\n", LogSafe(opt.Refusal))
		}
		redact.Strings(opt.Report, secrets...)
	}
	for i := range opt.Notes {
		opt.Notes[i] = redact.String(opt.Notes[i], secrets...)
	}
	for i := range opt.Loosened {
		opt.Loosened[i] = redact.String(opt.Loosened[i], secrets...)
	}
	if err := writeSummary(getenv, summaryMarkdown(opt.Report, opt), stderr); err != nil {
		return err
	}
	if cfg.SourceDir != "" {
		opt.Locator = NewLocator(cfg.SourceDir)
	} else {
		opt.Locator = &Locator{}
	}
	if cfg.PathPrefix != "" {
		opt.Locator.Prefix = cfg.PathPrefix
	}
	res, err := client.Publish(ctx, opt)
	if res != nil {
		for _, w := range res.Warnings {
			fmt.Fprintln(stderr, "perfslo comment: warning:", redact.String(w, secrets...))
		}
		if res.Comment != nil {
			verb := "updated"
			if res.CommentCreated {
				verb = "created"
			}
			fmt.Fprintf(stdout, "comment: %s %s\n", verb, res.Comment.GetHTMLURL())
		}
		if res.CheckRun != nil {
			fmt.Fprintf(stdout, "check run: %s (%s, %d annotations) %s\n", CommentTitle(cfg.Name), res.Conclusion, res.Annotations, res.CheckRun.GetHTMLURL())
		}
	}
	if refused != nil {
		// Posted as not judged; the job fails too, so nobody reads a
		// green run as a pass.
		return errors.Join(fmt.Errorf("not judged: %w", refused), err)
	}
	return err
}

// judge replaces opt.Report with the report judged again from its raw
// samples under the base commit's budgets, and adds what the reader must
// know; an error is why it could not be judged.
func judge(ctx context.Context, client *Client, cfg RunConfig, ev *Event, opt *Options) error {
	if ev.BaseSHA == "" {
		return errors.New("the base commit is unknown (the event names no pull request base): pass --base-sha")
	}
	path := cfg.ConfigPath
	if path == "" {
		path = "perfslo.yaml"
	}
	j, err := client.Judge(ctx, JudgeInput{
		Report: opt.Report, Dir: filepath.Dir(cfg.ReportPath), ConfigPath: path,
		BaseSHA: ev.BaseSHA, HeadSHA: ev.HeadSHA, AllowRemoved: cfg.AllowRemoved,
	})
	if err != nil {
		return err
	}
	opt.Report, opt.Loosened = j.Report, j.Loosened
	opt.Notes = append(opt.Notes, j.Notes...)
	return nil
}

func writeSummary(getenv func(string) string, markdown string, stderr io.Writer) error {
	p := getenv("GITHUB_STEP_SUMMARY")
	if p == "" {
		return nil
	}
	if err := AppendStepSummary(p, markdown); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "perfslo comment: job summary appended to %s\n", p)
	return nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
