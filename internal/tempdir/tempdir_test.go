package tempdir

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMain doubles as the helper process: with TEMPDIR_HELPER set it makes
// a directory, prints it, and then either exits without removing it (a
// killed run) or waits for its stdin to close (a live run).
func TestMain(m *testing.M) {
	if mode := os.Getenv("TEMPDIR_HELPER"); mode != "" {
		dir, err := New("helper-")
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(dir)
		if mode == "live" {
			bufio.NewReader(os.Stdin).ReadString('\n')
		}
		os.Exit(0) // no Remove: what SIGKILL leaves
	}
	os.Exit(m.Run())
}

// helper starts a helper process in tmp and returns its directory.
func helper(t *testing.T, tmp, mode string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TEMPDIR_HELPER="+mode, "TMPDIR="+tmp)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, tmp) {
		t.Fatalf("helper said %q, %v", line, err)
	}
	dir := strings.TrimSpace(line)
	if mode == "dead" {
		cmd.Wait()
	}
	return dir, cmd
}

func TestSweepRemovesOnlyTheDeads(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dead, _ := helper(t, tmp, "dead")
	live, _ := helper(t, tmp, "live")
	// Not ours: no owner file, whatever its name, and a file in it.
	other := filepath.Join(tmp, Prefix+"someone-else")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "data"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// What a killed run's child may recreate after a sweep: empty
	// directories, no owner file. They go; a file in one keeps it.
	empty := filepath.Join(tmp, Prefix+"baseline-1", "bin")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	mine, err := New("mine-")
	if err != nil {
		t.Fatal(err)
	}
	// New swept already; a second sweep finds nothing more.
	if got := Sweep(); len(got) != 0 {
		t.Errorf("second sweep removed %v", got)
	}
	if _, err := os.Stat(filepath.Dir(empty)); !os.IsNotExist(err) {
		t.Errorf("empty ownerless %s is still there (%v)", empty, err)
	}
	for _, d := range []string{live, other, mine} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead run's %s is still there (%v)", dead, err)
	}
	if err := Remove(mine); err != nil {
		t.Fatal(err)
	}
	es, _ := os.ReadDir(tmp)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	if want := []string{filepath.Base(live), filepath.Base(other)}; !slices.Equal(names, want) && !slices.Equal(names, []string{want[1], want[0]}) {
		t.Errorf("TMPDIR holds %v, want %v", names, want)
	}
}
