package pyroscope

import (
	"net/url"

	"github.com/perfslo/perfslo/profiles/pyroscope/agent"
)

// Environment variables the query client reads: the agent's, so one set of
// settings serves the service and perfslo.
const (
	EnvServerAddress     = agent.EnvServerAddress
	EnvBasicAuthUser     = agent.EnvBasicAuthUser
	EnvBasicAuthPassword = agent.EnvBasicAuthPassword
	EnvTenantID          = agent.EnvTenantID
)

// TagCommit is the label the agent puts the commit in.
const TagCommit = agent.TagCommit

// redactURL drops the userinfo of a URL so that a password written into an
// address never reaches an error message.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}
