package pyroscope

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/pprof/profile"
	profilev1 "github.com/grafana/pyroscope/api/gen/proto/go/google/v1"
	querierv1 "github.com/grafana/pyroscope/api/gen/proto/go/querier/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/querier/v1/querierv1connect"
	typesv1 "github.com/grafana/pyroscope/api/gen/proto/go/types/v1"

	"github.com/perfslo/perfslo/internal/redact"
)

// Profile type ids, as Pyroscope names the profiles the Go agent sends
// (<name>:<sample type>:<unit>:<period type>:<period unit>).
const (
	ProfileCPU          = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
	ProfileAllocObjects = "memory:alloc_objects:count:space:bytes"
	ProfileAllocSpace   = "memory:alloc_space:bytes:space:bytes"
)

// ServiceLabel is the label Pyroscope files the application name under.
const ServiceLabel = "service_name"

// Errors a query can end in, for errors.Is. The returned errors wrap them
// with what was asked and what to check.
var (
	ErrUnreachable   = errors.New("pyroscope server unreachable")
	ErrUnauthorized  = errors.New("pyroscope server refused the credentials")
	ErrNotPyroscope  = errors.New("no Pyroscope query API at this address")
	ErrEmptyProfile  = errors.New("no profile data")
	ErrWindowTooLong = errors.New("query window too long")
	ErrBadSelector   = errors.New("bad label selector")
)

// ClientConfig configures a Client. Credentials are never printed: errors
// name the server by its URL without userinfo.
type ClientConfig struct {
	// Server is the Pyroscope server's URL ("http://127.0.0.1:4040").
	Server string
	// BasicAuthUser and BasicAuthPassword, when set, are sent as HTTP basic auth.
	BasicAuthUser, BasicAuthPassword string
	// TenantID, when set, is sent as X-Scope-OrgID.
	TenantID string
	// Timeout bounds each attempt; default 30s (a merge over a busy day
	// takes seconds).
	Timeout time.Duration
	// Retries is how many times a transient failure (server unavailable,
	// overloaded, attempt timed out) is retried; default 2, negative for none.
	Retries int
	// HTTPClient overrides the HTTP client (default: 5s dial timeout).
	HTTPClient *http.Client
}

// ClientConfigFromEnv reads the server address and credentials from the
// environment variables the agent reads.
func ClientConfigFromEnv(getenv func(string) string) ClientConfig {
	return ClientConfig{
		Server:            getenv(EnvServerAddress),
		BasicAuthUser:     getenv(EnvBasicAuthUser),
		BasicAuthPassword: getenv(EnvBasicAuthPassword),
		TenantID:          getenv(EnvTenantID),
	}
}

// Client fetches merged profiles from a Pyroscope server through the
// official querier API client.
type Client struct {
	cfg    ClientConfig
	server string // redacted, for messages
	api    querierv1connect.QuerierServiceClient
}

// NewClient checks cfg and returns a client; it does not contact the server.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Server == "" {
		return nil, fmt.Errorf("no Pyroscope server: pass --server or set %s", EnvServerAddress)
	}
	u, err := url.Parse(cfg.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("pyroscope server %q: want an http:// or https:// URL", redact.URL(cfg.Server))
	}
	if u.User != nil {
		// Credentials in the URL would end up in logs; take them from
		// the environment instead.
		return nil, fmt.Errorf("pyroscope server %q: put credentials in %s/%s, not in the URL", redact.URL(cfg.Server), EnvBasicAuthUser, EnvBasicAuthPassword)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 2
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: cfg.Timeout,
			MaxIdleConnsPerHost:   4,
		}}
	}
	base := strings.TrimSuffix(cfg.Server, "/")
	c := &Client{cfg: cfg, server: redact.URL(base)}
	c.api = querierv1connect.NewQuerierServiceClient(hc, base,
		connect.WithInterceptors(c.authInterceptor()))
	return c, nil
}

// authInterceptor adds basic auth and the tenant header to every request.
func (c *Client) authInterceptor() connect.UnaryInterceptorFunc {
	var auth string
	if c.cfg.BasicAuthUser != "" || c.cfg.BasicAuthPassword != "" {
		auth = "Basic " + basicAuth(c.cfg.BasicAuthUser, c.cfg.BasicAuthPassword)
	}
	tenant := c.cfg.TenantID
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if auth != "" {
				req.Header().Set("Authorization", auth)
			}
			if tenant != "" {
				req.Header().Set("X-Scope-OrgID", tenant)
			}
			return next(ctx, req)
		}
	}
}

// Query selects profiles to merge.
type Query struct {
	// Service is the service_name label (the agent's application name).
	Service string
	// ProfileType is a profile type id such as ProfileCPU.
	ProfileType string
	// Selector narrows the service's profiles by label: `{commit="3f2c1e0"}`.
	// Empty selects all of them.
	Selector string
	// Start and End bound the window.
	Start, End time.Time
}

