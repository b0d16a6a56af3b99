// Package agent is perfslo's continuous-profiling agent: a thin layer over
// github.com/grafana/pyroscope-go that a service starts with one call.
//
// It reads the usual PYROSCOPE_* environment, so a service needs no
// configuration code, and tags every profile with service_version, commit,
// go_version and env, so that perfslo can select a staging profile by the
// commit a pull request is about.
//
// Opinions:
//
//   - CPU and heap (allocation and in-use) profiles are on by default: they
//     cost little. Mutex and block profiles cost on contended services and
//     are turned on only by giving their sampling rates, which Stop restores.
//   - Stop uploads what was collected before it returns: a service that exits
//     right after a deploy-and-test run still leaves its profile behind.
//   - The package is separate from the query client (package pyroscope) so a
//     service links pyroscope-go and nothing of perfslo's gate.
package agent

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	pyro "github.com/grafana/pyroscope-go"
)

// Environment variables the agent and the query client read, the names the
// Pyroscope agents and tools use.
const (
	EnvServerAddress     = "PYROSCOPE_SERVER_ADDRESS"
	EnvApplicationName   = "PYROSCOPE_APPLICATION_NAME"
	EnvBasicAuthUser     = "PYROSCOPE_BASIC_AUTH_USER"
	EnvBasicAuthPassword = "PYROSCOPE_BASIC_AUTH_PASSWORD"
	EnvTenantID          = "PYROSCOPE_TENANT_ID"
	// EnvEnvironment sets the env tag when Config.Env is empty.
	EnvEnvironment = "PYROSCOPE_ENV"
)

// Tag names the agent sets on every profile. Pyroscope turns them into
// labels a selector can use: {service_name="api", commit="3f2c1e0"}.
const (
	TagServiceVersion = "service_version"
	TagCommit         = "commit"
	TagGoVersion      = "go_version"
	TagEnv            = "env"
)

// Logger receives the agent's log lines; pyroscope-go's interface.
type Logger = pyro.Logger

// Config configures the agent. Every field is optional: empty fields come
// from the environment and the binary's build information, so a service
// needs one call and no configuration code.
type Config struct {
	// ServerAddress is the Pyroscope server's URL; default $PYROSCOPE_SERVER_ADDRESS.
	ServerAddress string
	// ApplicationName becomes the service_name label; default
	// $PYROSCOPE_APPLICATION_NAME, then the executable's base name.
	ApplicationName string
	// BasicAuthUser and BasicAuthPassword default to
	// $PYROSCOPE_BASIC_AUTH_USER and $PYROSCOPE_BASIC_AUTH_PASSWORD.
	BasicAuthUser, BasicAuthPassword string
	// TenantID is sent as X-Scope-OrgID; default $PYROSCOPE_TENANT_ID.
	TenantID string

	// Version is the service_version tag; default the main module's version
	// from the build information ("(devel)" for a plain go build).
	Version string
	// Commit is the commit tag; default the vcs.revision the go command
	// stamped into the binary. Set it when the binary is built without VCS
	// stamping (-buildvcs=false, or a build outside the repository).
	Commit string
	// Env is the env tag ("staging", "canary"); default $PYROSCOPE_ENV.
	Env string
	// Tags are extra labels; they override the ones above.
	Tags map[string]string

	// UploadRate is how often profiles are sent; default 15s. Shorter means
	// fresher data and more requests.
	UploadRate time.Duration
	// ProfileTypes overrides the default set: CPU and heap (allocations and
	// in-use), which cost little. Mutex and block profiles are added by
	// their rates below, not here.
	ProfileTypes []pyro.ProfileType
	// MutexProfileFraction, when > 0, turns mutex profiles on and sets
	// runtime.SetMutexProfileFraction(MutexProfileFraction): on average one
	// in that many contention events is reported. Off by default: it costs
	// on contended services. Stop restores the previous fraction.
	MutexProfileFraction int
	// BlockProfileRate, when > 0, turns block profiles on and sets
	// runtime.SetBlockProfileRate(BlockProfileRate): one blocking event per
	// that many nanoseconds blocked is sampled. Off by default: it costs on
	// every channel operation. Stop sets the rate back to 0, the runtime's
	// default, because the runtime offers no way to read the previous rate.
	BlockProfileRate int

	// Logger receives the agent's logs; default none.
	Logger Logger
}

// ErrNoServer is returned by Start when no server address is configured.
var ErrNoServer = errors.New("no Pyroscope server address: set " + EnvServerAddress + " or Config.ServerAddress")

