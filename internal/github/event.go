package github

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/bounded"
)

// Event is what perfslo needs from the workflow's triggering event.
type Event struct {
	// Name is the event's name (GITHUB_EVENT_NAME): "pull_request",
	// "workflow_run", "push", ...
	Name string
	// PR is the pull request number; 0 when the event names none.
	PR int
	// HeadSHA is the commit the check run belongs on: the pull request's
	// head, not the merge commit GITHUB_SHA names on pull_request.
	HeadSHA string
	// BaseSHA is the pull request's base commit, whose perfslo.yaml judges
	// the report; "" when the payload does not name it (a fork's
	// workflow_run: Client.Resolve asks GitHub).
	BaseSHA string
	// FromArtifact is true when PR came from an artifact, not from GitHub:
	// it must be checked against HeadSHA before it is trusted.
	FromArtifact bool
	// SelfReported is true when the pull request's own code took the
	// measurements posted here: a fork's pull request, or any workflow_run
	// (whose artifact the measuring run's code wrote).
	SelfReported bool

	verified bool // FromArtifact's PR was checked (Client.Resolve)
}

// NamesPullRequest reports whether the event is about a pull request, so
// that a base branch's rules apply to what it posts.
func (e *Event) NamesPullRequest() bool {
	switch e.Name {
	case "pull_request", "pull_request_target", "workflow_run":
		return true
	}
	return false
}

// ReadEvent reads the event payload at path (GITHUB_EVENT_PATH). name is
// GITHUB_EVENT_NAME; when empty it is guessed from the payload. prFile, when
// not empty, holds the pull request number for a workflow_run event whose
// payload lists no pull request (always so for forks).
func ReadEvent(path, name, prFile string) (*Event, error) {
	data, err := bounded.ReadFile(path, maxEventSize)
	if err != nil {
		return nil, fmt.Errorf("event payload: %v", err)
	}
	if name == "" {
		name, err = guessEventName(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", jsonAt(path, data, errors.Unwrap(err)), err)
		}
	}
	ev := &Event{Name: name}
	switch name {
	case "pull_request", "pull_request_target":
		var p gh.PullRequestEvent
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("%s: not a %s payload: %v", jsonAt(path, data, err), name, err)
		}
		ev.PR = p.GetNumber()
		if ev.PR == 0 {
			ev.PR = p.GetPullRequest().GetNumber()
		}
		pr := p.GetPullRequest()
		ev.HeadSHA = pr.GetHead().GetSHA()
		ev.BaseSHA = pr.GetBase().GetSHA()
		// A deleted fork leaves head.repo null: still not this repository.
		ev.SelfReported = pr.GetHead().GetRepo().GetFullName() != pr.GetBase().GetRepo().GetFullName()
		if ev.PR == 0 || ev.HeadSHA == "" {
			return nil, fmt.Errorf("%s: %s payload without pull_request.number and pull_request.head.sha", path, name)
		}
	case "workflow_run":
		var p gh.WorkflowRunEvent
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("%s: not a workflow_run payload: %v", jsonAt(path, data, err), err)
		}
		run := p.GetWorkflowRun()
		ev.HeadSHA = run.GetHeadSHA()
		ev.SelfReported = true
		if ev.HeadSHA == "" {
			return nil, fmt.Errorf("%s: workflow_run payload without workflow_run.head_sha", path)
		}
		// GitHub fills pull_requests only for pull requests from the same
		// repository; trust it when it names exactly one.
		for _, pr := range run.PullRequests {
			if pr.GetHead().GetSHA() == ev.HeadSHA || len(run.PullRequests) == 1 {
				ev.PR = pr.GetNumber()
				ev.BaseSHA = pr.GetBase().GetSHA()
				break
			}
		}
		if ev.PR == 0 && prFile != "" {
			n, err := ReadPRNumber(prFile)
			if err != nil {
				return nil, err
			}
			ev.PR, ev.FromArtifact = n, true
		}
	default:
		var p struct {
			After string `json:"after"`
		}
		if err := json.Unmarshal(data, &p); err != nil {
			// Broken JSON is a broken runner or a wrong path, not an event
			// with nothing to post.
			return nil, fmt.Errorf("%s: not a %s payload: %v", jsonAt(path, data, err), name, err)
		}
		ev.HeadSHA = p.After
	}
	return ev, nil
}

// guessEventName recognises the payloads perfslo reads when
// GITHUB_EVENT_NAME is not set (a local run).
func guessEventName(data []byte) (string, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return "", fmt.Errorf("event payload is not a JSON object: %w", err)
	}
	switch {
	case keys["workflow_run"] != nil:
		return "workflow_run", nil
	case keys["pull_request"] != nil:
		return "pull_request", nil
	}
	return "push", nil
}

// ReadPRNumber reads a pull request number written by the measuring
// workflow (`echo ${{ github.event.number }} > pr_number`). The file comes
// from a possibly hostile pull request, so anything but a positive decimal
// number is rejected.
func ReadPRNumber(path string) (int, error) {
	data, err := bounded.ReadFile(path, maxPRNumberSize)
	if err != nil {
		return 0, fmt.Errorf("pull request number: %v", err)
	}
	s := strings.TrimSpace(string(data))
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || len(s) > 10 {
		return 0, fmt.Errorf("%s:1: want a pull request number (a positive integer), found %q", path, truncate(s, 40))
	}
	return n, nil
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// jsonAt is path with the line and column of a JSON decoding error, when
// it has a place.
func jsonAt(path string, data []byte, err error) string {
	if line, col, ok := gate.JSONPosition(data, err); ok {
		return fmt.Sprintf("%s:%d:%d", path, line, col)
	}
	return path
}
