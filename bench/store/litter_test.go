package storecampaign

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var litterRuns = flag.Int("litter", 1, "interrupted gates per signal (SIGINT, SIGTERM, SIGKILL)")

// gateRun is one `perfslo gate --base HEAD` on the fixture, in its own
// process group, with its own TMPDIR.
type gateRun struct {
	cmd    *exec.Cmd
	done   chan struct{}
	err    error
	stderr *strings.Builder
}

func startGate(t *testing.T, bin, mod, tmp string, env ...string) *gateRun {
	t.Helper()
	cmd := exec.Command(bin, "gate", "--base", "HEAD", "--count", "6", "--benchtime", "20ms", "--no-profiles", "--max-time", "20s", "--fail-on", "fail")
	cmd.Dir = mod
	cmd.Env = append(append(os.Environ(), gitEnv...), append(env, "TMPDIR="+tmp)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	g := &gateRun{cmd: cmd, done: make(chan struct{}), stderr: &strings.Builder{}}
	pr, pw := io.Pipe()
	cmd.Stderr, cmd.Stdout = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() {
		g.err = cmd.Wait()
		pw.Close()
		for l := range lines {
			g.stderr.WriteString(l + "\n")
		}
		close(g.done)
	}()
	return g
}

// waitBase waits until the run has its base worktree (a perfslo-base-*
// directory in tmp holding a checkout), or has ended.
func (g *gateRun) waitBase(tmp string) bool {
	for {
		select {
		case <-g.done:
			return false
		case <-time.After(10 * time.Millisecond):
		}
		m, _ := filepath.Glob(filepath.Join(tmp, "perfslo-base-*", "src", "go.mod"))
		if len(m) > 0 {
			return true
		}
	}
}

func (g *gateRun) wait(t *testing.T, limit time.Duration) (int, bool) {
	t.Helper()
	select {
	case <-g.done:
	case <-time.After(limit):
		syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL)
		<-g.done
		return -1, false
	}
	var ee *exec.ExitError
	if errors.As(g.err, &ee) {
		return ee.ExitCode(), true
	}
	if g.err != nil {
		t.Fatal(g.err)
	}
	return 0, true
}

// litter counts what gates left: worktrees other than the main one, and
// entries of their TMPDIR.
func litter(t *testing.T, mod, tmp string) (worktrees int, temps []string) {
	t.Helper()
	for _, l := range strings.Split(git(t, mod, "worktree", "list", "--porcelain"), "\n") {
		if strings.HasPrefix(l, "worktree ") {
			worktrees++
		}
	}
	es, _ := os.ReadDir(tmp)
	for _, e := range es {
		temps = append(temps, e.Name())
	}
	return worktrees - 1, temps
}

// TestLitter interrupts `perfslo gate --base HEAD` at random moments after
// its base worktree exists. SIGINT and SIGTERM must leave no worktree and
// nothing in TMPDIR; SIGKILL leaves both, and the next gate must remove
// them (its directories' owner is dead) and prune the worktree.
func TestLitter(t *testing.T) {
	bin := perfsloBin(t)
	mod := fixture(t)
	tmp := t.TempDir()
	start := time.Now()
	if code, ok := startGate(t, bin, mod, tmp).wait(t, 3*time.Minute); !ok || code != 0 {
		t.Fatalf("uncut gate: exit %d", code)
	}
	full := time.Since(start)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	var graceful, cleanGraceful, killed, cleanKilled, heldWorktrees, ended int
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		for i := 0; i < *litterRuns; i++ {
			g := startGate(t, bin, mod, tmp)
			if !g.waitBase(tmp) {
				t.Fatalf("gate ended before its base worktree existed:\n%s", g.stderr)
			}
			time.Sleep(time.Duration(rng.Int63n(int64(full / 4))))
			select {
			case <-g.done:
				ended++ // finished before the signal: nothing to learn
				i--
				continue
			default:
			}
			if sig == syscall.SIGKILL {
				syscall.Kill(-g.cmd.Process.Pid, sig)
			} else {
				g.cmd.Process.Signal(sig) // perfslo alone, as a CI runner or kill(1) would
			}
			code, ok := g.wait(t, 2*time.Minute)
			if !ok {
				t.Fatalf("gate still running 2 minutes after %s", sig)
			}
			if sig == syscall.SIGKILL {
				killGroup(g.cmd.Process.Pid)
			}
			wt, temps := litter(t, mod, tmp)
			if sig != syscall.SIGKILL {
				graceful++
				if code != 1 && code != 0 {
					t.Errorf("after %s: exit %d, want 1 (interrupted) or 0 (it had finished)\n%s", sig, code, g.stderr)
				}
				if wt > 0 || len(temps) > 0 {
					t.Errorf("after %s: %d worktree(s) and TMPDIR %v left\n%s", sig, wt, temps, g.stderr)
				} else {
					cleanGraceful++
				}
				continue
			}
			killed++
			heldWorktrees += wt
			if wt == 0 {
				t.Errorf("SIGKILL left no worktree: the gate had finished (exit %d), the test proves nothing", code)
			}
			// The next run cleans up after the dead one.
			if code, ok := startGate(t, bin, mod, tmp).wait(t, 3*time.Minute); !ok || code != 0 {
				t.Fatalf("gate after a SIGKILLed one: exit %d", code)
			}
			if wt2, temps2 := litter(t, mod, tmp); wt2 > 0 || len(temps2) > 0 {
				t.Errorf("after SIGKILL (which left %d worktree(s), TMPDIR %v) and a new run: %d worktree(s), TMPDIR %v", wt, temps, wt2, temps2)
			} else {
				cleanKilled++
			}
		}
	}
	t.Logf("graceful interrupts: %d, clean %d; SIGKILLs: %d (left %d worktree(s) in all), clean after the next run %d; %d run(s) ended before their signal (not counted)", graceful, cleanGraceful, killed, heldWorktrees, cleanKilled, ended)
	fmt.Printf("LITTER graceful=%d clean=%d sigkill=%d worktrees-left-by-kill=%d clean-after-next-run=%d ended-before-signal=%d\n", graceful, cleanGraceful, killed, heldWorktrees, cleanKilled, ended)
}

