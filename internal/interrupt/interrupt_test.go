package interrupt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as the helper process: it waits for the context, then
// "cleans up" forever (a hung cleanup), so only a second signal ends it.
func TestMain(m *testing.M) {
	if os.Getenv("INTERRUPT_HELPER") != "" {
		ctx, stop := Context(context.Background(), os.Stderr)
		defer stop()
		fmt.Println("ready")
		<-ctx.Done()
		fmt.Println("cleaning up")
		select {} // a cleanup that never ends
	}
	os.Exit(m.Run())
}

func TestSecondSignalExitsAtOnce(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "INTERRUPT_HELPER=1")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			r := bufio.NewReader(out)
			expect := func(want string) {
				t.Helper()
				line, err := r.ReadString('\n')
				if err != nil || strings.TrimSpace(line) != want {
					t.Fatalf("helper said %q, %v; want %q", line, err, want)
				}
			}
			expect("ready")
			cmd.Process.Signal(sig)
			expect("cleaning up") // the first signal cancelled, and did not exit
			cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != Exit {
					t.Fatalf("after the second %s: %v, want exit %d\n%s", sig, err, Exit, stderr.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("still running 30s after the second %s: the signal was swallowed\n%s", sig, stderr.String())
			}
			if !strings.Contains(stderr.String(), "interrupt again to quit at once") || !strings.Contains(stderr.String(), "quitting without cleanup") {
				t.Errorf("stderr = %q", stderr.String())
			}
		})
	}
}
