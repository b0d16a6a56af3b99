package profiles

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/gate"
)

func git(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const sumV1 = `package sum

import "strconv"

// Parse converts lines.
func Parse(lines []string) []int {
	var out []int
	for _, l := range lines {
		n, _ := strconv.Atoi(l)
		out = append(out, n)
	}
	return out
}

type Acc[T any] struct{ xs []T }

func (a *Acc[T]) Add(x T) { a.xs = append(a.xs, x) }

func (a Acc[T]) Len() int { return len(a.xs) }

func Total(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

func Unchanged() int { return 1 }
`

// TestChangedFunctions edits a real repository and maps `git diff -U0` to
// the functions pprof would name.
func TestChangedFunctions(t *testing.T) {
	repo := t.TempDir()
	writeFiles(t, repo, map[string]string{
		"mod/go.mod":          "module example.com/m\n\ngo 1.26\n",
		"mod/sum/sum.go":      sumV1,
		"mod/cmd/x/main.go":   "package main\n\nfunc main() {\n\tprintln(1)\n}\n",
		"mod/sum/x_test.go":   "package sum_test\n\nimport \"testing\"\n\nfunc BenchmarkT(b *testing.B) {\n\tfor b.Loop() {\n\t}\n}\n",
		"mod/README.md":       "hello\n",
		"other/go.mod":        "module example.com/other\n",
		"other/o.go":          "package o\n\nfunc O() {}\n",
		"mod/sum/gone.go":     "package sum\n\nfunc Gone() {}\n",
		"mod/sum/comments.go": "package sum\n\n// Doc.\nfunc Doc() {}\n",
	})
	git(t, repo, "init", "-q")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-qm", "v1")
	base := strings.TrimSpace(string(git(t, repo, "rev-parse", "HEAD")))

	edited := strings.NewReplacer(
		"n, _ := strconv.Atoi(l)", "n, _ := strconv.Atoi(fmt.Sprintf(\"%s\", l))",
		`import "strconv"`, "import (\n\t\"fmt\"\n\t\"strconv\"\n)",
		"func (a *Acc[T]) Add(x T) { a.xs = append(a.xs, x) }", "func (a *Acc[T]) Add(x T) {\n\ta.xs = append(a.xs, x)\n\ta.xs = a.xs[:len(a.xs):len(a.xs)]\n}",
		"\t\ts += x\n", "",
	).Replace(sumV1)
	writeFiles(t, repo, map[string]string{
		"mod/sum/sum.go":      edited,
		"mod/cmd/x/main.go":   "package main\n\nfunc main() {\n\tprintln(2)\n}\n",
		"mod/sum/x_test.go":   "package sum_test\n\nimport \"testing\"\n\nfunc BenchmarkT(b *testing.B) {\n\tfor b.Loop() {\n\t\t_ = 1\n\t}\n}\n",
		"mod/README.md":       "hello, world\n",
		"other/o.go":          "package o\n\nfunc O() { println() }\n",
		"mod/sum/comments.go": "package sum\n\n// Doc, better worded.\nfunc Doc() {}\n",
	})
	os.Remove(filepath.Join(repo, "mod/sum/gone.go"))
	diff := git(t, repo, "diff", "-U0", "--no-color", base, "--")
	read := func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(repo, p)) }

	ch, err := ChangedFunctions(diff, Module{Path: "example.com/m", Dir: "mod"}, read)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"example.com/m/sum.(*Acc).Add",
		"example.com/m/sum.Parse",
		"example.com/m/sum.Total",
		"example.com/m/sum_test.BenchmarkT",
		"main.main",
	}
	if !reflect.DeepEqual(ch.Functions, want) {
		t.Errorf("functions:\n got %q\nwant %q\ndiff:\n%s", ch.Functions, want, diff)
	}
	if len(ch.Outside) != 0 {
		t.Errorf("outside = %q, want none (imports, comments, docs and other modules do not count)", ch.Outside)
	}

	// A package-level declaration or go.mod change can move any cost.
	writeFiles(t, repo, map[string]string{
		"mod/sum/vars.go": "package sum\n\nvar Table = []int{1, 2, 3}\n",
		"mod/go.mod":      "module example.com/m\n\ngo 1.26.1\n",
	})
	git(t, repo, "add", "-N", "mod/sum/vars.go")
	diff = git(t, repo, "diff", "-U0", base, "--")
	ch, err = ChangedFunctions(diff, Module{Path: "example.com/m", Dir: "mod"}, read)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"go.mod", "mod/sum/vars.go:3"}; !reflect.DeepEqual(ch.Outside, want) {
		t.Errorf("outside = %q, want %q", ch.Outside, want)
	}
}

