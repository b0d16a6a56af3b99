package github

import (
	"strings"
	"testing"
)

// TestCommentNotHijacked: anyone can write a comment that starts with the
// marker. Only a comment by the token's own identity is perfslo's to edit;
// another's is left alone however it starts.
func TestCommentNotHijacked(t *testing.T) {
	payload := pullRequestOpened(t)
	pr, _ := prOf(payload)

	t.Run("installation token, only a hijacker's comment", func(t *testing.T) {
		h := newHarness(t, "pull_request", payload)
		const forged = "✅ **Pass** (trust me)"
		h.gh.seedComment(pr, Marker("")+"\n"+forged, "mallory", "User")
		if _, stderr, err := h.run(RunConfig{ReportPath: h.writeReport(failingReport(0)), NoCheck: true}); err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		bodies, authors := h.gh.commentBodies(pr), h.gh.commentAuthors(pr)
		if len(bodies) != 2 {
			t.Fatalf("PR has %d comments (%v), want mallory's and a new one of perfslo's", len(bodies), authors)
		}
		if !strings.Contains(bodies[0], forged) {
			t.Errorf("mallory's comment was edited:\n%.200s", bodies[0])
		}
		if authors[1] != ActionsBot || !strings.Contains(bodies[1], "❌ **Fail**") {
			t.Errorf("second comment by %s, %.120q; want perfslo's verdict by %s", authors[1], bodies[1], ActionsBot)
		}
		if c := countPrefix(h.gh.requestLog(), "PATCH "); c != 0 {
			t.Errorf("%d edits, want none", c)
		}
	})

	t.Run("installation token, hijacker first, ours later", func(t *testing.T) {
		h := newHarness(t, "pull_request", payload)
		h.gh.seedComment(pr, Marker("")+"\nforged", "mallory", "User")
		h.gh.seedComment(pr, Marker("")+"\nold verdict", ActionsBot, "Bot")
		if _, _, err := h.run(RunConfig{ReportPath: h.writeReport(failingReport(0)), NoCheck: true}); err != nil {
			t.Fatal(err)
		}
		bodies := h.gh.commentBodies(pr)
		if len(bodies) != 2 || !strings.HasSuffix(bodies[0], "forged") || !strings.Contains(bodies[1], "❌ **Fail**") {
			t.Errorf("want mallory's untouched and ours edited; got %d comments: %.60q", len(bodies), bodies)
		}
	})

	t.Run("personal access token", func(t *testing.T) {
		h := newHarness(t, "pull_request", payload)
		h.gh.tokenUser = "perf-bot"
		// github-actions[bot] is not this token's identity: its marker
		// comment belongs to another workflow's token.
		h.gh.seedComment(pr, Marker("")+"\nanother token's", ActionsBot, "Bot")
		h.gh.seedComment(pr, Marker("")+"\nold verdict", "Perf-Bot", "User") // logins are case-insensitive
		if _, _, err := h.run(RunConfig{ReportPath: h.writeReport(failingReport(0)), NoCheck: true}); err != nil {
			t.Fatal(err)
		}
		bodies := h.gh.commentBodies(pr)
		if len(bodies) != 2 || !strings.HasSuffix(bodies[0], "another token's") || !strings.Contains(bodies[1], "❌ **Fail**") {
			t.Errorf("want the bot's untouched and perf-bot's edited; got %d comments: %.60q", len(bodies), bodies)
		}
		if c := countPrefix(h.gh.requestLog(), "GET /user"); c != 1 {
			t.Errorf("asked for the token's identity %d times, want 1", c)
		}
	})

	t.Run("author given", func(t *testing.T) {
		h := newHarness(t, "pull_request", payload)
		h.gh.seedComment(pr, Marker("")+"\nold verdict", "my-app[bot]", "Bot")
		if _, _, err := h.run(RunConfig{ReportPath: h.writeReport(failingReport(0)), NoCheck: true, Author: "my-app[bot]"}); err != nil {
			t.Fatal(err)
		}
		if bodies := h.gh.commentBodies(pr); len(bodies) != 1 || !strings.Contains(bodies[0], "❌ **Fail**") {
			t.Errorf("the given author's comment was not edited: %d comments", len(bodies))
		}
		if c := countPrefix(h.gh.requestLog(), "GET /user"); c != 0 {
			t.Errorf("asked GitHub for an identity it was given")
		}
	})
}

// TestCommentAuthorMismatchWarns: a GitHub App's token writes as its own
// bot; if the expected author is wrong, the next run cannot find the
// comment, and the user is told which author to set.
func TestCommentAuthorMismatchWarns(t *testing.T) {
	h := newHarness(t, "pull_request", pullRequestOpened(t))
	_, stderr, err := h.run(RunConfig{ReportPath: h.writeReport(failingReport(0)), NoCheck: true, Author: "my-app[bot]"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "written by github-actions[bot], not my-app[bot]") {
		t.Errorf("no warning about the author:\n%s", stderr)
	}
}