// TestSecondInterrupt makes the first Ctrl-C's cleanup hang (a git that
// sleeps on `worktree remove`): the gate must stay to clean up after the
// first SIGINT and exit 130 at once on the second. The worktree it had no
// time to remove is removed by the next run.
func TestSecondInterrupt(t *testing.T) {
	bin := perfsloBin(t)
	mod := fixture(t)
	tmp := t.TempDir()
	realGit, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	wrap := t.TempDir()
	pidFile := filepath.Join(wrap, "sleeper.pid")
	script := fmt.Sprintf("#!/bin/sh\ncase \"$*\" in *\"worktree remove\"*) echo $$ > %s; sleep 120;; esac\nexec %s \"$@\"\n", pidFile, realGit)
	if err := os.WriteFile(filepath.Join(wrap, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidFile); err == nil {
			var pid int
			fmt.Sscan(string(b), &pid)
			if pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	g := startGate(t, bin, mod, tmp, "PATH="+wrap+string(os.PathListSeparator)+os.Getenv("PATH"))
	if !g.waitBase(tmp) {
		t.Fatalf("gate ended before its base worktree existed:\n%s", g.stderr)
	}
	g.cmd.Process.Signal(syscall.SIGINT)
	// The cleanup is stuck in `git worktree remove` once the sleeper wrote its pid.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(pidFile); err == nil {
			break
		}
		select {
		case <-g.done:
			t.Fatalf("gate exited after the first SIGINT without reaching cleanup (%v):\n%s", g.err, g.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("cleanup never started")
		}
	}
	g.cmd.Process.Signal(syscall.SIGINT)
	code, ok := g.wait(t, 20*time.Second)
	if !ok {
		t.Fatalf("the second SIGINT was swallowed: still running 20s later\n%s", g.stderr)
	}
	if code != 130 {
		t.Fatalf("after the second SIGINT: exit %d, want 130\n%s", code, g.stderr)
	}
	wt, temps := litter(t, mod, tmp)
	if code, ok := startGate(t, bin, mod, tmp).wait(t, 3*time.Minute); !ok || code != 0 {
		t.Fatalf("next gate: exit %d", code)
	}
	wt2, temps2 := litter(t, mod, tmp)
	t.Logf("second SIGINT: exit %d, left %d worktree(s) and %d TMPDIR entries; after the next run: %d and %v", code, wt, len(temps), wt2, temps2)
	if wt2 > 0 || len(temps2) > 0 {
		t.Errorf("the next run left %d worktree(s), TMPDIR %v", wt2, temps2)
	}
	fmt.Printf("LITTER second-sigint exit=%d left-worktrees=%d left-temps=%d after-next-run-worktrees=%d after-next-run-temps=%d\n", code, wt, len(temps), wt2, len(temps2))
}
