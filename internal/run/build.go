package run

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Package is one package's compiled test binary.
type Package struct {
	// ImportPath is the package's import path; base and head packages are
	// paired by it.
	ImportPath string
	// Dir is the package's source directory (absolute). The binary runs
	// there, as `go test` runs it, so benchmarks can read testdata/.
	Dir string
	// Binary is the compiled test binary.
	Binary string
	// Module is the path of the package's module.
	Module string
}

// BuildError is a package whose test binary did not compile.
type BuildError struct {
	Package string // import path
	Output  string // the go command's output: file:line:col messages
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("building test binary for %s:\n%s", e.Package, strings.TrimRight(e.Output, "\n"))
}

// buildParallelism bounds concurrent `go test -c`: each one runs the
// compiler and linker, which already use several cores.
const buildParallelism = 2

// listed is the part of `go list -json` that Build needs.
type listed struct {
	ImportPath   string
	Dir          string
	TestGoFiles  []string
	XTestGoFiles []string
	Module       *struct{ Path string }
	Error        *struct{ Err string }
}

// Build compiles one test binary per package matching patterns, in the module
// directory dir, into outDir (which the caller creates and removes).
// Packages without test files are skipped; if none has tests, Build fails,
// since a gate with nothing to run must not pass. A package that does not
// compile yields a *BuildError.
func Build(ctx context.Context, dir string, patterns []string, outDir string) ([]Package, error) {
	pkgs, _, err := BuildSelected(ctx, BuildOptions{Dir: dir, Patterns: patterns, OutDir: outDir})
	return pkgs, err
}

// BuildSelected is Build with a selection and a cache: only the packages
// o.Keep accepts are built (all when it is nil), and with o.Cache and
// o.CacheKey set, binaries come from the cache when it has them and go
// into it when built. It returns the packages and how many binaries came
// from the cache. o.Flags are not supported here (see BuildWith).
func BuildSelected(ctx context.Context, o BuildOptions) ([]Package, int, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return nil, 0, fmt.Errorf("finding the go command: %w", err)
	}
	dir, patterns, outDir := o.Dir, o.Patterns, o.OutDir
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	absOut, err := filepath.Abs(outDir)
	if err != nil {
		return nil, 0, err
	}
	// The go command's own work directory goes inside ours unless the user
	// chose one: a go killed with perfslo then leaves nothing in $TMPDIR
	// that the next run's sweep of our directories would not remove.
	var env []string
	if os.Getenv("GOTMPDIR") == "" {
		gotmp := filepath.Join(absOut, ".gotmp")
		if err := os.MkdirAll(gotmp, 0o755); err != nil {
			return nil, 0, err
		}
		env = append(os.Environ(), "GOTMPDIR="+gotmp)
	}
	if len(o.Env) > 0 {
		if env == nil {
			env = os.Environ()
		}
		env = append(env, o.Env...)
	}
	all, err := list(ctx, goCmd, dir, env, patterns)
	if err != nil {
		return nil, 0, err
	}
	if len(all) == 0 {
		return nil, 0, fmt.Errorf("no test files in packages matching %s", strings.Join(patterns, " "))
	}
	var pkgs []Package
	for _, p := range all {
		if o.Keep == nil || o.Keep(p.ImportPath) {
			pkgs = append(pkgs, p)
		}
	}
	hits := 0
	cached := make([]bool, len(pkgs))
	for i := range pkgs {
		pkgs[i].Binary = filepath.Join(absOut, binaryName(i, pkgs[i].ImportPath))
		if o.Cache != nil && o.CacheKey != "" {
			if err := os.MkdirAll(absOut, 0o755); err != nil {
				return nil, 0, err
			}
			if o.Cache.Get(o.CacheKey, pkgs[i].ImportPath, pkgs[i].Binary) {
				cached[i] = true
				hits++
			}
		}
	}
	if err := buildAll(ctx, goCmd, dir, env, pkgs, cached); err != nil {
		return nil, 0, err
	}
	if o.Cache != nil && o.CacheKey != "" {
		for i := range pkgs {
			if !cached[i] {
				if err := o.Cache.Put(o.CacheKey, pkgs[i].ImportPath, pkgs[i].Binary); err != nil {
					return pkgs, hits, fmt.Errorf("caching %s: %w", pkgs[i].ImportPath, err)
				}
			}
		}
	}
	return pkgs, hits, nil
}

// buildAll compiles the packages not already there (skip), a few at a
// time, and returns the first real failure in go list order.
func buildAll(ctx context.Context, goCmd, dir string, env []string, pkgs []Package, skip []bool) error {

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(pkgs))
	sem := make(chan struct{}, buildParallelism)
	var wg sync.WaitGroup
	for i := range pkgs {
		if skip[i] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			if err := buildOne(ctx, goCmd, dir, env, pkgs[i]); err != nil {
				errs[i] = err
				// Stop the others: one compile error already fails the build.
				cancel()
			}
		}()
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return err
	}
	// Report the first package (in go list order) that really failed, not
	// one we cancelled because of it, so the error is deterministic.
	for _, err := range errs {
		var be *BuildError
		if errors.As(err, &be) {
			return err
		}
	}
	return errors.Join(errs...)
}

// binaryName is unique per package (the index) and readable (the path).
func binaryName(i int, importPath string) string {
	r := strings.NewReplacer("/", "_", "\\", "_", ":", "_")
	return fmt.Sprintf("%03d-%s.test", i, r.Replace(importPath))
}

// list resolves patterns to the packages that have tests.
func list(ctx context.Context, goCmd, dir string, env []string, patterns []string) ([]Package, error) {
	args := append([]string{"list", "-e", "-json=ImportPath,Dir,TestGoFiles,XTestGoFiles,Module,Error", "--"}, patterns...)
	cmd := goCommand(ctx, goCmd, dir, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("go list %s in %s: %v\n%s", strings.Join(patterns, " "), dir, err, strings.TrimSpace(stderr.String()))
	}
	var pkgs []Package
	dec := json.NewDecoder(&stdout)
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		if p.Error != nil && p.Dir == "" {
			// A pattern that names nothing (no such directory): say so
			// rather than silently benchmarking less than asked.
			return nil, fmt.Errorf("package %s: %s", p.ImportPath, p.Error.Err)
		}
		// Other package errors (syntax, imports) surface from go test -c
		// with file:line positions, as a BuildError.
		if len(p.TestGoFiles)+len(p.XTestGoFiles) == 0 {
			continue
		}
		pkg := Package{ImportPath: p.ImportPath, Dir: p.Dir}
		if p.Module != nil {
			pkg.Module = p.Module.Path
		}
		pkgs = append(pkgs, pkg)
	}
	return pkgs, nil
}

func buildOne(ctx context.Context, goCmd, dir string, env []string, p Package) error {
	cmd := goCommand(ctx, goCmd, dir, "test", "-c", "-o", p.Binary, p.ImportPath)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg := out.String()
		if strings.TrimSpace(msg) == "" {
			msg = err.Error()
		}
		return &BuildError{Package: p.ImportPath, Output: msg}
	}
	if _, err := os.Stat(p.Binary); err != nil {
		return &BuildError{Package: p.ImportPath, Output: "go test -c wrote no binary:\n" + out.String()}
	}
	return nil
}

// goCommand runs the go command so that cancellation interrupts it (rather
// than killing it), letting it stop the compiler and remove its work
// directory instead of leaking it in $TMPDIR.
func goCommand(ctx context.Context, goCmd, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = dir
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}
