package profiles

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Module places a Go module in its repository, so that paths in a git diff
// map to import paths.
type Module struct {
	// Path is the module path (go.mod's module line).
	Path string
	// Dir is the module's directory relative to the repository root: "" or
	// "." when go.mod sits at the root.
	Dir string
}

// Changes are the Go functions a source diff touched, named as pprof names
// them ("example.com/m/sum.Parse", "example.com/m/sum.(*Reader).Next").
type Changes struct {
	Functions []string
	// Outside lists changes that can alter the cost of functions whose
	// text did not change: package-level declarations (types, vars,
	// consts), go.mod/go.sum, testdata, assembly, unparsable Go files.
	// When it is not empty no regression is called "likely layout".
	Outside []string
}

var hunkHeader = regexp.MustCompile(`^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@`)

// ChangedFunctions maps a `git diff -U0` (run in the repository, any base) to
// the Go functions of mod whose new text changed. read returns a file's new
// content by its repository path. Only the head side is read: a deleted
// function has callers that changed too, and those are what a head profile
// shows.
func ChangedFunctions(diff []byte, mod Module, read func(repoPath string) ([]byte, error)) (*Changes, error) {
	modDir := path.Clean(mod.Dir)
	if modDir == "" {
		modDir = "."
	}
	lines := map[string][]int{} // .go file → changed new-side lines
	var order []string
	var outside []string
	seenOutside := map[string]bool{}
	noteOutside := func(s string) {
		if !seenOutside[s] {
			seenOutside[s] = true
			outside = append(outside, s)
		}
	}
	file := "" // current file's new path, "" when deleted or not ours
	sc := bufio.NewScanner(bytes.NewReader(diff))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		ln := sc.Text()
		switch {
		case strings.HasPrefix(ln, "diff --git "):
			file = ""
			if i := strings.LastIndex(ln, " b/"); i >= 0 {
				file = relTo(modDir, ln[i+3:])
			}
			if file != "" && !strings.HasSuffix(file, ".go") && affectsCost(file) {
				noteOutside(file)
			}
		case strings.HasPrefix(ln, "+++ "):
			p := strings.TrimPrefix(ln, "+++ ")
			if p == "/dev/null" {
				file = ""
				continue
			}
			file = relTo(modDir, strings.TrimPrefix(p, "b/"))
		case strings.HasPrefix(ln, "@@"):
			if file == "" || !strings.HasSuffix(file, ".go") {
				continue
			}
			m := hunkHeader.FindStringSubmatch(ln)
			if m == nil {
				return nil, fmt.Errorf("diff line %d: malformed hunk header %q: expected \"@@ -a,b +c,d @@\"", n, ln)
			}
			start, _ := strconv.Atoi(m[1])
			count := 1
			if m[2] != "" {
				count, _ = strconv.Atoi(m[2])
			}
			if _, ok := lines[file]; !ok {
				order = append(order, file)
			}
			if count == 0 {
				// A pure deletion after line start: blame the code
				// around the gap.
				lines[file] = append(lines[file], start, start+1)
			}
			for i := 0; i < count; i++ {
				lines[file] = append(lines[file], start+i)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading diff: %v", err)
	}

	ch := &Changes{Outside: outside}
	seen := map[string]bool{}
	for _, f := range order {
		repoPath := f
		if modDir != "." {
			repoPath = path.Join(modDir, f)
		}
		src, err := read(repoPath)
		if err != nil {
			return nil, err
		}
		fns, out, err := functionsAt(repoPath, src, lines[f], importPathOf(mod.Path, path.Dir(f)))
		if err != nil {
			ch.Outside = append(ch.Outside, repoPath+" (does not parse)")
			continue
		}
		ch.Outside = append(ch.Outside, out...)
		for _, fn := range fns {
			if !seen[fn] {
				seen[fn] = true
				ch.Functions = append(ch.Functions, fn)
			}
		}
	}
	sort.Strings(ch.Functions)
	return ch, nil
}

// relTo returns p relative to the module directory, or "" when p lies
// outside the module.
func relTo(modDir, p string) string {
	p = path.Clean(p)
	if modDir == "." {
		return p
	}
	if rest, ok := strings.CutPrefix(p, modDir+"/"); ok {
		return rest
	}
	return ""
}

// affectsCost says whether a non-Go file can change what compiled code
// costs.
func affectsCost(file string) bool {
	base := path.Base(file)
	switch {
	case base == "go.mod" || base == "go.sum" || base == "go.work":
		return true
	case strings.HasPrefix(file, "testdata/") || strings.Contains(file, "/testdata/"):
		return true
	}
	switch path.Ext(file) {
	case ".s", ".c", ".h", ".cc", ".syso":
		return true
	}
	return false
}

func importPathOf(modPath, dir string) string {
	if dir == "." || dir == "" {
		return modPath
	}
	return modPath + "/" + dir
}

// functionsAt returns the pprof names of the functions of one Go file that
// contain any of lines, and the package-level lines outside functions that
// changed something other than imports, blank lines or comments.
func functionsAt(repoPath string, src []byte, lines []int, importPath string) (fns, outside []string, err error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, repoPath, src, parser.SkipObjectResolution|parser.ParseComments)
	if err != nil {
		return nil, nil, err
	}
	pkg := importPath
	switch {
	case f.Name.Name == "main":
		pkg = "main"
	case strings.HasSuffix(f.Name.Name, "_test") && strings.HasSuffix(repoPath, "_test.go"):
		pkg = importPath + "_test"
	}
	text := bytes.Split(src, []byte("\n"))
	for _, line := range lines {
		if line < 1 || line > len(text) {
			continue
		}
		if t := bytes.TrimSpace(text[line-1]); len(t) == 0 || bytes.HasPrefix(t, []byte("//")) {
			continue
		}
		decl := declAt(fset, f, line)
		switch d := decl.(type) {
		case *ast.FuncDecl:
			name := pkg + "." + funcName(d)
			if !slices.Contains(fns, name) {
				fns = append(fns, name)
			}
		case *ast.GenDecl:
			if d.Tok != token.IMPORT {
				outside = append(outside, fmt.Sprintf("%s:%d", repoPath, line))
			}
		case nil:
			// package clause, or between declarations: no code.
		}
	}
	return fns, outside, nil
}

