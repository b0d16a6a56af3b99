// Package pyroscopetest starts a real Grafana Pyroscope server on loopback for
// tests: the binary built by .ci/pyroscope-server.sh (cached by version),
// temporary data directories, a free port, and readiness awaited on /ready.
//
// Tests share one server per test binary (start it in TestMain with
// StartShared): it starts in about a second but takes ~100 MB. When no
// binary can be had, tests skip on a laptop and fail in CI (CI=true), so a
// green CI always means the staging side was really tested.
package pyroscopetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// EnvBinary names a Pyroscope server binary to use instead of building one.
const EnvBinary = "PERFSLO_PYROSCOPE_BIN"

// Tenant is the tenant id the server expects when started with
// Options.MultiTenant.
const Tenant = "perfslo-test"

// Options configure a test server.
type Options struct {
	// MultiTenant requires every request to carry X-Scope-OrgID, so a
	// missing tenant is a real 401 from the real server.
	MultiTenant bool
	// Args are extra server flags.
	Args []string
}

// Server is a running Pyroscope server.
type Server struct {
	// URL is the HTTP address, "http://127.0.0.1:PORT".
	URL string
	// Tenant is the tenant id to send, "" when the server is single-tenant.
	Tenant string

	cmd  *exec.Cmd
	dir  string
	log  *syncBuffer
	done chan struct{}
	err  error // the process's exit, valid once done is closed
}

// ErrNoBinary reports that no server binary could be found or built.
var ErrNoBinary = errors.New("no Pyroscope server binary")

// Binary returns the path of a Pyroscope server binary: $PERFSLO_PYROSCOPE_BIN,
// or what .ci/pyroscope-server.sh (found in a parent directory) prints,
// building and caching the server on first use (~3 min cold).
func Binary(ctx context.Context) (string, error) {
	if b := os.Getenv(EnvBinary); b != "" {
		if _, err := os.Stat(b); err != nil {
			return "", fmt.Errorf("%w: $%s: %v", ErrNoBinary, EnvBinary, err)
		}
		return b, nil
	}
	script, err := findScript()
	if err != nil {
		return "", err
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v\n%s", ErrNoBinary, script, err, tail(stderr.String(), 2000))
	}
	b := strings.TrimSpace(string(out))
	if _, err := os.Stat(b); err != nil {
		return "", fmt.Errorf("%w: %s printed %q: %v", ErrNoBinary, script, b, err)
	}
	return b, nil
}

func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, ".ci", "pyroscope-server.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: $%s is unset and no .ci/pyroscope-server.sh above the working directory", ErrNoBinary, EnvBinary)
		}
		dir = parent
	}
}

// Start starts the server binary bin and waits until it is ready.
func Start(ctx context.Context, bin string, opts Options) (*Server, error) {
	var lastErr error
	// The free port is found by binding and releasing it, so another
	// process may take it in between: try a few ports before giving up.
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(ctx, bin, opts)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func start(ctx context.Context, bin string, opts Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pyroscopetest-")
	if err != nil {
		return nil, err
	}
	args := []string{
		"-target=all",
		"-server.http-listen-address=127.0.0.1", "-server.http-listen-port=" + strconv.Itoa(port),
		"-server.grpc-listen-address=127.0.0.1", "-server.grpc-listen-port=0",
		"-memberlist.bind-addr=127.0.0.1", "-memberlist.bind-port=0", "-memberlist.advertise-addr=127.0.0.1",
		// Without these the query frontend advertises a non-loopback
		// address and queries fail with "error contacting scheduler".
		"-compactor.ring.instance-addr=127.0.0.1", "-distributor.ring.instance-addr=127.0.0.1",
		"-ingester.lifecycler.addr=127.0.0.1", "-overrides-exporter.ring.instance-addr=127.0.0.1",
		"-query-frontend.instance-addr=127.0.0.1", "-query-scheduler.ring.instance-addr=127.0.0.1",
		"-store-gateway.sharding-ring.instance-addr=127.0.0.1",
		"-storage.backend=filesystem", "-storage.filesystem.dir=" + filepath.Join(dir, "shared"),
		"-pyroscopedb.data-path=" + filepath.Join(dir, "data"),
		"-compactor.data-dir=" + filepath.Join(dir, "compactor"),
		"-blocks-storage.bucket-store.sync-dir=" + filepath.Join(dir, "sync"),
		"-self-profiling.disable-push=true", "-usage-stats.enabled=false", "-tracing.enabled=false",
		// Ready in ~1 s instead of ~16 s.
		"-ingester.min-ready-duration=0s",
	}
	if opts.MultiTenant {
		args = append(args, "-auth.multitenancy-enabled=true")
	}
	args = append(args, opts.Args...)

	s := &Server{
		URL:  "http://127.0.0.1:" + strconv.Itoa(port),
		dir:  dir,
		log:  &syncBuffer{},
		done: make(chan struct{}),
	}
	if opts.MultiTenant {
		s.Tenant = Tenant
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Dir = dir
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	s.cmd.Env = append(os.Environ(), "GOLANG_PROTOBUF_REGISTRATION_CONFLICT=ignore")
	setDeathSignal(s.cmd)
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %v", bin, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	last := ""
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("pyroscope server exited before it was ready (%v):\n%s", s.err, tail(s.log.String(), 3000))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := client.Get(s.URL + "/ready")
		if err != nil {
			last = err.Error()
			continue
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		last = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(b.String()))
	}
	return fmt.Errorf("pyroscope server at %s not ready after %v (last: %s):\n%s", s.URL, timeout, last, tail(s.log.String(), 3000))
}

// Log returns what the server printed so far, for a failing test's output.
func (s *Server) Log() string { return s.log.String() }

// Stop terminates the server (SIGTERM, then SIGKILL after 10 s) and removes
// its data. It is safe to call more than once.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(10 * time.Second):
				_ = s.cmd.Process.Kill()
				<-s.done
			}
		}
	}
	os.RemoveAll(s.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// syncBuffer is a bytes.Buffer the server's stdout and stderr copiers may
// write to concurrently with a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Keep the last megabyte: the server logs every request at debug level.
	if b.b.Len() > 1<<20 {
		rest := append([]byte(nil), b.b.Bytes()[b.b.Len()/2:]...)
		b.b.Reset()
		b.b.Write(rest)
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
