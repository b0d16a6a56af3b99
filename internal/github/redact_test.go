package github

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestCredentialsRedacted: whatever reaches the user or the pull request
// (errors, the comment, the check run, the job summary) has credentials
// masked: not only the token perfslo holds, but URL queries and userinfo,
// Authorization values and anything shaped like a GitHub token.
func TestCredentialsRedacted(t *testing.T) {
	const (
		otherToken = "ghp_R2d2C3poLuke0Leia1Han2Chewie3Yoda4Obi"
		query      = "QuerySecret9"
		password   = "UrlPassw0rd"
	)
	leaks := []string{otherToken, query, password, "dXNlcjpodW50ZXIy"}

	payload := pullRequestOpened(t)
	pr, _ := prOf(payload)
	h := newHarness(t, "pull_request", payload)
	echo := fault{status: 422, body: `{"message":"Validation Failed: proxy https://proxy.test/auth?access_token=` + query +
		` said Authorization: token ` + otherToken + `","documentation_url":"https://docs.github.com/rest"}`}
	h.gh.fail("POST", "/repos/{owner}/{repo}/check-runs", echo)
	r := failingReport(0)
	r.Warnings = append(r.Warnings, "staging impact: querying https://perfslo:"+password+"@pyroscope.test/?api_key="+query+": unauthenticated (Basic dXNlcjpodW50ZXIy)")
	r.Results[0].Warnings = append(r.Results[0].Warnings, "profile upload to https://store.test/p?X-Amz-Signature="+query)
	_, _, err := h.run(RunConfig{ReportPath: h.writeReport(r)})
	if err == nil {
		t.Fatal("no error from the 422")
	}
	summary, _ := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
	places := map[string]string{"error": err.Error(), "job summary": string(summary)}
	for i, b := range h.gh.commentBodies(pr) {
		places[fmt.Sprintf("comment %d", i)] = b
	}
	// Again without the fault: the check run's summary and annotations.
	if _, _, err := h.run(RunConfig{ReportPath: h.writeReport(r), NoComment: true}); err != nil {
		t.Fatal(err)
	}
	for _, cr := range h.gh.runs() {
		out := cr.Body["output"].(map[string]any)
		places["check run"] = fmt.Sprint(out["summary"], cr.Annotations)
	}
	for where, text := range places {
		for _, l := range leaks {
			if strings.Contains(text, l) {
				t.Errorf("%s shows %q:\n%s", where, l, text)
			}
		}
	}
	if !strings.Contains(err.Error(), "access_token=***") || !strings.Contains(places["comment 0"], "api\\_key=\\*\\*\\*") {
		t.Errorf("masks not where expected:\nerror: %v\ncomment: %s", err, places["comment 0"])
	}
}
