package pyroscopetest

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"
)

// Shared is one server for all the tests of a test binary, started lazily by
// the first test that asks for it and stopped by Close in TestMain.
type Shared struct {
	opts Options
	once sync.Once
	srv  *Server
	err  error
}

// NewShared returns a shared server that starts on first use.
func NewShared(opts Options) *Shared { return &Shared{opts: opts} }

// Get returns the running server. When no binary can be had it skips the
// test, unless $CI is "true": CI must never pass by skipping. Any other
// failure to start fails the test.
func (s *Shared) Get(tb testing.TB) *Server {
	tb.Helper()
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		bin, err := Binary(ctx)
		if err != nil {
			s.err = err
			return
		}
		s.srv, s.err = Start(ctx, bin, s.opts)
	})
	if s.err != nil {
		if errors.Is(s.err, ErrNoBinary) && os.Getenv("CI") != "true" {
			tb.Skipf("skipping: %v (set %s, or run .ci/pyroscope-server.sh)", s.err, EnvBinary)
		}
		tb.Fatalf("pyroscope test server: %v", s.err)
	}
	return s.srv
}

// Close stops the server if it was started.
func (s *Shared) Close() {
	if s.srv != nil {
		s.srv.Stop()
	}
}
