package pyroscope

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perfslo/perfslo/profiles/pyroscope/pyroscopetest"
)

// server is the real Pyroscope server the tests of this package share. It
// runs multi-tenant, so a request without the tenant header is a real 401.
var server = pyroscopetest.NewShared(pyroscopetest.Options{MultiTenant: true})

func TestMain(m *testing.M) {
	code := m.Run()
	server.Close()
	if stagingRun.dir != "" {
		os.RemoveAll(stagingRun.dir)
	}
	os.Exit(code)
}

// moduleRoot is the perfslo module's directory.
var moduleRoot = func() string {
	d, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	return d
}()

// staging is what the demo service left on the shared server: two
// deployments of it, stable and canary, that ran side by side under load.
type staging struct {
	srv *pyroscopetest.Server
	// Stable and Canary are the commit labels; the canary's /report does
	// twice the work (-report-size 40000), as a slower commit would.
	Stable, Canary string
	// Start and End bound the time the services ran.
	Start, End time.Time
	// Perfslo and Demo are the built binaries.
	Perfslo, Demo string
}

var stagingRun struct {
	once sync.Once
	dir  string
	s    *staging
	err  error
}

// loadDuration is how long each service is under load: long enough for a
// few hundred CPU samples per service, short enough for the test budget.
const loadDuration = 20 * time.Second

// stagingProfiles builds the perfslo command and the demo service, runs a
// stable and a canary instance of the service with the agent under a bounded
// loopback load for loadDuration, and stops them (the agent uploads on
// stop). It runs once per test binary.
func stagingProfiles(t *testing.T) *staging {
	t.Helper()
	srv := server.Get(t)
	stagingRun.once.Do(func() {
		stagingRun.dir, stagingRun.err = os.MkdirTemp("", "pyroscope-staging-")
		if stagingRun.err != nil {
			return
		}
		stagingRun.s, stagingRun.err = runStaging(srv, stagingRun.dir)
	})
	if stagingRun.err != nil {
		t.Fatal(stagingRun.err)
	}
	return stagingRun.s
}

func runStaging(srv *pyroscopetest.Server, dir string) (*staging, error) {
	s := &staging{
		srv:     srv,
		Stable:  fmt.Sprintf("stable%06x", rand.Uint32()&0xffffff),
		Canary:  fmt.Sprintf("canary%06x", rand.Uint32()&0xffffff),
		Perfslo: filepath.Join(dir, "perfslo"),
		Demo:    filepath.Join(dir, "demo-service"),
	}
	if err := goBuild(moduleRoot, s.Perfslo, "./cmd/perfslo"); err != nil {
		return nil, err
	}
	if err := goBuild(filepath.Join(moduleRoot, "examples", "cmd", "demo-service"), s.Demo, "."); err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PYROSCOPE_SERVER_ADDRESS="+srv.URL,
		"PYROSCOPE_TENANT_ID="+srv.Tenant,
		"PYROSCOPE_ENV=itest")
	s.Start = time.Now()
	var services []*exec.Cmd
	var urls []string
	defer func() {
		for _, c := range services {
			if c.ProcessState == nil {
				_ = c.Process.Kill()
				_ = c.Wait()
			}
		}
	}()
	for _, inst := range []struct{ commit, size string }{{s.Stable, "20000"}, {s.Canary, "40000"}} {
		cmd := exec.Command(s.Demo, "-commit", inst.commit, "-version", "v0.0.0-itest", "-upload-rate", "2s", "-report-size", inst.size)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		services = append(services, cmd)
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "listening on ") {
			return nil, fmt.Errorf("demo-service did not start: %q %v\n%s", line, err, stderr.String())
		}
		go io.Copy(io.Discard, out)
		urls = append(urls, strings.TrimSpace(strings.TrimPrefix(line, "listening on ")))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(urls))
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := exec.Command(s.Demo, "-load", u, "-duration", loadDuration.String(), "-concurrency", "2", "-rate", "200").CombinedOutput()
			if err != nil {
				errs[i] = fmt.Errorf("load on %s: %v\n%s", u, err, out)
			}
		}()
	}
	wg.Wait()
	for _, c := range services {
		_ = c.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range services {
		if err := c.Wait(); err != nil {
			return nil, fmt.Errorf("demo-service exited with %v", err)
		}
	}
	s.End = time.Now()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func goBuild(dir, out, pkg string, flags ...string) error {
	args := append([]string{"build", "-o", out}, flags...)
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s in %s: %v\n%s", pkg, dir, err, b)
	}
	return nil
}

// cliResult is one run of the perfslo command.
type cliResult struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// perfslo runs the built command in dir with the staging server's address
// and tenant in its environment (plus extra variables), bounded by a minute.
func (s *staging) perfslo(t *testing.T, dir string, extraEnv []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.Perfslo, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PYROSCOPE_SERVER_ADDRESS="+s.srv.URL,
		"PYROSCOPE_TENANT_ID="+s.srv.Tenant)
	cmd.Env = append(cmd.Env, extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := cliResult{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("perfslo %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("perfslo %s → exit %d in %v\n%s%s", strings.Join(args, " "), r.code, r.elapsed.Round(time.Millisecond), r.stdout, r.stderr)
	return r
}

// client is a query client of the shared server, with its tenant.
func (s *staging) client(t *testing.T) *Client {
	t.Helper()
	c, err := NewClient(ClientConfig{Server: s.srv.URL, TenantID: s.srv.Tenant, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// window is a query window around the services' run.
func (s *staging) query(profileType, selector string) Query {
	return Query{Service: "demo-service", ProfileType: profileType, Selector: selector,
		Start: s.Start.Add(-time.Minute), End: s.End.Add(time.Minute)}
}