func (q Query) describe() string {
	sel, err := LabelSelector(q.Service, q.Selector)
	if err != nil {
		sel = q.Selector
	}
	return fmt.Sprintf("%s %s from %s to %s", typeName(q.ProfileType), sel,
		q.Start.UTC().Format(time.DateTime), q.End.UTC().Format(time.DateTime))
}

// typeName shortens a profile type id to its sample type ("cpu").
func typeName(id string) string {
	if f := strings.Split(id, ":"); len(f) == 5 {
		return f[1]
	}
	return id
}

// LabelSelector combines a service name with an optional extra selector
// (`{commit="abc"}`) into one Pyroscope label selector.
func LabelSelector(service, extra string) (string, error) {
	if service == "" {
		return "", errors.New("no service name: pass --service or set staging.service in perfslo.yaml")
	}
	svc := ServiceLabel + "=" + strconv.Quote(service)
	extra = strings.TrimSpace(extra)
	if extra == "" {
		return "{" + svc + "}", nil
	}
	if !strings.HasPrefix(extra, "{") || !strings.HasSuffix(extra, "}") {
		return "", fmt.Errorf("%w %q: want labels in braces, like {commit=\"3f2c1e0\"}", ErrBadSelector, extra)
	}
	inner := strings.TrimSpace(extra[1 : len(extra)-1])
	if inner == "" {
		return "{" + svc + "}", nil
	}
	return "{" + svc + ", " + inner + "}", nil
}

// Profile fetches the merged profile of q's window. A window with no
// matching data is an error (ErrEmptyProfile) that lists the services the
// server does know, since a wrong service name is the usual cause.
func (c *Client) Profile(ctx context.Context, q Query) (*profile.Profile, error) {
	sel, err := LabelSelector(q.Service, q.Selector)
	if err != nil {
		return nil, err
	}
	if !q.End.After(q.Start) {
		return nil, fmt.Errorf("empty query window: %s to %s", q.Start.Format(time.RFC3339), q.End.Format(time.RFC3339))
	}
	req := &querierv1.SelectMergeProfileRequest{
		ProfileTypeID: q.ProfileType,
		LabelSelector: sel,
		Start:         q.Start.UnixMilli(),
		End:           q.End.UnixMilli(),
	}
	var resp *connect.Response[profilev1.Profile]
	err = c.retry(ctx, func(ctx context.Context) error {
		var err error
		// SelectMergeProfile is deprecated in favour of SelectMergeStacktraces
		// with PROFILE_FORMAT_PPROF; it stays supported in querier.v1, and it
		// is the call the tests verify against the Pyroscope v1.12.0 server.
		//lint:ignore SA1019 verified against the server version CI runs; stays in querier.v1.
		resp, err = c.api.SelectMergeProfile(ctx, connect.NewRequest(req))
		return err
	})
	if err != nil {
		return nil, c.explain(err, q)
	}
	if len(resp.Msg.Sample) == 0 {
		hint := ""
		if svcs, err := c.Services(ctx, q.Start, q.End); err == nil {
			if len(svcs) == 0 {
				hint = "; the server has no profiles at all in this window (is the agent running and sending?)"
			} else {
				hint = "; services with profiles in this window: " + strings.Join(svcs, ", ")
			}
		}
		return nil, fmt.Errorf("%w for %s at %s%s", ErrEmptyProfile, q.describe(), c.server, hint)
	}
	b, err := resp.Msg.MarshalVT()
	if err != nil {
		return nil, fmt.Errorf("re-encoding the profile from %s: %v", c.server, err)
	}
	p, err := profile.ParseData(b)
	if err != nil {
		return nil, fmt.Errorf("profile from %s for %s: %v", c.server, q.describe(), err)
	}
	return p, nil
}

// Services lists the service names with profiles in the window.
func (c *Client) Services(ctx context.Context, start, end time.Time) ([]string, error) {
	return c.LabelValues(ctx, ServiceLabel, "", start, end)
}

// LabelValues lists the values a label takes in the window, in the
// profiles of service when it is not empty.
func (c *Client) LabelValues(ctx context.Context, label, service string, start, end time.Time) ([]string, error) {
	req := &typesv1.LabelValuesRequest{Name: label, Start: start.UnixMilli(), End: end.UnixMilli()}
	if service != "" {
		sel, err := LabelSelector(service, "")
		if err != nil {
			return nil, err
		}
		req.Matchers = []string{sel}
	}
	var resp *connect.Response[typesv1.LabelValuesResponse]
	err := c.retry(ctx, func(ctx context.Context) error {
		var err error
		resp, err = c.api.LabelValues(ctx, connect.NewRequest(req))
		return err
	})
	if err != nil {
		return nil, c.explain(err, Query{})
	}
	names := append([]string(nil), resp.Msg.Names...)
	sort.Strings(names)
	return names, nil
}

