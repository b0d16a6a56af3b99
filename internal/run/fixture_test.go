package run

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The fixture is a real module with real benchmarks, built once for all
// tests of this package (go test -c is the slow part).
var fixtureFiles = map[string]string{
	"go.mod": "module example.com/bench\n\ngo 1.22\n",
	"fast/fast.go": `package fast

// Sum is the code under test.
func Sum(xs []int) (s int) {
	for _, x := range xs {
		s += x
	}
	return s
}
`,
	"fast/fast_test.go": `package fast

import (
	"os"
	"testing"
)

var sink []byte

func BenchmarkSum(b *testing.B) {
	xs := make([]int, 100)
	for i := 0; i < b.N; i++ {
		Sum(xs)
	}
}

func BenchmarkAlloc(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = make([]byte, 64)
	}
}

// BenchmarkTestdata fails unless the binary runs in its package directory.
func BenchmarkTestdata(b *testing.B) {
	if _, err := os.ReadFile("testdata/input.txt"); err != nil {
		b.Fatal(err)
	}
	b.Run("n=1", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
		}
	})
}
`,
	"fast/testdata/input.txt": "1\n2\n",
	"fails/fails_test.go": `package fails

import "testing"

func BenchmarkOK(b *testing.B) {
	for i := 0; i < b.N; i++ {
	}
}

func BenchmarkFatal(b *testing.B) {
	b.Fatal("boom fatal")
}

func BenchmarkSubFail(b *testing.B) {
	b.Run("case=1", func(b *testing.B) {
		if b.N > 1 {
			b.Fatalf("sub boom at N=%d", b.N)
		}
	})
}
`,
	"panics/panics_test.go": `package panics

import "testing"

func BenchmarkBefore(b *testing.B) {
	for i := 0; i < b.N; i++ {
	}
}

func BenchmarkPanic(b *testing.B) {
	panic("boom panic")
}

func BenchmarkAfter(b *testing.B) {
	for i := 0; i < b.N; i++ {
	}
}
`,
	"slow/slow_test.go": `package slow

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// BenchmarkSleep never finishes. With PIDFILE set it first starts a helper
// process and writes both pids, so a test can check nothing survives.
func BenchmarkSleep(b *testing.B) {
	if f := os.Getenv("PIDFILE"); f != "" {
		helper := exec.Command("sleep", "300")
		if err := helper.Start(); err != nil {
			b.Fatal(err)
		}
		os.WriteFile(f+".tmp", []byte(fmt.Sprint(os.Getpid(), " ", helper.Process.Pid)), 0o644)
		os.Rename(f+".tmp", f)
	}
	time.Sleep(time.Hour)
}
`,
	"envdump/envdump_test.go": `package envdump

import (
	"os"
	"strings"
	"testing"
)

// BenchmarkEnv writes the process's environment, one variable a line, to
// $ENVDUMP.<pid>: what a pull request's benchmark could read.
func BenchmarkEnv(b *testing.B) {
	if f := os.Getenv("ENVDUMP"); f != "" {
		os.WriteFile(f+"."+strings.TrimSpace(os.Getenv("ENVDUMP_TAG"))+"."+itoa(os.Getpid()), []byte(strings.Join(os.Environ(), "\n")), 0o644)
	}
	for i := 0; i < b.N; i++ {
	}
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
`,
	"chatty/chatty_test.go": `package chatty

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkChatty prints about 2 MiB to each of stdout and stderr, as a
// benchmark with a debugging print in it does.
func BenchmarkChatty(b *testing.B) {
	if b.N == 1 {
		for i := 0; i < 50000; i++ {
			fmt.Println("chatter on stdout, line", i)
			fmt.Fprintln(os.Stderr, "chatter on stderr, line", i)
		}
	}
	for i := 0; i < b.N; i++ {
	}
}

// BenchmarkQuiet runs after it and reports as usual.
func BenchmarkQuiet(b *testing.B) {
	for i := 0; i < b.N; i++ {
	}
}
`,
	"notests/notests.go": "package notests\n",
	"broken/broken.go":   "package broken\n",
	"broken/broken_test.go": `package broken

import "testing"

func BenchmarkBroken(b *testing.B) {
	undefinedThing()
}
`,
}

var fixture struct {
	once sync.Once
	dir  string
	pkgs map[string]Package // by last path element
	err  error
}

func writeModule(dir string, files map[string]string) error {
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// builtFixture returns the fixture module's packages, built once.
func builtFixture(t *testing.T) (string, map[string]Package) {
	t.Helper()
	fixture.once.Do(func() {
		dir, err := os.MkdirTemp("", "perfslo-run-fixture-")
		if err != nil {
			fixture.err = err
			return
		}
		fixture.dir = dir
		if fixture.err = writeModule(dir, fixtureFiles); fixture.err != nil {
			return
		}
		pkgs, err := Build(context.Background(), dir,
			[]string{"./fast", "./fails", "./panics", "./slow", "./notests", "./envdump", "./chatty"}, filepath.Join(dir, "bin"))
		if err != nil {
			fixture.err = err
			return
		}
		fixture.pkgs = map[string]Package{}
		for _, p := range pkgs {
			fixture.pkgs[filepath.Base(p.ImportPath)] = p
		}
	})
	if fixture.err != nil {
		t.Fatalf("building fixture: %v", fixture.err)
	}
	return fixture.dir, fixture.pkgs
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}