func declAt(fset *token.FileSet, f *ast.File, line int) ast.Decl {
	for _, d := range f.Decls {
		start := fset.Position(d.Pos()).Line
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Doc != nil {
			start = fset.Position(fd.Pos()).Line // a doc comment is not code
		}
		if start <= line && line <= fset.Position(d.End()).Line {
			return d
		}
	}
	return nil
}

// funcName renders a declaration as pprof names it: "F", "T.M", "(*T).M".
// Type parameters are dropped; pprof shows them as "[...]", which
// matchFunction strips.
func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	t := d.Recv.List[0].Type
	ptr := false
	if s, ok := t.(*ast.StarExpr); ok {
		ptr, t = true, s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	recv := "?"
	if id, ok := t.(*ast.Ident); ok {
		recv = id.Name
	}
	if ptr {
		return "(*" + recv + ")." + d.Name.Name
	}
	return recv + "." + d.Name.Name
}

// matchFunction reports whether a pprof function name is the changed
// function fn or code generated from its body: closures ("fn.func1",
// "fn.func1.2"), go/defer wrappers, method values ("fn-fm"), and generic
// instances ("pkg.F[...]").
func matchFunction(name, fn string) bool {
	name = strings.ReplaceAll(name, "[...]", "")
	if name == fn || name == fn+"-fm" {
		return true
	}
	rest, ok := strings.CutPrefix(name, fn+".")
	if !ok {
		return false
	}
	for _, p := range []string{"func", "gowrap", "deferwrap"} {
		if strings.HasPrefix(rest, p) {
			return true
		}
	}
	return rest != "" && rest[0] >= '0' && rest[0] <= '9' // init.0
}
