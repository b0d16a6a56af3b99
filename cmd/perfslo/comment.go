package main

import (
	"context"
	"time"

	"github.com/perfslo/perfslo/gate"
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
	rc := github.RunConfig{Getenv: env.getenv}
	fs.StringVar(&rc.ReportPath, "report", "report.json", "the JSON report written by perfslo gate --json")
	fs.StringVar(&rc.Name, "name", "", "the gate's name: one comment and check run per name (monorepos)")
	fs.StringVar(&rc.PRFile, "pr-file", "", "file holding the pull request number, for workflow_run events (default: "+github.PRNumberFile+" beside the report)")
	fs.StringVar(&rc.SourceDir, "source-dir", ".", "the module's source, to place annotations at benchmark functions (\"\" to skip)")
	fs.StringVar(&rc.PathPrefix, "path-prefix", "", "the module's directory inside the repository (default: found from .git)")
	fs.BoolVar(&rc.MarkdownOnly, "markdown-only", false, "print the comment's markdown and write the job summary; no API calls")
	fs.BoolVar(&rc.NoComment, "no-comment", false, "do not post the pull request comment")
	fs.BoolVar(&rc.NoCheck, "no-check", false, "do not create the check run")
	fs.DurationVar(&rc.Retry.MaxRateWait, "max-rate-wait", time.Minute, "the longest wait for a GitHub rate limit to reset before giving up")
	fs.StringVar(&rc.ConfigPath, "config", "perfslo.yaml", "perfslo.yaml's `path` in the repository: read at the base commit, its budgets judge the report's raw samples (workflow_run, or with --base-sha)")
	fs.StringVar(&rc.BaseSHA, "base-sha", "", "the `commit` whose budgets judge the raw samples (default on workflow_run: the pull request's base)")
	fs.BoolVar(&rc.AllowRemoved, "allow-removed", false, "when judging, accept benchmarks the head no longer ran")
	if err := parseNoneHint(fs, args, "the report is --report F"); err != nil {
		return gate.ExitUndecided, err
	}
	rc.ReportPath, rc.PRFile, rc.SourceDir = resolve(env, rc.ReportPath), resolve(env, rc.PRFile), resolve(env, rc.SourceDir)
	return gate.ExitPass, github.Run(ctx, rc, env.stdout, env.stderr)
}
