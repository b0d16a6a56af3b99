package run

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildOptions is Build's input with the go command's build flags.
type BuildOptions struct {
	// Dir is the module directory; Patterns the packages ("./..." when
	// empty: "."); OutDir receives the binaries (the caller creates and
	// removes it).
	Dir      string
	Patterns []string
	OutDir   string
	// Flags are build flags for `go test -c`, e.g. "-ldflags=-X pkg.Var=v"
	// (one element per flag: no shell splitting happens).
	Flags []string
	// Env is added to the go commands' environment (after os.Environ()),
	// e.g. the deterministic mode's GOEXPERIMENT (callgrind.BuildEnv).
	// A cache key must then include it: CacheKey's flags.
	Env []string
	// Keep selects the packages to build by import path (nil: all).
	Keep func(importPath string) bool
	// Cache and CacheKey (see CacheKey) reuse binaries built before;
	// only for a commit's clean checkout, whose key names its sources.
	Cache    *Cache
	CacheKey string
}

// BuildWith is Build with build flags, for callers that build the same tree
// twice with different link-time settings (the evaluation harness injects a
// regression with -ldflags -X). It builds one package at a time: it serves
// harnesses, not the gate's critical path.
func BuildWith(ctx context.Context, o BuildOptions) ([]Package, error) {
	if len(o.Flags) == 0 {
		return Build(ctx, o.Dir, o.Patterns, o.OutDir)
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("finding the go command: %w", err)
	}
	patterns := o.Patterns
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	pkgs, err := list(ctx, goCmd, o.Dir, nil, patterns)
	if err != nil {
		return nil, err
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("no test files in packages matching %s", strings.Join(patterns, " "))
	}
	absOut, err := filepath.Abs(o.OutDir)
	if err != nil {
		return nil, err
	}
	for i := range pkgs {
		pkgs[i].Binary = filepath.Join(absOut, binaryName(i, pkgs[i].ImportPath))
		args := append(append([]string{"test", "-c", "-o", pkgs[i].Binary}, o.Flags...), pkgs[i].ImportPath)
		cmd := goCommand(ctx, goCmd, o.Dir, args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			msg := string(out)
			if strings.TrimSpace(msg) == "" {
				msg = err.Error()
			}
			return nil, &BuildError{Package: pkgs[i].ImportPath, Output: msg}
		}
	}
	return pkgs, nil
}
