package affected

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/perfslo/perfslo/internal/gitref"
)

// listed is the part of `go list -deps -test -json` Load reads.
type listed struct {
	ImportPath      string
	Name            string
	Dir             string
	ForTest         string
	Standard        bool
	DepOnly         bool
	Module          *struct{ Path string }
	TestGoFiles     []string
	XTestGoFiles    []string
	EmbedFiles      []string
	TestEmbedFiles  []string
	XTestEmbedFiles []string
	Deps            []string
	Error           *struct{ Err string }
}

// Load lists the package graph of patterns in the module (or workspace)
// at dir: every package the targets' test binaries depend on, with
// directories relative to the repository root root.
func Load(ctx context.Context, dir, root string, patterns []string) ([]Package, error) {
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	args := append([]string{"list", "-e", "-deps", "-test", "-json=ImportPath,Name,Dir,ForTest,Standard,DepOnly,Module,TestGoFiles,XTestGoFiles,EmbedFiles,TestEmbedFiles,XTestEmbedFiles,Deps,Error", "--"}, patterns...)
	// Directories are compared with root as the go command reports them,
	// so both are real paths (a symlinked temp dir would otherwise put
	// every package "outside" the repository).
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go list -deps -test %s in %s: %v\n%s", strings.Join(patterns, " "), dir, err, strings.TrimSpace(stderr.String()))
	}
	return parseList(&stdout, root)
}

// parseList folds go list's test variants into one Package per import
// path: the plain package gives directory and files, "P.test" the test
// binary's dependencies.
func parseList(r io.Reader, root string) ([]Package, error) {
	byPath := map[string]*Package{}
	var order []string
	testDeps := map[string][]string{}
	dec := json.NewDecoder(r)
	for {
		var l listed
		if err := dec.Decode(&l); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		if l.Error != nil && l.Dir == "" {
			return nil, fmt.Errorf("package %s: %s", l.ImportPath, l.Error.Err)
		}
		if bin, ok := strings.CutSuffix(l.ImportPath, ".test"); ok && l.Name == "main" && l.ForTest == "" {
			testDeps[bin] = stripVariants(l.Deps)
			continue
		}
		if l.ForTest != "" || l.Standard {
			continue
		}
		p := &Package{ImportPath: l.ImportPath, Target: !l.DepOnly && len(l.TestGoFiles)+len(l.XTestGoFiles) > 0}
		if l.Module != nil {
			p.Module = l.Module.Path
		}
		if rel, err := filepath.Rel(root, l.Dir); err == nil && !strings.HasPrefix(rel, "..") && l.Dir != "" {
			p.Dir = filepath.ToSlash(rel)
		}
		p.Benchmarks = countBenchmarks(l.Dir, append(append([]string(nil), l.TestGoFiles...), l.XTestGoFiles...))
		p.Embeds = append(append(append(p.Embeds, l.EmbedFiles...), l.TestEmbedFiles...), l.XTestEmbedFiles...)
		p.Deps = stripVariants(l.Deps)
		if _, dup := byPath[p.ImportPath]; !dup {
			order = append(order, p.ImportPath)
		}
		byPath[p.ImportPath] = p
	}
	out := make([]Package, 0, len(order))
	for _, ip := range order {
		p := byPath[ip]
		if d, ok := testDeps[ip]; ok {
			p.Deps = d
		}
		out = append(out, *p)
	}
	return out, nil
}

// stripVariants drops the " [P.test]" of test-variant import paths.
func stripVariants(deps []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range deps {
		d, _, _ = strings.Cut(d, " ")
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// Changed lists the files that differ between the merge base of base and
// HEAD and the working tree (committed, staged, unstaged and untracked:
// the gate measures the working tree), relative to the repository root,
// with deletions and both sides of renames.
func Changed(ctx context.Context, repo, base string) ([]string, error) {
	mb, err := gitref.Git(ctx, repo, "merge-base", base, "HEAD")
	if err != nil {
		return nil, fmt.Errorf("changed files: %w", err)
	}
	diff, err := gitref.Git(ctx, repo, "diff", "--name-only", "--no-renames", "-z", strings.TrimSpace(mb))
	if err != nil {
		return nil, fmt.Errorf("changed files: %w", err)
	}
	untracked, err := gitref.Git(ctx, repo, "ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return nil, fmt.Errorf("changed files: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range strings.Split(diff+"\x00"+untracked, "\x00") {
		// perfslo's own output (.perfslo/: samples, profiles, baselines)
		// is not a change to the code.
		if f = strings.TrimSpace(f); f != "" && !seen[f] && f != ".perfslo" && !strings.HasPrefix(f, ".perfslo/") && !strings.Contains(f, "/.perfslo/") {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, nil
}

// countBenchmarks counts the top-level Benchmark functions in files of dir;
// files it cannot parse count nothing (go test -c reports them).
func countBenchmarks(dir string, files []string) int {
	n := 0
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, filepath.Join(dir, f), nil, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && strings.HasPrefix(fd.Name.Name, "Benchmark") {
				n++
			}
		}
	}
	return n
}
