package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/perfslo/perfslo/internal/redact"
)

// publicAPI is the API root of github.com; any other GITHUB_API_URL is a
// GitHub Enterprise Server.
const publicAPI = "https://api.github.com"

// Config says which repository to talk to and how.
type Config struct {
	// Token authenticates every call (GITHUB_TOKEN).
	Token string
	// APIURL is GITHUB_API_URL; empty means github.com.
	APIURL string
	// Repository is "owner/name" (GITHUB_REPOSITORY).
	Repository string
	// HTTPClient carries the requests; nil means http.DefaultTransport.
	HTTPClient *http.Client
	// Retry shapes the waits; zero fields take defaults.
	Retry RetryPolicy
	// Author is the login the token writes comments as. Empty asks GitHub
	// (GET /user); a token that cannot ask, an installation token such as
	// GITHUB_TOKEN, is taken as ActionsBot. A GitHub App's installation
	// token must set it ("my-app[bot]"), or its old comment is not found.
	Author string
}

// Client is a go-github client for one repository, with retries and errors
// that explain themselves.
type Client struct {
	gh          *gh.Client
	owner, repo string
	token       string
	retry       RetryPolicy
	author      string // learned once, by Author
}

// NewClient returns a client for cfg.Repository.
func NewClient(cfg Config) (*Client, error) {
	owner, repo, ok := strings.Cut(cfg.Repository, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("repository %q: want owner/name (GITHUB_REPOSITORY)", cfg.Repository)
	}
	if cfg.Token == "" {
		return nil, errors.New("no token: set GITHUB_TOKEN (in a workflow: env: GITHUB_TOKEN: ${{ github.token }})")
	}
	policy := cfg.Retry.withDefaults()
	base := http.DefaultTransport
	timeout := time.Duration(0)
	if cfg.HTTPClient != nil {
		if cfg.HTTPClient.Transport != nil {
			base = cfg.HTTPClient.Transport
		}
		timeout = cfg.HTTPClient.Timeout
	}
	hc := &http.Client{Transport: &retryTransport{base: base, policy: policy}, Timeout: timeout}
	c := gh.NewClient(hc).WithAuthToken(cfg.Token)
	if api := strings.TrimRight(cfg.APIURL, "/"); api != "" && api != publicAPI {
		var err error
		// GitHub Enterprise Server: uploads are not used, the base serves both.
		c, err = c.WithEnterpriseURLs(api, api)
		if err != nil {
			return nil, fmt.Errorf("GITHUB_API_URL %q: %v", cfg.APIURL, err)
		}
	}
	return &Client{gh: c, owner: owner, repo: repo, token: cfg.Token, retry: policy, author: cfg.Author}, nil
}

// scrub removes the token, and every other credential redact knows the
// shape of, from err's text. go-github never puts the token in a URL or
// message, but an error may quote a server's reply or a proxy's, and the
// token must not reach a log through either.
func (c *Client) scrub(err error) error {
	return redact.Error(err, c.token)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
