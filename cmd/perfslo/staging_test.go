package main

import (
	"bytes"
	"context"
	"github.com/perfslo/perfslo/gate"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStagingErrors: failures that need no Pyroscope server exit 1 with a
// clear message, quickly. (The staging commands against a real server are
// tested in profiles/pyroscope, which shares one server and one demo run.)
func TestStagingErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("perfslo.yaml", "version: 1\nstaging:\n  service: api\n  budgets:\n    - function: encoding/json\\.\n      cpu-share: 10%\n")
	write("nostaging.yaml", "version: 1\n")
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		phrase string
	}{
		{"unknown subcommand", nil, []string{"staging", "nope"}, `unknown staging command "nope"`},
		{"no server", nil, []string{"staging", "check"}, "no Pyroscope server: pass --server or set PYROSCOPE_SERVER_ADDRESS"},
		{"server down", map[string]string{"PYROSCOPE_SERVER_ADDRESS": down.URL}, []string{"staging", "check"}, "connection refused"},
		{"no staging section", nil, []string{"staging", "check", "--config", "nostaging.yaml", "--server", down.URL}, "no staging budgets"},
		{"compare without sides", nil, []string{"staging", "compare", "--server", down.URL, "--service", "api"}, "needs --base and --head"},
		{"bad selector", nil, []string{"staging", "pgo", "--server", down.URL, "--service", "api", "--selector", "commit=abc"}, "want labels in braces"},
		{"negative window", nil, []string{"staging", "coverage", "--server", down.URL, "--service", "api", "--since", "-1h"}, "want a positive duration"},
		{"no service", nil, []string{"staging", "pgo", "--server", down.URL}, "no service name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := &environment{stdout: &out, stderr: &errb, dir: dir, getenv: func(k string) string { return tc.env[k] }}
			start := time.Now()
			code := runMain(context.Background(), env, tc.args)
			if code != gate.ExitUndecided || !strings.Contains(errb.String(), tc.phrase) {
				t.Errorf("perfslo %s: exit %d, stderr %q; want exit 1 mentioning %q", strings.Join(tc.args, " "), code, errb.String(), tc.phrase)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}
