package github

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// Permissions a workflow must grant for each thing perfslo posts.
const (
	permComment = "pull-requests: write"
	permCheck   = "checks: write"
	permRead    = "pull-requests: read"
)

// forkAdvice is what a 403 on a pull request most often means.
const forkAdvice = "pull requests from forks always get a read-only GITHUB_TOKEN: run the gate on pull_request, " +
	"upload report.json and the PR number as an artifact, and post with `perfslo comment` from a workflow_run " +
	"workflow (see .github/workflows/perfslo-comment.yml)"

// explain turns an API error into one that says what failed and what to do.
// what names the action ("create the PR comment"), perm the permission it needs.
func (c *Client) explain(err error, what, perm string, now time.Time) error {
	if err == nil {
		return nil
	}
	var rate *gh.RateLimitError
	var abuse *gh.AbuseRateLimitError
	var er *gh.ErrorResponse
	var slow *TimeoutError
	switch {
	case errors.As(err, &slow):
		return c.scrub(fmt.Errorf("could not %s: GitHub did not answer %s %s within %s (%d attempt(s)): check GITHUB_API_URL and the runner's network, or re-run the job",
			what, slow.Method, slow.Path, slow.After, slow.Attempts))
	case errors.As(err, &rate):
		reset := rate.Rate.Reset.Time
		return c.scrub(fmt.Errorf("could not %s: GitHub's API rate limit (%d requests/hour) is used up until %s (in %s), longer than the %s perfslo waits; re-run the job after the reset",
			what, rate.Rate.Limit, reset.UTC().Format(time.RFC3339), reset.Sub(now).Round(time.Second), c.retry.MaxRateWait))
	case errors.As(err, &abuse):
		return c.scrub(fmt.Errorf("could not %s: GitHub's secondary rate limit persisted after %d attempts (%s); re-run the job in a few minutes",
			what, c.retry.Attempts, abuse.Message))
	case errors.As(err, &er) && er.Response != nil:
		code := er.Response.StatusCode
		switch {
		case code == http.StatusUnauthorized:
			return c.scrub(fmt.Errorf("could not %s: GitHub rejected the token (401 %s): is GITHUB_TOKEN set to a valid token?", what, er.Message))
		case code == http.StatusForbidden:
			return c.scrub(fmt.Errorf("could not %s: GitHub refused (403 %s): the token lacks `%s` (add it under permissions: in the workflow); %s",
				what, er.Message, perm, forkAdvice))
		case code == http.StatusNotFound:
			return c.scrub(fmt.Errorf("could not %s: GitHub answered 404 %s for %s/%s: either the repository or pull request does not exist, or the token cannot see it (needs `%s`; a private repository also needs `contents: read`)",
				what, er.Message, c.owner, c.repo, perm))
		case code >= 500:
			return c.scrub(fmt.Errorf("could not %s: GitHub kept failing (%d %s) after %d attempts; re-run the job", what, code, http.StatusText(code), c.retry.Attempts))
		}
		return c.scrub(fmt.Errorf("could not %s: %v", what, err))
	}
	return c.scrub(fmt.Errorf("could not %s: %v", what, err))
}