func TestChangedFunctionsErrors(t *testing.T) {
	read := func(p string) ([]byte, error) { return nil, os.ErrNotExist }
	_, err := ChangedFunctions([]byte("diff --git a/x.go b/x.go\n+++ b/x.go\n@@ bogus @@\n"), Module{Path: "m"}, read)
	if err == nil || err.Error() != `diff line 3: malformed hunk header "@@ bogus @@": expected "@@ -a,b +c,d @@"` {
		t.Errorf("bad hunk: %v", err)
	}
	_, err = ChangedFunctions([]byte("diff --git a/x.go b/x.go\n+++ b/x.go\n@@ -1 +1 @@\n"), Module{Path: "m"}, read)
	if err == nil {
		t.Errorf("unreadable file: no error")
	}
	bad := func(string) ([]byte, error) { return []byte("package x\nfunc {"), nil }
	ch, err := ChangedFunctions([]byte("diff --git a/x.go b/x.go\n+++ b/x.go\n@@ -1 +2 @@\n"), Module{Path: "m"}, bad)
	if err != nil || len(ch.Outside) != 1 || ch.Outside[0] != "x.go (does not parse)" {
		t.Errorf("unparsable file: %+v, %v", ch, err)
	}
}

func TestMatchFunction(t *testing.T) {
	for _, tt := range []struct {
		name, fn string
		want     bool
	}{
		{"m/sum.Parse", "m/sum.Parse", true},
		{"m/sum.Parse.func1", "m/sum.Parse", true},
		{"m/sum.Parse.func1.2", "m/sum.Parse", true},
		{"m/sum.Parse.gowrap1", "m/sum.Parse", true},
		{"m/sum.(*Acc[...]).Add", "m/sum.(*Acc).Add", true},
		{"m/sum.(*R).Read-fm", "m/sum.(*R).Read", true},
		{"m/sum.init.0", "m/sum.init", true},
		{"m/sum.ParseAll", "m/sum.Parse", false},
		{"m/sum.Parse.Inner", "m/sum.Parse", false},
		{"m/summary.Parse", "m/sum.Parse", false},
	} {
		if got := matchFunction(tt.name, tt.fn); got != tt.want {
			t.Errorf("matchFunction(%q, %q) = %v", tt.name, tt.fn, got)
		}
	}
}

func TestMarkLikelyLayout(t *testing.T) {
	types := []string{"samples/count", "cpu/nanoseconds"}
	base := &Measured{Path: "b", Iters: 1, Profile: synth(types,
		stack{frames: []string{"m.hot", "m.caller", "m.BenchmarkX"}, values: []int64{1, 100}},
		stack{frames: []string{"m.other", "m.BenchmarkX"}, values: []int64{1, 100}},
	)}
	head := &Measured{Path: "h", Iters: 1, Profile: synth(types,
		stack{frames: []string{"m.hot", "m.caller", "m.BenchmarkX"}, values: []int64{2, 130}},
		stack{frames: []string{"m.other", "m.BenchmarkX"}, values: []int64{1, 100}},
	)}
	d, err := Diff(base, head)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		changes *Changes
		want    bool
	}{
		{"unknown diff", nil, false},
		{"nothing changed", &Changes{}, true},
		{"change elsewhere", &Changes{Functions: []string{"m.other", "m.unrelated"}}, true},
		{"caller changed", &Changes{Functions: []string{"m.caller"}}, false},
		{"closure of hot", &Changes{Functions: []string{"m.hot"}}, false},
		{"package var changed", &Changes{Functions: []string{"m.other"}, Outside: []string{"m.go:3"}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Attribute(d, "sec/op", 5)
			if err != nil {
				t.Fatal(err)
			}
			if err := MarkLikelyLayout(a, d, "sec/op", tt.changes); err != nil {
				t.Fatal(err)
			}
			if a.LikelyLayout != tt.want {
				t.Errorf("LikelyLayout = %v, want %v", a.LikelyLayout, tt.want)
			}
			if got := strings.Contains(strings.Join(a.Warnings, "\n"), LayoutWarning); got != tt.want {
				t.Errorf("warnings %q", a.Warnings)
			}
		})
	}
	var nilAttr *gate.Attribution
	if err := MarkLikelyLayout(nilAttr, d, "sec/op", &Changes{}); err != nil {
		t.Error(err)
	}
}
