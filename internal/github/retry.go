package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// RetryPolicy says how long to wait for GitHub to recover. The waits happen
// in the HTTP transport beneath go-github, so go-github's own memory of a
// rate limit never refuses a retry that the policy allowed.
type RetryPolicy struct {
	// Attempts is the most tries of one request (default 5).
	Attempts int
	// Backoff is the first wait after a 5xx; it doubles each time up to
	// MaxBackoff (defaults 1s and 30s).
	Backoff, MaxBackoff time.Duration
	// MaxRateWait is the longest single wait for a rate limit: a primary
	// limit that resets later, or a secondary one asking for more, is an
	// error instead (default 60s).
	MaxRateWait time.Duration
	// Sleep waits; tests replace it so they do not really wait.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock primary rate-limit resets are measured against.
	Now func() time.Time
	// Timeout bounds one attempt, from sending the request to the end of
	// the response's body (default 30s): a server that accepts and never
	// answers must not hold the job. GET and HEAD are tried again after a
	// timeout; others are not, since GitHub may have acted on them.
	Timeout time.Duration
}

// defaultAttemptTimeout is far beyond GitHub's usual answer (well under a
// second) and its own 10s limit for generating a response.
const defaultAttemptTimeout = 30 * time.Second

// TimeoutError says GitHub did not answer a request in time.
type TimeoutError struct {
	// Method and Path name the request ("GET /repos/o/r/issues/1/comments").
	Method, Path string
	// After is the per-attempt timeout; Attempts how many were made.
	After    time.Duration
	Attempts int
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no answer to %s %s within %s (%d attempt(s))", e.Method, e.Path, e.After, e.Attempts)
}

// Timeout marks the error as a timeout for net.Error-style checks.
func (e *TimeoutError) Timeout() bool { return true }

// secondaryDefaultWait is what GitHub asks for when a secondary rate limit
// comes without Retry-After: "wait for at least one minute".
const secondaryDefaultWait = time.Minute

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	if p.Backoff <= 0 {
		p.Backoff = time.Second
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 30 * time.Second
	}
	if p.MaxRateWait <= 0 {
		p.MaxRateWait = 60 * time.Second
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Timeout <= 0 {
		p.Timeout = defaultAttemptTimeout
	}
	return p
}

func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.Backoff
	for i := 1; i < attempt && d < p.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.MaxBackoff)
}

// noRetry5xxKey marks a request that must not be repeated blindly after a
// 5xx: GitHub may have acted on it before failing (creating a comment).
type noRetry5xxKey struct{}

func withoutRetry5xx(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetry5xxKey{}, true)
}

// retryTransport repeats requests that failed for reasons that pass.
type retryTransport struct {
	base   http.RoundTripper
	policy RetryPolicy
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			r = req.Clone(ctx)
			if req.Body != nil && req.Body != http.NoBody {
				if req.GetBody == nil {
					return nil, errors.New("cannot retry a request whose body cannot be replayed")
				}
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		actx, cancel := context.WithTimeout(ctx, t.policy.Timeout)
		resp, err := t.base.RoundTrip(r.WithContext(actx))
		if err != nil {
			cancel()
			if ctx.Err() != nil || !errors.Is(actx.Err(), context.DeadlineExceeded) {
				return nil, err
			}
			if !idempotent(req.Method) || attempt >= t.policy.Attempts {
				return nil, &TimeoutError{Method: req.Method, Path: req.URL.Path, After: t.policy.Timeout, Attempts: attempt}
			}
			if err := t.policy.Sleep(ctx, t.policy.backoff(attempt)); err != nil {
				return nil, err
			}
			continue
		}
		// The deadline covers reading the body too: it ends when the
		// caller closes it.
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		wait, retry := t.classify(req, resp, attempt)
		if !retry {
			return resp, nil
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err := t.policy.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// idempotent methods may be sent again after a timeout: repeating them
// cannot do twice what GitHub may already have done once.
func idempotent(method string) bool {
	return method == http.MethodGet || method == http.MethodHead
}

// cancelOnClose ends an attempt's context when its response body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// classify says whether resp is worth another attempt, and after how long.
// It reads the response the way go-github will (gh.CheckResponse), so the
// two agree on what is a rate limit.
func (t *retryTransport) classify(req *http.Request, resp *http.Response, attempt int) (time.Duration, bool) {
	if resp.StatusCode < 400 || attempt >= t.policy.Attempts {
		return 0, false
	}
	var rate *gh.RateLimitError
	var abuse *gh.AbuseRateLimitError
	var er *gh.ErrorResponse
	switch err := gh.CheckResponse(resp); {
	case errors.As(err, &rate):
		wait := rate.Rate.Reset.Time.Sub(t.policy.Now()) + time.Second
		if rate.Rate.Reset.Time.IsZero() || wait > t.policy.MaxRateWait {
			return 0, false
		}
		return max(wait, 0), true
	case errors.As(err, &abuse):
		wait := secondaryDefaultWait
		if abuse.RetryAfter != nil {
			wait = *abuse.RetryAfter
		}
		if wait > t.policy.MaxRateWait {
			return 0, false
		}
		return max(wait, 0), true
	case errors.As(err, &er):
		if resp.StatusCode == http.StatusTooManyRequests {
			return max(t.policy.backoff(attempt), retryAfter(resp)), true
		}
		if resp.StatusCode >= 500 && req.Context().Value(noRetry5xxKey{}) == nil {
			return t.policy.backoff(attempt), true
		}
	}
	return 0, false
}

// retryAfter reads a Retry-After given in seconds; 0 when absent.
func retryAfter(resp *http.Response) time.Duration {
	var s int
	for _, c := range resp.Header.Get("Retry-After") {
		if c < '0' || c > '9' {
			return 0
		}
		s = s*10 + int(c-'0')
	}
	return time.Duration(s) * time.Second
}
