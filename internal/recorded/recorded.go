// Package recorded replays real benchmark output for tests and evaluations
// that need many baselines: runs recorded with go test -bench on this
// project's machines (bench/simulate/pools), split per process and
// perturbed in stated ways (a time factor, a choice of runs), so a history
// of hundreds of commits can be built without hours of benchmarking.
package recorded

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/internal/gitref"
	"github.com/perfslo/perfslo/internal/store"
)

// Runs reads a pool file (concatenated go test -bench outputs) and returns
// one element per benchmark process, each with its own header.
func Runs(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var runs []string
	for _, chunk := range strings.SplitAfter(string(data), "PASS\n") {
		if strings.Contains(chunk, "\nBenchmark") {
			runs = append(runs, strings.TrimLeft(chunk, "\n"))
		}
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("%s: no benchmark runs", path)
	}
	return runs, nil
}

// Scale multiplies every time value (ns/op, and per-unit times such as
// ns/line) on the benchmark lines of out whose name has the prefix bench
// ("" for all) by factor: what a regression of factor-1 in that code
// would have printed. Counts and bytes are left alone.
func Scale(out, bench string, factor float64) string {
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, "Benchmark") || !strings.HasPrefix(line, bench) {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		for j := 2; j+1 < len(f); j += 2 {
			if !strings.HasPrefix(f[j+1], "ns/") {
				continue
			}
			v, err := strconv.ParseFloat(f[j], 64)
			if err != nil {
				continue
			}
			f[j] = strconv.FormatFloat(v*factor, 'f', 2, 64)
		}
		lines[i] = strings.Join(f, "\t")
	}
	return strings.Join(lines, "\n")
}

// Pick joins count runs starting at the index from, wrapping around: one
// baseline's worth of samples.
func Pick(runs []string, from, count int) string {
	var b strings.Builder
	for i := range count {
		b.WriteString(runs[(from+i)%len(runs)])
	}
	return b.String()
}

// Repo creates a git repository in dir whose main branch has n commits,
// one a day from start, and returns their hashes, oldest first.
func Repo(dir string, n int, start time.Time) ([]string, error) {
	env := []string{"GIT_AUTHOR_NAME=perfslo", "GIT_AUTHOR_EMAIL=perfslo@localhost", "GIT_COMMITTER_NAME=perfslo", "GIT_COMMITTER_EMAIL=perfslo@localhost"}
	git := func(extra []string, args ...string) (string, error) {
		return gitref.Command{Dir: dir, Args: args, Env: append(append([]string(nil), env...), extra...)}.Output(context.Background())
	}
	if _, err := git(nil, "init", "-q", "-b", "main"); err != nil {
		return nil, err
	}
	var commits []string
	for i := range n {
		if err := os.WriteFile(dir+"/step.txt", []byte(fmt.Sprintf("step %d\n", i)), 0o644); err != nil {
			return nil, err
		}
		when := start.Add(time.Duration(i) * 24 * time.Hour).Format(time.RFC3339)
		dates := []string{"GIT_AUTHOR_DATE=" + when, "GIT_COMMITTER_DATE=" + when}
		if _, err := git(nil, "add", "step.txt"); err != nil {
			return nil, err
		}
		if _, err := git(dates, "commit", "-q", "-m", fmt.Sprintf("step %d", i)); err != nil {
			return nil, err
		}
		c, err := git(nil, "rev-parse", "HEAD")
		if err != nil {
			return nil, err
		}
		commits = append(commits, strings.TrimSpace(c))
	}
	return commits, nil
}

// History is a default-branch history to build for a test: a repository
// of Commits commits (Repo) whose git store records one baseline per
// commit, Step apart from Start, with Results(i) as the i-th baseline's
// results.
type History struct {
	Commits int
	Start   time.Time
	Step    time.Duration
	// Meta is every entry's metadata; Commit and Date are set per entry.
	Meta    store.Meta
	Policy  budgets.History
	Results func(i int) string
}

// Record builds the history in dir and returns its store and the commits,
// oldest first.
func (h History) Record(dir string) (*store.GitBranch, []string, error) {
	commits, err := Repo(dir, h.Commits, h.Start)
	if err != nil {
		return nil, nil, err
	}
	g := &store.GitBranch{Repo: dir}
	for i, c := range commits {
		m := h.Meta
		m.Commit, m.Date = c, h.Start.Add(time.Duration(i)*h.Step)
		if _, err := g.Record(m, []byte(h.Results(i)), h.Policy); err != nil {
			return nil, nil, err
		}
	}
	return g, commits, nil
}
