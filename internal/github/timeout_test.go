package github

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// silentServer accepts connections, reads what is sent and never answers:
// a hung GitHub Enterprise Server, or a proxy that swallows requests.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); io.Copy(io.Discard, c) }()
		}
	}()
	return "http://" + ln.Addr().String()
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
