package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// Marker is the hidden HTML comment that identifies a gate's comment. name
// is the gate's name; characters that could end the HTML comment are
// replaced, so no gate name can break out of it.
func Marker(name string) string {
	if name == "" {
		name = "default"
	}
	return "<!-- perfslo:gate=" + markerUnsafe.ReplaceAllString(name, "_") + " -->"
}

var markerUnsafe = regexp.MustCompile(`[^A-Za-z0-9._/:@+-]`)

// commentsPerPage is GitHub's largest page: fewest calls on long threads.
const commentsPerPage = 100

// ActionsBot is the login of the comments GitHub Actions' GITHUB_TOKEN
// writes. That token (an installation token) cannot ask GitHub who it is.
const ActionsBot = "github-actions[bot]"

// Author returns the login this client's comments are written by: the one
// given in Config.Author, else the token's owner (GET /user), else, for an
// installation token, which GET /user refuses with a 403, ActionsBot.
func (c *Client) Author(ctx context.Context) (string, error) {
	if c.author != "" {
		return c.author, nil
	}
	u, _, err := c.gh.Users.Get(ctx, "")
	var er *gh.ErrorResponse
	switch {
	case err == nil && u.GetLogin() != "":
		c.author = u.GetLogin()
	case err == nil:
		return "", errors.New("could not learn the token's identity: GitHub's answer to GET /user names no login")
	case errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden:
		// Rate limits are other error types, so this is "Resource not
		// accessible by integration": an installation token. A GitHub
		// App other than Actions' must say who it is (Config.Author).
		c.author = ActionsBot
	default:
		return "", c.explain(err, "learn the token's identity (GET /user) to find perfslo's own comment", permRead, c.retry.Now())
	}
	return c.author, nil
}

// FindComment returns the pull request's comment that starts with marker
// and was written by the token's identity (Author), searching every page;
// nil when there is none. Anyone can write a comment that starts with the
// marker; only ours is edited, so no one can make perfslo overwrite their
// comment or take over the verdict's place. When several are ours (two jobs
// raced), the oldest wins, so the comment stays where it first appeared.
func (c *Client) FindComment(ctx context.Context, pr int, marker string) (*gh.IssueComment, error) {
	author, err := c.Author(ctx)
	if err != nil {
		return nil, err
	}
	opt := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: commentsPerPage}}
	for {
		comments, resp, err := c.gh.Issues.ListComments(ctx, c.owner, c.repo, pr, opt)
		if err != nil {
			return nil, c.explain(err, fmt.Sprintf("list the comments of pull request #%d", pr), permRead, c.retry.Now())
		}
		for _, cm := range comments {
			// A comment that merely quotes the marker is a person's, not
			// ours; so is one that starts with it but has another author.
			// Logins are case-insensitive.
			if strings.HasPrefix(strings.TrimSpace(cm.GetBody()), marker) && strings.EqualFold(cm.GetUser().GetLogin(), author) {
				return cm, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opt.Page = resp.NextPage
	}
}

// UpsertComment makes body the pull request's comment for marker: it edits
// the existing one in place, or creates it. body must start with marker.
// It returns the comment and whether it was created.
func (c *Client) UpsertComment(ctx context.Context, pr int, marker, body string) (*gh.IssueComment, bool, error) {
	if !strings.HasPrefix(body, marker) {
		return nil, false, fmt.Errorf("comment body does not start with its marker %q", marker)
	}
	what := fmt.Sprintf("comment on pull request #%d", pr)
	for attempt := 1; ; attempt++ {
		old, err := c.FindComment(ctx, pr, marker)
		if err != nil {
			return nil, false, err
		}
		if old != nil {
			cm, _, err := c.gh.Issues.EditComment(ctx, c.owner, c.repo, old.GetID(), &gh.IssueComment{Body: &body})
			if err != nil {
				return nil, false, c.explain(err, fmt.Sprintf("edit comment %d on pull request #%d", old.GetID(), pr), permComment, c.retry.Now())
			}
			return cm, false, nil
		}
		// A 5xx or a timeout on create may hide a comment that was made:
		// look again before creating, rather than repeat the POST blindly.
		cm, _, err := c.gh.Issues.CreateComment(withoutRetry5xx(ctx), c.owner, c.repo, pr, &gh.IssueComment{Body: &body})
		if err == nil {
			return cm, true, nil
		}
		var er *gh.ErrorResponse
		var slow *TimeoutError
		lost := errors.As(err, &slow) || (errors.As(err, &er) && er.Response != nil && er.Response.StatusCode >= 500)
		if !lost || attempt >= c.retry.Attempts {
			return nil, false, c.explain(err, what, permComment, c.retry.Now())
		}
		if err := c.retry.Sleep(ctx, c.retry.backoff(attempt)); err != nil {
			return nil, false, err
		}
	}
}
