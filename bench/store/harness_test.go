// Package storecampaign is the crash and litter campaign of the baseline store and
// the gate, on the real perfslo binary: `baseline save` SIGKILLed at random
// moments (kill_test.go), and a gate interrupted or killed while it holds a
// base worktree and temporary files (litter_test.go).
//
//	go test -count=1 ./bench/store                     # make test: a short run
//	go test -count=1 -v ./bench/store -kills 100       # make crash-store: the campaign
//	PERFSLO_BIN=/path/to/perfslo go test ./bench/store # judge another build
//
// Results: bench/store/results.md.
package storecampaign

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// perfsloBin builds the real binary once per test process.
func perfsloBin(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("PERFSLO_BIN"); b != "" {
		return b // another build: the same campaign on, say, main's binary
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "perfslo-crash-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "perfslo")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/perfslo/perfslo/cmd/perfslo").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// TestMain removes the binary's directory after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// killGroup SIGKILLs what is left of the process group led by pid (its
// leader already reaped) and waits until every member is gone: a killed
// process finishes the system call it is in (a dying linker's last write),
// and the next run must not start before.
func killGroup(pid int) {
	syscall.Kill(-pid, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if err := syscall.Kill(-pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
	}
}

// gitEnv is a fixed identity and no user configuration.
var gitEnv = []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@localhost", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@localhost", "GIT_CONFIG_GLOBAL=/dev/null"}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// fixture is a module whose one benchmark reports the generation written
// in gen.txt (embedded, so each generation is its own build) as gen/op:
// the results of a baseline say which commit they were measured at.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/crash\n\ngo 1.26\n",
		"gen.txt": "0\n",
		"gen.go":  "// Package crash is the store campaign's fixture.\npackage crash\n\nimport _ \"embed\"\n\n//go:embed gen.txt\nvar gen string\n",
		"gen_test.go": `package crash

import (
	"strconv"
	"strings"
	"testing"
)

func BenchmarkGen(b *testing.B) {
	g, err := strconv.Atoi(strings.TrimSpace(gen))
	if err != nil {
		b.Fatal(err)
	}
	s := 0
	for i := 0; i < b.N; i++ {
		s += i
	}
	_ = s
	b.ReportMetric(float64(g), "gen/op")
}
`,
		".gitignore": ".perfslo/\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "gen 0")
	return dir
}

// setGen commits generation g and returns the commit.
func setGen(t *testing.T, dir string, g int) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "gen.txt"), []byte(fmt.Sprintf("%d\n", g)), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "commit", "-q", "-am", fmt.Sprintf("gen %d", g))
	return git(t, dir, "rev-parse", "HEAD")
}
