//go:build unix

package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether pid exists and is not a zombie waiting for a reaper.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no procfs: trust kill(0)
	}
	// The state follows the parenthesised command name.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

func TestInterleaveCancel(t *testing.T) {
	_, pkgs := builtFixture(t)
	pidfile := filepath.Join(t.TempDir(), "pids")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	type result struct {
		out *Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := Interleave(ctx, Plan{
			Head: []Package{pkgs["slow"]}, Rounds: 3, Timeout: time.Minute,
			Env: []string{"PIDFILE=" + pidfile},
		})
		done <- result{out, err}
	}()

	var pids []int
	deadline := time.Now().Add(20 * time.Second)
	for len(pids) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("benchmark never started")
		}
		time.Sleep(20 * time.Millisecond)
		if data, err := os.ReadFile(pidfile); err == nil {
			for _, f := range strings.Fields(string(data)) {
				pid, _ := strconv.Atoi(f)
				pids = append(pids, pid)
			}
		}
	}
	cancelled := time.Now()
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Interleave did not return within 5s of cancellation")
	}
	if !errors.Is(r.err, context.Canceled) || r.out != nil {
		t.Errorf("Interleave = %v, %v; want nil, context.Canceled", r.out, r.err)
	}
	t.Logf("returned %v after cancel", time.Since(cancelled))
	for _, pid := range pids {
		for i := 0; alive(pid); i++ {
			if i == 100 {
				t.Errorf("process %d (benchmark or its helper) survived cancellation", pid)
				syscall.Kill(pid, syscall.SIGKILL)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
