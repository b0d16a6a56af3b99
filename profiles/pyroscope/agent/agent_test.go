package agent

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	env := map[string]string{
		EnvServerAddress:     "http://127.0.0.1:4040",
		EnvApplicationName:   "checkout",
		EnvBasicAuthUser:     "u",
		EnvBasicAuthPassword: "p",
		EnvTenantID:          "team-a",
		EnvEnvironment:       "staging",
	}
	c, err := Config{Commit: "abc123", Version: "v1.2.3", Tags: map[string]string{"region": "eu", TagEnv: "canary"}}.resolve(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.ServerAddress != env[EnvServerAddress] || c.ApplicationName != "checkout" || c.BasicAuthUser != "u" || c.BasicAuthPassword != "p" || c.TenantID != "team-a" {
		t.Errorf("environment not read: %+v", c)
	}
	tags := c.tags()
	want := map[string]string{TagCommit: "abc123", TagServiceVersion: "v1.2.3", TagGoVersion: runtime.Version(), TagEnv: "canary", "region": "eu"}
	for k, v := range want {
		if tags[k] != v {
			t.Errorf("tag %s = %q, want %q", k, tags[k], v)
		}
	}

	// Config fields win over the environment.
	c, err = Config{ServerAddress: "https://pyro.example:443", ApplicationName: "x"}.resolve(func(k string) string { return env[k] })
	if err != nil || c.ServerAddress != "https://pyro.example:443" || c.ApplicationName != "x" || c.Env != "staging" {
		t.Errorf("resolve = %+v, %v", c, err)
	}

	// No commit anywhere (this test binary is built with -buildvcs=false or
	// outside a repository): no empty commit label.
	c, _ = Config{}.resolve(func(k string) string { return env[k] })
	if _, ok := c.tags()[TagCommit]; ok && c.Commit == "" {
		t.Errorf("empty commit tag set")
	}
}

func TestStartErrors(t *testing.T) {
	t.Setenv(EnvServerAddress, "")
	if _, err := Start(context.Background(), Config{}); !errors.Is(err, ErrNoServer) {
		t.Errorf("no address: %v, want ErrNoServer", err)
	}
	_, err := Start(context.Background(), Config{ServerAddress: "ftp://u:secret@host"})
	if err == nil || !strings.Contains(err.Error(), "want an http:// or https:// URL") || strings.Contains(err.Error(), "secret") {
		t.Errorf("bad address: %v", err)
	}
	if _, err := Start(context.Background(), Config{ServerAddress: "http://127.0.0.1:1", MutexProfileFraction: -1}); err == nil {
		t.Errorf("negative rate accepted")
	}
}

// TestRatesRestored: mutex and block profiling are set while the agent runs
// and restored by stop (and by cancelling the context). The server address
// is a closed port: uploads fail quietly in the background, as they would
// during a server outage, and the service is not disturbed.
func TestRatesRestored(t *testing.T) {
	prev := runtime.SetMutexProfileFraction(3)
	defer runtime.SetMutexProfileFraction(prev)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := Start(ctx, Config{ServerAddress: "http://127.0.0.1:1", ApplicationName: "t", MutexProfileFraction: 7, BlockProfileRate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.SetMutexProfileFraction(-1); got != 7 {
		t.Errorf("mutex fraction while running = %d, want 7", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := runtime.SetMutexProfileFraction(-1); got != 3 {
		t.Errorf("mutex fraction after stop = %d, want the previous 3", got)
	}
	if err := stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}
}