// Start starts continuous profiling and returns the function that stops it.
// Stop uploads what was collected since the last upload before it returns,
// restores the runtime's mutex and block profiling rates, and is safe to call
// more than once. Cancelling ctx stops the agent too.
func Start(ctx context.Context, c Config) (stop func() error, err error) {
	cfg, err := c.resolve(os.Getenv)
	if err != nil {
		return nil, err
	}
	types := cfg.ProfileTypes
	if len(types) == 0 {
		types = pyro.DefaultProfileTypes
	}
	types = append([]pyro.ProfileType(nil), types...)

	// The runtime rates are process-wide: set them only once the
	// configuration is known to be good, and restore them on every exit path.
	prevMutex := -1
	if cfg.MutexProfileFraction > 0 {
		prevMutex = runtime.SetMutexProfileFraction(cfg.MutexProfileFraction)
		types = append(types, pyro.ProfileMutexCount, pyro.ProfileMutexDuration)
	}
	if cfg.BlockProfileRate > 0 {
		runtime.SetBlockProfileRate(cfg.BlockProfileRate)
		types = append(types, pyro.ProfileBlockCount, pyro.ProfileBlockDuration)
	}
	restore := func() {
		if prevMutex >= 0 {
			runtime.SetMutexProfileFraction(prevMutex)
		}
		if cfg.BlockProfileRate > 0 {
			runtime.SetBlockProfileRate(0)
		}
	}

	p, err := pyro.Start(pyro.Config{
		ApplicationName:   cfg.ApplicationName,
		Tags:              cfg.tags(),
		ServerAddress:     cfg.ServerAddress,
		BasicAuthUser:     cfg.BasicAuthUser,
		BasicAuthPassword: cfg.BasicAuthPassword,
		TenantID:          cfg.TenantID,
		UploadRate:        cfg.UploadRate,
		Logger:            cfg.Logger,
		ProfileTypes:      types,
	})
	if err != nil {
		restore()
		return nil, fmt.Errorf("starting the Pyroscope agent: %w", err)
	}

	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			stopErr = p.Stop()
			restore()
		})
		return stopErr
	}
	if ctx.Done() != nil {
		go func() {
			<-ctx.Done()
			_ = stop()
		}()
	}
	return stop, nil
}

// resolve fills c's empty fields from the environment and the build
// information, and checks what it can before anything is started.
func (c Config) resolve(getenv func(string) string) (Config, error) {
	or := func(v *string, env string) {
		if *v == "" {
			*v = getenv(env)
		}
	}
	or(&c.ServerAddress, EnvServerAddress)
	or(&c.ApplicationName, EnvApplicationName)
	or(&c.BasicAuthUser, EnvBasicAuthUser)
	or(&c.BasicAuthPassword, EnvBasicAuthPassword)
	or(&c.TenantID, EnvTenantID)
	or(&c.Env, EnvEnvironment)

	if c.ServerAddress == "" {
		return c, ErrNoServer
	}
	if u, err := url.Parse(c.ServerAddress); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("pyroscope server address %q: want an http:// or https:// URL", redactURL(c.ServerAddress))
	}
	if c.ApplicationName == "" {
		c.ApplicationName = filepath.Base(os.Args[0])
	}
	if c.MutexProfileFraction < 0 || c.BlockProfileRate < 0 {
		return c, errors.New("pyroscope agent: MutexProfileFraction and BlockProfileRate must be ≥ 0")
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if c.Version == "" {
			c.Version = bi.Main.Version
		}
		if c.Commit == "" {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					c.Commit = s.Value
				}
			}
		}
	}
	if c.Logger != nil && c.Commit == "" {
		c.Logger.Infof("perfslo agent: no commit tag: the binary has no vcs.revision (built with -buildvcs=false?) and Config.Commit is empty")
	}
	return c, nil
}

// tags returns the labels every profile carries; empty values are left out
// so a selector never matches a meaningless commit="".
func (c Config) tags() map[string]string {
	t := map[string]string{TagGoVersion: runtime.Version()}
	set := func(k, v string) {
		if v != "" {
			t[k] = v
		}
	}
	set(TagServiceVersion, c.Version)
	set(TagCommit, c.Commit)
	set(TagEnv, c.Env)
	for k, v := range c.Tags {
		t[k] = v
	}
	return t
}

// redactURL drops the userinfo of a URL so that a password written into an
// address never reaches an error message.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if err != nil {
			return "(unparsable URL)"
		}
		return s
	}
	u.User = nil
	return u.String()
}
