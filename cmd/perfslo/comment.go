package main

import (
	"context"
	"fmt"
	"github.com/perfslo/perfslo/gate"
	"time"

	"github.com/perfslo/perfslo/internal/github"
)

func init() {
	register(command{
		name:    "comment",
		summary: "post the report as a sticky PR comment, a check run and the job summary",
		run:     runComment,
	})
}

func runComment(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("comment", "comment --report report.json [--name GATE] [--pr-file F] [--config perfslo.yaml] [--base-sha SHA] [--markdown-only]", env.stderr)
	report := fs.String("report", "report.json", "the JSON report written by perfslo gate --json")
	name := fs.String("name", "", "the gate's name: one comment and check run per name (monorepos)")
	prFile := fs.String("pr-file", "", "file holding the pull request number, for workflow_run events (default: "+github.PRNumberFile+" beside the report)")
	source := fs.String("source-dir", ".", "the module's source, to place annotations at benchmark functions (\"\" to skip)")
	prefix := fs.String("path-prefix", "", "the module's directory inside the repository (default: found from .git)")
	markdownOnly := fs.Bool("markdown-only", false, "print the comment's markdown and write the job summary; no API calls")
	noComment := fs.Bool("no-comment", false, "do not post the pull request comment")
	noCheck := fs.Bool("no-check", false, "do not create the check run")
	maxWait := fs.Duration("max-rate-wait", time.Minute, "the longest wait for a GitHub rate limit to reset before giving up")
	config := fs.String("config", "perfslo.yaml", "perfslo.yaml's `path` in the repository: read at the base commit, its budgets judge the report's raw samples (workflow_run, or with --base-sha)")
	baseSHA := fs.String("base-sha", "", "the `commit` whose budgets judge the raw samples (default on workflow_run: the pull request's base)")
	allowRemoved := fs.Bool("allow-removed", false, "when judging, accept benchmarks the head no longer ran")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return gate.ExitUndecided, err
	}
	if len(pos) > 0 {
		return gate.ExitUndecided, fmt.Errorf("unexpected argument %q (the report is --report F)", pos[0])
	}
	err = github.Run(ctx, github.RunConfig{
		ReportPath:   resolve(env, *report),
		Name:         *name,
		PRFile:       resolve(env, *prFile),
		SourceDir:    resolve(env, *source),
		PathPrefix:   *prefix,
		MarkdownOnly: *markdownOnly, NoComment: *noComment, NoCheck: *noCheck,
		ConfigPath: *config, BaseSHA: *baseSHA, AllowRemoved: *allowRemoved,
		Getenv: env.getenv,
		Retry:  github.RetryPolicy{MaxRateWait: *maxWait},
	}, env.stdout, env.stderr)
	if err != nil {
		return gate.ExitUndecided, err
	}
	return gate.ExitPass, nil
}
