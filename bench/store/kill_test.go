package storecampaign

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perfslo/perfslo/internal/store"
)

var kills = flag.Int("kills", 15, "SIGKILLs of baseline save per store kind (dir, git)")

// save is one `perfslo baseline save` process.
type save struct {
	cmd    *exec.Cmd
	start  time.Time
	saving chan time.Time // when "saving baseline" was printed
	done   chan struct{}
	err    error
	stderr bytes.Buffer
	mu     sync.Mutex
	tail   time.Duration // from "saving baseline" to the exit, when it finished before its kill
}

func startSave(t *testing.T, bin, mod, tmp string, args ...string) *save {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"baseline", "save", "--name", "main", "--count", "2", "--benchtime", "1x"}, args...)...)
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), append(gitEnv, "TMPDIR="+tmp)...)
	// Its own process group, so the kill takes perfslo and what it runs
	// in that group at once, as a crash would.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	cmd.Stdout = io.Discard
	s := &save{cmd: cmd, saving: make(chan time.Time, 1), done: make(chan struct{})}
	s.start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "perfslo: saving baseline") {
				s.saving <- time.Now()
			}
			s.mu.Lock()
			s.stderr.WriteString(line + "\n")
			s.mu.Unlock()
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		s.err = cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	return s
}

func (s *save) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// finish waits for an uncut save and returns its run time and the time
// from "saving baseline" to its exit.
func (s *save) finish(t *testing.T) (total, tail time.Duration) {
	t.Helper()
	<-s.done
	end := time.Now()
	if s.err != nil {
		t.Fatalf("baseline save: %v\n%s", s.err, s.output())
	}
	select {
	case at := <-s.saving:
		return end.Sub(s.start), end.Sub(at)
	default:
		t.Fatalf("baseline save never said it was saving:\n%s", s.output())
	}
	return 0, 0
}

// kill SIGKILLs the save's process group after delay from start (anywhere)
// or from its "saving baseline" line (in the store). It reports whether the
// process was still running when killed.
func (s *save) kill(delay time.Duration, inStore bool) bool {
	from := s.start
	if inStore {
		select {
		case from = <-s.saving:
		case <-s.done:
			return false
		}
	}
	select {
	case <-time.After(time.Until(from.Add(delay))):
	case <-s.done:
		if inStore {
			s.tail = time.Since(from)
		}
		return false
	}
	pid := s.cmd.Process.Pid
	syscall.Kill(-pid, syscall.SIGKILL)
	<-s.done
	killGroup(pid) // whatever was still dying when perfslo was reaped
	return true
}

