package affected

import (
	"context"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/bench/scale/genrepo"
)

// graph is a small chain a ← b ← c (c imports b imports a), a leaf d, and
// e, a package that is only a dependency.
func graph() []Package {
	return []Package{
		{ImportPath: "m/a", Dir: "a", Target: true},
		{ImportPath: "m/b", Dir: "b", Target: true, Deps: []string{"m/a"}},
		{ImportPath: "m/c", Dir: "c", Target: true, Deps: []string{"m/a", "m/b", "m/e"}},
		{ImportPath: "m/d", Dir: "d", Target: true, Embeds: []string{"assets/x.json"}},
		{ImportPath: "m/e", Dir: "e"},
	}
}

func runs(s Selection) []string {
	var out []string
	for _, r := range s.Run {
		out = append(out, r.Package)
	}
	return out
}

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		name    string
		changed []string
		force   bool
		want    []string
		all     bool
	}{
		{"leaf", []string{"d/d.go"}, false, []string{"m/d"}, false},
		{"bottom of the chain", []string{"a/a.go"}, false, []string{"m/a", "m/b", "m/c"}, false},
		{"middle of the chain", []string{"b/b_test.go"}, false, []string{"m/b", "m/c"}, false},
		{"a dependency-only package", []string{"e/e.go"}, false, []string{"m/c"}, false},
		{"testdata", []string{"a/testdata/in/big.txt"}, false, []string{"m/a", "m/b", "m/c"}, false},
		{"an embedded file in a subdirectory", []string{"d/assets/x.json"}, false, []string{"m/d"}, false},
		{"a file in no package", []string{"docs/README.md", "d/assets/other.json"}, false, nil, false},
		{"go.mod", []string{"README.md", "go.mod"}, false, []string{"m/a", "m/b", "m/c", "m/d"}, true},
		{"a nested go.sum", []string{"tools/go.sum"}, false, []string{"m/a", "m/b", "m/c", "m/d"}, true},
		{"go.work", []string{"go.work"}, false, []string{"m/a", "m/b", "m/c", "m/d"}, true},
		{"the budgets", []string{"perfslo.yaml"}, false, []string{"m/a", "m/b", "m/c", "m/d"}, true},
		{"vendor", []string{"vendor/modules.txt"}, false, []string{"m/a", "m/b", "m/c", "m/d"}, true},
		{"--all", nil, true, []string{"m/a", "m/b", "m/c", "m/d"}, true},
		{"a deleted package", []string{"gone/gone.go", "gone/gone_test.go"}, false, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Select(graph(), tc.changed, "perfslo.yaml", tc.force)
			if got := runs(s); !reflect.DeepEqual(got, tc.want) || s.All != tc.all {
				t.Fatalf("runs %v (all %v), want %v (all %v); reason %q", got, s.All, tc.want, tc.all, s.Reason)
			}
			wantBaseOnly := tc.name == "a deleted package"
			if got := len(s.BaseOnly) > 0; got != wantBaseOnly || wantBaseOnly && (len(s.BaseOnly) != 1 || s.BaseOnly[0] != "gone" || !strings.Contains(s.Reason, "(gone)")) {
				t.Fatalf("base-only dirs %v, reason %q: want them exactly for a deleted package", s.BaseOnly, s.Reason)
			}
			if len(s.Run)+len(s.Skipped) != 4 {
				t.Fatalf("run %d + skipped %d, want the 4 targets", len(s.Run), len(s.Skipped))
			}
			for _, sk := range s.Skipped {
				if !strings.HasPrefix(sk.Reason, "unaffected") {
					t.Errorf("skip %s: reason %q", sk.Package, sk.Reason)
				}
			}
		})
	}
	outside := append(graph(), Package{ImportPath: "m/far", Target: true})
	if s := Select(outside, nil, "", false); !reflect.DeepEqual(runs(s), []string{"m/far"}) {
		t.Errorf("a target outside the repository: runs %v, want it gated", runs(s))
	}
	s := Select(graph(), []string{"a/a.go"}, "", false)
	if s.Run[2].Reason != "depends on m/a (changed: a/a.go)" {
		t.Errorf("reason for m/c: %q", s.Run[2].Reason)
	}
}

// TestLoadAndChanged reads a real generated repository's graph with go
// list and its changes with git.
func TestLoadAndChanged(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	if err := genrepo.Chain(dir, 3, 2); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	root, _ := filepath.EvalSymlinks(dir)
	pkgs, err := Load(ctx, dir, root, []string{"./..."})
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]Package{}
	for _, p := range pkgs {
		if p.Target {
			targets[p.ImportPath] = p
		}
	}
	c3 := targets[genrepo.Module+"/chain/c03"]
	if len(targets) != 5 || c3.Dir != "chain/c03" || c3.Benchmarks != 1 || c3.Module != genrepo.Module {
		t.Fatalf("targets %d, c03 %+v", len(targets), c3)
	}
	if !contains(c3.Deps, genrepo.Module+"/chain/c01") || contains(c3.Deps, genrepo.Module+"/leaf/l01") {
		t.Fatalf("c03's test deps: %v", c3.Deps)
	}
	if err := genrepo.Touch(dir, "chain/c02/c02.go"); err != nil {
		t.Fatal(err)
	}
	if err := genrepo.Commit(dir, "touch c02"); err != nil {
		t.Fatal(err)
	}
	if err := genrepo.Touch(dir, "leaf/l02/l02.go"); err != nil { // uncommitted: the gate measures the working tree
		t.Fatal(err)
	}
	changed, err := Changed(ctx, dir, "HEAD~1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{genrepo.Module + "/chain/c02", genrepo.Module + "/chain/c03", genrepo.Module + "/leaf/l02"}
	if got := runs(Select(pkgs, changed, "perfslo.yaml", false)); !reflect.DeepEqual(got, want) {
		t.Fatalf("changed %v: runs %v, want %v", changed, got, want)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
