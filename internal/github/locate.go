package github

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"golang.org/x/mod/modfile"
)

// FindBenchmark finds the function that runs benchmark name in the
// _test.go files of the package directory dir. name may be a full result
// name ("BenchmarkSum/lines=1000-8"): the function is the part before the
// first slash, without a GOMAXPROCS suffix. The location's File is dir
// joined with the file's name, in slash form.
func FindBenchmark(dir, name string) (gate.Location, error) {
	fn := BenchmarkFunc(name)
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return gate.Location{}, err
	}
	if len(files) == 0 {
		return gate.Location{}, fmt.Errorf("%s: no _test.go files to find func %s in", dir, fn)
	}
	sort.Strings(files)
	fset := token.NewFileSet()
	for _, f := range files {
		// Parse only declarations: bodies do not say where a function is.
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			// A file that does not parse cannot hold the benchmark that ran;
			// keep looking in the others.
			continue
		}
		for _, d := range file.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == fn {
				p := fset.Position(fd.Pos())
				return gate.Location{File: filepath.ToSlash(p.Filename), Line: p.Line}, nil
			}
		}
	}
	return gate.Location{}, fmt.Errorf("%s: no func %s( in the package's _test.go files", dir, fn)
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// BenchmarkFunc is the Go function behind a benchmark result name.
func BenchmarkFunc(name string) string {
	fn, _, _ := strings.Cut(name, "/")
	return procsSuffix.ReplaceAllString(fn, "")
}

// Locator places rows in the repository for annotations.
type Locator struct {
	// ModuleDir is the Go module's root on disk ("" when the job has no
	// checkout, as a workflow_run job should not).
	ModuleDir string
	// Prefix is the module root's path inside the repository ("" at the
	// root, "services/api" in a monorepo). Annotation paths are
	// repository-relative.
	Prefix string

	modulePath string
	// workspace maps the module paths of a go.work root's modules to
	// their directories relative to it.
	workspace map[string]string
}

// NewLocator reads the module at dir, if any, and works out its place in
// the git repository around it.
func NewLocator(dir string) *Locator {
	l := &Locator{}
	root, modPath, err := budgets.FindModule(dir)
	if err != nil {
		return l
	}
	l.ModuleDir, l.modulePath = root, modPath
	if modPath == "" {
		l.workspace = workspaceModules(root)
	}
	if top := findGitTop(root); top != "" {
		if rel, err := filepath.Rel(top, root); err == nil && rel != "." {
			l.Prefix = filepath.ToSlash(rel)
		}
	}
	return l
}

// Locate returns the repository-relative location of row's benchmark: the
// report's own when it has one, else found in the package's source.
func (l *Locator) Locate(row *gate.Row) (gate.Location, bool) {
	if row.Source != nil && row.Source.File != "" && row.Source.Line > 0 {
		return gate.Location{File: path.Join(l.Prefix, row.Source.File), Line: row.Source.Line}, true
	}
	if l.ModuleDir == "" {
		return gate.Location{}, false
	}
	rel, ok := l.packageDir(row.Package)
	if !ok {
		return gate.Location{}, false
	}
	loc, err := FindBenchmark(filepath.Join(l.ModuleDir, filepath.FromSlash(rel)), row.Benchmark)
	if err != nil {
		return gate.Location{}, false
	}
	file, err := filepath.Rel(l.ModuleDir, filepath.FromSlash(loc.File))
	if err != nil {
		return gate.Location{}, false
	}
	return gate.Location{File: path.Join(l.Prefix, filepath.ToSlash(file)), Line: loc.Line}, true
}

// packageDir maps a package as the report names it (an import path, or a
// "./dir" pattern) to its directory relative to the module root.
func (l *Locator) packageDir(pkg string) (string, bool) {
	switch {
	case pkg == "." || pkg == "":
		return ".", true
	case strings.HasPrefix(pkg, "./"):
		return path.Clean(pkg), true
	case pkg == l.modulePath:
		return ".", true
	case l.modulePath != "" && strings.HasPrefix(pkg, l.modulePath+"/"):
		return strings.TrimPrefix(pkg, l.modulePath+"/"), true
	}
	// In a workspace, the longest module path that prefixes pkg.
	best, dir := "", ""
	for mod, d := range l.workspace {
		if (pkg == mod || strings.HasPrefix(pkg, mod+"/")) && len(mod) > len(best) {
			best, dir = mod, d
		}
	}
	if best != "" {
		return path.Join(dir, strings.TrimPrefix(strings.TrimPrefix(pkg, best), "/")), true
	}
	return "", false
}

// workspaceModules reads the modules a go.work at root uses: module path
// → directory relative to root. Nil when there is no workspace.
func workspaceModules(root string) map[string]string {
	patterns, err := budgets.WorkspacePatterns(root, []string{"./..."})
	if err != nil {
		return nil
	}
	mods := map[string]string{}
	for _, p := range patterns {
		dir := strings.TrimSuffix(strings.TrimPrefix(p, "./"), "...")
		dir = path.Clean(strings.TrimSuffix(dir, "/")) // "./..." → "."
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(dir), "go.mod"))
		if err != nil {
			continue
		}
		if mp := modfile.ModulePath(data); mp != "" {
			mods[mp] = dir
		}
	}
	return mods
}

// findGitTop walks up from dir to the directory holding .git.
func findGitTop(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}
