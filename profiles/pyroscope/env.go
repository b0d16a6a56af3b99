package pyroscope

import (
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
