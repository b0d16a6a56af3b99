package pipeline

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/pprof/profile"
	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/profiles/pyroscope"
)

// StagingSource is where a gate run finds the staging service's profile:
// a server (or $PYROSCOPE_SERVER_ADDRESS through Getenv) and a window. The
// service is perfslo.yaml's staging.service.
type StagingSource struct {
	Server string
	Since  time.Duration
	Getenv func(string) string
}

// stagingTimeout bounds each request for the gate's staging profile.
const stagingTimeout = 30 * time.Second

// StagingProfile fetches the staging service's CPU profile for the gate's
// impact estimates. Staging is context, not evidence: when it cannot be had,
// the gate says so in a warning on rep and judges without it.
func StagingProfile(ctx context.Context, cfg *budgets.Config, src StagingSource, log io.Writer, rep *gate.Report) *profile.Profile {
	if cfg.Staging == nil || cfg.Staging.Service == "" {
		if src.Server != "" {
			rep.Warnings = append(rep.Warnings, "--staging needs staging.service in perfslo.yaml: no staging impact shown")
		}
		return nil
	}
	if src.Server == "" && (src.Getenv == nil || src.Getenv(pyroscope.EnvServerAddress) == "") {
		return nil
	}
	w := pyroscope.Window{Server: src.Server, Service: cfg.Staging.Service, Since: src.Since, Timeout: stagingTimeout, Getenv: src.Getenv}
	p, err := w.Fetch(ctx, pyroscope.ProfileCPU, "")
	if err == nil {
		fmt.Fprintf(log, "perfslo: staging profile of %s over the last %s\n", cfg.Staging.Service, src.Since)
		return p
	}
	rep.Warnings = append(rep.Warnings, "staging: "+err.Error()+"; no staging impact shown")
	return nil
}
