package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// spinFile is the file added to each package that receives an injection.
const spinFile = "perfslo_inject.go"

// spinSource is the injected work: a chain of dependent multiply-adds (no
// allocation, no memory traffic) whose result is kept in a package variable,
// so the compiler can neither drop nor shorten it. noinline keeps its cost
// the same at every call site.
const spinSource = `package %s

// Added by perfslo's bench/reallibs harness: a known amount of extra CPU work
// injected at the top of chosen functions, to test regression detection.

var perfsloSink uint64

//go:noinline
func perfsloSpin(n int) {
	x := perfsloSink
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	perfsloSink = x
}
`

// inject applies every injection to the module tree rooted at root. Source
// files are edited as text at the opening brace of each function, so the
// rest of each file stays byte-for-byte the same.
func inject(root string, ins []Injection) error {
	byFile := map[string][]Injection{}
	var files []string
	for _, in := range ins {
		if in.Spin <= 0 {
			return fmt.Errorf("injection into %s %s: spin %d, want > 0", in.File, in.Func, in.Spin)
		}
		if _, ok := byFile[in.File]; !ok {
			files = append(files, in.File)
		}
		byFile[in.File] = append(byFile[in.File], in)
	}
	pkgs := map[string]string{} // dir → package name
	for _, f := range files {
		name, err := injectFile(filepath.Join(root, f), byFile[f])
		if err != nil {
			return err
		}
		dir := filepath.Dir(filepath.Join(root, f))
		if old, ok := pkgs[dir]; ok && old != name {
			return fmt.Errorf("%s: package %s, but another injected file in %s is package %s", f, name, dir, old)
		}
		pkgs[dir] = name
	}
	for dir, name := range pkgs {
		path := filepath.Join(dir, spinFile)
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("%s already exists: the module defines it, or it was injected twice", path)
		}
		if err := os.WriteFile(path, []byte(fmt.Sprintf(spinSource, name)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// injectFile inserts the spin calls into one file and returns its package name.
func injectFile(path string, ins []Injection) (string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return "", err
	}
	type edit struct {
		off  int
		text string
	}
	var edits []edit
	for _, in := range ins {
		fd, err := findFunc(f, in.Func)
		if err != nil {
			return "", fmt.Errorf("%s: %v", path, err)
		}
		if fd.Body == nil {
			return "", fmt.Errorf("%s:%d: %s has no body (assembly?); inject into a Go function", path, fset.Position(fd.Pos()).Line, in.Func)
		}
		off := fset.Position(fd.Body.Lbrace).Offset + 1
		text := fmt.Sprintf("\n\tperfsloSpin(%d) // injected regression", in.Spin)
		if off < len(src) && src[off] != '\n' {
			text += "\n" // a one-line body: the comment must not swallow it
		}
		edits = append(edits, edit{off, text})
	}
	// Apply from the end so earlier offsets stay valid.
	sort.Slice(edits, func(i, j int) bool { return edits[i].off > edits[j].off })
	out := src
	for _, e := range edits {
		out = append(out[:e.off:e.off], append([]byte(e.text), out[e.off:]...)...)
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
		return "", err
	}
	return f.Name.Name, nil
}

// findFunc finds the declaration of name ("F" or "T.M") in f, exactly once.
func findFunc(f *ast.File, name string) (*ast.FuncDecl, error) {
	recv, fn, isMethod := strings.Cut(name, ".")
	if !isMethod {
		fn, recv = recv, ""
	}
	var found []*ast.FuncDecl
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != fn {
			continue
		}
		if recvType(fd) == recv {
			found = append(found, fd)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no function %s", name)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("function %s declared %d times", name, len(found))
}

// recvType is the receiver's type name without pointer or type parameters,
// or "" for a plain function.
func recvType(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return ""
	}
	t := fd.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.ParenExpr:
			t = x.X
		case *ast.Ident:
			return x.Name
		default:
			return fmt.Sprintf("%T", t)
		}
	}
}