// retry runs call with a per-attempt timeout and retries transient failures
// with a short jittered backoff, so a whole query is bounded by about
// (Retries+1) × Timeout.
func (c *Client) retry(ctx context.Context, call func(context.Context) error) error {
	var err error
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		err = call(actx)
		cancel()
		if err == nil || ctx.Err() != nil || attempt >= c.cfg.Retries || !transient(err) {
			return err
		}
		backoff := time.Duration(200<<attempt)*time.Millisecond + rand.N(100*time.Millisecond)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
	}
}

// transient reports whether a failure may go away on its own: an overloaded
// or restarting server, or an attempt that timed out.
func transient(err error) bool {
	switch connect.CodeOf(err) {
	case connect.CodeUnavailable, connect.CodeResourceExhausted, connect.CodeAborted, connect.CodeDeadlineExceeded:
		return true
	}
	return false
}

// explain turns a query error into one that says what went wrong and what
// to check, wrapping the matching sentinel. The server's message is quoted,
// so the result is redacted: a server or a proxy in front of it may echo the
// credentials it was sent, and this text reaches warnings and PR comments.
func (c *Client) explain(err error, q Query) error {
	return redact.Error(c.diagnose(err, q), c.secrets()...)
}

// secrets are the credentials this client sends, as a reply may echo them:
// the password, and the Authorization value built from it.
func (c *Client) secrets() []string {
	if c.cfg.BasicAuthPassword == "" {
		return nil
	}
	return []string{c.cfg.BasicAuthPassword, basicAuth(c.cfg.BasicAuthUser, c.cfg.BasicAuthPassword)}
}

func basicAuth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

func (c *Client) diagnose(err error, q Query) error {
	what := "querying"
	if q.ProfileType != "" {
		what = "querying " + q.describe() + " at"
	}
	var nerr net.Error
	var operr *net.OpError
	var dnserr *net.DNSError
	code := connect.CodeOf(err)
	msg := err.Error()
	if ce := new(connect.Error); errors.As(err, &ce) {
		msg = serverMessage(ce.Message())
	}
	switch {
	case errors.As(err, &dnserr):
		return fmt.Errorf("%w: %s %s: cannot resolve host %q (check --server or %s)", ErrUnreachable, what, c.server, dnserr.Name, EnvServerAddress)
	case errors.As(err, &operr) && operr.Op == "dial":
		return fmt.Errorf("%w: %s %s: %v (is the server running? check --server or %s)", ErrUnreachable, what, c.server, operr.Err, EnvServerAddress)
	case code == connect.CodeDeadlineExceeded || (errors.As(err, &nerr) && nerr.Timeout()):
		return fmt.Errorf("%w: %s %s: no answer within %v (%d attempts)", ErrUnreachable, what, c.server, c.cfg.Timeout, c.cfg.Retries+1)
	case code == connect.CodeUnauthenticated || code == connect.CodePermissionDenied:
		return fmt.Errorf("%w: %s %s: %s (check %s/%s and %s)", ErrUnauthorized, what, c.server, msg, EnvBasicAuthUser, EnvBasicAuthPassword, EnvTenantID)
	case code == connect.CodeUnimplemented:
		return fmt.Errorf("%w: %s %s: %s (is this the Pyroscope server's address, with no path?)", ErrNotPyroscope, what, c.server, msg)
	case code == connect.CodeInvalidArgument && (strings.Contains(msg, "max_query_length") || strings.Contains(msg, "query time range")):
		return fmt.Errorf("%w: %s %s: %s (use a shorter --since, or raise the server's -querier.max-query-length)", ErrWindowTooLong, what, c.server, msg)
	case code == connect.CodeInvalidArgument && (strings.Contains(msg, "parse error") || strings.Contains(msg, "selector") || strings.Contains(msg, "unexpected")):
		return fmt.Errorf("%w %q: %s %s: %s", ErrBadSelector, q.Selector, what, c.server, msg)
	case code == connect.CodeUnavailable:
		return fmt.Errorf("%w: %s %s: %s (%d attempts)", ErrUnreachable, what, c.server, msg, c.cfg.Retries+1)
	}
	return fmt.Errorf("%s %s: %v", what, c.server, err)
}

// serverMessage extracts the message of an error body the server sent as
// JSON that the connect client did not decode ({"code":…,"message":…}).
func serverMessage(m string) string {
	var body struct {
		Message string `json:"message"`
	}
	if strings.HasPrefix(m, "{") && json.Unmarshal([]byte(m), &body) == nil && body.Message != "" {
		return body.Message
	}
	return m
}
