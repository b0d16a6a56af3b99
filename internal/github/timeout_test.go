package github

import (
	"github.com/perfslo/perfslo/internal/silentserver"
	"strings"
	"testing"
	"time"
)

// silentServer accepts connections, reads what is sent and never answers.
func silentServer(t *testing.T) string {
	url, _ := silentserver.Start(t)
	return url
}

// TestServerThatNeverAnswers: perfslo comment against a server that never
// answers ends fast, with an error that says so, instead of hanging the job.
func TestServerThatNeverAnswers(t *testing.T) {
	h := newHarness(t, "pull_request", pullRequestOpened(t))
	h.env["GITHUB_API_URL"] = silentServer(t)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, _, err := h.run(RunConfig{ReportPath: h.writeReport(failingReport(0)), Retry: RetryPolicy{Timeout: 200 * time.Millisecond, Attempts: 3}})
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("perfslo comment still waiting for GitHub after 30s")
	}
	took := time.Since(start)
	for _, want := range []string{"GitHub did not answer GET /api/v3/user within 200ms (3 attempt(s))", "check run", "GITHUB_API_URL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	// Comment (3 GET attempts) and check run (1 POST attempt): 4 × 200ms;
	// the backoff sleeps are recorded, not slept.
	if took > 5*time.Second {
		t.Errorf("took %v", took)
	}
	if s := h.slept(); len(s) != 2 {
		t.Errorf("slept %v between attempts, want 2 backoffs (GET only: the POST is not repeated)", s)
	}
	t.Logf("%v (in %v)", err, took.Round(time.Millisecond))
}