// genOf reads the generation the results were measured at; every line
// must agree.
func genOf(results []byte) (int, error) {
	gen, n := -1, 0
	for _, line := range strings.Split(string(results), "\n") {
		f := strings.Fields(line)
		for i := 1; i < len(f); i++ {
			if f[i] != "gen/op" {
				continue
			}
			g, err := strconv.Atoi(f[i-1])
			if err != nil {
				return 0, fmt.Errorf("bad gen/op in %q", line)
			}
			if gen >= 0 && g != gen {
				return 0, fmt.Errorf("results mix generations %d and %d", gen, g)
			}
			gen = g
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("no gen/op in results %.200q", results)
	}
	return gen, nil
}

// TestKillSave SIGKILLs `perfslo baseline save` at random moments, -kills
// times per store kind. After each kill the store must read cleanly and
// hold the previous baseline or the killed save's, never a mix of two (the
// commit in meta.json and the generation in results.txt agree), and the
// next save must work. At the end nothing may be left behind: no temporary
// baseline directory, no temporary directory under the runs' TMPDIR.
func TestKillSave(t *testing.T) {
	bin := perfsloBin(t)
	for _, kind := range []string{"dir", "git"} {
		t.Run(kind, func(t *testing.T) { killCampaign(t, bin, kind, *kills) })
	}
}

func killCampaign(t *testing.T, bin, kind string, n int) {
	mod := fixture(t)
	tmp := t.TempDir()
	var args []string
	var st store.Store = store.Dir{Root: filepath.Join(mod, store.DefaultRoot)}
	if kind == "git" {
		args = []string{"--store", "git:" + store.DefaultGitBranch}
		st = &store.GitBranch{Repo: mod}
	}
	gens := map[string]int{git(t, mod, "rev-parse", "HEAD"): 0}
	// Two uncut saves: the store's first baseline, and the timings the
	// kills are drawn from.
	var total, tail time.Duration
	for g := 0; g < 2; g++ {
		if g > 0 {
			gens[setGen(t, mod, g)] = g
		}
		tot, tl := startSave(t, bin, mod, tmp, args...).finish(t)
		total, tail = max(total, tot), max(tail, tl)
	}
	t.Logf("uncut save: %s, of which %s from \"saving baseline\" to the exit", total, tail)
	prev := git(t, mod, "rev-parse", "HEAD")
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	var killed, early, anywhere, old, fresh int
	// n kills that land, not n tries: under load many saves finish before
	// the moment drawn for them.
	i := 0
	for ; killed < n && i < 4*n; i++ {
		g := i + 2
		cur := setGen(t, mod, g)
		gens[cur] = g
		saveArgs := args
		if i%2 == 1 {
			// Every other save without profiles: twice the kills per
			// minute, and kills inside the results' write alone.
			saveArgs = append([]string{"--no-profiles"}, args...)
		}
		s := startSave(t, bin, mod, tmp, saveArgs...)
		// A quarter of the kills anywhere in the run; the rest in the
		// window that matters, from "saving baseline" to the exit.
		inStore := i%4 != 0
		var delay time.Duration
		if inStore {
			delay = time.Duration(rng.Int63n(int64(tail) + 1))
		} else {
			delay = time.Duration(rng.Int63n(int64(total)))
		}
		if s.kill(delay, inStore) {
			killed++
			if !inStore {
				anywhere++
			}
		} else {
			early++
			if s.tail > 0 {
				// The machine's load changes: draw the next moments
				// from the window as it is now.
				tail = s.tail
			}
			if s.err != nil {
				t.Fatalf("save %d failed before the kill: %v\n%s", g, s.err, s.output())
			}
		}
		b, err := st.Load("main")
		if err != nil {
			t.Fatalf("kill %d (%s after %s): the store does not read: %v\n%s", i, delay, map[bool]string{true: "saving", false: "start"}[inStore], err, s.output())
		}
		got, err := genOf(b.Results)
		if err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		switch {
		case b.Meta.Commit == prev && got == gens[prev]:
			old++
		case b.Meta.Commit == cur && got == g:
			fresh++
		default:
			t.Fatalf("kill %d: meta says commit %.12s (gen %d), results say gen %d; want the old (gen %d) or the new (gen %d)", i, b.Meta.Commit, gens[b.Meta.Commit], got, gens[prev], g)
		}
		for name, p := range b.Profiles {
			if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
				t.Fatalf("kill %d: profile %s: %v", i, name, err)
			}
		}
		if _, err := st.List(); err != nil {
			t.Fatalf("kill %d: List: %v", i, err)
		}
		prev = b.Meta.Commit
	}
	// After the last kill, one more save must work and tidy up.
	gens[setGen(t, mod, i+2)] = i + 2
	startSave(t, bin, mod, tmp, args...).finish(t)
	show := exec.Command(bin, "baseline", "show", "main", "--store", storeSpec(kind, mod))
	show.Dir = mod
	if out, err := show.CombinedOutput(); err != nil {
		t.Fatalf("baseline show: %v\n%s", err, out)
	}
	litter := leftovers(t, kind, mod, tmp)
	t.Logf("%s store: %d saves started, %d SIGKILLed (%d anywhere in the run, %d while saving), %d finished before their kill; store held the old baseline %d times, the new one %d times, a mix 0 times; leftovers after the next save: %v",
		kind, i, killed, anywhere, killed-anywhere, early, old, fresh, litter)
	if len(litter) > 0 {
		t.Errorf("left behind: %v", litter)
	}
	if killed < n {
		t.Errorf("only %d of %d kills landed in %d saves", killed, n, i)
	}
	fmt.Printf("KILLSAVE store=%s saves=%d killed=%d anywhere=%d early=%d old=%d new=%d mixed=0 leftovers=%d\n", kind, i, killed, anywhere, early, old, fresh, len(litter))
}

func storeSpec(kind, mod string) string {
	if kind == "git" {
		return "git:" + store.DefaultGitBranch
	}
	return filepath.Join(mod, store.DefaultRoot)
}

// leftovers lists what the killed saves left that the next save did not
// clean: temporary baselines, git lock files, temporary directories.
func leftovers(t *testing.T, kind, mod, tmp string) []string {
	var out []string
	if kind == "dir" {
		es, _ := os.ReadDir(filepath.Join(mod, store.DefaultRoot, "baselines"))
		for _, e := range es {
			if e.Name() != "main" && e.Name() != ".lock" {
				out = append(out, "baselines/"+e.Name())
			}
		}
	} else {
		locks, _ := filepath.Glob(filepath.Join(mod, ".git", "refs", "heads", "*.lock"))
		out = append(out, locks...)
		if s := git(t, mod, "status", "--porcelain"); s != "" {
			out = append(out, "work tree changed: "+s)
		}
	}
	es, _ := os.ReadDir(tmp)
	for _, e := range es {
		sub, _ := exec.Command("find", filepath.Join(tmp, e.Name())).CombinedOutput()
		out = append(out, "TMPDIR/"+e.Name()+" holding "+strings.Join(strings.Fields(string(sub)), " "))
	}
	return out
}
