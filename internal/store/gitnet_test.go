package store

import (
	"github.com/perfslo/perfslo/internal/silentserver"
	"strings"
	"testing"
	"time"
)

// silentRemote is a remote behind a black-holing firewall or a hung
// server. It reports each connection's end, which comes only when the git
// helper holding it is gone.
func silentRemote(t *testing.T) (url string, closed <-chan struct{}) {
	url, closed = silentserver.Start(t)
	return url + "/baselines.git", closed
}

// TestGitRemoteDeadline: a fetch or push to a remote that never answers
// ends in a clear error within the network timeout, and git's helper
// process is gone (it held the connection).
func TestGitRemoteDeadline(t *testing.T) {
	for _, op := range []string{"save", "load"} {
		t.Run(op, func(t *testing.T) {
			dir := userRepo(t)
			url, closed := silentRemote(t)
			gitT(t, dir, "remote", "add", "origin", url)
			g, err := OpenGitBranch(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			g.NetworkTimeout = time.Second
			done := make(chan error, 1)
			start := time.Now()
			go func() {
				if op == "save" {
					done <- g.Save(meta("main", time.Now()), []byte(gitResults), nil)
				} else {
					_, err := g.Load("main")
					done <- err
				}
			}()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("still waiting for the remote after 30s: no deadline")
			}
			took := time.Since(start)
			if err == nil || !strings.Contains(err.Error(), "no answer within 1s") || !strings.Contains(err.Error(), "origin") {
				t.Errorf("error %v; want it to say the remote did not answer within 1s", err)
			}
			if took > 15*time.Second {
				t.Errorf("took %v with a 1s network timeout", took.Round(time.Millisecond))
			}
			select {
			case <-closed:
			case <-time.After(10 * time.Second):
				t.Error("the connection is still open: git's remote helper outlived the deadline")
			}
			t.Logf("%v (after %v)", err, took.Round(time.Millisecond))
		})
	}
}
