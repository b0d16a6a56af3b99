package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

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
	r, err := LoadReport(cfg.ReportPath)
	if err != nil {
		return err
	}
	// Everything posted or printed is rendered from the report: mask any
	// credential in it once, here (a warning that quotes a server's error).
	redact.Strings(r, secrets...)
	if p := getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if err := AppendStepSummary(p, SummaryMarkdown(r, cfg.Name)); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "perfslo comment: job summary appended to %s\n", p)
	}
	if cfg.MarkdownOnly {
		_, err := io.WriteString(stdout, CommentMarkdown(r, cfg.Name))
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
	var loc *Locator
	if cfg.SourceDir != "" {
		loc = NewLocator(cfg.SourceDir)
	} else {
		loc = &Locator{}
	}
	if cfg.PathPrefix != "" {
		loc.Prefix = cfg.PathPrefix
	}
	res, err := client.Publish(ctx, Options{
		Report: r, Name: cfg.Name, Event: ev, Locator: loc,
		NoComment: cfg.NoComment, NoCheck: cfg.NoCheck,
	})
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
			fmt.Fprintf(stdout, "check run: %s (%s, %d annotations) %s\n", CommentTitle(cfg.Name), Conclusion(r), res.Annotations, res.CheckRun.GetHTMLURL())
		}
	}
	return err
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
